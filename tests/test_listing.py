"""`vpce-checks scan --list` lists the pack's checks as Checkov registers them; plain `checkov --list` cannot
(Checkov 3.3 prints its list before it loads --external-checks-dir: README, "Checks"). Both through the real CLIs."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import offline_env
from vpce_checks.catalog import CHECKS
from vpce_checks.scanner import checks_path


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), env=offline_env(), capture_output=True, text=True, timeout=600)


def test_scan_list_shows_every_catalog_check_as_checkov_registers_it() -> None:
    completed = _run(sys.executable, "-m", "vpce_checks", "scan", "--list")
    assert completed.returncode == 0, completed.stderr
    rows = [line.split() for line in completed.stdout.splitlines() if line.startswith("CKV_VPCE_")]
    assert {row[0] for row in rows} == {check.id for check in CHECKS}
    assert {row[1] for row in rows} == {"terraform", "cloudformation", "json"}
    by_id = {check.id: check for check in CHECKS}
    for row in rows:
        assert row[3] == by_id[row[0]].severity, row  # the severity Checkov holds is the catalog's
    assert ["CKV_VPCE_1", "terraform", "aws_s3_bucket_policy"] in [row[:3] for row in rows]
    assert ["CKV_VPCE_1", "cloudformation", "AWS::S3::BucketPolicy"] in [row[:3] for row in rows]


def test_scan_list_filters_by_framework() -> None:
    completed = _run(sys.executable, "-m", "vpce_checks", "scan", "--list", "--framework", "json")
    rows = [line.split() for line in completed.stdout.splitlines() if line.startswith("CKV_VPCE_")]
    assert rows and {row[1] for row in rows} == {"json"}


def test_plain_checkov_list_cannot_show_external_checks() -> None:
    """Checkov 3.3's --list returns before loading --external-checks-dir; if a Checkov release changes that, this
    test fails and the README's sentence about it must change."""
    completed = _run("checkov", "--list", "--framework", "terraform", "--external-checks-dir", checks_path(),
                     "--skip-download")
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "CKV_AWS_" in completed.stdout  # Checkov's own checks are listed
    assert "CKV_VPCE_" not in completed.stdout


def test_source_ip_placeholder_fails_closed_through_checkov(tmp_path) -> None:
    """CKV_VPCE_7 never passes a placeholder such as "<my-corporate-cidr>": it is no address or CIDR."""
    policy = tmp_path / "bucket.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": '
                      '"s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"NotIpAddress": '
                      '{"aws:SourceIp": "<my-corporate-cidr>"}}}]}', encoding="utf-8")
    completed = _run("checkov", "-f", str(policy), "--external-checks-dir", checks_path(), "--check", "CKV_VPCE_7",
                     "--skip-download", "--compact", "--quiet")
    assert "CKV_VPCE_7" in completed.stdout and "FAILED" in completed.stdout, completed.stdout
