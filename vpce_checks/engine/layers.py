"""Organisation layers: resource control policies (RCPs) and service control policies (SCPs) judged with the same
engine as resource policies. Pure IAM, no Checkov and no file syntax (docs/semantics.md, "Organisation layers").

An explicit Deny in any layer wins, so a request is denied by the resource policy plus its layers exactly when one
of their Deny statements matches it: the layers' Deny statements are added to the resource policy's and the one
perimeter analysis runs over the union. An RCP statement already reads like a resource-policy Deny (Principal
"*"). An SCP restricts only IAM principals of the member accounts under its attachment, never anonymous callers or
other organisations: its statements are added with Principal set to the protected resource's own account, which
credits it for that account's principals only (an under-approximation: never a wrong PASSED).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence, Tuple

from vpce_checks.engine.conditions import RequestValue
from vpce_checks.engine.evaluate import Principal
from vpce_checks.engine.matching import action_matches
from vpce_checks.engine.model import THIS_ACCOUNT, Policy, PrincipalSet, Statement
from vpce_checks.engine.perimeter import FRESH
from vpce_checks.engine.services import PROFILES, Target

RCP, SCP = "RESOURCE_CONTROL_POLICY", "SERVICE_CONTROL_POLICY"
SHORT_NAMES = {RCP: "RCP", SCP: "SCP"}
# The profiled services an RCP perimeter is credited for: those confirmed on the AWS Organizations page (S3, STS,
# KMS, SQS, Secrets Manager; STS has no resource-policy profile here). docs/semantics.md, "Organisation layers".
RCP_SERVICES: Tuple[str, ...] = ("s3", "sqs", "kms", "secretsmanager")
# The resource an RCP perimeter is judged on: any resource of the service in a member account.
ANY_RESOURCE = "any-resource"


@dataclass(frozen=True)
class Layer:
    """One organisation policy that applies to the resource being judged, and why it applies."""

    name: str  # how messages name it: "aws_organizations_policy.perimeter", "file rcp.json"
    kind: str  # RCP or SCP
    policy: Policy
    applies_because: str  # "attached to the organisation root r-ab12 and VPCE_CHECKS_MEMBER_ACCOUNTS=true"

    @property
    def label(self) -> str:
        return f"{SHORT_NAMES.get(self.kind, self.kind)} {self.name}"


def credited_for(kind: str, service: str) -> bool:
    """Whether a layer of this kind can enforce anything on this service's resources: an RCP only on the services
    AWS lists as supporting RCPs; an SCP on every service (it restricts the caller, not the resource)."""
    return kind == SCP or (kind == RCP and service in RCP_SERVICES)


def _probe_actions(service: str) -> Tuple[str, ...]:
    prefix = PROFILES[service].prefix
    return PROFILES[service].known_actions + (f"{prefix}:FutureActionNotYetReleased",)


def statement_reaches(statement: Statement, service: str) -> bool:
    """Does a Deny statement name some action of the service (a wildcard, a service pattern or one action)?"""
    probes = _probe_actions(service)
    if statement.action is not None:
        return any(action_matches(p, a) for p in statement.action for a in probes)
    if statement.not_action is not None:
        return any(not any(action_matches(p, a) for p in statement.not_action) for a in probes)
    return False


def covered_services(policy: Policy) -> Tuple[str, ...]:
    """The credited RCP services some Deny statement of ``policy`` reaches, in a stable order."""
    return tuple(s for s in RCP_SERVICES if any(statement_reaches(d, s) for d in policy.denies))


def reaches_other_services(policy: Policy) -> Tuple[str, ...]:
    """Profiled services an RCP's Deny statements name that AWS does not credit RCPs for (SNS, API Gateway...):
    named in the details so nobody reads the RCP as protecting them."""
    return tuple(s for s in PROFILES if s not in RCP_SERVICES and any(statement_reaches(d, s) for d in policy.denies))


def rcp_problems(policy: Policy) -> List[str]:
    """Why AWS would not accept ``policy`` as a custom RCP (RCP syntax: Allow only in RCPFullAWSAccess; every
    statement applies to Principal "*")."""
    problems = []
    for statement in policy.statements:
        if not statement.is_deny:
            problems.append(f"{statement.label} has Effect Allow: a custom RCP holds Deny statements only (the "
                            "effect Allow is supported only for the AWS managed RCPFullAWSAccess)")
        elif statement.not_principal is not None or statement.principal is None or not statement.principal.everyone:
            problems.append(f"{statement.label} must apply to Principal \"*\" (RCP syntax)")
    return problems


def rcp_target(service: str) -> Target:
    """Any resource of the service in a member account: what an RCP perimeter must cover."""
    return Target(service=service, name=ANY_RESOURCE)


def _relabelled(statement: Statement, layer: Layer, offset: int) -> Statement:
    own = statement.sid or f"#{statement.index + 1}"
    return replace(statement, index=offset + statement.index, sid=f"{layer.label}: {own}")


def with_layers(resource_policy: Policy, layers: Sequence[Layer], service: str) -> Policy:
    """The resource policy plus the Deny statements of every layer that can act on the service, labelled by the
    layer they come from ("RCP aws_organizations_policy.perimeter: DenyOutside"). SCP statements apply only to the
    principals of the resource's own account (module docstring)."""
    statements = list(resource_policy.statements)
    for layer in layers:
        if not credited_for(layer.kind, service):
            continue
        for statement in layer.policy.denies:
            added = _relabelled(statement, layer, len(statements))
            if layer.kind == SCP:
                added = replace(added, principal=PrincipalSet(aws=(THIS_ACCOUNT,)), not_principal=None)
            statements.append(added)
    return replace(resource_policy, statements=tuple(statements))


