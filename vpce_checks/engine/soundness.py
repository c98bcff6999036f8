"""Is the perimeter what the team meant? (SPEC section 5, CKV_VPCE_6) And the aws:SourceIp trap (CKV_VPCE_7).

Coverage (perimeter.py) proves that outsiders are denied; this module proves that the named origins can still get
in and that the values naming them can match a real endpoint or VPC.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence

from vpce_checks.engine.matching import has_wildcard
from vpce_checks.engine.model import Condition, Policy, Statement, references_in, variables_in
from vpce_checks.engine.operators import negation_of
from vpce_checks.engine.perimeter import AnalysisLimit, AnalysisOptions, beyond_bound, lockouts
from vpce_checks.engine.services import PERIMETER_KEYS, Target, endpoint_serves, is_misspelt_vpc_key, tests_perimeter

SINGLE_VALUED_PERIMETER_KEYS = ("aws:sourcevpce", "aws:sourcevpc", "aws:sourcevpcarn", "aws:vpceaccount",
                                "aws:vpceorgid")
FORMATS = {
    "aws:sourcevpce": (re.compile(r"^vpce-[0-9a-f]{8}([0-9a-f]{9})?$"), "vpce- and 8 or 17 lowercase hex digits"),
    "aws:sourcevpc": (re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$"), "vpc- and 8 or 17 lowercase hex digits"),
}
PRIVATE_RANGES = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                         "100.64.0.0/10"))
DUPLICATE_CONDITIONS_KEY = "__duplicate_conditions__"
# IDs that AWS's documentation uses in its example policies: a policy still naming one was pasted and never
# finished. Collected from the pages named (AWS documentation, as published).
DOCUMENTATION_EXAMPLE_IDS = {
    "vpce-1a2b3c4d": 'Amazon S3 User Guide "Controlling access from VPC endpoints with bucket policies" and API '
                     'Gateway Developer Guide "API Gateway resource policy examples"',
    "vpc-111bbb22": 'Amazon S3 User Guide "Controlling access from VPC endpoints with bucket policies"',
    "vpc-1a2b3c4d": 'API Gateway Developer Guide "API Gateway resource policy examples"',
    "vpce-1234abcdf5678c90a": 'AWS KMS Developer Guide "Use VPC endpoints to control access to AWS KMS resources"',
    "vpc-12345678": 'AWS KMS Developer Guide "Use VPC endpoints to control access to AWS KMS resources" and AWS '
                    'Secrets Manager User Guide "Resource-based policies" examples',
    "vpc-2b2b2b2b": 'AWS KMS Developer Guide "Use VPC endpoints to control access to AWS KMS resources" and AWS '
                    'Secrets Manager User Guide "Resource-based policies" examples',
    "vpce-1234a5678b9012c": 'AWS Secrets Manager User Guide, VPC endpoint examples',
    "vpce-12345678": 'AWS Secrets Manager User Guide, VPC endpoint examples',
}


@dataclass
class Soundness:
    """CKV_VPCE_6's answer: problems (each with the statement it is in) and, when sound, what it admits."""

    applies: bool
    problems: List[str] = field(default_factory=list)
    examples: List[str] = field(default_factory=list)  # requests that show a problem (a locked-out origin)
    admits: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def sound(self) -> bool:
        return not self.problems



def well_formed_endpoint(value: str) -> bool:
    """An endpoint ID a fix may reuse: a reference, or a well-formed ID that is no placeholder."""
    return value.startswith("${") or bool(FORMATS["aws:sourcevpce"][0].match(value)) and not is_placeholder(value)


def is_placeholder(value: str) -> bool:
    """IDs of AWS's documentation examples, of one repeated character, or with x where the hex digits belong
    (vpce-xxxxxxxx, vpc-00000000)."""
    if value.strip().lower() in DOCUMENTATION_EXAMPLE_IDS:
        return True
    body = value.split("-", 1)[1] if "-" in value else value
    return bool(body) and (len(set(body)) == 1 or "x" in body.lower())


def _value_problems(condition: Condition, label: str) -> Iterable[str]:
    if condition.op.family in ("null", "bool"):
        return  # their values are true/false, not IDs
    fold = condition.op.ignore_case
    for written in condition.values:
        if references_in(written) or written.startswith("${") or variables_in(written):
            continue  # one specific endpoint or VPC, resolved at deploy time (or a policy variable: per request)
        # Under an IgnoreCase operator "VPCE-0A1B..." matches the real, lowercase ID.
        value = written.lower() if fold else written
        if condition.key in FORMATS and has_wildcard(value) and not condition.op.wildcards:
            # Only the *Like operators read * and ? as wildcards (the operator table, docs/semantics.md); under any
            # other the value is compared as written, and no ID has a * or ? in it.
            yield (f"{label}: {value} under {condition.written_operator} {condition.written_key} is compared as "
                   f"literal text ({condition.written_operator} has no wildcards), so no real endpoint or VPC "
                   "matches it: list the IDs themselves")
            continue
        if condition.key in ("aws:sourcevpce", "aws:sourcevpc") and not has_wildcard(value) and is_placeholder(value):
            example = DOCUMENTATION_EXAMPLE_IDS.get(value.strip().lower())
            where = f" (the example ID of {example})" if example else ""
            yield f"{label}: {value} under {condition.written_key} is a placeholder, not a real ID{where}"
            continue
        if condition.key in FORMATS and not has_wildcard(value):
            pattern, shape = FORMATS[condition.key]
            if pattern.match(value):
                continue
            other = "aws:sourcevpc" if condition.key == "aws:sourcevpce" else "aws:sourcevpce"
            if FORMATS[other][0].match(value):
                yield (f"{label}: {value} under {condition.written_key} is an ID for {other}, so it never matches "
                       f"a request")
            else:
                yield (f"{label}: {value} under {condition.written_key} is not well formed ({shape}); no real "
                       f"endpoint or VPC has it, so it never matches")


