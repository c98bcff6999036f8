"""Condition operators, evaluated as IAM documents them.

A request value is ``None`` (the key is absent), a string (single-valued key) or a tuple of strings
(multivalued key). Absent keys: the set qualifier decides first (ForAllValues true, ForAnyValue false), then
IfExists (true), Null, negated operators (true), everything else false.
"""

from __future__ import annotations

from typing import Callable, Optional, Tuple, Union

from vpce_checks.engine.model import Condition, substitute_variables
from vpce_checks.engine.operators import OPERATORS, in_cidr

__all__ = ["MULTIVALUED_KEYS", "RequestValue", "condition_holds", "in_cidr", "resolved_values", "value_matches"]

RequestValue = Union[None, str, Tuple[str, ...]]

# Keys that carry several values per request; their sound Deny form uses ForAllValues (SPEC section 3).
MULTIVALUED_KEYS = frozenset({
    "aws:vpceorgpaths", "aws:principalorgpaths", "aws:calledvia", "aws:tagkeys", "aws:principalservicenameslist",
})


def value_matches(operator: str, request_value: str, policy_value: str) -> bool:
    """The positive form of ``operator`` applied to one request value and one policy value."""
    return OPERATORS[operator].matches(request_value, policy_value)


def _glob_literal(text: str) -> str:
    """A request value put into a Like or ARN pattern stands for itself: its own wildcards are characters."""
    return text.replace("$", "${$}").replace("*", "${*}").replace("?", "${?}")


def resolved_values(condition: Condition, lookup: Callable[[str], RequestValue]) -> Tuple[Tuple[str, ...], bool]:
    """The condition's values with policy variables resolved from the request, and whether some value could not be
    resolved (its key absent, no default): that value matches nothing (docs/semantics.md, policy variables)."""
    if not condition.variables:
        return condition.values, False
    literal = _glob_literal if condition.op.wildcards else str
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
    operator = condition.op
    if operator.family == "null":
        absent = request_value is None
        return any((value.strip().lower() == "true") == absent for value in condition.values)
    if request_value is None:
        if condition.qualifier == "forallvalues":
            return True
        if condition.qualifier == "foranyvalue":
            return False
        return condition.if_exists or condition.negated
    policy_values = condition.values
    if condition.variables:
        policy_values, unresolved = resolved_values(
            condition, lookup or (lambda key: request_value if key == condition.key else None))
        if unresolved and condition.negated:
            return False  # "not equal to a value AWS cannot resolve" never holds: the statement does not apply

    def element_ok(value: str) -> bool:
        hit = any(operator.matches(value, policy_value) for policy_value in policy_values)
        return not hit if condition.negated else hit

    values = request_value if isinstance(request_value, tuple) else (request_value,)
    if condition.qualifier == "forallvalues":
        return all(element_ok(v) for v in values)
    if condition.qualifier == "foranyvalue":
        return any(element_ok(v) for v in values)
    if isinstance(request_value, tuple):
        # A multivalued key without a set qualifier: true when any value matches (negated: none does).
        hit = any(operator.matches(v, p) for v in values for p in policy_values)
        return not hit if condition.negated else hit
    return element_ok(request_value)
