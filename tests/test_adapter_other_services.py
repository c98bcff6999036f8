"""CKV_VPCE_9: KMS, Secrets Manager, ECR, DynamoDB and EFS resource policies.

Adapter level: one real ``checkov`` CLI run (terraform, terraform_plan, cloudformation, json) over a tree written to a
temporary directory, with the pack's checks and three generated dump checks that call the adapters exactly as the
pack's checks do and write each PolicySource to a JSON-lines file. Engine level: the service profiles (the KMS
headline case, DynamoDB indexes, EFS client actions, ECR's missing Resource), the fix each profile prints, and a
brute-force oracle over generated policies of these services.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import results_of, run_checkov
from tests.test_oracle import oracle_covered
from vpce_checks.adapters.base import PolicySource
from vpce_checks.engine.evaluate import evaluate
from vpce_checks.engine.model import THIS_ACCOUNT, THIS_REGION, parse_policy
from vpce_checks.engine.perimeter import AnalysisOptions, RequestSpace, perimeter_of, prepared
from vpce_checks.engine.services import OTHER_SERVICE_PROFILES, PROFILES, Target, settle_target
from vpce_checks.fix_rendering import fix_for
from vpce_checks.judge import FAILED, NO_RESULT, PASSED, judge
from vpce_checks.settings import load_settings

VPCE = "vpce-0b8450ae2a1c5ed55"
ACCOUNT = "318274605912"

# ---------------------------------------------------------------------------------------------------------------
# The scanned tree

MAIN_TF = r'''
resource "aws_kms_key" "ledger" {
  description = "ledger"
}

resource "aws_kms_key_policy" "ledger" {
  key_id = aws_kms_key.ledger.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Root", Effect = "Allow", Principal = { AWS = "arn:aws:iam::318274605912:root" }, Action = "kms:*",
        Resource = "*" },
      { Sid = "DenyCrypto", Effect = "Deny", Principal = "*",
        Action = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], Resource = "*",
        Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0b8450ae2a1c5ed55" } } },
    ]
  })
}

resource "aws_kms_key" "bare" {
  description = "no policy at all"
}

resource "aws_kms_key_policy" "literal" {
  key_id = "arn:aws:kms:eu-central-1:318274605912:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "kms:*",
      Resource = "arn:aws:kms:eu-central-1:318274605912:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0b8450ae2a1c5ed55" } } }]
  })
}

resource "aws_secretsmanager_secret" "inline" {
  name   = "tailspin/inline"
  policy = <<EOT
{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*",
 "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-060d1cf407d30366a"}}}]}
EOT
}

resource "aws_secretsmanager_secret" "db" {
  name = "tailspin/db"
}

data "aws_iam_policy_document" "db" {
  statement {
    effect    = "Deny"
    actions   = ["secretsmanager:*"]
    resources = [aws_secretsmanager_secret.db.arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "aws:SourceVpce"
      values   = ["vpce-060d1cf407d30366a"]
    }
  }
}

resource "aws_secretsmanager_secret_policy" "db" {
  secret_arn = aws_secretsmanager_secret.db.arn
  policy     = data.aws_iam_policy_document.db.json
}

resource "aws_ecr_repository" "app" {
  name = "tailspin/app"
}

resource "aws_ecr_repository_policy" "app" {
  repository = aws_ecr_repository.app.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "ecr:*",
      Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0813c751b2b3be6c6" } } }]
  })
}

resource "aws_dynamodb_table" "orders" {
  name         = "tailspin-orders"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  attribute {
    name = "id"
    type = "S"
  }
}

resource "aws_dynamodb_resource_policy" "orders" {
  resource_arn = aws_dynamodb_table.orders.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "dynamodb:*",
      Resource = [aws_dynamodb_table.orders.arn, "${aws_dynamodb_table.orders.arn}/index/*"],
      Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0dfb72d73cbb49580" } } }]
  })
}

resource "aws_dynamodb_resource_policy" "orders_stream" {
  resource_arn = aws_dynamodb_table.orders.stream_arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::318274605912:root" },
      Action = "dynamodb:GetRecords", Resource = aws_dynamodb_table.orders.stream_arn }]
  })
}

resource "aws_efs_file_system" "shared" {
  creation_token = "shared"
}

resource "aws_efs_file_system_policy" "shared" {
  file_system_id = aws_efs_file_system.shared.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*",
      NotAction = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite",
                   "elasticfilesystem:ClientRootAccess"],
      Resource = aws_efs_file_system.shared.arn,
      Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-058534011e6c90b94" } } }]
  })
}
'''

TEMPLATE_YAML = r'''
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  LedgerKey:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Deny
            NotPrincipal:
              AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
            Action: "kms:*"
            Resource: "*"
            Condition:
              StringNotEquals:
                aws:SourceVpce: vpce-0b8450ae2a1c5ed55
  PlainKey:
    Type: AWS::KMS::Key
    Properties:
      Description: default key policy
  DbSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: tailspin/db
  DbSecretPolicy:
    Type: AWS::SecretsManager::ResourcePolicy
    Properties:
      SecretId: !Ref DbSecret
      ResourcePolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: "secretsmanager:*"
            Resource: !Ref DbSecret
            Condition:
              StringNotEquals:
                aws:SourceVpce: vpce-060d1cf407d30366a
  Repository:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: tailspin/app
      RepositoryPolicyText: >-
        {"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]}
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: tailspin-orders
      ResourcePolicy:
        PolicyDocument:
          Version: "2012-10-17"
          Statement:
            - Effect: Deny
              Principal: "*"
              Action: "dynamodb:*"
              Resource:
                - !Sub "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/tailspin-orders"
                - !Sub "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/tailspin-orders/index/*"
              Condition:
                StringNotEquals:
                  aws:SourceVpce: vpce-0dfb72d73cbb49580
  Shared:
    Type: AWS::EFS::FileSystem
    Properties:
      FileSystemPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: "elasticfilesystem:*"
            Resource: "*"
            Condition:
              StringNotEquals:
                aws:SourceVpce: vpce-058534011e6c90b94
'''

RAW = {
    "key_policy.json": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*",
                                                       "kms:ReEncrypt*"], "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:SourceVpce": VPCE}}}]},
    "table_indexes.json": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "dynamodb:*",
         "Resource": f"arn:aws:dynamodb:eu-central-1:{ACCOUNT}:table/tailspin-orders/index/*",
         "Condition": {"StringNotEquals": {"aws:SourceVpce": VPCE}}}]},
    "secret.json": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*",
         "Resource": f"arn:aws:secretsmanager:eu-central-1:{ACCOUNT}:secret:tailspin/db-AbCdEf",
         "Condition": {"StringNotEquals": {"aws:SourceVpce": VPCE}}}]},
    "repository.json": {"Version": "2008-10-17", "Statement": [
        {"Sid": "AllowPull", "Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"]}]},
    "mixed_namespaces.json": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt", "secretsmanager:GetSecretValue"],
         "Resource": "*"}]},
}

_DUMP_HEAD = '''
import dataclasses
import json
import os

from checkov.common.models.enums import CheckCategories, CheckResult


def dump(kind, name, source):
    with open(os.environ["VPCE_OTHER_DUMP"], "a", encoding="utf-8") as out:
        out.write(json.dumps({"kind": kind, "name": name,
                              "sources": [None if s is None else dataclasses.asdict(s) for s in source]},
                             default=repr) + "\\n")
'''

DUMP_TF = _DUMP_HEAD + '''
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from vpce_checks.adapters.terraform import TERRAFORM_OWNER_RESOURCES, TERRAFORM_POLICY_RESOURCES
from vpce_checks.adapters.terraform.resources import source_for_terraform
from vpce_checks.checkov_glue import scanned_file


class DumpTerraform(BaseResourceCheck):
    def __init__(self):
        super().__init__(name="test: dump Terraform sources", id="CKV_VPCETEST_OTHER_TF",
                         categories=[CheckCategories.GENERAL_SECURITY],
                         supported_resources=[*TERRAFORM_POLICY_RESOURCES, *TERRAFORM_OWNER_RESOURCES])

    def scan_resource_conf(self, conf):
        source = source_for_terraform(conf, self.entity_type, self.graph, scanned_file(self))
        dump("terraform", conf.get("__address__"), [source])
        return CheckResult.PASSED


check = DumpTerraform()
'''

DUMP_CFN = _DUMP_HEAD + '''
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck

from vpce_checks.adapters.cloudformation import CFN_OWNER_RESOURCES, CFN_POLICY_RESOURCES, source_for_cloudformation
from vpce_checks.checkov_glue import entity_name, scanned_file


class DumpCloudFormation(BaseResourceCheck):
    def __init__(self):
        super().__init__(name="test: dump CloudFormation sources", id="CKV_VPCETEST_OTHER_CFN",
                         categories=[CheckCategories.GENERAL_SECURITY],
                         supported_resources=[*CFN_POLICY_RESOURCES, *CFN_OWNER_RESOURCES])

    def scan_resource_conf(self, conf):
        source = source_for_cloudformation(conf, self.entity_type, scanned_file(self), entity_name(self))
        dump("cloudformation", entity_name(self), [source])
        return CheckResult.PASSED


check = DumpCloudFormation()
'''

DUMP_JSON = _DUMP_HEAD + '''
from checkov.json_doc.base_json_check import BaseJsonCheck
from checkov.json_doc.enums import BlockType

from vpce_checks.adapters.rawjson import sources_for_json
from vpce_checks.checkov_glue import scanned_file


class DumpJson(BaseJsonCheck):
    def __init__(self):
        super().__init__(name="test: dump raw JSON sources", id="CKV_VPCETEST_OTHER_JSON",
                         categories=[CheckCategories.GENERAL_SECURITY], supported_entities=["*"],
                         block_type=BlockType.DOCUMENT)

    def scan_entity_conf(self, conf, entity_type):
        self.entity_type = entity_type
        dump("json", os.path.basename(scanned_file(self)), sources_for_json(conf, scanned_file(self)))
        return CheckResult.PASSED


check = DumpJson()
'''


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """One checkov run: the dumped PolicySources by (kind, name), and the pack's results by (check, resource)."""
    root = tmp_path_factory.mktemp("other_services")
    tree, dumps, out = root / "tree", root / "dumps", root / "dump.jsonl"
    _write(tree / "tf" / "main.tf", MAIN_TF)
    _write(tree / "cfn" / "stack.yaml", TEMPLATE_YAML)
    for name, document in RAW.items():
        (tree / "raw").mkdir(parents=True, exist_ok=True)
        (tree / "raw" / name).write_text(json.dumps(document, indent=2), encoding="utf-8")
    _write(dumps / "__init__.py", "")
    _write(dumps / "vpce_test_other_dump_tf.py", DUMP_TF)
    _write(dumps / "vpce_test_other_dump_cfn.py", DUMP_CFN)
    _write(dumps / "vpce_test_other_dump_json.py", DUMP_JSON)
    completed = run_checkov(tree, args=["--external-checks-dir", str(dumps), "--check", "CKV_VPCETEST_OTHER_*"],
                            env={"VPCE_OTHER_DUMP": str(out)})
    assert completed.returncode in (0, 1), completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    sources: Dict[tuple, List[Optional[Dict[str, Any]]]] = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        sources[(record["kind"], record["name"])] = record["sources"]
    results = {}
    for row in results_of(completed):
        resource = row["resource"]
        if row["check_type"] == "json":
            resource = os.path.basename(row["file_path"])
        results[(row["check_id"], resource)] = row
    return {"sources": sources, "results": results}


