"""CKV_VPCE_8: does a VPC endpoint policy let everyone do everything through the endpoint?

An endpoint policy is a different layer from a resource policy: it is the maximum access allowed *through the
endpoint* (Amazon VPC, "Control access to VPC endpoints using endpoint policies"), whichever account owns the
principal or the resource. Without one, AWS attaches the default policy, which grants full access:
``{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}``.

The policy is *full access* when some Allow statement without a Condition admits, by the engine's own matcher
(``evaluate.principal_element_ok`` / ``action_element_ok`` / ``resource_element_ok``), one probe request: a
principal of another account outside the organisation, an action of the service that only a wildcard covers (one
AWS may add later), on a resource of another account outside the organisation; and no Deny statement matches that
request (plain evaluation, ``evaluate.statement_applies``). A service-wide wildcard (``s3:*``) with Principal
``*`` and Resource ``*`` is full access too: the probe is tried for the endpoint's service and for every service
namespace the policy's Allow statements name, and one full-access namespace is enough.

Unresolved references (``${var.x}``) in the Principal, Action or Resource of a statement are read both ways
(``evaluate.Reading``): when the verdict changes with the reading it is "unresolved" and names them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from vpce_checks.engine.evaluate import (
    Principal,
    Reading,
    Request,
    action_element_ok,
    evaluate,
    principal_element_ok,
    resource_element_ok,
    statement_applies,
)
from vpce_checks.engine.model import Policy, Statement, parse_policy, references_in
from vpce_checks.engine.services import PROFILES

# Amazon VPC, "Control access to VPC endpoints using endpoint policies", section "Default endpoint policy".
DEFAULT_ENDPOINT_POLICY = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
FUTURE_ACTION = "FutureActionNotYetReleased"
ANY_SERVICE = "any-service"
# A concrete action to name in a counterexample, per service (checked against the policy before it is shown).
EXAMPLE_ACTIONS = {"s3": "s3:PutObject", "sqs": "sqs:SendMessage", "sns": "sns:Publish",
                   "execute-api": "execute-api:Invoke", "dynamodb": "dynamodb:PutItem", "kms": "kms:Decrypt",
                   "secretsmanager": "secretsmanager:GetSecretValue"}
# Condition keys whose test confines principals, and those that confine resources (for the PASSED details).
PRINCIPAL_KEYS = ("aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn",
                  "aws:userid", "aws:principaltag/")
RESOURCE_KEYS = ("aws:resourceorgid", "aws:resourceorgpaths", "aws:resourceaccount", "s3:resourceaccount",
                 "aws:resourcetag/")
_ACCOUNTS = ("000000000000", "000000000001", "000000000002", "000000000003")
_ORGS = ("o-0f1e2d3c4b", "o-0f1e2d3c4c", "o-0f1e2d3c4d", "o-0f1e2d3c4e")


@dataclass(frozen=True)
class EndpointVerdict:
    """The answer for one endpoint policy."""

    status: str  # "full" | "limited" | "unresolved" | "invalid"
    reason: str
    statement: Optional[Statement] = None  # the Allow that grants full access
    request: Optional[Request] = None  # a request the policy lets through the endpoint
    description: str = ""  # that request in words
    limits: Tuple[str, ...] = ()  # what the policy confines (PASSED details)
    namespace: Optional[str] = None  # the service namespace of the probe that got through
    notes: Tuple[str, ...] = field(default=())


def _texts(policy: Policy) -> str:
    return "\n".join(policy.strings())


def _fresh(candidates: Sequence[str], used: str) -> str:
    return next((c for c in candidates if c not in used), candidates[-1])


def _namespaces(policy: Policy, endpoint_namespace: Optional[str]) -> List[str]:
    """The endpoint's service namespace, then every namespace the unconditioned Allow statements name (only those
    can grant full access, so the work stays proportional to them)."""
    out: Dict[str, None] = {}
    if endpoint_namespace:
        out[endpoint_namespace] = None
    for statement in policy.statements:
        if statement.is_deny or statement.conditions:
            continue
        for action in (statement.action or ()) + (statement.not_action or ()):
            prefix = action.split(":", 1)[0].strip().lower() if ":" in action else ""
            if prefix and "*" not in prefix and "?" not in prefix and "$" not in prefix:
                out[prefix] = None
    return list(out) or [ANY_SERVICE]


@dataclass(frozen=True)
class _Probe:
    namespace: str
    principal: Principal
    resource: str
    context: Dict[str, object]
    org: str

    def request(self, action: str) -> Request:
        return Request(action=action, resource=self.resource, principal=self.principal, context=dict(self.context))


def _probe(namespace: str, used: str) -> _Probe:
    account = _fresh(_ACCOUNTS, used)
    org = _fresh(_ORGS, used)
    role = f"arn:aws:iam::{account}:role/any-role"
    principal = Principal(kind="iam", account=account, arn=f"arn:aws:sts::{account}:assumed-role/any-role/any-session",
                          role_arn=role, label="a principal of another account outside your organization")
    if namespace == "s3":
        resource = "arn:aws:s3:::any-bucket-of-another-account/any-key"
    else:
        resource = f"arn:aws:{namespace}:any-region:{account}:any-resource-of-another-account"
    org_path = f"{org}/r-0f1e/ou-0f1e-0f1e2d3c/"
    context: Dict[str, object] = {
        "aws:sourcevpce": "vpce-0f1e2d3c4b5a69788", "aws:sourcevpc": "vpc-0f1e2d3c4b5a69788",
        "aws:vpcsourceip": "10.255.255.10",
        "aws:principalaccount": account, "aws:principalarn": role, "aws:principalorgid": org,
        "aws:principalorgpaths": (org_path,), "aws:principaltype": "AssumedRole",
        "aws:resourceaccount": account, "aws:resourceorgid": org, "aws:resourceorgpaths": (org_path,),
        "aws:principalisawsservice": "false", "aws:viaawsservice": "false", "aws:securetransport": "true",
    }
    if namespace == "s3":
        context["s3:resourceaccount"] = account
    return _Probe(namespace, principal, resource, context, org)


def _grants_everything(statement: Statement, probe: _Probe, action: str, reading: Optional[Reading]) -> bool:
    """An Allow without Condition whose Principal, Action and Resource all admit the probe."""
    return (not statement.is_deny and not statement.conditions
            and principal_element_ok(statement, probe.principal, reading)
            and action_element_ok(statement, action, reading)
            and resource_element_ok(statement, probe.resource, reading))


def _through(policy: Policy, probe: _Probe, action: str, allow: Optional[Reading],
             deny: Optional[Reading]) -> Tuple[Optional[Statement], List[Statement]]:
    """The unconditioned Allow that admits the request (if any), and the Deny statements that match it."""
    request = probe.request(action)
    granting = next((s for s in policy.statements if _grants_everything(s, probe, action, allow)), None)
    denying = [s for s in policy.denies if statement_applies(s, request, deny)]
    return granting, denying


def _references(policy: Policy) -> List[str]:
    found: Dict[str, None] = {}
    for statement in policy.statements:
        values: List[str] = []
        for element in (statement.principal, statement.not_principal):
            if element is not None:
                values.extend(element.aws)
        for items in (statement.action, statement.not_action, statement.resource, statement.not_resource):
            values.extend(items or ())
        for value in values:
            for ref in references_in(value):
                found[ref] = None
    return list(found)


def _condition_phrase(statement: Statement) -> List[str]:
    out = []
    for condition in statement.conditions:
        key = condition.key
        if any(key == k or (k.endswith("/") and key.startswith(k)) for k in PRINCIPAL_KEYS):
            what = "principals scoped by"
        elif any(key == k or (k.endswith("/") and key.startswith(k)) for k in RESOURCE_KEYS):
            what = "resources scoped by"
        else:
            what = "condition"
        out.append(f"{what} {condition.describe()}")
    return out


def _limits(policy: Policy, probe: _Probe, action: str) -> List[str]:
    """What each statement confines, in words, for a PASSED result."""
    request = probe.request(action)
    lines: List[str] = []
    allows = [s for s in policy.statements if not s.is_deny]
    if not allows:
        lines.append("no statement allows anything: the endpoint lets no request through")
    for statement in allows:
        parts = _condition_phrase(statement)
        if statement.principal is not None and not statement.principal.everyone:
            named = statement.principal.aws + statement.principal.service + statement.principal.federated
            parts.append("principals limited to " + ", ".join(named))
        elif statement.not_principal is not None:
            parts.append("principals limited by NotPrincipal")
        if not action_element_ok(statement, action):
            listed = statement.action or statement.not_action or ()
            parts.append(("actions limited to " if statement.action else "actions except ") + ", ".join(listed))
        if not resource_element_ok(statement, probe.resource):
            listed = statement.resource or statement.not_resource or ()
            parts.append(("resources limited to " if statement.resource else "resources except ")
                         + ", ".join(listed))
        if parts:
            lines.append(f"{statement.label} (Allow): " + "; ".join(parts))
    for statement in policy.denies:
        if statement_applies(statement, request):
            parts = _condition_phrase(statement)
            if statement.not_action:
                parts.append("every action except " + ", ".join(statement.not_action))
            if statement.not_resource:
                parts.append("every resource except " + ", ".join(statement.not_resource))
            lines.append(f"{statement.label} (Deny) cuts down what the Allow statements grant"
                         + (": " + "; ".join(parts) if parts else ""))
    return lines


def _example_action(policy: Policy, probe: _Probe, statement: Statement) -> str:
    """A concrete action the policy lets through (for the counterexample), else the probe's unknown action."""
    namespace = probe.namespace
    candidates = [EXAMPLE_ACTIONS.get(namespace, "")]
    profile = PROFILES.get(namespace)
    candidates += list(profile.known_actions) if profile is not None else []
    for action in candidates:
        if not action:
            continue
        granting, denying = _through(policy, probe, action, None, None)
        if granting is statement and not denying:
            return action
    return f"{namespace}:{FUTURE_ACTION}"


