"""`vpce-checks scan -o gitlab_sast`: GitLab's security report carries each finding's explanation and keeps to
the report schema Checkov declares (15.0.4).

No maintained PyPI or npm package ships GitLab's security-report schemas (GitLab publishes its npm package,
@gitlab-org/security-report-schemas, on its own registry only; the npm registry answers 404 for it), so the
constraints of sast-report-format.json at v15.0.4 are written out here one by one, from GitLab's schema (the file
Checkov's report names in its "schema" field, also kept in GitLab's own repository under
lib/gitlab/ci/parsers/security/validators/schemas/15.0.4/), and checked with jsonschema.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import jsonschema
import pytest

from tests.conftest import FIXTURES, offline_env
from vpce_checks.gitlab_report import CUT_NOTE, NO_FIX, SOLUTION_LIMIT, description_of, solution_of
from vpce_checks.reporting import entries, field, md_escape

pytestmark = pytest.mark.integration

TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
URL = "^https?://.+"
NON_EMPTY = {"type": "string", "minLength": 1}
TOOL = {  # scan.analyzer and scan.scanner
    "type": "object", "required": ["id", "name", "version", "vendor"],
    "properties": {"id": NON_EMPTY, "name": NON_EMPTY, "version": NON_EMPTY, "url": {"type": "string"},
                   "vendor": {"type": "object", "required": ["name"], "properties": {"name": NON_EMPTY}}},
}
IDENTIFIER = {"type": "object", "required": ["type", "name", "value"],
              "properties": {"type": NON_EMPTY, "name": NON_EMPTY, "value": NON_EMPTY,
                             "url": {"type": "string", "pattern": URL}}}
# GitLab SAST report format 15.0.4: what a report must have and what each field may hold.
SAST_15_0_4 = {
    "type": "object",
    "required": ["scan", "version", "vulnerabilities"],
    "properties": {
        "schema": {"type": "string", "pattern": URL},
        "version": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+$"},
        "scan": {
            "type": "object",
            "required": ["analyzer", "end_time", "scanner", "start_time", "status", "type"],
            "properties": {
                "analyzer": dict(TOOL, properties=dict(TOOL["properties"], url={"type": "string", "pattern": URL})),
                "scanner": TOOL,
                "start_time": {"type": "string", "pattern": TIME},
                "end_time": {"type": "string", "pattern": TIME},
                "status": {"enum": ["success", "failure"]},
                "type": {"enum": ["sast"]},
            },
        },
        "vulnerabilities": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "identifiers", "location"],
                "properties": {
                    "id": NON_EMPTY,
                    "name": {"type": "string", "maxLength": 255},
                    "description": {"type": "string", "maxLength": 1048576},
                    "solution": {"type": "string", "maxLength": 7000},
                    "severity": {"enum": ["Info", "Unknown", "Low", "Medium", "High", "Critical"]},
                    "identifiers": {"type": "array", "minItems": 1, "items": IDENTIFIER},
                    "links": {"type": "array", "items": {"type": "object", "required": ["url"],
                                                         "properties": {"name": {"type": "string"},
                                                                        "url": {"type": "string", "pattern": URL}}}},
                    "location": {"type": "object",
                                 "properties": {"file": {"type": "string"}, "start_line": {"type": "number"},
                                                "end_line": {"type": "number"}, "class": {"type": "string"},
                                                "method": {"type": "string"}}},
                },
            },
        },
    },
}
SCHEMA_URL = ("https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.0.4/dist/"
              "sast-report-format.json")


def _scan(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vpce_checks", "scan", *args], cwd=cwd, env=offline_env(),
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def gitlab_run(tmp_path_factory) -> Path:
    """One scan of the CKV_VPCE_1 fixtures (Terraform, plan, CloudFormation, raw JSON) from the repository root,
    as a GitLab job runs it, writing GitLab's report and the JSON report into a folder."""
    out = tmp_path_factory.mktemp("gitlab") / "out"
    completed = _scan("fixtures/CKV_VPCE_1", "-o", "gitlab_sast", "-o", "json", "--output-file-path", str(out),
                      cwd=FIXTURES.parent)
    assert completed.returncode == 1, completed.stdout[-2000:] + completed.stderr[-3000:]
    return out


def _failed_rows(out: Path) -> List[Dict[str, Any]]:
    payload = json.loads((out / "results_json.json").read_text())
    return [r for report in (payload if isinstance(payload, list) else [payload])
            for r in report["results"].get("failed_checks", [])]


def test_report_keeps_to_the_declared_schema(gitlab_run):
    report = json.loads((gitlab_run / "results_gitlab_sast.json").read_text())
    assert report["version"] == "15.0.4" and report["schema"] == SCHEMA_URL
    jsonschema.Draft7Validator.check_schema(SAST_15_0_4)
    errors = sorted(jsonschema.Draft7Validator(SAST_15_0_4).iter_errors(report), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors]


