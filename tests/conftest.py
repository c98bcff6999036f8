"""Shared helpers: run the real checkov CLI with the pack, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CHECKS = ROOT / "vpce_checks" / "checks"
FRAMEWORKS = ["terraform", "terraform_plan", "cloudformation", "json"]


def offline_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPCE_CHECKS_")}
    env["BC_SKIP_MAPPING"] = "TRUE"
    env.update(extra or {})
    return env


def run_checkov(target: Path, args: Sequence[str] = (), env: Optional[Dict[str, str]] = None,
                frameworks: Sequence[str] = FRAMEWORKS) -> subprocess.CompletedProcess:
    """The real checkov CLI over ``target`` with the pack's checks only, JSON output."""
    flag = "-d" if target.is_dir() else "-f"
    command = [sys.executable, "-m", "checkov.main", flag, str(target), "--external-checks-dir", str(CHECKS),
               "--check", "CKV_VPCE_*", "--framework", *frameworks, "--skip-download", "-o", "json", *args]
    return subprocess.run(command, env=offline_env(env), capture_output=True, text=True, timeout=900)


def results_of(completed: subprocess.CompletedProcess) -> List[Dict[str, Any]]:
    """Every pack result of a JSON checkov run, with the framework it came from."""
    payload = json.loads(completed.stdout) if completed.stdout.strip() else []
    reports = payload if isinstance(payload, list) else [payload]
    rows = []
    for report in reports:
        if not isinstance(report, dict):
            continue
        for bucket in ("passed_checks", "failed_checks", "skipped_checks"):
            for result in report.get("results", {}).get(bucket, []):
                if result["check_id"].startswith("CKV_VPCE_"):
                    rows.append(dict(result, check_type=report.get("check_type")))
    return rows


# Raw JSON files are VPC endpoint policies only when VPCE_CHECKS_ENDPOINT_POLICY_GLOB says so (CKV_VPCE_8); in the
# fixtures that is exactly fixtures/CKV_VPCE_8/json/, and no file of another folder matches.
ENDPOINT_POLICY_GLOB = "*/fixtures/CKV_VPCE_8/json/*.json"
# Raw JSON files are RCPs/SCPs by VPCE_CHECKS_ORG_POLICY_GLOB (CKV_VPCE_10) in exactly fixtures/CKV_VPCE_10/json/.
ORG_POLICY_GLOB = "*/fixtures/CKV_VPCE_10/json/*.json"


@pytest.fixture(scope="session")
def fixture_run() -> subprocess.CompletedProcess:
    """One checkov run over all fixtures, shared by the tests that read it."""
    return run_checkov(FIXTURES, env={"VPCE_CHECKS_ENDPOINT_POLICY_GLOB": ENDPOINT_POLICY_GLOB,
                                      "VPCE_CHECKS_ORG_POLICY_GLOB": ORG_POLICY_GLOB})
