"""CKV_VPCE_6 and CKV_VPCE_7 on the engine alone: each failure kind of SPEC section 5 and a passing neighbour."""

from __future__ import annotations

from vpce_checks.engine.model import parse_policy
from vpce_checks.engine.services import Target
from vpce_checks.engine.soundness import soundness_of, source_ip_use

A, B = "vpce-0a1b2c3d4e5f60718", "vpce-0b2c3d4e5f6071829"
VPC = "vpc-0c3d4e5f607182930"
BUCKET = Target("s3", "logs")


def deny(condition, sid="DenyOutside"):
    return {"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": condition}


def sound(*statements, **kwargs):
    return soundness_of(parse_policy({"Statement": list(statements)}), BUCKET, **kwargs)


def test_one_deny_listing_both_endpoints_admits_both():
    result = sound(deny({"StringNotEquals": {"aws:SourceVpce": [A, B]}}))
    assert result.sound and result.admits == [f"VPC endpoint {A}", f"VPC endpoint {B}"]


def test_one_deny_per_endpoint_locks_both_out_and_names_the_blocker():
    result = sound(deny({"StringNotEquals": {"aws:SourceVpce": A}}, "OnlyA"),
                   deny({"StringNotEquals": {"aws:SourceVpce": B}}, "OnlyB"))
    assert not result.sound
    assert any(A in p and '"OnlyB"' in p for p in result.problems)
    assert any(B in p and '"OnlyA"' in p for p in result.problems)


def test_wildcards_set_operators_and_malformed_ids():
    assert not sound(deny({"StringNotLike": {"aws:SourceVpce": "vpce-*"}})).sound
    assert not sound(deny({"ForAllValues:StringNotEquals": {"aws:SourceVpce": A}})).sound
    assert not sound(deny({"StringNotEquals": {"aws:SourceVpce": A.upper()}})).sound
    vpc_as_endpoint = sound(deny({"StringNotEquals": {"aws:SourceVpce": VPC}}))
    assert any("an ID for aws:sourcevpc" in p for p in vpc_as_endpoint.problems)
    placeholder = sound(deny({"StringNotEquals": {"aws:SourceVpce": "vpce-xxxxxxxx"}}))
    assert any("placeholder" in p for p in placeholder.problems)
    assert any("not an AWS condition key" in p
               for p in sound(deny({"StringNotEquals": {"aws:SourceVpcEndpoint": A}})).problems)
    assert sound(deny({"StringNotEquals": {"aws:SourceVpce": "${aws_vpc_endpoint.s3.id}"}})).sound


def test_allowlist_and_vpc_fallback_notes():
    assert not sound(deny({"StringNotEquals": {"aws:SourceVpce": [A, B]}}), allowed_vpce_ids=[A]).sound
    fallback = sound(deny({"StringNotEquals": {"aws:SourceVpce": A},
                           "StringNotEqualsIfExists": {"aws:SourceVpc": VPC}}))
    assert fallback.sound and any(f"every endpoint in VPC {VPC}" in a for a in fallback.admits)
    assert any("aws:RequestedRegion" in note for note in fallback.notes)


def test_no_deny_perimeter_condition_gives_no_result():
    allow = {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceVpce": A}}}
    assert not sound(allow).applies
    assert not sound(deny({"Bool": {"aws:SecureTransport": "false"}})).applies


def test_duplicate_terraform_condition_blocks_are_reported():
    document = {"Statement": [{**deny({"StringNotEquals": {"aws:SourceVpce": [A, B]}}),
                               "__duplicate_conditions__": ["StringNotEquals aws:SourceVpce"]}]}
    result = soundness_of(parse_policy(document), BUCKET, raw_document=document)
    assert any("two condition blocks" in p for p in result.problems)


def test_source_ip_private_ranges_are_flagged_public_ones_pass():
    private = parse_policy({"Statement": [deny({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}})]})
    use = source_ip_use(private)
    assert use and use.problems and "denies every request through a VPC endpoint" in use.problems[0]
    shared = parse_policy({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
                                          "Condition": {"IpAddress": {"aws:SourceIp": "100.64.1.0/24"}}}]})
    assert "never matches" in source_ip_use(shared).problems[0]
    public = parse_policy({"Statement": [deny({"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}})]})
    assert source_ip_use(public).problems == []
    assert source_ip_use(parse_policy({"Statement": [deny({"StringNotEquals": {"aws:SourceVpce": A}})]})) is None


def test_endpoint_service_names_are_read_conservatively():
    from vpce_checks.engine.services import endpoint_serves

    assert endpoint_serves("com.amazonaws.eu-west-1.s3", "s3") is True
    assert endpoint_serves("com.amazonaws.eu-west-1.sqs", "s3") is False
    assert endpoint_serves("com.amazonaws.${var.region}.ecr.dkr", "ecr") is True
    assert endpoint_serves("com.amazonaws.data.aws_region.current.name.s3", "s3") is True
    assert endpoint_serves("com.amazonaws.eu-west-1.kms-fips", "kms") is True
    # an endpoint service of another account, or a name the engine cannot read: no verdict
    assert endpoint_serves("com.amazonaws.vpce.eu-west-1.vpce-svc-0e123abc123abc123", "s3") is None
    assert endpoint_serves("${var.service_name}", "s3") is None


def test_documentation_example_ids_are_placeholders_but_wildcards_are_not():
    from vpce_checks.engine.model import parse_policy
    from vpce_checks.engine.services import Target
    from vpce_checks.engine.soundness import soundness_of

    def problems(value: str, operator: str = "StringNotEquals"):
        policy = parse_policy({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                              "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                                              "Condition": {operator: {"aws:SourceVpce": value}}}]})
        return soundness_of(policy, Target(service="s3", name="b")).problems

    assert any("placeholder" in p and "Amazon S3 User Guide" in p for p in problems("vpce-1a2b3c4d"))
    assert any("placeholder" in p for p in problems("vpce-1234abcdf5678c90a"))
    assert not any("placeholder" in p for p in problems("vpce-*", "StringNotLike"))
    assert not problems("vpce-0c83a8ad9bb98ef71")


def test_a_wildcard_under_an_exact_operator_is_literal_text_and_matches_no_endpoint():
    """StringNotEquals reads * as itself (only the *Like operators have wildcards): "vpce-*" there names no endpoint,
    so every endpoint is denied; found by the Terraform oracle fixture (plan_source/oracle_functions)."""
    for operator, key, value in (("StringNotEquals", "aws:SourceVpce", "vpce-*"),
                                 ("StringNotEqualsIgnoreCase", "aws:SourceVpce", "VPCE-0C83A8AD9BB98EF7?"),
                                 ("StringNotEquals", "aws:SourceVpc", "vpc-*")):
        result = sound(deny({operator: {key: value}}))
        assert not result.sound and any("compared as literal text" in p for p in result.problems), (operator, value)
    like = sound(deny({"StringNotLike": {"aws:SourceVpce": "vpce-*"}}))
    assert not any("literal text" in p for p in like.problems)  # reported as a wildcard that admits too much
