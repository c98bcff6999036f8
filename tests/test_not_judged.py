"""Nothing silent in `vpce-checks scan`: files that hold (or look like) a policy or template and that Checkov could
not parse, dropped without a word, or crashed on are named in every output form, and the scan exits 1 unless
--soft-fail. Real files through the real Checkov CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.conftest import FIXTURES, offline_env
from tests.sarif_schema import sarif_errors

SCAN = [sys.executable, "-m", "vpce_checks", "scan"]
GOOD_POLICY = FIXTURES / "CKV_VPCE_1" / "json" / "partial_actions_fail.json"
GOOD_TEMPLATE = FIXTURES / "CKV_VPCE_1" / "cloudformation" / "allow_only_fail.yaml"
TRAILING_COMMA = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", '
                  '"Resource": "arn:aws:s3:::northwind-reports/*",}]}\n')
# Two StringNotEquals blocks in one Condition: JSON parsers keep the last, Checkov drops the whole file.
DUPLICATE_OPERATOR = """{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::northwind-reports/*"},
 {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::northwind-reports/*",
  "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0c83a8ad9bb98ef71"},
                "StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}}]}
"""
# A Rain module reference: Checkov's CloudFormation runner crashes on a Type that is a mapping.
RAIN_TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Bucket:
    Type: !Rain::Module "./bucket.yaml"
    Properties:
      Name: reports
"""


def _scan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SCAN, *args], env=offline_env(), capture_output=True, text=True, timeout=900)


def _not_judged(payload) -> list:
    reports = payload if isinstance(payload, list) else [payload]
    lists = [report["vpce_checks_not_judged"] for report in reports]
    assert all(items == lists[0] for items in lists)
    return lists[0]


def test_a_folder_whose_only_policy_does_not_parse_is_not_a_pass(tmp_path):
    (tmp_path / "bucket-policy.json").write_text(TRAILING_COMMA)
    completed = _scan(str(tmp_path))
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert f"NOT JUDGED  {tmp_path / 'bucket-policy.json'}" in completed.stdout
    assert "not valid JSON" in completed.stdout
    assert "NOT JUDGED: 1 file that holds or looks like a policy or template" in completed.stdout.splitlines()[-1]
    soft = _scan(str(tmp_path), "--soft-fail")
    assert soft.returncode == 0 and "NOT JUDGED" in soft.stdout

    as_json = _scan(str(tmp_path), "-o", "json")
    assert as_json.returncode == 1
    items = _not_judged(json.loads(as_json.stdout))
    assert [item["file"] for item in items] == [str(tmp_path / "bucket-policy.json")]


def test_dropped_and_unparsable_files_are_named_in_every_output_beside_the_good_ones(tmp_path):
    shutil.copy(GOOD_POLICY, tmp_path / "good.json")
    (tmp_path / "duplicate.json").write_text(DUPLICATE_OPERATOR)
    (tmp_path / "broken.tf").write_text('resource "aws_s3_bucket" "reports" {\n  bucket = "northwind-reports"\n')
    (tmp_path / "broken.yaml").write_text('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Queue:\n'
                                          '    Type: AWS::SQS::Queue\n    Properties: {a: [}\n')
    out = tmp_path.parent / f"{tmp_path.name}-out"
    completed = _scan(str(tmp_path), "-o", "cli", "-o", "json", "-o", "sarif", "-o", "junitxml",
                      "--output-file-path", str(out))
    assert completed.returncode == 1, completed.stderr[-3000:]
    expected = {str(tmp_path / name) for name in ("duplicate.json", "broken.tf", "broken.yaml")}

    text = (out / "results_cli.txt").read_text()
    named = {line.split("  ", 1)[1] for line in text.splitlines() if line.startswith("NOT JUDGED  ")}
    assert named == expected
    assert "the key 'StringNotEquals' appears twice in one object" in text
    assert "CKV_VPCE_1 FAILED" in text  # the good policy still has its report

    items = _not_judged(json.loads((out / "results_json.json").read_text()))
    assert {item["file"] for item in items} == expected and all(item["reason"] for item in items)

    sarif = json.loads((out / "results_sarif.sarif").read_text())
    assert sarif_errors(sarif) == []
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notified = {n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for n in invocation["toolExecutionNotifications"]}
    assert notified == expected
    assert all(n["level"] == "error" for n in invocation["toolExecutionNotifications"])

    junit = ET.fromstring((out / "results_junitxml.xml").read_text())
    errored = {case.get("classname") for case in junit.iter("testcase") if case.find("error") is not None}
    assert errored == expected


def test_a_template_that_crashes_checkov_loses_only_itself(tmp_path):
    (tmp_path / "rain.yaml").write_text(RAIN_TEMPLATE)
    shutil.copy(GOOD_TEMPLATE, tmp_path / "bucket.yaml")
    shutil.copy(GOOD_POLICY, tmp_path / "policy.json")
    out = tmp_path.parent / f"{tmp_path.name}-out"
    completed = _scan(str(tmp_path), "-o", "json", "-o", "sarif", "--output-file-path", str(out))
    assert completed.returncode == 1, completed.stderr[-3000:]
    assert "Checkov crashed" in completed.stderr
    payload = json.loads((out / "results_json.json").read_text())
    reports = payload if isinstance(payload, list) else [payload]
    failed = {(report["check_type"], Path(row["file_path"]).name) for report in reports
              for row in report["results"]["failed_checks"]}
    assert ("cloudformation", "bucket.yaml") in failed and ("json", "policy.json") in failed
    items = _not_judged(payload)
    assert [item["file"] for item in items] == [str(tmp_path / "rain.yaml")]
    assert "crashes Checkov's cloudformation runner" in items[0]["reason"]
    sarif = json.loads((out / "results_sarif.sarif").read_text())
    assert sarif_errors(sarif) == []
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"CKV_VPCE_1"}


def test_files_with_nothing_for_the_pack_are_not_reported(tmp_path):
    """No false alarm: other resources, trust and identity policies, templates without the pack's types."""
    (tmp_path / "main.tf").write_text('resource "aws_instance" "web" {\n  ami = "ami-0abcdef1234567890"\n}\n'
                                      'resource "aws_s3_bucket_versioning" "v" {\n  bucket = "northwind"\n'
                                      '  versioning_configuration {\n    status = "Enabled"\n  }\n}\n')
    (tmp_path / "template.yaml").write_text('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Role:\n'
                                            '    Type: AWS::IAM::Role\n    Properties:\n'
                                            '      AssumeRolePolicyDocument:\n        Statement: []\n')
    (tmp_path / "trust.json").write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
                                         '{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}\n')
    (tmp_path / "identity.json").write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                                            '"Action": "s3:GetObject", "Resource": "*"}]}\n')
    (tmp_path / "package.json").write_text('{"name": "web", "version": "1.0.0"}\n')
    completed = _scan(str(tmp_path), "-o", "json")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert _not_judged(json.loads(completed.stdout)) == []


def test_a_judged_file_outside_the_working_folder_is_not_reported_as_not_judged(tmp_path: Path):
    """Checkov names a file given with -f from outside the working folder as "/../../tmp/x.yaml"."""
    template = tmp_path / "outside.yaml"
    shutil.copy(GOOD_TEMPLATE, template)
    done = subprocess.run([sys.executable, "-m", "vpce_checks", "explain", str(template)], env=offline_env(),
                          capture_output=True, text=True, timeout=900)
    assert "AWS::S3::BucketPolicy" in done.stdout or "AWS::S3::Bucket" in done.stdout, done.stdout + done.stderr
    assert "NOT JUDGED" not in done.stdout and "not judged" not in done.stdout, done.stdout
