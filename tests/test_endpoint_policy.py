"""CKV_VPCE_8: the endpoint-policy analysis (engine tables) and the check through the real checkov CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest

from tests.conftest import CHECKS, FIXTURES, offline_env, results_of, run_checkov
from vpce_checks.adapters.endpoint import matches_endpoint_glob
from vpce_checks.engine.endpoint_policy import DEFAULT_ENDPOINT_POLICY, endpoint_policy_verdict
from vpce_checks.engine.evaluate import evaluate
from vpce_checks.engine.model import parse_policy
from vpce_checks.engine.services import namespace_of_service_name

ORG = "o-a1b2c3d4e5"


def allow(**fields) -> dict:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    statement.update(fields)
    return {k: v for k, v in statement.items() if v is not None}


def deny(**fields) -> dict:
    statement = {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}
    statement.update(fields)
    return {k: v for k, v in statement.items() if v is not None}


def verdict_of(statements, namespace: Optional[str] = "s3"):
    return endpoint_policy_verdict(parse_policy({"Version": "2012-10-17", "Statement": statements}), namespace)


# (case, statements, endpoint namespace, expected status, text the reason or limits must contain)
TABLE = [
    ("star", [allow()], "s3", "full", "every action"),
    ("aws_star", [allow(Principal={"AWS": "*"})], "sqs", "full", "every action"),
    ("aws_star_list", [allow(Principal={"AWS": ["*"]}, Action=["*"], Resource=["*"])], "sqs", "full", ""),
    ("lowercase_elements", [{"effect": "allow", "principal": "*", "action": "*", "resource": "*"}], "s3", "full", ""),
    ("service_wildcard", [allow(Action="s3:*")], "s3", "full", "every s3 action"),
    ("service_wildcard_unknown_endpoint", [allow(Action="s3:*")], None, "full", "every s3 action"),
    ("namespace_differs_from_service_name", [allow(Action="cloudwatch:*")], "monitoring", "full", "cloudwatch"),
    ("every_bucket_arn", [allow(Action="s3:*", Resource=["arn:aws:s3:::*", "arn:aws:s3:::*/*"])], "s3", "full", ""),
    ("glob_equivalent", [allow(Action="s3:*?", Principal={"AWS": "*"})], "s3", "full", ""),
    ("notaction_nothing", [allow(Action=None, NotAction="s3:NoSuchAction")], "s3", "full", "NotAction"),
    ("notresource_own_bucket", [allow(Resource=None, NotResource="arn:aws:s3:::mine/*")], "s3", "full", ""),
    ("deny_one_action", [allow(Action="s3:*"), deny(Action="s3:DeleteBucket")], "s3", "full", ""),
    ("deny_insecure_transport", [allow(), deny(Condition={"Bool": {"aws:SecureTransport": "false"}})], "s3", "full",
     ""),
    ("scoped_and_full", [allow(Condition={"StringEquals": {"aws:PrincipalOrgID": ORG}}), allow()], "s3", "full", ""),
    ("named_actions", [allow(Action=["s3:GetObject", "s3:PutObject"])], "s3", "limited", "actions limited to"),
    ("action_prefix", [allow(Action="s3:Get*")], "s3", "limited", "s3:Get*"),
    ("named_resources", [allow(Resource=["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"])], "s3", "limited",
     "resources limited to"),
    ("account_principal", [allow(Principal={"AWS": "arn:aws:iam::462761261830:root"})], "s3", "limited",
     "principals limited to"),
    ("principal_org", [allow(Condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})], "s3", "limited",
     "principals scoped by StringEquals aws:PrincipalOrgID"),
    ("resource_org", [allow(Condition={"StringEquals": {"aws:ResourceOrgID": ORG}})], "s3", "limited",
     "resources scoped by StringEquals aws:ResourceOrgID"),
    ("any_condition_counts", [allow(Condition={"Bool": {"aws:SecureTransport": "true"}})], "s3", "limited",
     "condition Bool aws:SecureTransport"),
    ("deny_outside_org", [allow(), deny(Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}})], "s3",
     "limited", "(Deny) cuts down"),
    ("deny_other_resources", [allow(), deny(Condition={"StringNotEquals": {"aws:ResourceOrgID": ORG}})], "s3",
     "limited", "aws:ResourceOrgID"),
    ("deny_all_but_get", [allow(Action="s3:*"), deny(Action=None, NotAction="s3:GetObject")], "s3", "limited",
     "every action except s3:GetObject"),
    ("notaction_everything", [allow(Action=None, NotAction="*")], "s3", "limited", "actions except"),
    ("no_statements", [], "s3", "limited", "no statement allows anything"),
    ("deny_only", [deny()], "s3", "limited", "no statement allows anything"),
    ("unresolved_resource", [allow(Resource="${var.bucket_arn}")], "s3", "unresolved", "${var.bucket_arn}"),
    ("unresolved_action", [allow(Action="${var.actions}")], "s3", "unresolved", "${var.actions}"),
    ("unresolved_deny_action", [allow(), deny(Action="${var.denied}")], "s3", "unresolved", "${var.denied}"),
    ("unresolved_but_another_full", [allow(Resource="${var.r}"), allow()], "s3", "full", ""),
    ("unresolved_in_condition_value", [allow(Condition={"StringEquals": {"aws:PrincipalOrgID": "${var.org}"}})], "s3",
     "limited", "aws:PrincipalOrgID"),
    ("missing_principal", [{"Effect": "Allow", "Action": "*", "Resource": "*"}], "s3", "invalid", "Principal"),
]


@pytest.mark.parametrize("case, statements, namespace, status, text", TABLE, ids=[row[0] for row in TABLE])
def test_full_access_table(case, statements, namespace, status, text):
    verdict = verdict_of(statements, namespace)
    assert verdict.status == status, (case, verdict)
    assert text in verdict.reason + " ".join(verdict.limits), (case, verdict)


@pytest.mark.parametrize("case, statements, namespace, status, text",
                         [row for row in TABLE if row[3] == "full"], ids=[row[0] for row in TABLE if row[3] == "full"])
def test_every_counterexample_gets_through_by_plain_evaluation(case, statements, namespace, status, text):
    policy = parse_policy({"Statement": statements})
    verdict = endpoint_policy_verdict(policy, namespace)
    decision = evaluate(policy, verdict.request)
    assert not decision.explicitly_denied and verdict.statement in decision.allowed_by
    assert not verdict.statement.conditions
    assert verdict.description.endswith("is not explicitly denied")
    assert "principal of another account outside your organization" in verdict.description


def test_no_policy_is_the_default_full_access_policy():
    verdict = endpoint_policy_verdict(None, "s3")
    assert verdict.status == "full"
    assert verdict.request.action == "s3:PutObject"
    assert verdict.request.resource == "arn:aws:s3:::any-bucket-of-another-account/any-key"
    assert endpoint_policy_verdict(parse_policy(DEFAULT_ENDPOINT_POLICY), "s3") == verdict


def test_counterexample_prefers_a_real_action_that_is_not_denied():
    verdict = verdict_of([allow(Action="s3:*"), deny(Action="s3:PutObject")])
    assert verdict.status == "full" and verdict.request.action != "s3:PutObject"
    assert verdict.request.action.startswith("s3:")


def test_probe_values_avoid_what_the_policy_names():
    # An Allow limited to the probe's usual account must not look like full access to "another" account.
    verdict = verdict_of([allow(Principal={"AWS": "000000000000"}), allow(Resource="arn:aws:sqs:*:000000000000:*")],
                         "sqs")
    assert verdict.status == "limited", verdict


@pytest.mark.parametrize("name, namespace", [
    ("com.amazonaws.eu-west-1.s3", "s3"),
    ("com.amazonaws.${AWS::Region}.dynamodb", "dynamodb"),
    ("com.amazonaws.data.aws_region.current.name.ecr.dkr", "ecr"),
    ("com.amazonaws.us-gov-west-1.s3-fips", "s3"),
    ("com.amazonaws.vpce.eu-west-1.vpce-svc-0e5c3b1a2d4f68790", None),
    ("aws.sagemaker.eu-west-1.notebook", None),
    ("${var.service_name}", None),
    ("", None),
    (None, None),
])
def test_namespace_of_service_name(name, namespace):
    assert namespace_of_service_name(name) == namespace


@pytest.mark.parametrize("path, glob, expected", [
    ("/work/infra/endpoint-policies/s3.json", "*/endpoint-policies/*.json", True),
    ("infra/endpoint-policies/s3.json", "*/endpoint-policies/*.json", True),
    ("./endpoint-policies/s3.json", "endpoint-policies/*.json", True),
    ("infra/endpoint-policies/s3.json", "*endpoint-policies/*.json", True),
    ("infra/bucket-policies/s3.json", "*/endpoint-policies/*.json", False),
    ("infra/endpoint-policies/s3.json", "*/bucket-policies/*.json,*/endpoint-policies/*", True),
    ("infra/Endpoint-Policies/s3.json", "*/endpoint-policies/*.json", False),  # case-sensitive
    ("infra/endpoint-policies/s3.json", "", False),
    ("infra/endpoint-policies/s3.json", None, False),
])
def test_glob_matching(path, glob, expected):
    assert matches_endpoint_glob(path, glob) is expected


# --------------------------------------------------------------------------------------------------------------
# Through the real checkov CLI
# --------------------------------------------------------------------------------------------------------------

ENDPOINT_POLICY_JSON = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::*", "arn:aws:s3:::*/*"]}]}
SCOPED_POLICY_JSON = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:ResourceOrgID": ORG}}}]}

TERRAFORM = """
resource "aws_vpc_endpoint" "plain" {
  vpc_id       = "vpc-0a9ee841fd67a6e92"
  service_name = "com.amazonaws.eu-west-1.s3"
}