def _action_scope(statement: Statement, namespace: str) -> str:
    """ "every action", "every s3 action", or "every action except ..." for a full-access statement."""
    if statement.not_action:
        return "every action except the ones its NotAction lists (" + ", ".join(statement.not_action) + ")"
    if namespace == ANY_SERVICE or action_element_ok(statement, f"{ANY_SERVICE}:{FUTURE_ACTION}"):
        return "every action"
    return f"every {namespace} action"


def describe(request: Request, allowed_by: str) -> str:
    """The request in words: "s3:PutObject on ... by a principal of another account ... is allowed by ..."."""
    action = request.action
    if action.endswith(":" + FUTURE_ACTION):
        namespace = action.split(":", 1)[0]
        action = "any action" if namespace == ANY_SERVICE else f"any {namespace} action (even one AWS adds later)"
    org = request.value("aws:principalorgid")
    return (f"{action} on {request.resource} by {request.principal.label} (aws:PrincipalOrgID {org}, "
            f"aws:ResourceOrgID {request.value('aws:resourceorgid')}) through this endpoint is allowed by "
            f"{allowed_by} and is not explicitly denied")


def _statement_namespaces(statement: Statement, endpoint_namespace: Optional[str]) -> List[str]:
    """The namespaces to probe one Allow statement with: the endpoint's, then those its Action/NotAction name."""
    return _namespaces(Policy(statements=(statement,)), endpoint_namespace)


