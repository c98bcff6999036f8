"""The condition operators IAM documents, in one table: evaluation and the perimeter search both read it.

Each operator says its family, whether it is negated, whether its values are globs, whether it ignores case,
whether AWS resolves policy variables in its values, how one request value matches one policy value, and which
values the perimeter search must try for a key it tests (docs/semantics.md, condition operators). A negated
operator matches with its positive form's test and negates the result over all values; Null tests presence and is
evaluated apart (conditions.condition_holds).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Dict, FrozenSet, Optional

from vpce_checks.engine.matching import arn_matches, glob_match

# The values the perimeter search tries for a key, per operator family (perimeter.SEARCHES implements each):
# one value per class of the String values' patterns; ARN witnesses and literals; addresses on either side of
# each CIDR; numbers or dates on either side of each bound; true and false; the key's presence or absence only;
# the policy's literal values.
SEARCH_KINDS = ("string-classes", "arn-witnesses", "cidr-boundaries", "numeric-boundaries", "date-boundaries",
                "bool", "null", "literal")

Matcher = Callable[[str, str], bool]


def _number(text: str) -> Optional[float]:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _date(text: str) -> Optional[float]:
    """An ISO 8601 date or a number of seconds since the epoch, as seconds; None when it is neither."""
    number = _number(text)
    if number is not None:
        return number
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def in_cidr(address: str, cidr: str) -> bool:
    """Whether an address lies in a CIDR; malformed input is simply not inside."""
    try:
        return ipaddress.ip_address(address.strip()) in ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False


_COMPARISONS: Dict[str, Callable[[float, float], bool]] = {
    "equals": lambda left, right: left == right,
    "lessthan": lambda left, right: left < right,
    "lessthanequals": lambda left, right: left <= right,
    "greaterthan": lambda left, right: left > right,
    "greaterthanequals": lambda left, right: left >= right,
}


def _comparing(parse: Callable[[str], Optional[float]], comparison: str) -> Matcher:
    """A Numeric or Date matcher: both sides parsed; an unparsable side never matches."""
    compare = _COMPARISONS[comparison]

    def matches(request_value: str, policy_value: str) -> bool:
        left, right = parse(request_value), parse(policy_value)
        return left is not None and right is not None and compare(left, right)

    return matches


def _string_equals(request_value: str, policy_value: str) -> bool:
    return request_value == policy_value


def _string_equals_ignore_case(request_value: str, policy_value: str) -> bool:
    return request_value.casefold() == policy_value.casefold()


def _string_like(request_value: str, policy_value: str) -> bool:
    return glob_match(policy_value, request_value)


def _arn(request_value: str, policy_value: str) -> bool:
    return arn_matches(policy_value, request_value)


def _bool(request_value: str, policy_value: str) -> bool:
    return request_value.strip().lower() == policy_value.strip().lower()


def _ip(request_value: str, policy_value: str) -> bool:
    return in_cidr(request_value, policy_value)


def _null_on_present_key(request_value: str, policy_value: str) -> bool:
    """Null on a key the request carries: only the value "false" (the key is not null) is true."""
    return policy_value.strip().lower() != "true"


@dataclass(frozen=True)
class Operator:
    """One condition operator: what it tests and how the perimeter search must cover it."""

    name: str  # lowercase, without qualifier or IfExists: "stringnotequals"
    spelling: str  # as AWS writes it: "StringNotEquals"
    family: str  # "string" | "arn" | "numeric" | "date" | "bool" | "binary" | "ip" | "null"
    negated: bool
    wildcards: bool  # its values are globs (* and ?)
    ignore_case: bool
    positive: Optional[str]  # the non-negated form, for a negated operator
    accepts_variables: bool  # AWS resolves policy variables in its values
    matches: Matcher  # the positive test of one request value against one policy value
    search: str  # one of SEARCH_KINDS


_FAMILY_TRAITS = {  # family: (policy variables resolved, search)
    "string": (True, "string-classes"),
    "arn": (True, "arn-witnesses"),
    "numeric": (False, "numeric-boundaries"),
    "date": (False, "date-boundaries"),
    "bool": (False, "bool"),
    "binary": (False, "literal"),
    "ip": (False, "cidr-boundaries"),
    "null": (False, "null"),
}


def _operator(spelling: str, family: str, matches: Matcher, positive: Optional[str] = None,
              wildcards: bool = False, ignore_case: bool = False) -> Operator:
    accepts_variables, search = _FAMILY_TRAITS[family]
    return Operator(name=spelling.lower(), spelling=spelling, family=family, negated=positive is not None,
                    wildcards=wildcards, ignore_case=ignore_case, positive=positive,
                    accepts_variables=accepts_variables, matches=matches, search=search)


def _table() -> Dict[str, Operator]:
    rows = [
        _operator("StringEquals", "string", _string_equals),
        _operator("StringNotEquals", "string", _string_equals, positive="stringequals"),
        _operator("StringEqualsIgnoreCase", "string", _string_equals_ignore_case, ignore_case=True),
        _operator("StringNotEqualsIgnoreCase", "string", _string_equals_ignore_case,
                  positive="stringequalsignorecase", ignore_case=True),
        _operator("StringLike", "string", _string_like, wildcards=True),
        _operator("StringNotLike", "string", _string_like, positive="stringlike", wildcards=True),
        # ArnEquals and ArnLike behave the same: both take wildcards, field by field.
        _operator("ArnEquals", "arn", _arn, wildcards=True),
        _operator("ArnLike", "arn", _arn, wildcards=True),
        _operator("ArnNotEquals", "arn", _arn, positive="arnequals", wildcards=True),
        _operator("ArnNotLike", "arn", _arn, positive="arnlike", wildcards=True),
        _operator("Bool", "bool", _bool),
        _operator("BinaryEquals", "binary", _string_equals),
        _operator("IpAddress", "ip", _ip),
        _operator("NotIpAddress", "ip", _ip, positive="ipaddress"),
        _operator("Null", "null", _null_on_present_key),
    ]
    for family, parse in (("Numeric", _number), ("Date", _date)):
        equals = _comparing(parse, "equals")
        rows.append(_operator(family + "Equals", family.lower(), equals))
        rows.append(_operator(family + "NotEquals", family.lower(), equals, positive=family.lower() + "equals"))
        for comparison, suffix in (("lessthan", "LessThan"), ("lessthanequals", "LessThanEquals"),
                                   ("greaterthan", "GreaterThan"), ("greaterthanequals", "GreaterThanEquals")):
            rows.append(_operator(family + suffix, family.lower(), _comparing(parse, comparison)))
    return {row.name: row for row in rows}


OPERATORS: Dict[str, Operator] = _table()


def names(family: Optional[str] = None, *, negated: Optional[bool] = None) -> FrozenSet[str]:
    """The lowercase names of the table's operators, of one family and/or negation when given."""
    return frozenset(name for name, op in OPERATORS.items()
                     if (family is None or op.family == family) and (negated is None or op.negated == negated))


def negation_of(name: str) -> Optional[Operator]:
    """The negated operator whose positive form is ``name`` (StringEquals: StringNotEquals), if IAM has one."""
    return next((op for op in OPERATORS.values() if op.positive == name), None)