resource "aws_vpc_endpoint" "gwlb" {
  vpc_id            = "vpc-0a9ee841fd67a6e92"
  service_name      = "com.amazonaws.vpce.eu-west-1.vpce-svc-0e5c3b1a2d4f68790"
  vpc_endpoint_type = "GatewayLoadBalancer"
}

variable "policy_without_default" {
  type = string
}

resource "aws_vpc_endpoint" "unresolved" {
  vpc_id            = "vpc-0a9ee841fd67a6e92"
  service_name      = "com.amazonaws.eu-west-1.sqs"
  vpc_endpoint_type = "Interface"
  policy            = var.policy_without_default
}

resource "aws_vpc_endpoint" "separate" {
  vpc_id            = "vpc-0a9ee841fd67a6e92"
  service_name      = "com.amazonaws.eu-west-1.sns"
  vpc_endpoint_type = "Interface"
}

resource "aws_vpc_endpoint_policy" "separate" {
  vpc_endpoint_id = aws_vpc_endpoint.separate.id
  policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "sns:Publish"
      Resource  = "*"
      Condition = { StringEquals = { "aws:ResourceOrgID" = "o-a1b2c3d4e5" } }
    }]
  })
}
"""

CLOUDFORMATION = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Plain:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: vpc-0a9ee841fd67a6e92
      ServiceName: !Sub "com.amazonaws.${AWS::Region}.s3"
  Scoped:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: vpc-0a9ee841fd67a6e92
      ServiceName: com.amazonaws.eu-west-1.sqs
      VpcEndpointType: Interface
      PolicyDocument: '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}'
  Gwlb:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: vpc-0a9ee841fd67a6e92
      ServiceName: com.amazonaws.vpce.eu-west-1.vpce-svc-0e5c3b1a2d4f68790
      VpcEndpointType: GatewayLoadBalancer
"""