def endpoint_policy_verdict(policy: Optional[Policy], endpoint_namespace: Optional[str] = None) -> EndpointVerdict:
    """The verdict for one endpoint policy; ``None`` stands for no policy (AWS attaches the default one)."""
    policy = policy if policy is not None else parse_policy(DEFAULT_ENDPOINT_POLICY)
    nameless = [s for s in policy.statements if s.principal is None and s.not_principal is None]
    if nameless:
        return EndpointVerdict(
            status="invalid",
            reason=(f"{nameless[0].label} has no Principal: an endpoint policy must contain a Principal element "
                    "(Amazon VPC, \"Control access to VPC endpoints using endpoint policies\"); AWS rejects it"))
    used = _texts(policy)
    references = _references(policy)
    readings = ((Reading(True), Reading(False)), (Reading(False), Reading(True))) if references else ((None, None),)
    probes: Dict[str, _Probe] = {}
    denied: Dict[Tuple[str, int], bool] = {}

    def probe_for(namespace: str) -> _Probe:
        if namespace not in probes:
            probes[namespace] = _probe(namespace, used)
        return probes[namespace]

    def is_denied(namespace: str, which: int) -> bool:
        """Whether some Deny matches the probe request (``which``: the reading of the Deny statements)."""
        if (namespace, which) not in denied:
            request = probe_for(namespace).request(f"{namespace}:{FUTURE_ACTION}")
            denied[(namespace, which)] = any(statement_applies(d, request, readings[which][1]) for d in policy.denies)
        return denied[(namespace, which)]

    undecided = False
    for statement in policy.statements:
        if statement.is_deny or statement.conditions:
            continue
        for namespace in _statement_namespaces(statement, endpoint_namespace):
            probe, action = probe_for(namespace), f"{namespace}:{FUTURE_ACTION}"
            # readings[0]: references in the Allow match nothing and in a Deny everything (surely full access);
            # readings[1], only with references: the reverse (possibly full access).
            if _grants_everything(statement, probe, action, readings[0][0]) and not is_denied(namespace, 0):
                return _full(policy, probe, statement, namespace)
            if references and _grants_everything(statement, probe, action, readings[1][0]) \
                    and not is_denied(namespace, 1):
                undecided = True
    if undecided:
        return EndpointVerdict(
            status="unresolved",
            reason=("the verdict depends on unresolved " + ", ".join(references)
                    + " in a statement's Principal, Action or Resource"))
    first = _namespaces(policy, endpoint_namespace)[0]
    limits = _limits(policy, probe_for(first), f"{first}:{FUTURE_ACTION}")
    return EndpointVerdict(status="limited", reason="the endpoint policy is not full access",
                           limits=tuple(limits) or ("every statement is limited",))