def _one(scan: Dict[str, Any], kind: str, name: str) -> Optional[Dict[str, Any]]:
    key = (kind, name)
    assert key in scan["sources"], f"{key} not scanned; scanned: {sorted(scan['sources'])}"
    found = scan["sources"][key]
    assert len(found) == 1, found
    return found[0]


def _as_source(record: Dict[str, Any]) -> PolicySource:
    target = {k: tuple(v) if isinstance(v, list) else v for k, v in record["target"].items()}
    return PolicySource(target=Target(**target),
                        document=record["document"], origin=record["origin"], problem=record["problem"],
                        syntax=record["syntax"])


# ---------------------------------------------------------------------------------------------------------------
# Adapters, through the real Checkov runners


def test_terraform_key_policy_points_at_its_key(scan):
    source = _one(scan, "terraform", "aws_kms_key_policy.ledger")
    assert source["target"]["service"] == "kms"
    assert source["target"]["name"] == "${aws_kms_key.ledger.key_id}"
    assert source["problem"] is None and source["document"]["Statement"][1]["Resource"] == "*"
    assert _one(scan, "terraform", "aws_kms_key.ledger") is None  # judged on the policy resource


def test_terraform_resource_without_policy_gives_no_result(scan):
    source = _one(scan, "terraform", "aws_kms_key.bare")
    assert source is not None and source["document"] is None and source["problem"] is None  # missing
    assert judge(_as_source(source), load_settings()).result == NO_RESULT
    assert ("CKV_VPCE_9", "aws_kms_key.bare") not in scan["results"]
    for owner in ("aws_ecr_repository.app", "aws_dynamodb_table.orders", "aws_efs_file_system.shared",
                  "aws_secretsmanager_secret.db"):
        assert ("CKV_VPCE_9", owner) not in scan["results"]