def _by(completed, check_id: str = "CKV_VPCE_8") -> Dict[Tuple[str, str], str]:
    """{(file name, resource or "document"): result} for one check."""
    out = {}
    for row in results_of(completed):
        if row["check_id"] != check_id:
            continue
        resource = "document" if row["check_type"] == "json" else row["resource"]
        out[(Path(row["file_path"]).name, resource)] = row["check_result"]["result"]
    return out


def _details(completed, resource: str) -> str:
    return "\n".join(next(r for r in results_of(completed) if r["resource"] == resource).get("details") or [])


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("endpoint_policies")
    (root / "tf").mkdir()
    (root / "tf" / "main.tf").write_text(TERRAFORM)
    (root / "cfn").mkdir()
    (root / "cfn" / "endpoints.yaml").write_text(CLOUDFORMATION)
    (root / "endpoint-policies").mkdir()
    (root / "endpoint-policies" / "s3-gateway.json").write_text(json.dumps(ENDPOINT_POLICY_JSON))
    (root / "endpoint-policies" / "scoped.json").write_text(json.dumps(SCOPED_POLICY_JSON))
    return root


def test_glob_unset_gives_no_raw_json_result_and_the_file_reads_as_a_bucket_policy(tree):
    completed = run_checkov(tree / "endpoint-policies", frameworks=["json"])
    assert _by(completed) == {}
    assert _by(completed, "CKV_VPCE_1") == {("s3-gateway.json", "document"): "FAILED"}  # the misreading


