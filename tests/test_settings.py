"""Settings: read lazily, validated, and able to change verdicts through the real checkov CLI."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import results_of, run_checkov
from vpce_checks.settings import Settings, SettingsError, load_settings

SOUND_BUT_TAGGED = """
resource "aws_s3_bucket" "data" {
  bucket = "vpce-checks-settings-data"
}

resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyOutsidePerimeter"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.data.arn, "${aws_s3_bucket.data.arn}/*"]
      Condition = {
        StringNotEquals          = { "aws:SourceVpce" = "vpce-0c3d4e5f60718293a" }
        StringNotEqualsIfExists  = { "aws:PrincipalTag/dp:exclude:network" = "true" }
      }
    }]
  })
}

resource "aws_sqs_queue" "lonely" {
  name = "vpce-checks-settings-lonely"
}

variable "actions" {}

resource "aws_sns_topic_policy" "unresolved" {
  arn = "arn:aws:sns:eu-west-1:210987654321:alerts"
  policy = jsonencode({
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = var.actions
      Resource  = "arn:aws:sns:eu-west-1:210987654321:alerts"
      Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0c3d4e5f60718293a" } }
    }]
  })
}
"""


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("settings")
    (path / "main.tf").write_text(SOUND_BUT_TAGGED)
    return path


def verdicts(completed) -> dict:
    """The coverage checks' verdicts (CKV_VPCE_6/7 judge these policies too; they have their own fixtures)."""
    return {(r["check_id"], r["resource"]): r["check_result"]["result"] for r in results_of(completed)
            if r["check_id"] in ("CKV_VPCE_1", "CKV_VPCE_2", "CKV_VPCE_3")}


def test_defaults_need_no_setting():
    assert load_settings({}) == Settings()


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"VPCE_CHECKS_UNRESOLVED": "sometimes"}, "VPCE_CHECKS_UNRESOLVED"),
        ({"VPCE_CHECKS_MISSING_POLICY": "no"}, "VPCE_CHECKS_MISSING_POLICY"),
        ({"VPCE_CHECKS_PERIMETER_KEYS": "aws:SourceIp"}, "cannot form a perimeter"),
        ({"VPCE_CHECKS_ALLOWED_SOURCE_CIDRS": "10.0.0.0/33"}, "not a CIDR"),
        ({"VPCE_CHECKS_CONFIG": "/nonexistent/vpce.yaml"}, "cannot read"),
    ],
)
def test_bad_values_raise_a_clear_settings_error(environ, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(environ)


def test_config_files_yaml_and_toml(tmp_path):
    yaml_file = tmp_path / "vpce.yaml"
    yaml_file.write_text("VPCE_CHECKS_UNRESOLVED: skip\nACCEPTED_EXEMPTIONS: [aws:PrincipalTag/x]\n")
    settings = load_settings({"VPCE_CHECKS_CONFIG": str(yaml_file)})
    assert settings.unresolved == "skip" and settings.accepted_exemptions == frozenset({"aws:principaltag/x"})
    toml_file = tmp_path / "vpce.toml"
    toml_file.write_text('VPCE_CHECKS_MISSING_POLICY = "skip"\nVPCE_CHECKS_PERIMETER_KEYS = "endpoint"\n')
    if sys.version_info >= (3, 11):
        settings = load_settings({"VPCE_CHECKS_CONFIG": str(toml_file), "VPCE_CHECKS_MISSING_POLICY": "fail"})
        assert settings.missing_policy == "fail"  # the environment wins over the file
        assert settings.perimeter_keys == frozenset({"aws:sourcevpce"})
    (tmp_path / "bad.yaml").write_text("UNKNOWN_THING: 1\n")
    with pytest.raises(SettingsError, match="unknown setting"):
        load_settings({"VPCE_CHECKS_CONFIG": str(tmp_path / "bad.yaml")})


def test_check_modules_import_with_a_bad_setting():
    """Settings are read lazily: a bad value never stops a check module from loading."""
    env = dict(os.environ, VPCE_CHECKS_UNRESOLVED="bogus")
    code = "import vpce_checks.checks.vpce_tf_s3, vpce_checks.checks.vpce_cfn_sqs; print('loaded')"
    completed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert completed.stdout.strip() == "loaded", completed.stderr
    importlib.invalidate_caches()


def test_defaults_through_checkov(module_dir):
    results = verdicts(run_checkov(module_dir))
    assert results == {
        ("CKV_VPCE_1", "aws_s3_bucket_policy.data"): "FAILED",  # the tag opt-out is not accepted by default
        ("CKV_VPCE_2", "aws_sqs_queue.lonely"): "FAILED",  # no queue policy at all
        ("CKV_VPCE_3", "aws_sns_topic_policy.unresolved"): "FAILED",  # fails closed on var.actions
    }


def test_settings_change_verdicts_through_checkov(module_dir):
    env = {"VPCE_CHECKS_ACCEPTED_EXEMPTIONS": "aws:PrincipalTag/dp:exclude:network",
           "VPCE_CHECKS_MISSING_POLICY": "skip", "VPCE_CHECKS_UNRESOLVED": "skip"}
    results = verdicts(run_checkov(module_dir, env=env))
    assert results == {
        ("CKV_VPCE_1", "aws_s3_bucket_policy.data"): "PASSED",
        ("CKV_VPCE_2", "aws_sqs_queue.lonely"): "SKIPPED",
        ("CKV_VPCE_3", "aws_sns_topic_policy.unresolved"): "SKIPPED",
    }


def test_a_bad_setting_fails_every_pack_check_with_the_error(module_dir):
    completed = run_checkov(module_dir, env={"VPCE_CHECKS_PERIMETER_KEYS": "aws:SourceIp"})
    rows = [r for r in results_of(completed) if r["check_id"] in ("CKV_VPCE_1", "CKV_VPCE_2", "CKV_VPCE_3")]
    assert len(rows) == 3
    for row in rows:
        assert row["check_result"]["result"] == "FAILED"
        assert "settings error" in row["details"][0] and "VPCE_CHECKS_PERIMETER_KEYS" in row["details"][0]


DATA_PERIMETER = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "EnforceNetworkPerimeter",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::vpce-checks-perimeter", "arn:aws:s3:::vpce-checks-perimeter/*"],
        "Condition": {
            "StringNotEqualsIfExists": {"aws:SourceVpc": "vpc-0c3d4e5f607182930",
                                        "aws:PrincipalTag/dp:exclude:network": "true"},
            "NotIpAddressIfExists": {"aws:SourceIp": "81.2.69.0/24"},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false", "aws:ViaAWSService": "false"},
            "ArnNotLikeIfExists": {"aws:PrincipalArn": "arn:aws:iam::*:role/aws:ec2-infrastructure"},
            "StringEquals": {"aws:PrincipalTag/dp:include:network": "true"},
        },
    }],
}
PERIMETER_SETTINGS = {
    "VPCE_CHECKS_ALLOWED_SOURCE_CIDRS": "81.2.69.0/24",
    "VPCE_CHECKS_ACCEPTED_EXEMPTIONS": "aws:PrincipalTag/dp:exclude:network,aws:PrincipalTag/dp:include:network",
}


@pytest.fixture(scope="module")
def perimeter_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data_perimeter")
    (path / "perimeter.json").write_text(json.dumps(DATA_PERIMETER, indent=2))
    two = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*",
                          "Resource": "arn:aws:sqs:eu-west-1:210987654321:orders",
                          "Condition": {"StringNotEquals": {"aws:SourceVpce": ["vpce-0c3d4e5f60718293a",
                                                                              "vpce-0d4e5f60718293a4b"]}}}]}
    (path / "two_endpoints.json").write_text(json.dumps(two))
    vpc_only = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sns:*",
                               "Resource": "arn:aws:sns:eu-west-1:210987654321:alerts",
                               "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-0c3d4e5f607182930"}}}]}
    (path / "vpc_only.json").write_text(json.dumps(vpc_only))
    return path


def by_file(completed, check_id: str) -> dict:
    return {r["file_path"].split("/")[-1]: r["check_result"]["result"] for r in results_of(completed)
            if r["check_id"] == check_id}


def test_data_perimeter_example_passes_with_its_settings_and_fails_without(perimeter_dir):
    assert by_file(run_checkov(perimeter_dir), "CKV_VPCE_1")["perimeter.json"] == "FAILED"
    assert by_file(run_checkov(perimeter_dir, env=PERIMETER_SETTINGS), "CKV_VPCE_1")["perimeter.json"] == "PASSED"


def test_settings_from_a_config_file(perimeter_dir, tmp_path):
    config = tmp_path / "vpce-checks.yaml"
    config.write_text("VPCE_CHECKS_ALLOWED_SOURCE_CIDRS: 81.2.69.0/24\nVPCE_CHECKS_ACCEPTED_EXEMPTIONS:\n"
                      "  - aws:PrincipalTag/dp:exclude:network\n  - aws:PrincipalTag/dp:include:network\n")
    completed = run_checkov(perimeter_dir, env={"VPCE_CHECKS_CONFIG": str(config)})
    assert by_file(completed, "CKV_VPCE_1")["perimeter.json"] == "PASSED"


def test_allowed_endpoint_ids_and_perimeter_keys_change_verdicts(perimeter_dir):
    assert by_file(run_checkov(perimeter_dir), "CKV_VPCE_6")["two_endpoints.json"] == "PASSED"
    allowlisted = run_checkov(perimeter_dir, env={"VPCE_CHECKS_ALLOWED_VPCE_IDS": "vpce-0c3d4e5f60718293a"})
    assert by_file(allowlisted, "CKV_VPCE_6")["two_endpoints.json"] == "FAILED"  # the other ID is stale
    assert by_file(run_checkov(perimeter_dir), "CKV_VPCE_3")["vpc_only.json"] == "PASSED"
    endpoint_only = run_checkov(perimeter_dir, env={"VPCE_CHECKS_PERIMETER_KEYS": "endpoint"})
    assert by_file(endpoint_only, "CKV_VPCE_3")["vpc_only.json"] == "FAILED"  # a VPC no longer counts
