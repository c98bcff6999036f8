"""Bad input through the real checkov runners: no exception escapes a check, every result explains itself,
and the rest of the tree is still reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import results_of, run_checkov

BUCKET = ["arn:aws:s3:::robust", "arn:aws:s3:::robust/*"]
SOUND = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": BUCKET,
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0c3d4e5f60718293a"}}}


def _raw(name: str, document) -> tuple:
    return f"json/{name}.json", json.dumps(document)


RAW_CASES = [
    _raw("wrong_effect", {"Statement": [{**SOUND, "Effect": 42}]}),
    _raw("unknown_operator", {"Statement": [{**SOUND, "Condition": {"StringSortOf": {"aws:SourceVpce": "x"}}}]}),
    _raw("action_object", {"Statement": [{**SOUND, "Action": {"nested": ["s3:*"]}}]}),
    _raw("condition_list", {"Statement": [{**SOUND, "Condition": ["StringNotEquals"]}]}),
    _raw("principal_number", {"Statement": [{**SOUND, "Principal": 7}]}),
    _raw("unicode", {"Statement": [{**SOUND, "Sid": "Zugriff verweigert \u2013 \u00fc\u00df \U0001F512",
                                    "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-\u0663\u0664"}}}]}),
    _raw("empty_statement_list", {"Version": "2012-10-17", "Statement": [], "Principal": "*"}),
    _raw("huge", {"Statement": [{**SOUND, "Sid": f"S{i}", "Action": f"s3:Get{i}*"} for i in range(10_000)]}),
    _raw("sound", {"Statement": [SOUND]}),
]

TERRAFORM = """
resource "aws_s3_bucket_policy" "not_json" {
  bucket = "robust-a"
  policy = "this is { not json"
}

resource "aws_s3_bucket_policy" "number" {
  bucket = "robust-b"
  policy = 42
}

resource "aws_sqs_queue_policy" "deep" {
  queue_url = "https://sqs.eu-west-1.amazonaws.com/210987654321/robust"
  policy = jsonencode({ Statement = [{ Effect = "Deny", Principal = "*", Action = "sqs:*", Resource = "*",
    Condition = { StringNotEquals = { "aws:SourceVpce" = [[[[[["vpce-0c3d4e5f60718293a"]]]]]] } } }] })
}