def test_glob_set_judges_endpoint_policies_and_only_as_endpoint_policies(tree):
    completed = run_checkov(tree / "endpoint-policies", frameworks=["json"],
                            env={"VPCE_CHECKS_ENDPOINT_POLICY_GLOB": "*/endpoint-policies/*.json"})
    assert _by(completed) == {("s3-gateway.json", "document"): "FAILED", ("scoped.json", "document"): "PASSED"}
    for check_id in ("CKV_VPCE_1", "CKV_VPCE_2", "CKV_VPCE_3", "CKV_VPCE_5", "CKV_VPCE_6", "CKV_VPCE_7",
                     "CKV_VPCE_9"):
        assert _by(completed, check_id) == {}, check_id


def test_glob_relative_to_the_working_directory(tree):
    command = [sys.executable, "-m", "checkov.main", "-d", ".", "--external-checks-dir", str(CHECKS), "--check",
               "CKV_VPCE_8", "--framework", "json", "--skip-download", "-o", "json"]
    env = offline_env({"VPCE_CHECKS_ENDPOINT_POLICY_GLOB": "endpoint-policies/s3-*.json"})
    completed = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=600)
    assert _by(completed) == {("s3-gateway.json", "document"): "FAILED"}


def test_scan_explains_raw_json_results_with_a_json_fix(tree):
    command = [sys.executable, "-m", "vpce_checks", "scan", str(tree / "endpoint-policies"), "-o", "json"]
    env = offline_env({"VPCE_CHECKS_ENDPOINT_POLICY_GLOB": "*/endpoint-policies/*.json"})
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    rows = {Path(r["file_path"]).name: r for r in results_of(completed) if r["check_id"] == "CKV_VPCE_8"}
    failed = "\n".join(rows["s3-gateway.json"]["details"])
    assert failed.startswith("Reason: ") and "every s3 action" in failed
    assert "Counterexample: s3:PutObject on arn:aws:s3:::any-bucket-of-another-account/any-key" in failed
    assert '"aws:PrincipalOrgID": "o-REPLACE-WITH-YOUR-ORG-ID"' in failed and "Docs: docs/CKV_VPCE_8.md" in failed
    assert rows["scoped.json"]["details"][0].startswith("Endpoint policy limits: ")