def credited_layers(layers: Sequence[Layer], service: str) -> List[Layer]:
    """The layers that can act on this service's resources."""
    return [layer for layer in layers if credited_for(layer.kind, service)]


def layer_of_statement(label: str, layers: Sequence[Layer]) -> Optional[Layer]:
    """Which layer a statement label of ``with_layers``'s policy comes from (None: the resource policy)."""
    return next((layer for layer in layers if f'"{layer.label}: ' in label), None)


# ---- which layer denies each path (explain) -------------------------------------------------------------------

_OTHER_ACCOUNT = "000000000000"


def _paths(target: Target) -> List[Tuple[str, Principal, Dict[str, RequestValue]]]:
    """One sample request per caller class and network from outside the perimeter: what `explain` tabulates."""
    own = target.account
    callers = [
        ("an anonymous caller", Principal(kind="anonymous", label="an anonymous caller")),
        ("a principal of this account", Principal(kind="iam", account=own, arn=f"arn:aws:iam::{own}:user/any-user",
                                                  label="a principal of this account")),
        ("a principal of another account", Principal(kind="iam", account=_OTHER_ACCOUNT,
                                                     arn=f"arn:aws:iam::{_OTHER_ACCOUNT}:user/any-user",
                                                     label="a principal of another account")),
    ]
    networks = [("over the public endpoint", {"aws:sourceip": FRESH["aws:sourceip"]})]
    if not PROFILES[target.service].has_public_endpoint:
        networks = []
    networks.append(("through an endpoint the policies do not name",
                     {key: FRESH[key] for key in ("aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip")}))
    paths = []
    for caller, principal in callers:
        for network, keys in networks:
            context: Dict[str, RequestValue] = dict(keys)
            if principal.kind == "iam":
                context.update({"aws:principalaccount": principal.account, "aws:principalarn": principal.arn,
                                "aws:principalisawsservice": "false", "aws:viaawsservice": "false"})
            paths.append((f"{caller} {network}", principal, context))
    return paths


def deciding_layers(combined: Policy, target: Target, layers: Sequence[Layer]) -> List[Tuple[str, str]]:
    """For each sample path from outside the perimeter, which layer's Deny stops it ("resource policy", "RCP x",
    "SCP y", several joined by "and"), or "nothing" when no Deny matches that sample. An illustration of the
    verdict, which itself comes from the full search (perimeter.perimeter_of)."""
    from vpce_checks.engine.evaluate import Request, evaluate
    from vpce_checks.engine.perimeter import prepared

    policy, target = prepared(combined, target)
    profile = PROFILES[target.service]
    action, resource = profile.known_actions[0], profile.resource_samples(target)[-1]
    out = []
    for description, principal, context in _paths(target):
        decision = evaluate(policy, Request(action=action, resource=resource, principal=principal, context=context))
        names: List[str] = []
        for statement in decision.denied_by:
            layer = layer_of_statement(statement.label, layers)
            name = layer.label if layer is not None else "resource policy"
            if name not in names:
                names.append(name)
        out.append((f"{action} by {description}", " and ".join(names) or "nothing"))
    return out