def _full(policy: Policy, probe: _Probe, granting: Statement, namespace: str) -> EndpointVerdict:
    """The FAILED verdict, with a concrete request re-checked by plain evaluation."""
    request = probe.request(_example_action(policy, probe, granting))
    decision = evaluate(policy, request)
    if decision.explicitly_denied or granting not in decision.allowed_by:
        return EndpointVerdict(status="unresolved", reason="internal inconsistency: the counterexample is denied")
    reason = (f"{granting.label} allows every principal {_action_scope(granting, namespace)} on every "
              "resource with no condition: the endpoint policy is full access")
    return EndpointVerdict(status="full", reason=reason, statement=granting, request=request,
                           description=describe(request, granting.label), namespace=namespace)


def org_ids_named(policy: Optional[Policy]) -> List[str]:
    """Organization IDs the policy already names under aws:PrincipalOrgID / aws:ResourceOrgID (for the fix)."""
    found: Dict[str, None] = {}
    for condition in policy.conditions() if policy is not None else ():
        if condition.key in ("aws:principalorgid", "aws:resourceorgid"):
            for value in condition.values:
                if "*" not in value and "?" not in value:
                    found[value] = None
    return list(found)


def scoped_statement(actions: Iterable[str], org_id: str) -> dict:
    """The statement to use instead of a full-access one: the same actions, only for principals of the
    organization and on resources of the organization (aws-samples/data-perimeter-policy-examples,
    vpc_endpoint_policies/default_endpoint_policy.json, "AllowRequestsByOrgsIdentitiesToOrgsResources")."""
    listed = list(actions) or ["*"]
    return {
        "Sid": "AllowRequestsByOrgsIdentitiesToOrgsResources",
        "Effect": "Allow",
        "Principal": "*",
        "Action": listed[0] if len(listed) == 1 else listed,
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id, "aws:ResourceOrgID": org_id}},
    }
