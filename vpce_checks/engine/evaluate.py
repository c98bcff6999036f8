"""Plain evaluation of a policy on one request, the way IAM does it. The perimeter analysis and the test oracle
both rest on this; every counterexample the analysis reports is re-checked here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, Iterable, Optional, Tuple

from vpce_checks.engine.conditions import RequestValue, condition_holds
from vpce_checks.engine.matching import action_matches, resource_matches
from vpce_checks.engine.model import THIS_ACCOUNT, Policy, PrincipalSet, Statement, references_in

# The account field: an ID, or THIS_ACCOUNT ("${AWS::AccountId}", which holds colons) for the resource's own account
# (CloudFormation !Sub ${AWS::AccountId}, Terraform data.aws_caller_identity).
_ACCOUNT_FIELD = r"(\$\{AWS::AccountId\}|[^:]+)"
_ACCOUNT_ROOT = re.compile(rf"^arn:[^:]*:iam::{_ACCOUNT_FIELD}:root$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROLE = re.compile(rf"^arn:[^:]*:iam::{_ACCOUNT_FIELD}:role/")


@dataclass(frozen=True)
class Principal:
    """Who makes a request. ``arn`` is what the Principal element sees (a user ARN, or an assumed-role session
    ARN); ``role_arn`` is the role behind a session, which is also aws:PrincipalArn."""

    kind: str  # "anonymous" | "iam" | "service"
    account: Optional[str] = None
    arn: Optional[str] = None
    role_arn: Optional[str] = None
    service: Optional[str] = None
    label: str = ""

    @property
    def principal_arn(self) -> Optional[str]:
        return self.role_arn or self.arn


@dataclass
class Request:
    """One request. ``context`` maps lowercase condition keys to values; a key that is not there is absent."""

    action: str
    resource: str
    principal: Principal
    context: Dict[str, RequestValue] = field(default_factory=dict)

    def value(self, key: str) -> RequestValue:
        return self.context.get(key)


@dataclass(frozen=True)
class Reading:
    """How to read unresolved references in Action/Resource/Principal: so that a Deny covers least
    (``weak=True``) or most (``weak=False``). References in ``resolved`` (R's own name) compare as text."""

    weak: bool
    resolved: FrozenSet[str] = frozenset()

    def unknown(self, pattern: str) -> bool:
        return any(ref not in self.resolved for ref in references_in(pattern))

    def flipped(self) -> Reading:
        return Reading(not self.weak, self.resolved)


@dataclass(frozen=True)
class Decision:
    denied_by: Tuple[Statement, ...]
    allowed_by: Tuple[Statement, ...]

    @property
    def explicitly_denied(self) -> bool:
        return bool(self.denied_by)


def _account_of(value: str) -> Optional[str]:
    if value == THIS_ACCOUNT or _ACCOUNT_ID.match(value):
        return value
    match = _ACCOUNT_ROOT.match(value)
    return match.group(1) if match else None


def principal_value_matches(value: str, principal: Principal, in_not_principal: bool) -> bool:
    """One AWS principal identifier against the caller. A role ARN covers the role's sessions in Principal but
    not in NotPrincipal (IAM User Guide, "NotPrincipal")."""
    if principal.kind != "iam":
        return value == "*" and principal.kind == "anonymous"
    if value == "*":
        return True
    account = _account_of(value)
    if account is not None:
        return principal.account == account
    if principal.arn == value:
        return True
    return not in_not_principal and principal.role_arn == value and bool(_ROLE.match(value))


def _principal_in(
    principals: PrincipalSet, principal: Principal, in_not_principal: bool, reading: Optional[Reading]
) -> bool:
    if principals.everyone:
        return True
    if principal.kind == "service":
        return principal.service in principals.service
    for value in principals.aws:
        if reading is not None and reading.unknown(value):
            if not reading.weak:
                return True
            continue
        if principal_value_matches(value, principal, in_not_principal):
            return True
    return False


def _element(
    patterns: Iterable[str], value: str, matcher: Callable[[str, str], bool], reading: Optional[Reading]
) -> bool:
    """Whether any pattern matches; under a Reading an unknown pattern matches when the reading says so."""
    for pattern in patterns:
        if reading is not None and reading.unknown(pattern):
            if not reading.weak:
                return True
            continue
        if matcher(pattern, value):
            return True
    return False


def _negative(weak: Optional[Reading]) -> Optional[Reading]:
    """In NotPrincipal/NotAction/NotResource a match exempts, so the reading flips."""
    return weak.flipped() if weak is not None else None


def principal_element_ok(statement: Statement, principal: Principal, weak: Optional[Reading] = None) -> bool:
    """Whether the statement's Principal/NotPrincipal lets it apply to ``principal``."""
    if statement.principal is not None:
        return _principal_in(statement.principal, principal, False, weak)
    if statement.not_principal is not None:
        return not _principal_in(statement.not_principal, principal, True, _negative(weak))
    return False


def action_element_ok(statement: Statement, action: str, weak: Optional[Reading] = None) -> bool:
    if statement.action is not None:
        return _element(statement.action, action, action_matches, weak)
    if statement.not_action is not None:
        return not _element(statement.not_action, action, action_matches, _negative(weak))
    return False


def resource_element_ok(statement: Statement, resource: str, weak: Optional[Reading] = None) -> bool:
    if statement.resource is not None:
        return _element(statement.resource, resource, resource_matches, weak)
    if statement.not_resource is not None:
        return not _element(statement.not_resource, resource, resource_matches, _negative(weak))
    return True


def element_failure(statement: Statement, request: Request, weak: Optional[Reading] = None) -> Optional[str]:
    """Why ``statement`` does not apply to ``request`` (the first element that fails), or None when it applies.

    ``weak`` decides what an unresolved reference in Action/Resource/Principal means (None compares it as text).
    """
    label = request.principal.label or "the caller"
    if not principal_element_ok(statement, request.principal, weak):
        if statement.principal is not None:
            return f"its Principal does not include {label}"
        if statement.not_principal is not None:
            return f"its NotPrincipal exempts {label}"
        return "it has no Principal (a resource policy statement needs one)"
    if not action_element_ok(statement, request.action, weak):
        if statement.action is not None:
            return f"its Action does not include {request.action}"
        return f"its NotAction exempts {request.action}"
    if not resource_element_ok(statement, request.resource, weak):
        if statement.resource is not None:
            return f"its Resource does not cover {request.resource}"
        return f"its NotResource exempts {request.resource}"
    for condition in statement.conditions:
        if not condition_holds(condition, request.value(condition.key), request.value):
            return f"its condition {condition.describe()} is false for this request"
    return None


def statement_applies(statement: Statement, request: Request, weak: Optional[Reading] = None) -> bool:
    return element_failure(statement, request, weak) is None


def evaluate(policy: Policy, request: Request, weak: Optional[Reading] = None) -> Decision:
    """Which statements match: an explicit Deny in any of them wins over every Allow."""
    denied, allowed = [], []
    for statement in policy.statements:
        if statement_applies(statement, request, weak):
            (denied if statement.is_deny else allowed).append(statement)
    return Decision(tuple(denied), tuple(allowed))