def test_terraform(tree):
    completed = run_checkov(tree / "tf", frameworks=["terraform"])
    assert _by(completed) == {
        ("main.tf", "aws_vpc_endpoint.plain"): "FAILED",  # no policy: the default full-access one
        ("main.tf", "aws_vpc_endpoint.unresolved"): "FAILED",  # fails closed
        ("main.tf", "aws_vpc_endpoint.separate"): "PASSED",  # read from the aws_vpc_endpoint_policy
    }  # no result for the GWLB endpoint nor for the aws_vpc_endpoint_policy
    plain = _details(completed, "aws_vpc_endpoint.plain")
    assert "has no endpoint policy" in plain and "policy = jsonencode({" in plain and "var.org_id" in plain
    assert "var.policy_without_default" in _details(completed, "aws_vpc_endpoint.unresolved")
    assert "aws_vpc_endpoint_policy.separate" in _details(completed, "aws_vpc_endpoint.separate")
    severities = {r["severity"] for r in results_of(completed) if r["check_id"] == "CKV_VPCE_8"}
    assert severities == {"MEDIUM"}


def test_terraform_unresolved_skip_setting(tree):
    completed = run_checkov(tree / "tf", frameworks=["terraform"], env={"VPCE_CHECKS_UNRESOLVED": "skip"})
    assert _by(completed)[("main.tf", "aws_vpc_endpoint.unresolved")] == "SKIPPED"


def test_a_bad_setting_fails_the_endpoint_check(tree):
    completed = run_checkov(tree / "tf", frameworks=["terraform"], env={"VPCE_CHECKS_MISSING_POLICY": "maybe"})
    assert set(_by(completed).values()) == {"FAILED"}
    assert "VPCE_CHECKS_MISSING_POLICY" in _details(completed, "aws_vpc_endpoint.separate")


def test_terraform_root_modules_with_the_same_names_never_share_a_separate_policy(tmp_path):
    endpoint = ('resource "aws_vpc_endpoint" "this" {\n  vpc_id = "vpc-0a9ee841fd67a6e92"\n'
                '  service_name = "com.amazonaws.eu-west-1.s3"\n}\n')
    scoped = ('resource "aws_vpc_endpoint_policy" "this" {\n  vpc_endpoint_id = aws_vpc_endpoint.this.id\n'
              '  policy = jsonencode({ Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:GetObject",\n'
              '    Resource = "arn:aws:s3:::team-a-data/*" }] })\n}\n')
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "main.tf").write_text(endpoint + scoped)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "main.tf").write_text(endpoint)
    rows = [r for r in results_of(run_checkov(tmp_path, frameworks=["terraform"])) if r["check_id"] == "CKV_VPCE_8"]
    results = {r["file_path"].split("/")[-2]: r["check_result"]["result"] for r in rows}
    assert results == {"a": "PASSED", "b": "FAILED"}


def test_cloudformation(tree):
    completed = run_checkov(tree / "cfn", frameworks=["cloudformation"])
    assert _by(completed) == {("endpoints.yaml", "AWS::EC2::VPCEndpoint.Plain"): "FAILED",
                              ("endpoints.yaml", "AWS::EC2::VPCEndpoint.Scoped"): "PASSED"}


def test_cloudformation_explanation_through_scan(tree):
    command = [sys.executable, "-m", "vpce_checks", "scan", str(tree / "cfn"), "-o", "json"]
    completed = subprocess.run(command, env=offline_env(), capture_output=True, text=True, timeout=600)
    details = _details(completed, "AWS::EC2::VPCEndpoint.Plain")
    assert "Counterexample: s3:PutObject" in details  # the service comes from ServiceName's !Sub
    assert "PolicyDocument:\n" in details and 'aws:ResourceOrgID: "o-REPLACE-WITH-YOUR-ORG-ID"' in details


def test_plan_json():
    completed = run_checkov(FIXTURES / "CKV_VPCE_8" / "plan" / "mixed_endpoints.json", frameworks=["terraform_plan"])
    assert _by(completed) == {("mixed_endpoints.json", "aws_vpc_endpoint.v8plan_s3"): "FAILED",
                              ("mixed_endpoints.json", "aws_vpc_endpoint.v8plan_sqs"): "PASSED",
                              ("mixed_endpoints.json", "aws_vpc_endpoint.v8plan_ddb"): "FAILED"}
    assert "aws_vpc_endpoint_policy.v8plan_ddb" in _details(completed, "aws_vpc_endpoint.v8plan_ddb")


