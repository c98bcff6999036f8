"""Condition operators, evaluated as IAM documents them.

A request value is ``None`` (the key is absent), a string (single-valued key) or a tuple of strings
(multivalued key). Absent keys: the set qualifier decides first (ForAllValues true, ForAnyValue false), then
IfExists (true), Null, negated operators (true), everything else false.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timezone
from typing import Callable, Optional, Tuple, Union

from vpce_checks.engine.matching import arn_matches, glob_match
from vpce_checks.engine.model import Condition, substitute_variables

RequestValue = Union[None, str, Tuple[str, ...]]

# Keys that carry several values per request; their sound Deny form uses ForAllValues (SPEC section 3).
MULTIVALUED_KEYS = frozenset({
    "aws:vpceorgpaths", "aws:principalorgpaths", "aws:calledvia", "aws:tagkeys", "aws:principalservicenameslist",
})

POSITIVE_FORM = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
    "notipaddress": "ipaddress",
}


def _number(text: str) -> Optional[float]:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _date(text: str) -> Optional[float]:
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


def _compare(left: Optional[float], right: Optional[float], operator: str) -> bool:
    if left is None or right is None:
        return False
    suffix = operator[len("numeric"):] if operator.startswith("numeric") else operator[len("date"):]
    return {
        "equals": left == right,
        "lessthan": left < right,
        "lessthanequals": left <= right,
        "greaterthan": left > right,
        "greaterthanequals": left >= right,
    }[suffix]


def value_matches(operator: str, request_value: str, policy_value: str) -> bool:
    """The positive form of ``operator`` applied to one request value and one policy value."""
    if operator == "stringequals":
        return request_value == policy_value
    if operator == "stringequalsignorecase":
        return request_value.casefold() == policy_value.casefold()
    if operator == "stringlike":
        return glob_match(policy_value, request_value)
    if operator in ("arnequals", "arnlike"):
        return arn_matches(policy_value, request_value)
    if operator.startswith("numeric"):
        return _compare(_number(request_value), _number(policy_value), operator)
    if operator.startswith("date"):
        return _compare(_date(request_value), _date(policy_value), operator)
    if operator == "bool":
        return request_value.strip().lower() == policy_value.strip().lower()
    if operator == "binaryequals":
        return request_value == policy_value
    if operator == "ipaddress":
        return in_cidr(request_value, policy_value)
    raise ValueError(f"no positive form for operator {operator!r}")


def _glob_literal(text: str) -> str:
    """A request value put into a Like or ARN pattern stands for itself: its own wildcards are characters."""
    return text.replace("$", "${$}").replace("*", "${*}").replace("?", "${?}")


def resolved_values(condition: Condition, lookup: Callable[[str], RequestValue]) -> Tuple[Tuple[str, ...], bool]:
    """The condition's values with policy variables resolved from the request, and whether some value could not be
    resolved (its key absent, no default): that value matches nothing (docs/semantics.md, policy variables)."""
    if not condition.variables:
        return condition.values, False
    literal = _glob_literal if condition.operator in ("stringlike", "stringnotlike") or condition.operator.startswith(
        "arn") else str
    out, unresolved = [], False
    for value in condition.values:
        resolved = substitute_variables(value, lookup, literal)
        if resolved is None:
            unresolved = True
        else:
            out.append(resolved)
    return tuple(out), unresolved


def condition_holds(condition: Condition, request_value: RequestValue,
                    lookup: Optional[Callable[[str], RequestValue]] = None) -> bool:
    """Whether one (operator, key, values) test is true for the request's value of that key. ``lookup`` gives the
    request's other keys, for policy variables in the values (absent: the key ``condition`` tests only)."""
    if condition.operator == "null":
        absent = request_value is None
        return any((value.strip().lower() == "true") == absent for value in condition.values)
    if request_value is None:
        if condition.qualifier == "forallvalues":
            return True
        if condition.qualifier == "foranyvalue":
            return False
        return condition.if_exists or condition.negated
    positive = POSITIVE_FORM.get(condition.operator, condition.operator)
    policy_values = condition.values
    if condition.variables:
        policy_values, unresolved = resolved_values(
            condition, lookup or (lambda key: request_value if key == condition.key else None))
        if unresolved and condition.negated:
            return False  # "not equal to a value AWS cannot resolve" never holds: the statement does not apply

    def element_ok(value: str) -> bool:
        hit = any(value_matches(positive, value, policy_value) for policy_value in policy_values)
        return not hit if condition.negated else hit

    values = request_value if isinstance(request_value, tuple) else (request_value,)
    if condition.qualifier == "forallvalues":
        return all(element_ok(v) for v in values)
    if condition.qualifier == "foranyvalue":
        return any(element_ok(v) for v in values)
    if isinstance(request_value, tuple):
        # A multivalued key without a set qualifier: true when any value matches (negated: none does).
        hit = any(value_matches(positive, v, p) for v in values for p in policy_values)
        return not hit if condition.negated else hit
    return element_ok(request_value)
