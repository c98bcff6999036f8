"""The fix as data: the Deny statement that enforces the perimeter (vpce_checks/fix_rendering.py writes it in the
file's own syntax)."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from vpce_checks.engine.log_delivery import excused_log_accounts
from vpce_checks.engine.model import Policy
from vpce_checks.engine.services import ServiceProfile, Target, settle_target

SID = "DenyOutsideVpcePerimeter"


def named_endpoints(policy: Policy) -> List[str]:
    """Endpoint IDs the policy already admits under aws:SourceVpce (literal or as a reference), in order: those a
    Deny exempts with a negated operator or an Allow grants with a positive one. An ID a Deny names with
    StringEquals is one it blocks, and the fix must not admit it."""
    found: Dict[str, None] = {}
    for statement in policy.statements:
        for condition in statement.conditions:
            if condition.key == "aws:sourcevpce" and condition.negated == statement.is_deny:
                for value in condition.values:
                    if "*" not in value and "?" not in value:
                        found[value] = None
    return list(found)


def perimeter_statement(profile: ServiceProfile, target: Target, endpoints: Sequence[str],
                        log_accounts: Sequence[str] = ()) -> dict:
    """The sound Deny: every action of the service, on R (and its objects), unless through a listed endpoint.
    AWS service principals are exempted with BoolIfExists, as AWS's data perimeter examples do, and the ELB
    access-log accounts the policy grants by exact ID with StringNotEquals aws:PrincipalAccount (SPEC section 4)."""
    resources = list(profile.fix_resources(target))
    statement: dict = {"Sid": SID, "Effect": "Deny", "Principal": "*"}
    if profile.off_perimeter_actions:  # every action but those that never come through an endpoint (EFS NFS)
        statement["NotAction"] = list(profile.off_perimeter_actions)
    else:
        statement["Action"] = profile.default_fix_actions
    if profile.resource_element_allowed:  # ECR rejects a Resource element: the statement governs the repository
        statement["Resource"] = resources if len(resources) > 1 else resources[0]
    statement["Condition"] = {
        "StringNotEquals": {"aws:SourceVpce": list(endpoints)},
        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
    }
    if log_accounts:
        accounts = sorted(log_accounts)
        statement["Condition"]["StringNotEquals"]["aws:PrincipalAccount"] = (
            accounts[0] if len(accounts) == 1 else accounts)
    return statement


def invoke_allow() -> dict:
    """A private API also needs an Allow: methods with authorization NONE are refused without one."""
    return {"Sid": "AllowInvoke", "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*"}


def fix_statements(policy: Policy, profile: ServiceProfile, target: Target, placeholder: str,
                   endpoints: Optional[Sequence[str]] = None) -> List[dict]:
    """The statements to add to ``policy``, as data: the Deny, reusing the endpoint IDs it already admits (or
    ``placeholder``), and for a private API without any Allow, the Allow it needs first."""
    target = settle_target(target, [r for s in policy.statements for r in (s.resource or ()) + (s.not_resource or ())])
    endpoints = list(named_endpoints(policy) if endpoints is None else endpoints)
    log_accounts = sorted(excused_log_accounts(policy) - {target.account})
    statements = [perimeter_statement(profile, target, endpoints or [placeholder], log_accounts)]
    if profile.prefix == "execute-api" and not any(not s.is_deny for s in policy.statements):
        statements.insert(0, invoke_allow())
    return statements