def test_check_files_have_unique_names_and_one_class_each():
    names = sorted(p.name for p in CHECKS.glob("vpce_*_endpoint_policy.py"))
    assert names == ["vpce_cfn_endpoint_policy.py", "vpce_json_endpoint_policy.py", "vpce_tf_endpoint_policy.py"]
    assert len({p.name for p in CHECKS.glob("*.py")}) == len(list(CHECKS.glob("*.py")))
    for name in names:
        assert os.path.getsize(CHECKS / name) < 2000


BAD_TERRAFORM = """
resource "aws_vpc_endpoint" "number" {
  vpc_id       = "vpc-0a9ee841fd67a6e92"
  service_name = "com.amazonaws.eu-west-1.s3"
  policy       = 42
}

resource "aws_vpc_endpoint" "not_json" {
  vpc_id       = "vpc-0a9ee841fd67a6e92"
  service_name = "com.amazonaws.eu-west-1.s3"
  policy       = "{ this is not json"
}

resource "aws_vpc_endpoint" "bad_effect" {
  vpc_id       = "vpc-0a9ee841fd67a6e92"
  service_name = "com.amazonaws.eu-west-1.s3"
  policy       = jsonencode({ Statement = [{ Effect = "Permit", Principal = "*", Action = "*", Resource = "*" }] })
}

resource "aws_vpc_endpoint_policy" "no_endpoint" {
  vpc_endpoint_id = var.somewhere
  policy          = jsonencode({ Statement = "nothing" })
}
"""

BAD_CLOUDFORMATION = """
Resources:
  ListDocument:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: vpc-0a9ee841fd67a6e92
      ServiceName: com.amazonaws.eu-west-1.s3
      PolicyDocument: [1, 2]
  BrokenString:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: vpc-0a9ee841fd67a6e92
      ServiceName: com.amazonaws.eu-west-1.s3
      PolicyDocument: '{"Statement": ['
"""


def test_bad_inputs_fail_with_a_reason_and_never_raise(tmp_path):
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text(BAD_TERRAFORM)
    (tmp_path / "cfn").mkdir()
    (tmp_path / "cfn" / "bad.yaml").write_text(BAD_CLOUDFORMATION)
    (tmp_path / "endpoint-policies").mkdir()
    (tmp_path / "endpoint-policies" / "string_statement.json").write_text('{"Statement": "x"}')
    (tmp_path / "endpoint-policies" / "array.json").write_text('[{"Statement": []}]')
    completed = run_checkov(tmp_path, env={"VPCE_CHECKS_ENDPOINT_POLICY_GLOB": "*/endpoint-policies/*.json"})
    assert "Traceback" not in completed.stderr and "Failed to run check" not in completed.stderr
    results = _by(completed)
    assert results == {
        ("main.tf", "aws_vpc_endpoint.number"): "FAILED",
        ("main.tf", "aws_vpc_endpoint.not_json"): "FAILED",
        ("main.tf", "aws_vpc_endpoint.bad_effect"): "FAILED",
        ("main.tf", "aws_vpc_endpoint_policy.no_endpoint"): "FAILED",
        ("bad.yaml", "AWS::EC2::VPCEndpoint.ListDocument"): "FAILED",
        ("bad.yaml", "AWS::EC2::VPCEndpoint.BrokenString"): "FAILED",
        ("string_statement.json", "document"): "FAILED",
    }  # a top-level array is no policy document: no result
    for row in results_of(completed):
        if row["check_id"] == "CKV_VPCE_8" and row["check_type"] == "terraform":
            assert row["details"][0].startswith("Reason: ") and "could not evaluate" not in row["details"][0]