def test_terraform_literal_key_arn_gives_key_id_account_and_region(scan):
    target = _one(scan, "terraform", "aws_kms_key_policy.literal")["target"]
    assert target == {"service": "kms", "name": "1234abcd-12ab-34cd-56ef-1234567890ab", "account": ACCOUNT,
                      "region": "eu-central-1", "partition": "aws", "routes": [],
                      "routes_needing_allow": []}
    assert scan["results"][("CKV_VPCE_9", "aws_kms_key_policy.literal")]["check_result"]["result"] == PASSED


def test_terraform_secrets_inline_and_policy_document(scan):
    inline = _one(scan, "terraform", "aws_secretsmanager_secret.inline")
    assert inline["target"]["name"] == "tailspin/inline" and inline["document"]["Statement"][0]["Resource"] == "*"
    policy = _one(scan, "terraform", "aws_secretsmanager_secret_policy.db")
    assert policy["origin"].startswith("data.aws_iam_policy_document.db")
    # the secret's own ARN in the data source stands for the secret
    assert policy["document"]["Statement"][0]["Resource"] == (
        f"arn:aws:secretsmanager:{THIS_REGION}:{THIS_ACCOUNT}:secret:tailspin/db")
    for address in ("aws_secretsmanager_secret.inline", "aws_secretsmanager_secret_policy.db"):
        assert scan["results"][("CKV_VPCE_9", address)]["check_result"]["result"] == PASSED


