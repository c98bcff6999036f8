"""The Terraform evaluator through the real checkov CLI, for what the fixtures cannot carry: .tfvars values passed
with --var-file, and policy files that are devices, FIFOs or symlinks to them (a fixture tree cannot hold those)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Tuple

from tests.conftest import results_of, run_checkov

BRANCHED = '''
variable "strict" { type = bool }
resource "aws_s3_bucket" "b" { bucket = "varfile-bucket" }
resource "aws_s3_bucket_policy" "b" {
  bucket = aws_s3_bucket.b.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Sid = "DenyOutsideVpce", Effect = "Deny", Principal = "*", Action = "s3:*",
      Resource = var.strict ? [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"] : [aws_s3_bucket.b.arn],
      Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0c83a8ad9bb98ef71" } } }]
  })
}
'''


def _s3_results(tmp_path: Path, *args: str) -> Dict[str, Tuple[str, List[str]]]:
    completed = run_checkov(tmp_path, args, frameworks=("terraform",))
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    return {r["resource"]: (r["check_result"]["result"], r.get("details") or [])
            for r in results_of(completed) if r["check_id"] == "CKV_VPCE_1"}


def test_tfvars_decide_a_conditional(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(BRANCHED, encoding="utf-8")
    (tmp_path / "strict.tfvars").write_text("strict = true\n", encoding="utf-8")
    (tmp_path / "loose.tfvars").write_text("strict = false\n", encoding="utf-8")
    assert _s3_results(tmp_path, "--var-file", str(tmp_path / "strict.tfvars"))["aws_s3_bucket_policy.b"][0] == \
        "PASSED"
    result, details = _s3_results(tmp_path, "--var-file", str(tmp_path / "loose.tfvars"))["aws_s3_bucket_policy.b"]
    assert result == "FAILED" and not any("branch where" in line for line in details)
    # without a value both branches are judged and the failing one is named
    result, details = _s3_results(tmp_path)["aws_s3_bucket_policy.b"]
    assert result == "FAILED"
    assert "Policy: policy of aws_s3_bucket_policy.b (branch where var.strict is false)" in details


def test_policy_files_that_are_not_regular_files_fail_closed(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    (tmp_path / "main.tf").write_text('''
resource "aws_s3_bucket_policy" "fifo" {
  bucket = "fifo-bucket"
  policy = file("${path.module}/fifo.json")
}
resource "aws_s3_bucket_policy" "zero" {
  bucket = "zero-bucket"
  policy = templatefile("${path.module}/zero.json", {})
}
''', encoding="utf-8")
    found = _s3_results(tmp_path)
    for address in ("aws_s3_bucket_policy.fifo", "aws_s3_bucket_policy.zero"):
        result, details = found[address]
        assert result == "FAILED"
        assert "is not a regular file" in details[0], details
