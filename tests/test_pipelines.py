"""Pipelines other than GitHub's: Checkov's config file naming the pack (plain checkov and `vpce-checks scan`), the
pack's settings beside it, and the snippets of docs/pipelines.md run as written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import pytest

from tests.conftest import FIXTURES, offline_env
from vpce_checks.scanner import checks_path

pytestmark = pytest.mark.integration

# A small tree, one case per input kind, laid out as under fixtures/ so expected.txt names its results.
TREE_FILES = (
    "CKV_VPCE_1/terraform/jsonencode_refs_pass/main.tf",
    "CKV_VPCE_1/cloudformation/notaction_fail.yaml",
    "CKV_VPCE_1/json/partial_actions_fail.json",
    "CKV_VPCE_1/json/key_lowercase_pass.json",
)
OTHER_VPCE = "vpce-0a1b2c3d4e5f60718"  # an endpoint none of the tree's policies names
NAMED_VPCE = "vpce-0c83a8ad9bb98ef71"  # the endpoint key_lowercase_pass.json names


def small_tree(root: Path) -> Path:
    """Copy TREE_FILES to root/infra, keeping their paths; returns the infra folder."""
    infra = root / "infra"
    for relative in TREE_FILES:
        target = infra / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / relative, target)
    return infra


def expected_results() -> Set[Tuple[str, str, str]]:
    """(check, result, path) of every line of the fixtures' expected.txt that is about a file of the tree."""
    found = set()
    for expected in FIXTURES.glob("*/expected.txt"):
        for line in expected.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and not line.startswith("#") and parts[2] in TREE_FILES:
                found.add((parts[0], parts[1], parts[2]))
    return found


def pack_results(stdout: str) -> Set[Tuple[str, str, str]]:
    """(check, result, path) of every pack result in a Checkov JSON report."""
    payload = json.loads(stdout)
    found = set()
    for report in payload if isinstance(payload, list) else [payload]:
        for bucket in ("passed_checks", "failed_checks", "skipped_checks"):
            for row in report.get("results", {}).get(bucket, []):
                if row["check_id"].startswith("CKV_VPCE_"):
                    found.add((row["check_id"], row["check_result"]["result"], row["file_path"].lstrip("/")))
    return found


def write_checkov_config(path: Path, external_checks_dir: str, extra: str = "") -> Path:
    path.write_text(
        "# Checkov's options, by their long names\n"
        "directory:\n  - infra\n"
        f"external-checks-dir:\n  - {external_checks_dir}\n"
        "framework:\n  - terraform\n  - cloudformation\n  - json\n"
        "skip-download: true\n" + extra)
    return path


def run(command: List[str], cwd: Path, env: Optional[Dict[str, str]] = None,
        timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=offline_env(env), capture_output=True, text=True, timeout=timeout)


CHECKOV = [sys.executable, "-m", "checkov.main"]
SCAN = [sys.executable, "-m", "vpce_checks", "scan"]


# ---- the config file ---------------------------------------------------------------------------------------------

def test_plain_checkov_runs_the_pack_from_a_config_file(tmp_path):
    """`.checkov.yaml` with external-checks-dir naming the pack: found by Checkov in the current folder, or given
    with --config-file; the pack's results are the fixtures' expected ones, beside Checkov's own checks."""
    small_tree(tmp_path)
    write_checkov_config(tmp_path / ".checkov.yaml", checks_path())
    expected = expected_results()
    assert {path for _, _, path in expected} == set(TREE_FILES)
    found = run([*CHECKOV, "-o", "json"], cwd=tmp_path)
    assert found.returncode == 1, found.stderr[-2000:]
    assert pack_results(found.stdout) == expected
    own_checks = [row for report in json.loads(found.stdout) for bucket in ("passed_checks", "failed_checks")
                  for row in report["results"][bucket] if not row["check_id"].startswith("CKV_VPCE_")]
    assert own_checks, "Checkov's own checks ran beside the pack"
    (tmp_path / ".checkov.yaml").rename(tmp_path / "ci-checkov.yaml")
    named = run([*CHECKOV, "--config-file", "ci-checkov.yaml", "-o", "json", "--check", "CKV_VPCE_*"], cwd=tmp_path)
    assert named.returncode == 1, named.stderr[-2000:]
    assert pack_results(named.stdout) == expected


def test_config_file_can_name_the_pack_by_a_link_the_pipeline_makes(tmp_path):
    """The installed pack's folder depends on the Python version; a link made in the job keeps the file fixed."""
    small_tree(tmp_path)
    (tmp_path / ".vpce-checks").symlink_to(checks_path(), target_is_directory=True)
    write_checkov_config(tmp_path / ".checkov.yaml", ".vpce-checks", "check:\n  - CKV_VPCE_*\n")
    completed = run([*CHECKOV, "-o", "json"], cwd=tmp_path)
    assert completed.returncode == 1, completed.stderr[-2000:]
    assert pack_results(completed.stdout) == expected_results()


