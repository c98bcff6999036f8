"""Every fix the Terraform fixtures produce is valid code where it goes (issue 12 item 4): an HCL object for a
jsonencode Statement list, a statement block for a data "aws_iam_policy_document", JSON text with Terraform
interpolations for a heredoc policy; and it names the protected resource by the file's own expression. Parsed with
the HCL parser Checkov itself uses; the fixes come from `vpce-checks scan` (real Checkov) over the fixtures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any, Dict, List

import hcl2
import pytest

from tests.conftest import FIXTURES, offline_env
from tests.test_adapter_cloudformation import _fix_texts as _fix_blocks  # the code after each "Fix:" line


def _parse(text: str) -> Dict[str, Any]:
    """The fix read back: a statement block (data source), JSON text (heredoc), or HCL objects (jsonencode)."""
    if text.lstrip().startswith("statement {"):
        return hcl2.loads('data "aws_iam_policy_document" "fix" {\n' + text + "\n}\n")
    if text.lstrip().startswith('{\n  "'):
        # the heredoc form: valid inside a heredoc, and JSON once Terraform interpolates it
        hcl2.loads("policy = <<EOT\n[" + text + "]\nEOT\n")
        concrete = re.sub(r"\$\{jsonencode\(([^()]*)\)\}", '["vpce-0123456789abcdef0"]', text)
        return {"statements": json.loads("[" + concrete + "]")}
    if re.match(r"[A-Za-z_][A-Za-z0-9_]*\s*(=|\{)", text):  # an argument or block (policy = ..., endpoint_...)
        return hcl2.loads(text + "\n")
    return hcl2.loads("statements = [\n" + text + "\n]\n")


@pytest.fixture(scope="module")
def terraform_failures() -> List[Dict[str, Any]]:
    completed = subprocess.run([sys.executable, "-m", "vpce_checks", "scan", str(FIXTURES), "--framework",
                                "terraform", "-o", "json"], env=offline_env(), capture_output=True, text=True,
                               timeout=900, cwd=str(FIXTURES.parent))
    assert completed.returncode == 1, completed.stderr[-3000:]
    payload = json.loads(completed.stdout)
    reports = payload if isinstance(payload, list) else [payload]
    return [result for report in reports if report.get("check_type") == "terraform"
            for result in report["results"]["failed_checks"]]


def test_every_terraform_fix_parses_where_it_goes(terraform_failures):
    forms = {"data source": 0, "heredoc": 0, "object": 0, "argument or block": 0}
    for result in terraform_failures:
        for text in _fix_blocks(result.get("details") or []):
            where = f"{result['check_id']} {result['file_path']} {result['resource']}:\n{text}"
            parsed = _parse(text)
            assert parsed, where
            form = ("data source" if "data" in parsed else "heredoc" if text.lstrip().startswith('{\n  "')
                    else "object" if "statements" in parsed else "argument or block")
            forms[form] += 1
    assert forms["object"] >= 20 and forms["data source"] >= 5 and forms["heredoc"] >= 2, forms


def test_fixes_name_the_protected_resource_by_the_files_own_expression(terraform_failures):
    """A bucket declared in the file: its fix writes aws_s3_bucket.NAME.arn, in each form, not the literal ARN."""
    wanted = {
        "/CKV_VPCE_1/terraform/jsonencode_refs_partial_actions_fail/main.tf":
            'Resource  = [aws_s3_bucket.uploads.arn, "${aws_s3_bucket.uploads.arn}/*"]',
        "/CKV_VPCE_1/terraform/policy_document_no_effect_fail/main.tf":
            'resources = [aws_s3_bucket.invoices.arn, "${aws_s3_bucket.invoices.arn}/*"]',
        "/CKV_VPCE_1/terraform/heredoc_stringnotlike_fail/main.tf": '"${aws_s3_bucket.media.arn}/*"',
    }
    seen = set()
    for result in terraform_failures:
        if result["check_id"] == "CKV_VPCE_1" and result["file_path"] in wanted:
            text = "\n".join(_fix_blocks(result.get("details") or []))
            assert wanted[result["file_path"]] in text, (result["file_path"], text)
            assert "arn:aws:s3:::" not in text, text
            seen.add(result["file_path"])
    assert seen == set(wanted)