def test_terraform_ecr_statement_without_resource_covers_the_repository(scan):
    source = _one(scan, "terraform", "aws_ecr_repository_policy.app")
    assert source["target"]["name"] == "tailspin/app"
    assert "Resource" not in source["document"]["Statement"][0]
    assert scan["results"][("CKV_VPCE_9", "aws_ecr_repository_policy.app")]["check_result"]["result"] == PASSED


def test_terraform_dynamodb_table_and_index_arns(scan):
    source = _one(scan, "terraform", "aws_dynamodb_resource_policy.orders")
    arn = f"arn:aws:dynamodb:{THIS_REGION}:{THIS_ACCOUNT}:table/tailspin-orders"
    assert source["document"]["Statement"][0]["Resource"] == [arn, arn + "/index/*"]
    assert scan["results"][("CKV_VPCE_9", "aws_dynamodb_resource_policy.orders")]["check_result"]["result"] == PASSED


def test_terraform_dynamodb_stream_policy_is_not_judged(scan):
    assert _one(scan, "terraform", "aws_dynamodb_resource_policy.orders_stream") is None
    assert not any(resource == "aws_dynamodb_resource_policy.orders_stream" for _, resource in scan["results"])


def test_terraform_efs_notaction_client_actions(scan):
    source = _one(scan, "terraform", "aws_efs_file_system_policy.shared")
    assert source["target"]["name"] == "${aws_efs_file_system.shared.id}"
    assert source["document"]["Statement"][0]["Resource"] == (
        f"arn:aws:elasticfilesystem:{THIS_REGION}:{THIS_ACCOUNT}:file-system/${{aws_efs_file_system.shared.id}}")
    assert scan["results"][("CKV_VPCE_9", "aws_efs_file_system_policy.shared")]["check_result"]["result"] == PASSED


