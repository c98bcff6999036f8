"""The one operator table: every operator is evaluated as the IAM User Guide documents it, and searched.

The truth table below is written from the IAM User Guide ("IAM JSON policy elements: Condition operators",
"Conditions with multiple context keys or values"; docs/semantics.md), not from the engine: a key absent from the
request makes a condition false, except under a negated operator (true), ...IfExists (true) and Null; several
values are OR-ed, NOR under a negated operator; Like and ARN operators take * and ?, ARN operators field by field.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import pytest

from vpce_checks.engine import model
from vpce_checks.engine.conditions import condition_holds
from vpce_checks.engine.model import Condition, parse_policy
from vpce_checks.engine.operators import OPERATORS, SEARCH_KINDS, negation_of
from vpce_checks.engine.perimeter import SEARCHES, _value_candidates

ROLE = "arn:aws:iam::111122223333:role/deploy"
# 2020-01-01T00:00:00Z in seconds since the epoch (1577836800), minus one second.
JUST_BEFORE_2020 = "1577836799"

# operator as AWS spells it: rows of (policy values, request value, expected) for a present key.
Row = Tuple[List[str], str, bool]
TRUTH: Dict[str, List[Row]] = {
    "StringEquals": [(["abc"], "abc", True), (["abc"], "ABC", False), (["ab*"], "abc", False),
                     (["x", "abc"], "abc", True)],
    "StringNotEquals": [(["abc", "def"], "def", False), (["abc", "def"], "xyz", True), (["abc"], "ABC", True)],
    "StringEqualsIgnoreCase": [(["AbC"], "aBc", True), (["abc"], "abd", False)],
    "StringNotEqualsIgnoreCase": [(["VPCE-0A"], "vpce-0a", False), (["VPCE-0A"], "vpce-0b", True)],
    "StringLike": [(["a*c"], "abbc", True), (["a?c"], "abbc", False), (["a*"], "ABC", False),
                   (["a?c"], "abc", True)],
    "StringNotLike": [(["a*"], "abc", False), (["a*"], "xbc", True), (["x*", "a*"], "abc", False)],
    "ArnEquals": [(["arn:aws:iam::*:role/deploy"], ROLE, True), (["arn:aws:iam::*:role/other"], ROLE, False),
                  (["arn:aws:iam::*"], ROLE, False)],  # a wildcard never spans the colons between ARN fields
    "ArnLike": [(["arn:aws:iam::111122223333:role/*"], ROLE, True),
                (["arn:aws:iam::444455556666:role/*"], ROLE, False), (["arn:aws:iam::?:role/deploy"], ROLE, False)],
    "ArnNotEquals": [([ROLE], ROLE, False), (["arn:aws:iam::*:role/other"], ROLE, True)],
    "ArnNotLike": [(["arn:aws:iam::*:role/dep*"], ROLE, False), (["arn:aws:iam::*:user/*"], ROLE, True)],
    "NumericEquals": [(["10"], "10", True), (["10"], "11", False)],
    "NumericNotEquals": [(["10"], "10", False), (["10", "12"], "11", True), (["10", "11"], "11", False)],
    "NumericLessThan": [(["10"], "9", True), (["10"], "10", False), (["10"], "ten", False)],
    "NumericLessThanEquals": [(["10"], "10", True), (["10"], "11", False)],
    "NumericGreaterThan": [(["10"], "11", True), (["10"], "10", False)],
    "NumericGreaterThanEquals": [(["10"], "10", True), (["10"], "9", False)],
    "DateEquals": [(["2020-01-01T00:00:00Z"], "2020-01-01T00:00:00Z", True),
                   (["2020-01-01T00:00:00Z"], "2020-01-01T00:00:01Z", False)],
    "DateNotEquals": [(["2020-01-01T00:00:00Z"], "2020-01-01T00:00:00Z", False),
                      (["2020-01-01T00:00:00Z"], "2020-01-01T00:00:01Z", True)],
    "DateLessThan": [(["2020-06-01T00:00:00Z"], "2020-01-01T00:00:00Z", True),
                     (["2020-06-01T00:00:00Z"], "2020-06-01T00:00:00Z", False),
                     (["2020-01-01T00:00:00Z"], JUST_BEFORE_2020, True)],
    "DateLessThanEquals": [(["2020-06-01T00:00:00Z"], "2020-06-01T00:00:00Z", True),
                           (["2020-06-01T00:00:00Z"], "2020-07-01T00:00:00Z", False)],
    "DateGreaterThan": [(["2020-06-01T00:00:00Z"], "2020-07-01T00:00:00Z", True),
                        (["2020-06-01T00:00:00Z"], "2020-06-01T00:00:00Z", False)],
    "DateGreaterThanEquals": [(["2020-06-01T00:00:00Z"], "2020-06-01T00:00:00Z", True),
                              (["2020-06-01T00:00:00Z"], "2020-01-01T00:00:00Z", False)],
    "Bool": [(["true"], "true", True), (["true"], "false", False), (["false"], "false", True)],
    "BinaryEquals": [(["QmluYXJ5VmFsdWU="], "QmluYXJ5VmFsdWU=", True), (["QmluYXJ5VmFsdWU="], "QmluYXJ5", False)],
    "IpAddress": [(["203.0.113.0/24"], "203.0.113.9", True), (["203.0.113.0/24"], "198.51.100.1", False),
                  (["2001:db8::/32"], "2001:db8::1", True)],
    "NotIpAddress": [(["10.0.0.0/8"], "10.1.2.3", False), (["10.0.0.0/8"], "203.0.113.9", True)],
    "Null": [(["true"], "anything", False), (["false"], "anything", True)],
}
# The negated operators the IAM User Guide lists (a negated operator is true on an absent key).
DOCUMENTED_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
                      "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike"}
# Operators whose values may hold policy variables (IAM User Guide, "Policy variables"): String and ARN.
DOCUMENTED_VARIABLES = {name for name in TRUTH if name.startswith(("String", "Arn"))}


def condition(operator: str, values: List[str], key: str = "aws:PrincipalTag/team") -> Condition:
    """One parsed condition of a Deny, as a policy would write it."""
    return parse_policy({"Version": "2012-10-17", "Statement": {
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {operator: {key: values}}}}).statements[0].conditions[0]


def test_the_truth_table_covers_exactly_the_operator_table():
    assert {name.lower() for name in TRUTH} == set(OPERATORS)
    assert {op.spelling for op in OPERATORS.values()} == set(TRUTH)


def test_the_old_operator_sets_derive_from_the_table():
    assert model.KNOWN_OPERATORS == set(OPERATORS)
    assert model.NEGATED_OPERATORS == {name.lower() for name in DOCUMENTED_NEGATED}
    assert model.VARIABLE_OPERATORS == {name.lower() for name in DOCUMENTED_VARIABLES}
    assert model.OPERATOR_SPELLING == {name.lower(): name for name in TRUTH}


@pytest.mark.parametrize("spelling", sorted(TRUTH))
def test_operator_rows(spelling: str):
    op = OPERATORS[spelling.lower()]
    assert op.spelling == spelling and op.negated is (spelling in DOCUMENTED_NEGATED)
    for values, request_value, expected in TRUTH[spelling]:
        assert condition_holds(condition(spelling, values), request_value) is expected, (values, request_value)
        if op.family != "null":  # Null takes no IfExists; on a present key IfExists changes nothing
            assert condition_holds(condition(spelling + "IfExists", values), request_value) is expected


@pytest.mark.parametrize("spelling", sorted(TRUTH))
def test_absent_key(spelling: str):
    values = TRUTH[spelling][0][0]
    if spelling == "Null":
        assert condition_holds(condition("Null", ["true"]), None) is True
        assert condition_holds(condition("Null", ["false"]), None) is False
        return
    assert condition_holds(condition(spelling, values), None) is (spelling in DOCUMENTED_NEGATED)
    assert condition_holds(condition(spelling + "IfExists", values), None) is True
    # The set qualifiers decide first: ForAllValues over no values is true, ForAnyValue false.
    assert condition_holds(condition("ForAllValues:" + spelling, values), None) is True
    assert condition_holds(condition("ForAnyValue:" + spelling, values), None) is False


@pytest.mark.parametrize("spelling", sorted(TRUTH))
def test_table_traits(spelling: str):
    op = OPERATORS[spelling.lower()]
    assert op.accepts_variables is (spelling in DOCUMENTED_VARIABLES)
    assert op.wildcards is (spelling in ("StringLike", "StringNotLike") or spelling.startswith("Arn"))
    assert op.ignore_case is spelling.endswith("IgnoreCase")
    if op.negated:
        positive = OPERATORS[op.positive or ""]
        assert not positive.negated and positive.family == op.family and positive.matches is op.matches
        assert negation_of(positive.name) is op
    else:
        assert op.positive is None


@pytest.mark.parametrize("spelling", sorted(TRUTH))
def test_every_operator_is_searched(spelling: str):
    """The search names a kind the perimeter search implements, and its values tell the condition's true from its
    false: evaluating and searching read the same table."""
    op = OPERATORS[spelling.lower()]
    assert op.search in SEARCH_KINDS and op.search in SEARCHES
    key = {"ip": "aws:SourceIp", "bool": "aws:SecureTransport"}.get(op.family, "aws:PrincipalTag/team")
    values = TRUTH[spelling][0][0]
    tested = condition(spelling, values, key)
    tried: List[Optional[str]] = [None, *_value_candidates(tested.key, [tested])]
    assert {condition_holds(tested, value) for value in tried} == {True, False}, tried


def test_search_kinds_are_all_implemented():
    assert set(SEARCHES) == set(SEARCH_KINDS)
