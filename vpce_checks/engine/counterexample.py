"""A counterexample as a request AWS could receive, printed whole (SPEC section 4).

The search works with symbols: "this account" (``THIS_ACCOUNT``), "its region", unresolved template references in
R's name. A user (or the independent evaluator in the tests) needs concrete values: each symbol becomes an example
value that the details say stands for any, and every key the policy tests is listed, present or absent.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

from vpce_checks.engine.evaluate import Request
from vpce_checks.engine.model import THIS_ACCOUNT, THIS_REGION, Policy

# Example values in the form AWS's documentation uses for an account and a Region.
EXAMPLE_ACCOUNTS = ("111122223333", "444455556666", "777788889999")
EXAMPLE_REGION = "us-east-1"
_REFERENCE = re.compile(r"\$\{([^}]*)\}")


def _example_name(reference: str) -> str:
    """A readable stand-in for an unresolved reference: ``${aws_s3_bucket.logs.bucket}`` -> ``logs``."""
    parts = [p for p in re.split(r"[.\s]", reference) if p]
    name = parts[1] if len(parts) >= 3 and parts[0] not in ("var", "local", "Ref") else parts[-1] if parts else "name"
    name = re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-").lower()
    return name or "name"


class Concretizer:
    """Replaces the symbols of one policy's counterexample with example values that collide with nothing the
    policy names, and remembers what each stands for."""

    def __init__(self, policy: Optional[Policy] = None):
        named = set()
        if policy is not None:
            named.update(policy.patterns())
            named.update(policy.principals())
            named.update(v for condition in policy.conditions() for v in condition.values)
        text = " ".join(named)
        self.account = next((a for a in EXAMPLE_ACCOUNTS if a not in text), EXAMPLE_ACCOUNTS[-1])
        self.stands_for: Dict[str, str] = {}

    def text(self, value: str) -> str:
        if THIS_ACCOUNT in value:
            value = value.replace(THIS_ACCOUNT, self.account)
            self.stands_for[self.account] = "the resource's own account"
        if THIS_REGION in value:
            value = value.replace(THIS_REGION, EXAMPLE_REGION)
            self.stands_for[EXAMPLE_REGION] = "the resource's Region"

        def name(match: re.Match) -> str:
            if _is_policy_variable(match.group(1)):  # ${aws:SourceVpce}: AWS resolves it per request
                return match.group(0)
            example = _example_name(match.group(1))
            self.stands_for[example] = f"the value of {match.group(0)}"
            return example

        return _REFERENCE.sub(name, value) if "${" in value else value

    def notes(self) -> List[str]:
        return [f"{value} stands for {meaning}" for value, meaning in self.stands_for.items()]


def _is_policy_variable(name: str) -> bool:
    """``aws:username``, ``aws:PrincipalTag/team``: an IAM policy variable, not a template reference."""
    return ":" in name and not name.startswith("AWS::")


def concrete_request(request: Request, network: str, tested_keys: Sequence[str],
                     concretizer: Optional[Concretizer] = None) -> Tuple[Dict[str, object], List[str]]:
    """The counterexample as data (JSON-ready): action, resource, principal, network and the value of every key
    the request carries or the policy tests (None for a key the request does not carry); and what example values
    stand for."""
    c = concretizer or Concretizer()
    principal = request.principal
    who: Dict[str, object] = {"type": principal.kind}
    if principal.kind == "iam":
        who["arn"] = c.text(principal.arn or "")
        if principal.role_arn:
            who["role_arn"] = c.text(principal.role_arn)
        who["account"] = c.text(principal.account or "")
    elif principal.kind == "service":
        who["service"] = principal.service
    context: Dict[str, object] = {}
    for key in sorted(set(request.context) | set(tested_keys)):
        value = request.context.get(key)
        if value is None:
            context[key] = None
        elif isinstance(value, tuple):
            context[key] = [c.text(v) for v in value]
        else:
            context[key] = c.text(value)
    data = {"action": request.action, "resource": c.text(request.resource), "principal": who,
            "network": network, "context": context}
    return data, c.notes()


_SPELLING = {k.lower(): k for k in (
    "aws:SourceVpce", "aws:SourceVpc", "aws:SourceVpcArn", "aws:VpcSourceIp", "aws:SourceIp", "aws:VpceAccount",
    "aws:VpceOrgID", "aws:VpceOrgPaths", "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths", "aws:PrincipalIsAWSService", "aws:ViaAWSService", "aws:SecureTransport",
    "aws:CalledVia", "aws:RequestedRegion", "aws:CurrentTime", "aws:SourceArn", "aws:SourceAccount", "aws:userid",
    "aws:username", "aws:PrincipalType", "aws:TagKeys")}
_PREFIX_SPELLING = {"aws:principaltag/": "aws:PrincipalTag/", "aws:requesttag/": "aws:RequestTag/",
                    "aws:resourcetag/": "aws:ResourceTag/"}


def spelled(key: str, key_names: Optional[Dict[str, str]] = None) -> str:
    """A key as the policy writes it, else as AWS documents it (keys are case-insensitive; messages read better)."""
    if key_names and key in key_names:
        return key_names[key]
    if key in _SPELLING:
        return _SPELLING[key]
    for prefix, written in _PREFIX_SPELLING.items():
        if key.startswith(prefix):
            return written + key[len(prefix):]
    return key


def describe(data: Dict[str, object], label: str, key_names: Optional[Dict[str, str]] = None,
             hypothetical: bool = False) -> str:
    """A concrete counterexample in words: action, resource, caller, network, then every other key the policy
    tests (its value, or that the request does not carry it)."""
    key_names = key_names or {}
    context: Dict[str, object] = data["context"]  # type: ignore[assignment]
    if data["network"] == "public":
        where = f"over the public endpoint (aws:SourceIp {context.get('aws:sourceip')}, no aws:SourceVpce)"
    else:
        parts = [f"{spelled(k, key_names)} {context.get(k)}" for k in ("aws:sourcevpce", "aws:sourcevpc",
                                                                      "aws:vpcsourceip") if context.get(k)]
        where = f"through VPC endpoint {context.get('aws:sourcevpce')} ({', '.join(parts)})"
    shown = {"aws:sourceip", "aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip", "aws:principalarn",
             "aws:principalaccount", "aws:principalisawsservice", "aws:viaawsservice"}
    extras = []
    for key, value in context.items():
        if key in shown:
            continue
        name = spelled(key, key_names)
        extras.append(f"no {name}" if value is None else f"{name} {value}")
    tail = f" with {', '.join(extras)}" if extras else ""
    who: Dict[str, object] = data["principal"]  # type: ignore[assignment]
    caller = label
    if who.get("type") == "iam" and who.get("arn"):
        caller = f"{label} ({who.get('arn')})"
    action = str(data["action"]) + (" (hypothetical: an action AWS may add later)" if hypothetical else "")
    return f"{action} on {data['resource']} by {caller} {where}{tail} is not explicitly denied"