def test_terraform_failure_details_name_a_management_action(scan):
    row = scan["results"][("CKV_VPCE_9", "aws_kms_key_policy.ledger")]
    assert row["check_result"]["result"] == FAILED and row["severity"] == "HIGH"
    text = "\n".join(row["details"])
    assert "Counterexample: kms:PutKeyPolicy on arn:aws:kms:" in text
    assert 'Action    = "kms:*"' in text and 'Resource  = "*"' in text
    assert "Docs: docs/CKV_VPCE_9.md" in text


def test_cloudformation_inline_policies(scan):
    key = _one(scan, "cloudformation", "LedgerKey")
    assert key["origin"] == "KeyPolicy of AWS::KMS::Key LedgerKey"
    assert key["target"] == {"service": "kms", "name": "${LedgerKey}", "account": THIS_ACCOUNT,
                             "region": THIS_REGION, "partition": "aws", "routes": [],
                      "routes_needing_allow": []}
    table = _one(scan, "cloudformation", "Orders")
    assert table["origin"].startswith("ResourcePolicy.PolicyDocument of AWS::DynamoDB::Table Orders")
    assert table["target"]["name"] == "tailspin-orders"
    repository = _one(scan, "cloudformation", "Repository")  # RepositoryPolicyText given as a JSON string
    assert repository["document"]["Statement"][0]["Action"] == "ecr:BatchGetImage"
    assert _one(scan, "cloudformation", "PlainKey") is None  # no KeyPolicy: no result
    assert _one(scan, "cloudformation", "DbSecret") is None  # its ResourcePolicy carries the verdict


def test_cloudformation_secret_resource_policy_names_the_secret(scan):
    source = _one(scan, "cloudformation", "DbSecretPolicy")
    assert source["origin"] == "ResourcePolicy of AWS::SecretsManager::ResourcePolicy DbSecretPolicy"
    assert source["target"]["name"] == "tailspin/db"
    arn = f"arn:aws:secretsmanager:{THIS_REGION}:{THIS_ACCOUNT}:secret:tailspin/db"
    assert source["document"]["Statement"][0]["Resource"] == arn  # !Ref of a secret is its ARN


def test_cloudformation_verdicts(scan):
    results = scan["results"]
    # NotPrincipal with the account's own root (!Sub ${AWS::AccountId}) exempts every principal of the account
    assert results[("CKV_VPCE_9", "AWS::KMS::Key.LedgerKey")]["check_result"]["result"] == FAILED
    assert results[("CKV_VPCE_9", "AWS::SecretsManager::ResourcePolicy.DbSecretPolicy")]["check_result"][
        "result"] == PASSED
    assert results[("CKV_VPCE_9", "AWS::ECR::Repository.Repository")]["check_result"]["result"] == FAILED
    assert results[("CKV_VPCE_9", "AWS::DynamoDB::Table.Orders")]["check_result"]["result"] == PASSED
    assert results[("CKV_VPCE_9", "AWS::EFS::FileSystem.Shared")]["check_result"]["result"] == PASSED
    for owner in ("AWS::KMS::Key.PlainKey", "AWS::SecretsManager::Secret.DbSecret"):
        assert not any(resource == owner for _, resource in results)
    # CKV_VPCE_6 reads the same policies
    assert ("CKV_VPCE_6", "AWS::DynamoDB::Table.Orders") in results


def test_raw_json_service_from_namespace_or_arns(scan):
    (key,) = _one_list(scan, "key_policy.json")
    assert key["target"]["service"] == "kms" and key["target"]["name"] == "key_policy"
    (table,) = _one_list(scan, "table_indexes.json")
    assert table["target"] == {"service": "dynamodb", "name": "tailspin-orders", "account": ACCOUNT,
                               "region": "eu-central-1", "partition": "aws", "routes": [],
                      "routes_needing_allow": []}
    (secret,) = _one_list(scan, "secret.json")
    assert secret["target"]["name"] == "tailspin/db-AbCdEf"
    (repository,) = _one_list(scan, "repository.json")
    assert repository["target"]["service"] == "ecr"
    assert _one_list(scan, "mixed_namespaces.json") == []  # no ARN and two namespaces: not recognised
    results = scan["results"]
    assert results[("CKV_VPCE_9", "key_policy.json")]["check_result"]["result"] == FAILED
    assert results[("CKV_VPCE_9", "secret.json")]["check_result"]["result"] == PASSED
    assert results[("CKV_VPCE_9", "repository.json")]["check_result"]["result"] == FAILED
    # the table's own ARN is not covered (only its indexes)
    assert results[("CKV_VPCE_9", "table_indexes.json")]["check_result"]["result"] == FAILED
    assert results[("CKV_VPCE_6", "key_policy.json")]["check_result"]["result"] == PASSED


