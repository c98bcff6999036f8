"""The real checkov CLI over fixtures/: every (check, file, resource) result equals the expected-results files.

Each fixtures/<CHECK_ID>/expected.txt lists, one per line, `CHECK_ID RESULT path resource` for every pack result on
the files under that folder; the comparison is exact in both directions.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, offline_env, results_of

# Checkov names a raw JSON result after the path it was given ("<file>.*.<file>.<CHECK_ID>"); compare "document".
_JSON_RESOURCE = re.compile(r"^.*\.json\.\*\..*\.json\.CKV_VPCE_\d+$")


def _resource(name: str) -> str:
    return "document" if _JSON_RESOURCE.match(name) else name


def expected_results() -> set:
    rows = set()
    for path in sorted(FIXTURES.glob("*/expected.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                check, result, file, resource = line.split(" ", 3)
                rows.add((check, result, file, _resource(resource)))
    return rows


def actual_results(completed) -> set:
    return {(r["check_id"], r["check_result"]["result"], r["file_path"].lstrip("/"), _resource(r["resource"]))
            for r in results_of(completed)}


def test_checkov_runs_cleanly(fixture_run):
    # exit code 1 means "some checks failed" (the fixtures include failing cases); anything else is a crash
    assert fixture_run.returncode == 1, fixture_run.stderr[-3000:]
    assert "Failed to run check" not in fixture_run.stderr, fixture_run.stderr[-3000:]
    assert "Traceback" not in fixture_run.stderr, fixture_run.stderr[-3000:]


def test_every_result_is_exactly_as_expected(fixture_run):
    expected, actual = expected_results(), actual_results(fixture_run)
    missing = sorted(expected - actual)
    unexpected = sorted(actual - expected)
    assert not missing and not unexpected, (
        "missing:\n" + "\n".join(" ".join(r) for r in missing)
        + "\nunexpected:\n" + "\n".join(" ".join(r) for r in unexpected))


def test_fixture_counts_meet_the_bar():
    rows = expected_results()
    passed = sum(1 for r in rows if r[1] == "PASSED")
    failed = sum(1 for r in rows if r[1] == "FAILED")
    kinds = {r[2].split("/")[1] for r in rows}
    print(f"fixture results: {passed} PASSED, {failed} FAILED across {sorted(kinds)}")
    assert passed >= 15 and failed >= 25
    assert {"terraform", "cloudformation", "json", "plan"} <= kinds
    assert {r[0] for r in rows} >= {"CKV_VPCE_1", "CKV_VPCE_2", "CKV_VPCE_3"}


def test_terraform_failures_carry_details_with_request_and_fix(fixture_run):
    failures = [r for r in results_of(fixture_run)
                if r["check_type"] in ("terraform", "terraform_plan") and r["check_result"]["result"] == "FAILED"]
    assert failures
    for row in failures:
        text = "\n".join(row.get("details") or [])
        assert text.startswith("Reason: "), (row["resource"], text)
        if "cannot be resolved" in text or "cannot prove" in text or "not valid IAM" in text:
            continue
        if row["check_id"] in ("CKV_VPCE_6", "CKV_VPCE_7"):  # soundness findings: the problem, then the fix
            continue
        if row["check_id"] == "CKV_VPCE_10" and "lockout: " in text:  # an RCP's lockout: a soundness finding
            assert "Fix: " in text, (row["resource"], text)
            continue
        assert "Counterexample: " in text, (row["resource"], text)
        if row["check_id"] != "CKV_VPCE_4":  # an endpoint type is not a policy: no Deny to miss
            assert "is not explicitly denied" in text, (row["resource"], text)
        assert "Fix: " in text, (row["resource"], text)
        assert row["severity"] == ("MEDIUM" if row["check_id"] in ("CKV_VPCE_7", "CKV_VPCE_8") else "HIGH")


@pytest.fixture(scope="module")
def scan_json():
    command = [sys.executable, "-m", "vpce_checks", "scan", str(FIXTURES), "-o", "json"]
    return subprocess.run(command, env=offline_env(), capture_output=True, text=True, timeout=900)


def test_scan_explains_every_result_in_every_input_kind(scan_json):
    assert scan_json.returncode == 1, scan_json.stderr[-3000:]
    rows = results_of(scan_json)
    assert {r["check_type"] for r in rows} >= {"terraform", "terraform_plan", "cloudformation", "json"}
    for row in rows:
        details = row.get("details") or []
        if row["check_result"]["result"] == "FAILED":
            assert details and details[0].startswith("Reason: "), (row["file_path"], row["resource"], details)
        elif row["check_result"]["result"] == "PASSED":
            expected_start = {"CKV_VPCE_4": "Endpoint type: ", "CKV_VPCE_6": "Admits: ",
                              "CKV_VPCE_7": "aws:SourceIp ranges", "CKV_VPCE_8": "Endpoint policy limits: ",
                              }.get(row["check_id"], "Allowed origins: ")
            assert details and details[0].startswith(expected_start), (row["file_path"], row["resource"])
    kinds_with_fix = {r["check_type"] for r in rows if any(line.startswith("Fix: ") for line in r.get("details", []))}
    assert kinds_with_fix >= {"terraform", "cloudformation", "json"}


def test_scan_text_output_names_request_and_fix():
    command = [sys.executable, "-m", "vpce_checks", "scan", str(FIXTURES / "CKV_VPCE_1" / "cloudformation")]
    completed = subprocess.run(command, env=offline_env(), capture_output=True, text=True, timeout=900)
    assert completed.returncode == 1, completed.stderr[-2000:]
    assert "Counterexample: " in completed.stdout and "is not explicitly denied" in completed.stdout
    assert "Fix: add" in completed.stdout
    assert "vpce-checks results — passed: " in completed.stdout


def test_scan_exits_2_on_a_bad_setting():
    command = [sys.executable, "-m", "vpce_checks", "scan", str(FIXTURES)]
    completed = subprocess.run(command, env=offline_env({"VPCE_CHECKS_UNRESOLVED": "maybe"}),
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 2
    assert "VPCE_CHECKS_UNRESOLVED" in completed.stderr


def test_path_prints_the_checks_folder():
    completed = subprocess.run([sys.executable, "-m", "vpce_checks", "path"], capture_output=True, text=True)
    path = Path(completed.stdout.strip())
    assert completed.returncode == 0 and path.is_dir() and (path / "__init__.py").exists()
    assert os.path.samefile(path, Path(__file__).resolve().parent.parent / "vpce_checks" / "checks")


_ENDPOINT_ID = re.compile(r"^vpce-[0-9a-f]{8}([0-9a-f]{9})?$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$")


def _resource_type(arn: str) -> str:
    """The IAM action database's resource type of a concrete ARN (policy_sentry, as the engine's tests see it)."""
    from policy_sentry.querying.arns import get_matching_raw_arns, get_resource_type_name_with_raw_arn

    raws = get_matching_raw_arns(arn)
    assert raws, f"{arn} is no ARN of a known resource type"
    return get_resource_type_name_with_raw_arn(raws[0])


def test_every_counterexample_is_a_request_aws_could_receive(scan_json):
    """SPEC section 4: printed whole, concrete values only, an action on a resource type it applies to, the keys of
    its network. Checked on every failing result of every input kind."""
    from policy_sentry.querying.actions import get_actions_matching_arn_type

    requests = []
    for row in results_of(scan_json):
        for line in row.get("details") or []:
            if line.startswith("Request (JSON): "):
                requests.append((row["file_path"], row["check_id"], json.loads(line[len("Request (JSON): "):])))
    assert len(requests) >= 40, len(requests)
    for where, check_id, request in requests:
        text = json.dumps(request)
        for token in ("*", "?", "${", "<", "THIS_"):
            assert token not in text, (where, check_id, token, request)
        service, name = request["action"].split(":", 1)
        assert re.fullmatch(r"[A-Za-z]+", name), (where, request["action"])
        if not name.startswith("FutureAction"):
            kind = _resource_type(request["resource"])
            allowed = {a.lower() for a in get_actions_matching_arn_type(service, kind)}
            assert request["action"].lower() in allowed, (where, request["action"], request["resource"], kind)
        context = request["context"]
        if request["network"] == "public":
            assert context.get("aws:sourceip") and not context.get("aws:sourcevpce") and not context.get(
                "aws:sourcevpc"), (where, context)
        else:
            assert _ENDPOINT_ID.match(context["aws:sourcevpce"]), (where, context)
            assert _VPC_ID.match(context["aws:sourcevpc"]) and context.get("aws:vpcsourceip"), (where, context)
            assert "aws:sourceip" not in context or context["aws:sourceip"] is None, (where, context)
        principal = request["principal"]
        if principal["type"] == "iam":
            assert re.fullmatch(r"\d{12}", principal["account"]), (where, principal)
            assert principal["arn"].split(":")[4] == principal["account"], (where, principal)