# Keys a Deny's exemptions test (service principals, forward access sessions, principals): they do not make a
# StringEquals perimeter test part of another control.
_EXEMPTION_KEYS = frozenset({"aws:principalisawsservice", "aws:viaawsservice", "aws:principalarn",
                             "aws:principalaccount", "aws:principalorgid"})


def narrowed_by_other_keys(statement: Statement) -> bool:
    """Whether a Deny also tests keys other than perimeter keys and exemptions (a Region, a tag): then a positive
    perimeter test in it is part of a control of its own, not a slip for the negated operator."""
    return any(not tests_perimeter(c.key) and c.key not in _EXEMPTION_KEYS for c in statement.conditions)


def soundness_of(policy: Policy, target: Target, options: Optional[AnalysisOptions] = None,
                 allowed_vpce_ids: Sequence[str] = (), allowed_vpc_ids: Sequence[str] = (),
                 raw_document: Any = None, endpoint_services: Optional[Dict[str, str]] = None,
                 endpoint_vpcs: Optional[Dict[str, str]] = None, budget: Optional[List[float]] = None) -> Soundness:
    """The SPEC section 5 failures of one policy, or what its perimeter admits when there are none."""
    options = options or AnalysisOptions()
    # Only Deny statements form a perimeter; a policy whose endpoint conditions sit in Allow statements only has
    # none, and the coverage check already fails it.
    relevant = [(s, c) for s, c in policy.condition_uses(effect="Deny") if tests_perimeter(c.key)]
    if not relevant:
        return Soundness(applies=False)
    result = Soundness(applies=True)
    for statement, condition in relevant:
        label = statement.label
        if is_misspelt_vpc_key(condition.key):
            result.problems.append(f"{label}: {condition.written_key} is not an AWS condition key; AWS never sets "
                                   "it, so the condition never sees an endpoint (misspelt?)")
            continue
        if condition.key not in PERIMETER_KEYS:
            continue
        if condition.op.wildcards and any(has_wildcard(v) for v in condition.values):
            result.problems.append(
                f"{label}: {condition.written_operator} {condition.written_key} "
                f"[{', '.join(condition.values)}] matches by wildcard, so it admits endpoints the policy does not "
                "list (an attacker's own among them)")
        if condition.qualifier and condition.key in SINGLE_VALUED_PERIMETER_KEYS:
            plain = condition.written_operator.split(":", 1)[1]
            result.problems.append(
                f"{label}: {condition.written_operator} uses a set operator on the single-valued key "
                f"{condition.written_key}; AWS's policy validation reports it: use {plain}")
        result.problems.extend(_value_problems(condition, label))
        if not condition.negated and condition.op.family != "null" and not condition.qualifier \
                and not narrowed_by_other_keys(statement):
            # (with another condition, e.g. a Region restriction for requests from the VPC, it is a control of its
            # own, as in AWS's data perimeter examples)
            named = ", ".join(condition.values)
            result.notes.append(
                f"{label}: {condition.written_operator} {condition.written_key} [{named}] denies requests that come "
                f"THROUGH {named}, not those from elsewhere (a typo for {_negated_spelling(condition)}?)")
        result.problems.extend(_foreign_endpoints(condition, label, target, endpoint_services or {}))
        allowlist = {"aws:sourcevpce": allowed_vpce_ids, "aws:sourcevpc": allowed_vpc_ids}.get(condition.key)
        if allowlist and condition.negated:
            for value in condition.values:
                if not references_in(value) and not has_wildcard(value) and value not in allowlist:
                    setting = "VPCE" if condition.key == "aws:sourcevpce" else "VPC"
                    result.problems.append(f"{label}: {value} is not in the allowed IDs "
                                           f"(VPCE_CHECKS_ALLOWED_{setting}_IDS): a stale or foreign ID")
    result.problems.extend(_duplicate_condition_blocks(raw_document))
    _lockout_problems(policy, target, options, result, endpoint_vpcs or {}, budget)
    if result.sound:
        _describe_admits(policy, result)
    return result


def _negated_spelling(condition: Condition) -> str:
    """The operator a positive test was probably meant to be: its negated form, with IfExists when written."""
    negation = negation_of(condition.operator)
    if negation is None:
        return "the negated operator"
    return negation.spelling + ("IfExists" if condition.if_exists else "")