def _one_list(scan: Dict[str, Any], name: str) -> List[Dict[str, Any]]:
    key = ("json", name)
    assert key in scan["sources"], f"{key} not scanned; scanned: {sorted(scan['sources'])}"
    return scan["sources"][key]


# ---------------------------------------------------------------------------------------------------------------
# Engine: the profiles

KMS_HEADLINE = {"Version": "2012-10-17", "Statement": [
    {"Sid": "EnableIamUserPermissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
     "Action": "kms:*", "Resource": "*"},
    {"Sid": "DenyCryptoOutsideVpce", "Effect": "Deny", "Principal": "*",
     "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:SourceVpce": VPCE}}}]}
KMS_MANAGEMENT = {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CreateGrant", "kms:DisableKey",
                  "kms:CancelKeyDeletion", "kms:TagResource"}


def _deny_all(service: str, resource: Any = "*", **extra: Any) -> Dict[str, Any]:
    statement = {"Effect": "Deny", "Principal": "*", "Action": f"{service}:*",
                 "Condition": {"StringNotEquals": {"aws:SourceVpce": VPCE}}, **extra}
    if resource is not None:
        statement["Resource"] = resource
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_kms_headline_fails_naming_a_management_action():
    policy = parse_policy(KMS_HEADLINE)
    target = Target("kms", "1234abcd-12ab-34cd-56ef-1234567890ab", account=ACCOUNT, region="eu-central-1")
    verdict = perimeter_of(policy, target)
    assert verdict.status == "fail"
    assert verdict.counterexample.action in KMS_MANAGEMENT
    assert verdict.counterexample.action == "kms:PutKeyPolicy"
    assert verdict.network == "public" and "by a principal of this account" in verdict.description
    assert not evaluate(policy, verdict.counterexample).explicitly_denied
    fixed = dict(KMS_HEADLINE, Statement=[KMS_HEADLINE["Statement"][0],
                                          dict(KMS_HEADLINE["Statement"][1], Action="kms:*")])
    assert perimeter_of(parse_policy(fixed), target).passed