resource "aws_sns_topic_policy" "fine" {
  arn = "arn:aws:sns:eu-west-1:210987654321:robust"
  policy = jsonencode({ Statement = [{ Effect = "Deny", Principal = "*", Action = "sns:*",
    Resource = "arn:aws:sns:eu-west-1:210987654321:robust",
    Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0c3d4e5f60718293a" } } }] })
}
"""

CLOUDFORMATION = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  PolicyAsBrokenString:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument: "{ not: json"
  PolicyWithAnchors:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Statement:
          - &deny
            Effect: Deny
            Principal: "*"
            Action: "s3:*"
            Resource: "*"
            Condition:
              StringNotEquals:
                aws:SourceVpce: vpce-0c3d4e5f60718293a
          - *deny
  QueuePolicyNoQueues:
    Type: AWS::SQS::QueuePolicy
    Properties:
      PolicyDocument:
        Statement: []
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("robust")
    (root / "json").mkdir()
    for name, text in RAW_CASES:
        (root / name).write_text(text, encoding="utf-8")
    (root / "tf").mkdir()
    (root / "tf" / "main.tf").write_text(TERRAFORM)
    (root / "cfn").mkdir()
    (root / "cfn" / "template.yaml").write_text(CLOUDFORMATION)
    # Files Checkov itself cannot (fully) parse, beside the good ones: the rest of the tree must still report.
    (root / "broken_tf").mkdir()
    (root / "broken_tf" / "main.tf").write_text('resource "aws_s3_bucket_policy" "x" {\n  bucket = "a"\n  policy = {\n')
    (root / "cfn" / "broken.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  B: [unclosed\n")
    (root / "json" / "broken.json").write_text('{"Statement": [{"Effect": "Deny",')
    return root


@pytest.fixture(scope="module")
def scan(tree):
    return run_checkov(tree)


def test_no_check_raises(scan):
    assert "Failed to run check" not in scan.stderr, scan.stderr[-4000:]
    assert "Traceback" not in scan.stderr, scan.stderr[-4000:]


def test_every_bad_input_fails_with_a_message_and_good_ones_still_pass(scan):
    rows = {(r["file_path"].split("/")[-1], r["resource"].split(".")[-1] if r["check_type"] != "json" else "doc",
             r["check_id"]): r for r in results_of(scan)}
    results = {key: row["check_result"]["result"] for key, row in rows.items()}
    for name in ("wrong_effect", "unknown_operator", "action_object", "condition_list", "principal_number"):
        assert results[(f"{name}.json", "doc", "CKV_VPCE_1")] == "FAILED", name
    assert results[("sound.json", "doc", "CKV_VPCE_1")] == "PASSED"
    assert results[("unicode.json", "doc", "CKV_VPCE_1")] == "PASSED"  # an odd endpoint ID is still one endpoint
    assert results[("huge.json", "doc", "CKV_VPCE_1")] == "FAILED"  # beyond the analysis bound: fails closed
    assert results[("main.tf", "not_json", "CKV_VPCE_1")] == "FAILED"
    assert results[("main.tf", "number", "CKV_VPCE_1")] == "FAILED"
    assert results[("main.tf", "deep", "CKV_VPCE_2")] == "FAILED"
    assert results[("main.tf", "fine", "CKV_VPCE_3")] == "PASSED"
    assert results[("template.yaml", "PolicyAsBrokenString", "CKV_VPCE_1")] == "FAILED"
    assert results[("template.yaml", "PolicyWithAnchors", "CKV_VPCE_1")] == "PASSED"


def test_every_failure_carries_a_reason(scan):
    for row in results_of(scan):
        if row["check_result"]["result"] == "FAILED" and row["check_type"] == "terraform":
            assert row["details"] and row["details"][0].startswith("Reason: "), row["resource"]


def test_root_modules_with_the_same_names_fail_closed_instead_of_guessing(tmp_path):
    """Two root modules scanned together declare aws_s3_bucket.this; only one has a policy. Checkov's graph cannot
    tell them apart, so the pack must not credit one module's policy to the other's bucket."""
    sound = ('resource "aws_s3_bucket" "this" {\n  bucket = "NAME"\n}\n'
             'resource "aws_s3_bucket_policy" "this" {\n  bucket = aws_s3_bucket.this.id\n'
             '  policy = jsonencode({ Statement = [{ Effect = "Deny", Principal = "*", Action = "s3:*",\n'
             '    Resource = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"],\n'
             '    Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0c3d4e5f60718293a" } } }] })\n}\n')
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "main.tf").write_text(sound.replace("NAME", "team-a-data"))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "main.tf").write_text('resource "aws_s3_bucket" "this" {\n  bucket = "team-b-data"\n}\n')
    rows = [r for r in results_of(run_checkov(tmp_path)) if r["check_id"] == "CKV_VPCE_1"]
    bucket_b = [r for r in rows if r["file_path"].endswith("b/main.tf")]
    assert [r["check_result"]["result"] for r in bucket_b] == ["FAILED"]  # no policy, or ambiguous: never silent
    assert all(r["check_result"]["result"] != "PASSED" or r["file_path"].endswith("a/main.tf") for r in rows)


def test_root_modules_with_the_same_names_are_each_judged_on_their_own(tmp_path):
    """envs/dev and envs/prod declare the same blocks (a data "aws_iam_policy_document" "this" included); prod's
    document misses the objects. Each root module is resolved in its own directory: dev passes, prod fails with the
    counterexample, and a bucket with no policy in a third root is reported as such, not as ambiguous."""
    def module(objects: str) -> str:
        return ('resource "aws_s3_bucket" "this" {\n  bucket = "northwind-env-data"\n}\n'
                'data "aws_iam_policy_document" "this" {\n  statement {\n    effect = "Deny"\n'
                '    actions = ["s3:*"]\n    resources = [aws_s3_bucket.this.arn' + objects + ']\n'
                '    principals {\n      type = "*"\n      identifiers = ["*"]\n    }\n'
                '    condition {\n      test = "StringNotEquals"\n      variable = "aws:SourceVpce"\n'
                '      values = ["vpce-0c3d4e5f60718293a"]\n    }\n  }\n}\n'
                'resource "aws_s3_bucket_policy" "this" {\n  bucket = aws_s3_bucket.this.id\n'
                '  policy = data.aws_iam_policy_document.this.json\n}\n')
    for name, text in (("dev", module(', "${aws_s3_bucket.this.arn}/*"')), ("prod", module("")),
                       ("sandbox", 'resource "aws_s3_bucket" "this" {\n  bucket = "northwind-sandbox"\n}\n')):
        (tmp_path / "envs" / name).mkdir(parents=True)
        (tmp_path / "envs" / name / "main.tf").write_text(text)
    scan = run_checkov(tmp_path)
    rows = {(r["file_path"].split("/")[-2], r["resource"]): r for r in results_of(scan)
            if r["check_id"] == "CKV_VPCE_1"}
    assert rows[("dev", "aws_s3_bucket_policy.this")]["check_result"]["result"] == "PASSED"
    prod = rows[("prod", "aws_s3_bucket_policy.this")]
    assert prod["check_result"]["result"] == "FAILED"
    assert any("does not cover arn:aws:s3:::northwind-env-data/" in line for line in prod["details"]), prod["details"]
    sandbox = rows[("sandbox", "aws_s3_bucket.this")]
    assert sandbox["check_result"]["result"] == "FAILED"
    assert "has no resource policy" in sandbox["details"][0], sandbox["details"]
    assert ("dev", "aws_s3_bucket.this") not in rows and ("prod", "aws_s3_bucket.this") not in rows


def test_endpoint_and_other_service_policies_with_bad_input_fail_with_a_message(tmp_path):
    """CKV_VPCE_8 and CKV_VPCE_9 through the real runners: unreadable policies fail closed with a reason, none
    raises, and a sound neighbour still passes."""
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text(
        'resource "aws_kms_key" "garbled" {\n  policy = "{ not json"\n}\n'
        'resource "aws_kms_key" "number" {\n  policy = 42\n}\n'
        'resource "aws_vpc_endpoint" "garbled" {\n  vpc_id = "vpc-0a9ee841fd67a6e92"\n'
        '  service_name = "com.amazonaws.eu-west-1.s3"\n  policy = "{ not json"\n}\n'
        'resource "aws_secretsmanager_secret_policy" "wrong_types" {\n  secret_arn = "arn:aws:secretsmanager:'
        'eu-west-1:111122223333:secret:db-AbCdEf"\n  policy = jsonencode({ Statement = [{ Effect = ["Deny"], '
        'Principal = "*", Action = 7, Resource = "*" }] })\n}\n', encoding="utf-8")
    (tmp_path / "cfn").mkdir()
    (tmp_path / "cfn" / "template.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
        "  Endpoint:\n    Type: AWS::EC2::VPCEndpoint\n    Properties:\n      VpcId: vpc-0a9ee841fd67a6e92\n"
        "      ServiceName: com.amazonaws.eu-west-1.s3\n      PolicyDocument: '{\"Statement\": [ broken'\n"
        "  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Statement: 17\n"
        "  SoundKey:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Statement:\n"
        "          - Effect: Deny\n            Principal: '*'\n            Action: 'kms:*'\n"
        "            Resource: '*'\n            Condition:\n              StringNotEquals:\n"
        "                aws:SourceVpce: vpce-0c83a8ad9bb98ef71\n",
        encoding="utf-8")
    scan = run_checkov(tmp_path)
    assert "Traceback" not in scan.stderr and "Failed to run check" not in scan.stderr, scan.stderr[-3000:]
    rows = {(r["check_id"], r["resource"]): r for r in results_of(scan)}
    unreadable = [("CKV_VPCE_9", "aws_kms_key.garbled"), ("CKV_VPCE_9", "aws_kms_key.number"),
                  ("CKV_VPCE_8", "aws_vpc_endpoint.garbled"),
                  ("CKV_VPCE_9", "aws_secretsmanager_secret_policy.wrong_types"),
                  ("CKV_VPCE_8", "AWS::EC2::VPCEndpoint.Endpoint"), ("CKV_VPCE_9", "AWS::KMS::Key.Key")]
    for key in unreadable:
        assert rows[key]["check_result"]["result"] == "FAILED", key
        if rows[key]["check_type"] == "terraform":
            assert rows[key]["details"][0].startswith("Reason: "), (key, rows[key]["details"])
    assert rows[("CKV_VPCE_9", "AWS::KMS::Key.SoundKey")]["check_result"]["result"] == "PASSED"
