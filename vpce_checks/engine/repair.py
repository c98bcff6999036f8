"""Repair a resource policy so it keeps the perimeter: the whole corrected document, not just advice.

The repaired document keeps every statement that is not part of the perimeter as it was, in its place. The
perimeter Denies of the service (Deny statements that test a perimeter key, or a misspelt one; not a Deny that
tests it only positively alongside other keys, such as a Region restriction: that control stays) become one Deny
in the position of the first: every action of the service, on the resource and its sub-resources, for every
principal, unless the request comes through one of the given endpoints (or, with VPCs given, from those VPCs).
Exemptions that AWS's data perimeter examples use (service principals, forward access sessions, the EC2
infrastructure role) and any the user accepts stay. aws:SourceIp conditions that name private or shared ranges
move to aws:VpcSourceIp, the key endpoint traffic carries.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

from vpce_checks.engine.log_delivery import account_label, excused_log_accounts
from vpce_checks.engine.matching import glob_match
from vpce_checks.engine.model import Condition, Statement, parse_policy
from vpce_checks.engine.operators import OPERATORS
from vpce_checks.engine.remediation import SID, invoke_allow, perimeter_statement
from vpce_checks.engine.services import ServiceProfile, Target, settle_target, tests_perimeter
from vpce_checks.engine.soundness import is_private_range, narrowed_by_other_keys

# Exemption conditions kept from a replaced Deny, by key, with the operator that keeps them sound when the key is
# absent (a plain Bool on aws:PrincipalIsAWSService turns the Deny off for anonymous callers: AWS-FACTS).
_KEPT_EXEMPTIONS = {"aws:principalisawsservice", "aws:viaawsservice", "aws:principalarn"}


@dataclass
class Repair:
    """The repaired document and what changed, in words."""

    document: Dict[str, Any]
    statement: Dict[str, Any]  # the perimeter Deny as written into the document
    changes: List[str] = field(default_factory=list)
    replaced: List[str] = field(default_factory=list)  # labels of the statements the Deny replaces


def _is_perimeter_deny(statement: Statement, profile: ServiceProfile) -> bool:
    """A Deny that tests a perimeter key, unless it tests it only positively AND narrows itself by other keys:
    StringEquals aws:SourceVpc plus a Region restriction (AWS's data perimeter examples) is another control on
    requests from inside, and the fix keeps it; a bare StringEquals aws:SourceVpce blocks the endpoint it names
    (usually a slip) and is replaced with the rest of the perimeter."""
    if not statement.is_deny:
        return False
    tests = [c for c in statement.conditions if tests_perimeter(c.key)]
    if not tests:
        return False
    if not any(c.negated or c.operator == "null" for c in tests) and narrowed_by_other_keys(statement):
        return False
    if statement.not_action is not None:
        return True
    return any(_names_service(pattern, profile.prefix) for pattern in statement.action or ())


def _names_service(pattern: str, prefix: str) -> bool:
    """Could this action pattern name an action of the service? ("*", "s3:*", "S3:Get*" for s3)."""
    service = pattern.split(":", 1)[0] if ":" in pattern else pattern
    return glob_match(service.lower(), prefix) or glob_match(prefix, service.lower())


def _exempts_only(condition: Condition, accounts: Sequence[str]) -> bool:
    """A negated aws:PrincipalAccount test that exempts only the given (ELB access-log) accounts."""
    return (condition.key == "aws:principalaccount" and condition.negated and bool(condition.values)
            and all(v in accounts for v in condition.values))


def _kept_condition(condition: Condition, accepted: FrozenSet[str]) -> Optional[Tuple[str, str, Any]]:
    """An exemption condition to carry over, as (operator, key, value) in the written form."""
    if condition.key in accepted:
        values = list(condition.values)
        return condition.written_operator, condition.written_key, values[0] if len(values) == 1 else values
    if condition.key not in _KEPT_EXEMPTIONS or not condition.if_exists:
        return None
    if condition.key == "aws:principalarn":
        if condition.op.family == "arn" and condition.negated and condition.values:
            values = list(condition.values)
            return condition.written_operator, condition.written_key, values[0] if len(values) == 1 else values
        return None
    if condition.op.family == "bool" and [v.lower() for v in condition.values] == ["false"]:
        return condition.written_operator, condition.written_key, "false"
    return None


def _repair_source_ip(raw: Dict[str, Any], parsed: Statement, changes: List[str]) -> List[Dict[str, Any]]:
    """Move private or shared aws:SourceIp ranges to aws:VpcSourceIp (absent on public traffic, set through
    endpoints). An Allow is split in two (public ranges stay on aws:SourceIp); a Deny tests both keys with
    IfExists, so each network is judged on the key it carries."""
    conditions = raw.get("Condition")
    if not isinstance(conditions, dict):
        return [raw]
    moves = []
    for operator, keys in conditions.items():
        if not isinstance(keys, dict):
            continue
        for key, values in keys.items():
            if key.lower() != "aws:sourceip":
                continue
            listed = values if isinstance(values, list) else [values]
            private = [v for v in listed if isinstance(v, str) and is_private_range(v)]
            # A Deny on NotIpAddress aws:SourceIp (no IfExists) fires on every request through an endpoint, which
            # carries no aws:SourceIp: even public egress ranges lock the endpoints out.
            written = OPERATORS.get(operator.lower())  # no IfExists, no set qualifier
            locks_out = parsed.is_deny and written is not None and written.family == "ip" and written.negated
            if private or locks_out:
                moves.append((operator, key, [v for v in listed if v not in private], private))
    if not moves:
        return [raw]
    if parsed.is_deny:
        out = copy.deepcopy(raw)
        for operator, key, public, private in moves:
            base = operator[: -len("IfExists")] if operator.endswith("IfExists") else operator
            if not private:
                # Only public ranges: keep the test, and make the Deny skip requests without aws:SourceIp.
                out["Condition"].setdefault("Null", {})[key] = "false"
                changes.append(f"{parsed.label}: added Null {key} false: requests through a VPC endpoint carry no "
                               f"{key}, so {operator} denied every one of them")
                continue
            del out["Condition"][operator][key]
            if not out["Condition"][operator]:
                del out["Condition"][operator]
            if public:
                out["Condition"].setdefault(base + "IfExists", {})[key] = public
            out["Condition"].setdefault(base + "IfExists", {})["aws:VpcSourceIp"] = private
            changes.append(f"{parsed.label}: private ranges {', '.join(private)} moved from {key} to "
                           "aws:VpcSourceIp (IfExists on both keys, so each network is judged on the key it "
                           "carries)")
        return [out]
    private_copy, public_copy = copy.deepcopy(raw), copy.deepcopy(raw)
    keep_public = False
    for operator, key, public, private in moves:
        del private_copy["Condition"][operator][key]
        private_copy["Condition"][operator]["aws:VpcSourceIp"] = private
        if public:
            public_copy["Condition"][operator][key] = public
            keep_public = True
    if "Sid" in private_copy:
        private_copy["Sid"] = f"{private_copy['Sid']}FromVpc"
    changes.append(f"{parsed.label}: private ranges moved from aws:SourceIp to aws:VpcSourceIp"
                   + (" in a copy of the statement; the public ranges stay on aws:SourceIp" if keep_public else ""))
    return [public_copy, private_copy] if keep_public else [private_copy]


def repair(document: Dict[str, Any], profile: ServiceProfile, target: Target, endpoints: Sequence[str],
           vpcs: Sequence[str] = (), accepted_exemptions: FrozenSet[str] = frozenset(),
           allowed_source_cidrs: Sequence[str] = ()) -> Repair:
    """The document with one sound perimeter Deny for ``profile``'s service; raises PolicyError on a document
    IAM would reject (nothing to repair safely)."""
    policy = parse_policy(document)
    raw_key = next((k for k in document if k.lower() == "statement"), "Statement")
    raw_statements = document.get(raw_key)
    raw_list: List[Any] = list(raw_statements) if isinstance(raw_statements, list) else [raw_statements]
    target = settle_target(target, list(policy.resource_patterns()))
    perimeter = [s for s in policy.statements if _is_perimeter_deny(s, profile)]
    changes: List[str] = []

    deny = perimeter_statement(profile, target, list(endpoints))
    condition: Dict[str, Dict[str, Any]] = {}
    if endpoints:
        condition["StringNotEquals"] = {"aws:SourceVpce": list(endpoints)}
    if vpcs:
        operator = "StringNotEqualsIfExists" if endpoints else "StringNotEquals"
        condition.setdefault(operator, {})["aws:SourceVpc"] = list(vpcs)
    kept_keys = set()
    log_accounts = sorted(excused_log_accounts(policy) - {target.account})
    for statement in perimeter:
        for cond in statement.conditions:
            kept = _kept_condition(cond, accepted_exemptions)
            if kept and cond.key not in kept_keys:
                kept_keys.add(cond.key)
                condition.setdefault(kept[0], {})[kept[1]] = kept[2]
            elif not kept and _exempts_only(cond, log_accounts):
                continue  # the ELB exemption the new Deny writes again (below)
            elif not kept and not tests_perimeter(cond.key):
                changes.append(f"{statement.label}: dropped {cond.written_operator} {cond.written_key} from the "
                               "perimeter Deny (it narrowed the Deny to some requests); if it was meant on its own, "
                               "keep it in a separate Deny")
    if allowed_source_cidrs:
        condition.setdefault("NotIpAddressIfExists", {})["aws:SourceIp"] = list(allowed_source_cidrs)
    if "aws:principalisawsservice" not in kept_keys:
        condition.setdefault("BoolIfExists", {})["aws:PrincipalIsAWSService"] = "false"
    # ELB access-log accounts an Allow grants by exact ID keep their grant (SPEC section 4 excuses them; without
    # this the Deny would stop log delivery): the Deny skips their principals. docs/semantics.md.
    if log_accounts:
        condition.setdefault("StringNotEquals", {})["aws:PrincipalAccount"] = (
            log_accounts[0] if len(log_accounts) == 1 else log_accounts)
        names = ", ".join(account_label(a) for a in log_accounts)
        plural = "s" if len(log_accounts) > 1 else ""
        changes.append(f"kept the grant to the Elastic Load Balancing access-log account{plural} {names}: the Deny "
                       "skips StringNotEquals aws:PrincipalAccount (AWS-owned log delivery, excused by exact ID)")
    deny["Condition"] = condition
    if len(perimeter) == 1 and perimeter[0].sid:  # a merge gets the generic name: no one statement's purpose
        deny["Sid"] = perimeter[0].sid
    deny = {k: deny[k] for k in ("Sid", "Effect", "Principal", "Action", "NotAction", "Resource", "Condition")
            if k in deny}

    replaced = [s.label for s in perimeter]
    first = perimeter[0].index if perimeter else None
    drop = {s.index for s in perimeter}
    out: List[Any] = []
    for index, raw in enumerate(raw_list):
        if index == first:
            out.append(deny)
            continue
        if index in drop:
            continue
        parsed = policy.statements[index]
        out.extend(_repair_source_ip(raw, parsed, changes) if isinstance(raw, dict) else [raw])
    if first is None:
        if profile.prefix == "execute-api" and not any(not s.is_deny for s in policy.statements):
            out.append(invoke_allow())
            changes.append("added the Allow of execute-api:Invoke a private API needs")
        out.append(deny)
        changes.append(f'added the Deny "{deny.get("Sid", SID)}"')
    else:
        changes.append(f'{", ".join(replaced)} replaced by one Deny "{deny["Sid"]}" in the place of the first: every '
                       f"action ({profile.default_fix_actions}) on {', '.join(profile.fix_resources(target))}, "
                       "unless through the given endpoints" + (" or VPCs" if vpcs else ""))
    repaired = dict(document)
    repaired[raw_key] = out
    return Repair(document=repaired, statement=deny, changes=changes, replaced=replaced)