def test_kms_profile_actions_are_real_and_crypto_first():
    profile = PROFILES["kms"]
    assert profile.check_id == "CKV_VPCE_9" and profile.default_fix_actions == "kms:*"
    assert profile.known_actions[:2] == ("kms:Decrypt", "kms:Encrypt")
    assert set(profile.known_actions) >= {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:GenerateDataKey"}


@pytest.mark.parametrize("service", sorted(OTHER_SERVICE_PROFILES))
def test_every_known_action_is_a_real_action_of_the_service(service):
    from policy_sentry.querying.actions import get_actions_for_service

    real = {a.lower() for a in get_actions_for_service(service)}
    profile = PROFILES[service]
    assert profile.prefix == service and profile.check_id == "CKV_VPCE_9" and not profile.requires_policy
    assert {a.lower() for a in profile.known_actions} <= real
    assert {a.lower() for a in profile.off_perimeter_actions} <= real


@pytest.mark.parametrize("resource, name", [
    ("key/1234abcd-12ab-34cd-56ef-1234567890ab", "1234abcd-12ab-34cd-56ef-1234567890ab"),
    ("alias/ledger", None),
])
def test_kms_name_from_arn(resource, name):
    assert PROFILES["kms"].name_from_arn_resource(resource) == name


def test_names_from_arns_of_each_service():
    assert PROFILES["secretsmanager"].name_from_arn_resource("secret:prod/db-AbCdEf") == "prod/db-AbCdEf"
    assert PROFILES["ecr"].name_from_arn_resource("repository/team/app") == "team/app"
    assert PROFILES["dynamodb"].name_from_arn_resource("table/orders/index/by-customer") == "orders"
    assert PROFILES["elasticfilesystem"].name_from_arn_resource("file-system/fs-0a7c41e9d2b35f681") == (
        "fs-0a7c41e9d2b35f681")
    assert PROFILES["elasticfilesystem"].name_from_arn_resource("access-point/fsap-0a7c41e9d2b35f681") is None
    for service in ("s3", "sqs", "sns", "execute-api"):
        assert PROFILES[service].name_from_arn_resource("anything/else") is None


def test_settle_target_reads_account_and_region_from_a_typed_arn():
    target = settle_target(Target("dynamodb", "orders"),
                           [f"arn:aws:dynamodb:eu-central-1:{ACCOUNT}:table/orders/index/*"])
    assert (target.account, target.region) == (ACCOUNT, "eu-central-1")
    assert settle_target(Target("dynamodb", "orders"), [f"arn:aws:dynamodb:eu-central-1:{ACCOUNT}:table/other"]) \
        == Target("dynamodb", "orders")


def test_dynamodb_table_policy_must_cover_indexes():
    target = Target("dynamodb", "orders", account=ACCOUNT, region="eu-central-1")
    table = f"arn:aws:dynamodb:eu-central-1:{ACCOUNT}:table/orders"
    verdict = perimeter_of(parse_policy(_deny_all("dynamodb", table)), target)
    assert verdict.status == "fail" and verdict.counterexample.resource == table + "/index/any-index"
    assert perimeter_of(parse_policy(_deny_all("dynamodb", [table, table + "/index/*"])), target).passed
    assert perimeter_of(parse_policy(_deny_all("dynamodb", "*")), target).passed
    # the only resources a table's policy is asked about: the table and its indexes
    space = RequestSpace(*prepared(parse_policy(_deny_all("dynamodb", [table, table + "/index/*"])), target))
    assert all(r == table or r.startswith(table + "/index/") for r in space.resources)


def test_efs_client_actions_are_outside_the_endpoint_perimeter():
    target = Target("elasticfilesystem", "fs-0a7c41e9d2b35f681")
    clients = list(PROFILES["elasticfilesystem"].off_perimeter_actions)
    not_client = _deny_all("elasticfilesystem")
    del not_client["Statement"][0]["Action"]
    not_client["Statement"][0]["NotAction"] = clients
    assert perimeter_of(parse_policy(not_client), target).passed
    only_clients = _deny_all("elasticfilesystem")
    only_clients["Statement"][0]["Action"] = clients
    verdict = perimeter_of(parse_policy(only_clients), target)
    assert verdict.status == "fail" and verdict.counterexample.action not in clients
    assert all(a not in clients for a in RequestSpace(*prepared(parse_policy(only_clients), target)).actions)


def test_ecr_statement_without_resource_covers_the_repository():
    target = Target("ecr", "team/app")
    assert perimeter_of(parse_policy(_deny_all("ecr", resource=None)), target).passed


def test_this_account_root_in_notprincipal_exempts_the_account():
    document = _deny_all("kms", NotPrincipal={"AWS": f"arn:aws:iam::{THIS_ACCOUNT}:root"})
    document["Statement"][0].pop("Principal")
    verdict = perimeter_of(parse_policy(document), Target("kms", "k"))
    assert verdict.status == "fail" and verdict.counterexample.principal.account == THIS_ACCOUNT
    role = _deny_all("kms", Principal={"AWS": f"arn:aws:iam::{THIS_ACCOUNT}:role/app"})
    verdict = perimeter_of(parse_policy(role), Target("kms", "k"))
    assert verdict.status == "fail" and verdict.counterexample.principal.arn != (
        f"arn:aws:sts::{THIS_ACCOUNT}:assumed-role/app/any-session")


@pytest.mark.parametrize("service", sorted(OTHER_SERVICE_PROFILES))
@pytest.mark.parametrize("syntax", ["json", "cfn-json"])
def test_the_fix_passes_its_own_check(service, syntax):
    profile = PROFILES[service]
    target = Target(service, "tailspin-thing", account=ACCOUNT, region="eu-central-1")
    empty = parse_policy({"Statement": []})
    statement = json.loads(fix_for(empty, profile, target, syntax))
    assert ("Resource" in statement) is profile.resource_element_allowed
    assert ("NotAction" in statement) is bool(profile.off_perimeter_actions)
    if syntax == "json":
        assert perimeter_of(parse_policy({"Statement": [statement]}), target).passed


def test_fix_forms_per_service():
    empty = parse_policy({"Statement": []})
    hcl = fix_for(empty, PROFILES["ecr"], Target("ecr", "${aws_ecr_repository.app.name}"), "hcl", data_source=True)
    assert "resources" not in hcl and 'actions   = ["ecr:*"]' in hcl
    efs = fix_for(empty, PROFILES["elasticfilesystem"], Target("elasticfilesystem", "${Shared}"), "yaml")
    assert "NotAction:" in efs and '!Sub "arn:aws:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:' in efs
    assert "${Shared}" not in efs  # no reference to the file system from inside its own FileSystemPolicy
    kms = fix_for(empty, PROFILES["kms"], Target("kms", "${aws_kms_key.k.key_id}"), "hcl")
    assert 'Resource  = "*"' in kms


def test_missing_policy_gives_no_result_for_these_services_only():
    settings_ = load_settings()
    for service in OTHER_SERVICE_PROFILES:
        assert judge(PolicySource(target=Target(service, "x")), settings_).result == NO_RESULT
    assert judge(PolicySource(target=Target("s3", "x")), settings_).result == FAILED


# ---------------------------------------------------------------------------------------------------------------
# Engine: brute force over generated policies of these services

ACTIONS = {
    "kms": ["kms:*", "kms:Decrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:Put*", "*"],
    "secretsmanager": ["secretsmanager:*", "secretsmanager:GetSecretValue", "secretsmanager:Describe*"],
    "ecr": ["ecr:*", "ecr:BatchGetImage", "ecr:Put*"],
    "dynamodb": ["dynamodb:*", "dynamodb:Query", "dynamodb:Get*"],
    "elasticfilesystem": ["elasticfilesystem:*", "elasticfilesystem:Client*", "elasticfilesystem:ClientMount",
                          "elasticfilesystem:Describe*"],
}
RESOURCES = {
    "kms": ["*", f"arn:aws:kms:*:{ACCOUNT}:key/*", "arn:aws:kms:*:*:alias/*"],
    "secretsmanager": ["*", "arn:aws:secretsmanager:*:*:secret:db-*"],
    "ecr": [None, "*"],
    "dynamodb": ["*", "arn:aws:dynamodb:*:*:table/db", "arn:aws:dynamodb:*:*:table/db/index/*"],
    "elasticfilesystem": ["*", "arn:aws:elasticfilesystem:*:*:file-system/*"],
}


@st.composite
def other_policies(draw):
    service = draw(st.sampled_from(sorted(OTHER_SERVICE_PROFILES)))
    statements = []
    for _ in range(draw(st.integers(1, 2))):
        statement = {"Effect": draw(st.sampled_from(["Deny", "Deny", "Allow"])),
                     "Principal": draw(st.sampled_from(["*", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}]))}
        key = draw(st.sampled_from(["Action", "Action", "NotAction"]))
        statement[key] = draw(st.lists(st.sampled_from(ACTIONS[service]), min_size=1, max_size=2, unique=True))
        resource = draw(st.sampled_from(RESOURCES[service]))
        if resource is not None:
            statement["Resource"] = resource
        if draw(st.booleans()):
            statement["Condition"] = {draw(st.sampled_from(["StringNotEquals", "StringNotEqualsIfExists"])): {
                "aws:SourceVpce": VPCE}}
        statements.append(statement)
    return service, {"Version": "2012-10-17", "Statement": statements}


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(other_policies())
def test_other_services_agree_with_brute_force(case):
    service, document = case
    policy, target = parse_policy(document), Target(service, "db")
    result = perimeter_of(policy, target)
    assert result.passed is oracle_covered(RequestSpace(*prepared(policy, target), AnalysisOptions())), document
    if not result.passed:
        assert not evaluate(prepared(policy, target)[0], result.counterexample).explicitly_denied


def test_raw_json_checks_cover_the_new_services():
    from vpce_checks.checkov_glue import OTHER_SERVICES, POLICY_SERVICES

    assert set(OTHER_SERVICES) == set(OTHER_SERVICE_PROFILES)
    assert set(POLICY_SERVICES) >= {"s3", "sqs", "sns"} | set(OTHER_SERVICES)