def test_checkov_refuses_the_packs_settings_inside_its_config_file(tmp_path):
    """Why the pack's settings live in a file of their own: Checkov stops on a key it does not know."""
    small_tree(tmp_path)
    write_checkov_config(tmp_path / ".checkov.yaml", checks_path(), f"VPCE_CHECKS_ALLOWED_VPCE_IDS: {OTHER_VPCE}\n")
    completed = run([*CHECKOV, "-o", "json"], cwd=tmp_path)
    assert completed.returncode == 2
    assert "unrecognized arguments" in completed.stderr and "VPCE_CHECKS_ALLOWED_VPCE_IDS" in completed.stderr


def _ckv6_on_named_endpoint(results: Set[Tuple[str, str, str]]) -> str:
    return next(result for check, result, path in results
                if check == "CKV_VPCE_6" and path == "CKV_VPCE_1/json/key_lowercase_pass.json")


def test_settings_file_beside_the_config_file(tmp_path):
    """`.vpce-checks.yaml` beside `.checkov.yaml`, named by VPCE_CHECKS_CONFIG (plain checkov) or --settings
    (scan): allowing another endpoint makes CKV_VPCE_6 fail the policy that names NAMED_VPCE."""
    small_tree(tmp_path)
    write_checkov_config(tmp_path / ".checkov.yaml", checks_path(), "check:\n  - CKV_VPCE_*\n")
    (tmp_path / ".vpce-checks.yaml").write_text(f"VPCE_CHECKS_ALLOWED_VPCE_IDS: [{OTHER_VPCE}]\n")
    without = run([*CHECKOV, "-o", "json"], cwd=tmp_path)
    assert _ckv6_on_named_endpoint(pack_results(without.stdout)) == "PASSED"
    plain = run([*CHECKOV, "-o", "json"], cwd=tmp_path, env={"VPCE_CHECKS_CONFIG": ".vpce-checks.yaml"})
    assert _ckv6_on_named_endpoint(pack_results(plain.stdout)) == "FAILED"
    scanned = run([*SCAN, "--config-file", ".checkov.yaml", "--settings", ".vpce-checks.yaml", "-o", "json"],
                  cwd=tmp_path)
    assert scanned.returncode == 1, scanned.stderr[-2000:]
    assert _ckv6_on_named_endpoint(pack_results(scanned.stdout)) == "FAILED"
    assert NAMED_VPCE in scanned.stdout


def test_scan_takes_paths_outputs_and_checkov_options_from_the_config_file(tmp_path):
    """`vpce-checks scan --config-file FILE` with no path: the folder, the formats and where they go come from the
    file; soft-fail reaches Checkov; the external-checks-dir there (a folder that does not exist) does not matter,
    scan runs the installed pack."""
    small_tree(tmp_path)
    write_checkov_config(tmp_path / "ci.yaml", str(tmp_path / "no-such-folder"),
                         "output:\n  - junitxml\n  - gitlab_sast\noutput-file-path: reports\nsoft-fail: true\n")
    completed = run([*SCAN, "--config-file", "ci.yaml"], cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    report = json.loads((tmp_path / "reports" / "results_gitlab_sast.json").read_text())
    failed = {(check, path) for check, result, path in expected_results() if result == "FAILED"}
    assert {(v["identifiers"][0]["value"], v["location"]["file"].split("infra/", 1)[-1])
            for v in report["vulnerabilities"]} == failed
    assert all(not v["description"].startswith("Further info") for v in report["vulnerabilities"])
    assert "<failure" in (tmp_path / "reports" / "results_junitxml.xml").read_text()
    with_path = run([*SCAN, "--config-file", "ci.yaml", "infra", "-o", "json"], cwd=tmp_path)
    assert with_path.returncode == 0 and pack_results(with_path.stdout) == expected_results()


def test_scan_with_a_missing_or_broken_config_file_exits_2(tmp_path):
    small_tree(tmp_path)
    missing = run([*SCAN, "infra", "--config-file", "nothing.yaml"], cwd=tmp_path)
    assert missing.returncode == 2 and "nothing.yaml: no such file" in missing.stderr
    (tmp_path / "broken.yaml").write_text("directory: [infra\n")
    broken = run([*SCAN, "--config-file", "broken.yaml"], cwd=tmp_path)
    assert broken.returncode == 2 and "broken.yaml: not valid YAML" in broken.stderr