def test_constraints_reject_what_gitlab_rejects():
    """The hand-written constraints are not vacuous: each broken report is refused."""
    good = {"version": "15.0.4", "scan": {"analyzer": {"id": "a", "name": "A", "version": "1", "vendor": {"name": "V"}},
                                          "scanner": {"id": "a", "name": "A", "version": "1", "vendor": {"name": "V"}},
                                          "start_time": "2026-01-01T00:00:00", "end_time": "2026-01-01T00:00:01",
                                          "status": "success", "type": "sast"},
            "vulnerabilities": [{"id": "x", "identifiers": [{"type": "checkov", "name": "C", "value": "C"}],
                                 "location": {"file": "a.tf", "start_line": 1, "end_line": 2}, "severity": "High",
                                 "solution": "s", "description": "d"}]}
    validator = jsonschema.Draft7Validator(SAST_15_0_4)
    assert validator.is_valid(good)
    broken = [
        lambda r: r.pop("scan"),
        lambda r: r["scan"].pop("analyzer"),
        lambda r: r["scan"].update(start_time="2026-01-01 00:00:00"),
        lambda r: r["scan"].update(type="dast"),
        lambda r: r["vulnerabilities"][0].pop("identifiers"),
        lambda r: r["vulnerabilities"][0].update(identifiers=[]),
        lambda r: r["vulnerabilities"][0].update(severity="HIGH"),
        lambda r: r["vulnerabilities"][0].update(solution="x" * 7001),
        lambda r: r["vulnerabilities"][0].pop("location"),
        lambda r: r.update(version="15.0"),
    ]
    for index, breaking in enumerate(broken):
        report = json.loads(json.dumps(good))
        breaking(report)
        assert not validator.is_valid(report), index


def test_every_finding_carries_its_reason_counterexample_and_fix(gitlab_run):
    rows = _failed_rows(gitlab_run)
    findings = json.loads((gitlab_run / "results_gitlab_sast.json").read_text())["vulnerabilities"]
    assert len(findings) == len(rows) > 0
    kinds = set()
    for finding in findings:
        assert "Further info can be found" not in finding["description"] + finding["solution"], finding["name"]
        location = finding["location"]
        matches = [r for r in rows if r["check_id"] == finding["identifiers"][0]["value"]
                   and r["repo_file_path"].lstrip("/") == location["file"]
                   and r["file_line_range"] == [location["start_line"], location["end_line"]]]
        assert matches, location
        descriptions = {description_of(r["details"], "") for r in matches}
        assert finding["description"] in descriptions
        row = next(r for r in matches if description_of(r["details"], "") == finding["description"])
        reason = field(row["details"], "Reason")
        assert finding["description"].splitlines()[0] == md_escape(reason[:1].upper() + reason[1:])
        counterexample = field(row["details"], "Counterexample")
        if counterexample:
            assert f"Counterexample: {md_escape(counterexample)}" in finding["description"]
        fix = next((entry for entry in entries(row["details"]) if entry[0].startswith("Fix: ")), None)
        if fix:
            assert finding["solution"].startswith(md_escape(fix[0][len("Fix: "):].strip()))
            statement_lines = [line.strip() for line in fix[1:] if line.strip()]
            assert all(line in finding["solution"] for line in statement_lines[:5]), finding["solution"][:500]
        else:
            assert finding["solution"] == NO_FIX
        kinds |= {kind for kind in ("terraform", "plan", "cloudformation", "json") if f"/{kind}/" in location["file"]}
    assert kinds == {"terraform", "plan", "cloudformation", "json"}


def test_plain_checkov_report_has_no_explanation(tmp_path):
    """What docs/pipelines.md says of plain `checkov -o gitlab_sast` with the pack: every finding of the pack reads
    "Further info can be found None" (the check's guideline, which the pack's checks do not set)."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "checkov.main", "-d", "fixtures/CKV_VPCE_1/json", "--external-checks-dir",
               str(FIXTURES.parent / "vpce_checks" / "checks"), "--check", "CKV_VPCE_*", "--framework", "json",
               "--skip-download", "-o", "gitlab_sast", "--output-file-path", str(out)]
    completed = subprocess.run(command, cwd=FIXTURES.parent, env=offline_env(), capture_output=True, text=True,
                               timeout=900)
    assert completed.returncode == 1, completed.stderr[-2000:]
    findings = json.loads((out / "results_gitlab_sast.json").read_text())["vulnerabilities"]
    assert findings
    assert {(f["description"], f["solution"]) for f in findings} == {("Further info can be found None",) * 2}


def test_report_on_stdout_is_the_explained_json():
    completed = _scan("fixtures/CKV_VPCE_1/json", "-o", "gitlab_sast", cwd=FIXTURES.parent)
    assert completed.returncode == 1, completed.stderr[-2000:]
    report = json.loads(completed.stdout)
    assert report["vulnerabilities"]
    for finding in report["vulnerabilities"]:
        assert "Further info" not in finding["description"] + finding["solution"]
        assert "\n\nDocs: docs/CKV\\_VPCE\\_" in finding["description"], finding["description"][-300:]


def test_a_long_fix_is_cut_at_a_line_within_gitlabs_limit():
    statement = [f'    "arn:aws:s3:::bucket-{index:04d}/*",' for index in range(400)]
    details = ["Reason: the Deny statements leave a request undenied", "Fix: add this Deny statement:", *statement]
    solution = solution_of(details)
    assert len(solution) <= SOLUTION_LIMIT
    assert solution.startswith("add this Deny statement:\n\n```\n")
    assert solution.endswith(md_escape(CUT_NOTE))
    kept = [line for line in solution.splitlines() if line.startswith('"arn:')]
    assert kept and kept == [line.strip() for line in statement[:len(kept)]]
    assert solution.count("```") == 2