def _foreign_endpoints(condition: Condition, label: str, target: Target,
                       endpoint_services: Dict[str, str]) -> Iterable[str]:
    """Terraform: a referenced aws_vpc_endpoint whose service_name is for another service never carries a request
    to this resource, so naming it admits nobody (the endpoint meant is usually the one missing)."""
    if condition.key != "aws:sourcevpce":
        return
    for value in condition.values:
        service_name = endpoint_services.get(value)
        if service_name and endpoint_serves(service_name, target.service) is False:
            yield (f"{label}: {value} is a VPC endpoint for {service_name}, which never carries requests to "
                   f"{target.service}; naming it admits no caller of this resource (wrong endpoint referenced?)")


def _lockout_problems(policy: Policy, target: Target, options: AnalysisOptions, result: Soundness,
                      endpoint_vpcs: Dict[str, str], budget: Optional[List[float]] = None) -> None:
    too_large = beyond_bound(policy, options)
    if too_large:
        result.problems.append(f"cannot prove that every named origin can get in: {too_large}")
        return
    try:
        found = lockouts(policy, target, options, budget, endpoint_vpcs=endpoint_vpcs)
    except AnalysisLimit as error:  # undecided is no pass: CKV_VPCE_6 fails closed
        reason = str(error) or (f"the search did not finish within {options.max_steps} steps or "
                                f"{options.max_seconds:g} seconds")
        result.problems.append(f"cannot prove that every named origin can get in: {reason}")
        return
    for lockout in found:
        blockers = ", ".join(lockout.blocked_by) or "the Deny statements"
        result.problems.append(f"lockout: {lockout.origin} can never get in: every request through it is denied "
                               f"by {blockers}")
        result.examples.append(lockout.example)


def _duplicate_condition_blocks(document: Any) -> List[str]:
    """Terraform: two condition blocks with the same test and variable (provider versions merge, overwrite or
    reject them); the adapter records them under DUPLICATE_CONDITIONS_KEY."""
    statements = document.get("Statement") if isinstance(document, dict) else None
    out = []
    for index, statement in enumerate(statements if isinstance(statements, list) else [statements]):
        if isinstance(statement, dict) and statement.get(DUPLICATE_CONDITIONS_KEY):
            where = f'statement "{statement["Sid"]}"' if statement.get("Sid") else f"statement #{index + 1}"
            for duplicate in statement[DUPLICATE_CONDITIONS_KEY]:
                out.append(f"{where}: two condition blocks test {duplicate}; Terraform provider versions merge, "
                           "overwrite or reject them, so the policy deployed is uncertain: put all values in one "
                           "block")
    return out


def _describe_admits(policy: Policy, result: Soundness) -> None:
    for statement in policy.denies:
        keys = {c.key for c in statement.conditions}
        for condition in statement.conditions:
            if condition.key == "aws:sourcevpc" and condition.negated:
                for value in condition.values:
                    result.admits.append(f"every endpoint in VPC {value} ({statement.label})")
                if "aws:requestedregion" not in keys:
                    result.notes.append(f"{statement.label}: VPC IDs are unique only within a Region; AWS's data "
                                        "perimeter examples pair aws:SourceVpc with aws:RequestedRegion")
            elif condition.key == "aws:sourcevpce" and condition.negated:
                result.admits.extend(f"VPC endpoint {v}" for v in condition.values)


@dataclass
class SourceIpUse:
    """CKV_VPCE_7: where aws:SourceIp names private or shared ranges (it is absent on endpoint traffic)."""

    problems: List[str]
    ranges: List[str]


def is_private_range(value: str) -> bool:
    """A CIDR or address inside (or containing) an RFC 1918 or shared (100.64.0.0/10) range: never an
    aws:SourceIp value a request carries."""
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    return any(network.subnet_of(p) or p.subnet_of(network) for p in PRIVATE_RANGES if p.version == network.version)


def _is_address(value: str) -> bool:
    """An IPv4/IPv6 address or CIDR, as IAM's IP address operators take them."""
    try:
        ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    return True


def source_ip_use(policy: Policy) -> Optional[SourceIpUse]:
    """None when no statement tests aws:SourceIp."""
    uses = policy.condition_uses("aws:sourceip")
    if not uses:
        return None
    problems, ranges = [], []
    for statement, condition in uses:
        for value in condition.values:
            ranges.append(value)
            if not references_in(value) and not _is_address(value):
                problems.append(f"{statement.label}: {condition.written_operator} {condition.written_key} {value!r} is "
                                "not an IP address or CIDR (a placeholder?): the check cannot tell which addresses "
                                "it names, so it fails closed; write the real range")
                continue
            if is_private_range(value):
                effect = ("denies every request through a VPC endpoint (the key is absent there, and a negated "
                          "operator is true on a missing key)" if statement.is_deny and condition.negated
                          else "never matches a request through a VPC endpoint (the key is absent there)")
                problems.append(f"{statement.label}: {condition.written_operator} {condition.written_key} {value} is "
                                f"a private or shared range; it {effect}")
    return SourceIpUse(problems=problems, ranges=ranges)
