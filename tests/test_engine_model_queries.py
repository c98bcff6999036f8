"""The policy model's queries: what the analyses ask of a policy, answered in one place and in statement order."""

from __future__ import annotations

from vpce_checks.engine.model import parse_policy

V1 = "vpce-0a1b2c3d4e5f60718"
POLICY = parse_policy({"Version": "2012-10-17", "Statement": [
    {"Sid": "OnlyThroughEndpoint", "Effect": "Deny", "Principal": "*", "Action": ["s3:*"],
     "Resource": ["arn:aws:s3:::${var.bucket}", "arn:aws:s3:::${var.bucket}/*"],
     "Condition": {"StringNotEquals": {"aws:SourceVpce": [V1, "${aws:PrincipalTag/vpce}"]},
                   "ArnNotLikeIfExists": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/ops"}}},
    {"Effect": "Allow", "Principal": {"AWS": ["111122223333", "${aws_iam_role.reader.arn}"],
                                      "Service": "cloudtrail.amazonaws.com"},
     "NotAction": "s3:DeleteBucket", "NotResource": "arn:aws:s3:::other",
     "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0b2c3d4e5f6071829"}}},
]})


def test_statements_and_patterns_by_effect():
    assert [s.label for s in POLICY.statements_of("Deny")] == ['statement "OnlyThroughEndpoint"']
    assert POLICY.action_patterns() == ("s3:*", "s3:DeleteBucket")
    assert POLICY.action_patterns("Allow") == ("s3:DeleteBucket",)
    assert POLICY.resource_patterns("Deny") == ("arn:aws:s3:::${var.bucket}", "arn:aws:s3:::${var.bucket}/*")
    assert POLICY.resource_patterns() == POLICY.resource_patterns("Deny") + ("arn:aws:s3:::other",)
    assert POLICY.patterns() == ("s3:*",) + POLICY.resource_patterns("Deny") + ("s3:DeleteBucket",
                                                                                "arn:aws:s3:::other")


def test_conditions_keys_and_values():
    assert [c.key for c in POLICY.conditions()] == ["aws:sourcevpce", "aws:principalarn", "aws:sourcevpce"]
    assert [c.operator for c in POLICY.conditions("aws:sourcevpce")] == ["stringnotequals", "stringequals"]
    assert [c.operator for c in POLICY.conditions("aws:sourcevpce", "Deny")] == ["stringnotequals"]
    assert [(s.index, c.key) for s, c in POLICY.condition_uses(effect="Deny")] == [
        (0, "aws:sourcevpce"), (0, "aws:principalarn")]
    assert POLICY.keys() == ("aws:sourcevpce", "aws:principalarn")
    assert POLICY.keys("Allow") == ("aws:sourcevpce",)
    assert POLICY.variable_keys() == ("aws:principaltag/vpce",)
    assert POLICY.values("aws:sourcevpce") == (V1, "${aws:PrincipalTag/vpce}", "vpce-0b2c3d4e5f6071829")
    assert POLICY.values("aws:sourcevpce", "Allow") == ("vpce-0b2c3d4e5f6071829",)


def test_principals_references_and_strings():
    assert POLICY.principals() == ("111122223333", "${aws_iam_role.reader.arn}")
    assert POLICY.principals("Deny") == ()  # "*" is everyone, not an AWS principal list
    # Template references, not the policy variable ${aws:PrincipalTag/vpce} (AWS resolves that per request).
    assert POLICY.references() == ("${var.bucket}", "${aws_iam_role.reader.arn}")
    assert POLICY.references("Deny") == ("${var.bucket}",)
    assert "cloudtrail.amazonaws.com" in POLICY.strings() and "arn:aws:iam::111122223333:role/ops" in POLICY.strings()
