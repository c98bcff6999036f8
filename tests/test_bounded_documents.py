"""Bounded input (issue 13 item 5): the OpenAPI documents the pack parses itself are measured before use (text
size, nodes with YAML aliases expanded, nesting depth) and their files are read only when regular and small; past a
limit the check fails closed naming it. The parser on its own, then the real `vpce-checks scan` (Checkov) over alias
bombs in Terraform, CloudFormation and SAM, and a SAM DefinitionUri that is /dev/zero."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from tests.conftest import FIXTURES, offline_env
from vpce_checks.adapters.apigateway import parse_openapi_text as _parse_text
from vpce_checks.adapters.bounded_documents import (
    MAX_DOCUMENT_CHARS,
    MAX_DOCUMENT_DEPTH,
    MAX_DOCUMENT_NODES,
    DocumentTooLarge,
    check_tree_bounds,
    load_json,
    load_yaml,
)

BOMB_FILE = FIXTURES / "CKV_VPCE_5" / "terraform" / "openapi_file_alias_bomb_fail" / "openapi.yaml"
SOUND_BODY = FIXTURES / "CKV_VPCE_5" / "cloudformation" / "body_policy_pass.yaml"


def _bomb(levels: int) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_naming_the_limit():
    for text in (_bomb(10), BOMB_FILE.read_text(encoding="utf-8")):
        with pytest.raises(DocumentTooLarge, match="MAX_DOCUMENT_NODES") as raised:
            load_yaml(text)
        assert str(MAX_DOCUMENT_NODES) in str(raised.value)
        with pytest.raises(DocumentTooLarge, match="MAX_DOCUMENT_NODES"):
            _parse_text(text)  # what the API Gateway adapter calls (JSON first, then YAML)
    # the same tree built by a parser that shares aliased subtrees (as Checkov's does for an inline Body)
    with pytest.raises(DocumentTooLarge, match="MAX_DOCUMENT_NODES"):
        check_tree_bounds(yaml.safe_load(_bomb(10)))


def test_small_alias_use_and_real_documents_still_load():
    assert load_yaml(_bomb(3)) == yaml.safe_load(_bomb(3))  # 9^3 strings: far below the limit
    template = yaml.safe_load(SOUND_BODY.read_text(encoding="utf-8"))
    body = template["Resources"]["WarrantyApi"]["Properties"]["Body"]
    assert _parse_text(yaml.safe_dump(body)) == body
    assert _parse_text(json.dumps(body)) == body
    assert load_yaml("") is None


def test_depth_and_size_are_bounded():
    deep_json = "[" * (MAX_DOCUMENT_DEPTH + 5) + "]" * (MAX_DOCUMENT_DEPTH + 5)
    with pytest.raises(DocumentTooLarge, match="MAX_DOCUMENT_DEPTH"):
        load_json(deep_json)
    with pytest.raises(DocumentTooLarge, match="MAX_DOCUMENT_DEPTH"):
        load_json("[" * 200_000 + "]" * 200_000)  # deeper than Python's recursion: still a clear refusal
    levels = MAX_DOCUMENT_DEPTH + 5
    deep_yaml = "".join("  " * i + f"k{i}:\n" for i in range(levels)) + "  " * levels + "x: 1\n"
    with pytest.raises(DocumentTooLarge, match="MAX_DOCUMENT_DEPTH"):
        load_yaml(deep_yaml)
    with pytest.raises(DocumentTooLarge, match="MAX_DOCUMENT_CHARS"):
        _parse_text("a: " + "x" * MAX_DOCUMENT_CHARS)


def _pack_results(payload) -> Dict[tuple, List[str]]:
    reports = payload if isinstance(payload, list) else [payload]
    return {(r["check_id"], r["file_path"].lstrip("/"), r["resource"], r["check_result"]["result"]): r.get("details")
            or [] for report in reports for key in ("passed_checks", "failed_checks")
            for r in report.get("results", {}).get(key, [])}


def test_scan_over_alias_bombs_completes_and_fails_closed_saying_why(tmp_path: Path):
    """The real scan (Checkov with the pack) over the alias-bomb cases and a DefinitionUri that is /dev/zero:
    it finishes, and each private API's CKV_VPCE_5 fails closed with the limit that stopped it."""
    source = FIXTURES / "CKV_VPCE_5"
    shutil.copytree(source / "terraform" / "openapi_file_alias_bomb_fail", tmp_path / "tf")
    (tmp_path / "cfn" / "openapi").mkdir(parents=True)
    for name in ("sam_definition_uri_alias_bomb_fail.yaml", "body_string_alias_bomb_fail.yaml",
                 "openapi/alias_bomb.yaml"):
        shutil.copy(source / "cloudformation" / name, tmp_path / "cfn" / name)
    (tmp_path / "cfn" / "openapi" / "zero.yaml").symlink_to("/dev/zero")
    zero = (source / "cloudformation" / "sam_definition_uri_alias_bomb_fail.yaml").read_text(encoding="utf-8")
    (tmp_path / "cfn" / "sam_definition_uri_zero.yaml").write_text(
        zero.replace("openapi/alias_bomb.yaml", "openapi/zero.yaml").replace("AuditApi", "ZeroApi"), encoding="utf-8")
    # a bucket policy given as a JSON string nested deeper than Python's own recursion limit
    (tmp_path / "cfn" / "deep_policy_string.yaml").write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n'
        '  BucketPolicy:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: !Ref Bucket\n'
        f'      PolicyDocument: \'{"[" * 100_000}{"]" * 100_000}\'\n', encoding="utf-8")
    completed = subprocess.run([sys.executable, "-m", "vpce_checks", "scan", str(tmp_path), "-o", "json"],
                               env=offline_env(), capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert completed.returncode == 1, completed.stderr[-3000:]
    results = _pack_results(json.loads(completed.stdout))
    bombs = [("tf/main.tf", "aws_api_gateway_rest_api.ledger"),
             ("cfn/sam_definition_uri_alias_bomb_fail.yaml", "AWS::Serverless::Api.AuditApi"),
             ("cfn/body_string_alias_bomb_fail.yaml", "AWS::ApiGateway::RestApi.BillingApi")]
    for path, resource in bombs:
        details = results[("CKV_VPCE_5", path, resource, "FAILED")]
        assert any("MAX_DOCUMENT_NODES" in line and "fail" in " ".join(details) for line in details), details
        assert ("CKV_VPCE_4", path, resource, "PASSED") in results
    details = results[("CKV_VPCE_5", "cfn/sam_definition_uri_zero.yaml", "AWS::Serverless::Api.ZeroApi", "FAILED")]
    assert any("is not a regular file" in line for line in details), details
    assert not [key for key in results if key[0] == "CKV_VPCE_5" and key[3] == "PASSED"], results
    details = results[("CKV_VPCE_1", "cfn/deep_policy_string.yaml", "AWS::S3::BucketPolicy.BucketPolicy", "FAILED")]
    assert any("MAX_DOCUMENT_DEPTH" in line for line in details), details


def test_terraform_scan_over_deeply_nested_json_policies_fails_closed_naming_the_depth_bound(tmp_path: Path):
    """The real scan over Terraform policies whose JSON nests deeper than Python's own recursion: a heredoc, a
    file() and a jsondecode(file()). Each is read through the bounded JSON reader, so each bucket policy fails
    closed naming MAX_DOCUMENT_DEPTH (before, json.loads raised RecursionError inside the reader)."""
    deep = "[" * 100_000 + "]" * 100_000
    document = '{"Version": "2012-10-17", "Statement": ' + deep + "}"
    (tmp_path / "tf").mkdir()
    # .tpl, not .json: Checkov's own JSON runner would parse a .json file itself (and crash on this one)
    (tmp_path / "tf" / "deep.tpl").write_text(document, encoding="utf-8")
    policies = {"heredoc": f"<<POLICY\n{document}\nPOLICY", "file": 'file("${path.module}/deep.tpl")',
                "decoded": 'jsonencode(jsondecode(file("${path.module}/deep.tpl")))'}
    (tmp_path / "tf" / "main.tf").write_text("".join(
        f'resource "aws_s3_bucket" "{name}" {{\n  bucket = "deep-{name}-logs"\n}}\n\n'
        f'resource "aws_s3_bucket_policy" "{name}" {{\n  bucket = aws_s3_bucket.{name}.id\n  policy = {policy}\n}}\n\n'
        for name, policy in policies.items()), encoding="utf-8")
    completed = subprocess.run([sys.executable, "-m", "vpce_checks", "scan", str(tmp_path), "-o", "json"],
                               env=offline_env(), capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert completed.returncode == 1, completed.stderr[-3000:]
    results = _pack_results(json.loads(completed.stdout))
    for name in policies:
        details = results[("CKV_VPCE_1", "tf/main.tf", f"aws_s3_bucket_policy.{name}", "FAILED")]
        assert any("MAX_DOCUMENT_DEPTH" in line for line in details), (name, details)
    assert not [key for key in results if key[0] == "CKV_VPCE_1" and key[3] == "PASSED"], results
