"""`vpce-checks scan`: its command line, the explanation in SARIF message.text and JUnit failures for every input
kind, where each format is written, and the terminal's progress and summary line."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import FIXTURES, offline_env
from tests.sarif_schema import sarif_errors
from vpce_checks.catalog import CHECKS, docs_text
from vpce_checks.reporting import field, short_message
from vpce_checks.scanner import CHECKOV_FLAGS, UsageError, parse_scan_args, resolve_targets

SCAN = [sys.executable, "-m", "vpce_checks", "scan"]
SMALL = FIXTURES / "CKV_VPCE_1" / "cloudformation"


def _scan(*args: str, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([*SCAN, *args], cwd=cwd, env=offline_env(env), capture_output=True, text=True,
                          timeout=900)


def test_flag_table_matches_checkov():
    from checkov.common.util.ext_argument_parser import ExtArgumentParser

    parser = ExtArgumentParser()
    parser.add_parser_args()
    flags = {option for action in parser._actions if action.nargs == 0 for option in action.option_strings}
    assert flags == CHECKOV_FLAGS
    multi = {option for action in parser._actions if action.nargs in ("+", "*") for option in action.option_strings}
    assert multi == {"-f", "--file", "--framework", "--skip-framework"}


def test_arguments_split_into_paths_outputs_and_checkov_options():
    request = parse_scan_args(["--skip-check", "CKV_VPCE_7", "--soft-fail", "-o", "cli,sarif", "--quiet",
                               "--framework", "terraform", "json", "a.tf", "b.json", "--settings", "s.yaml"])
    assert request.targets == ["a.tf", "b.json"]
    assert request.formats == ["cli", "sarif"] and request.settings_file == "s.yaml" and request.quiet
    assert request.checkov_args == ["--skip-check", "CKV_VPCE_7", "--soft-fail", "--quiet",
                                    "--framework", "terraform", "json"]
    request = parse_scan_args(["-d", "infra", "--output-file-path=out", "--hard-fail-on", "HIGH", "-o", "json"])
    assert request.targets == ["infra"] and request.output_file_path == "out" and request.formats == ["json"]
    assert request.checkov_args == ["--hard-fail-on", "HIGH"]
    assert parse_scan_args(["-f", "a.json", "b.json", "--compact"]).targets == ["a.json", "b.json"]
    with pytest.raises(UsageError):
        parse_scan_args(["infra", "--baseline"])


def test_a_terraform_file_brings_its_module(tmp_path, monkeypatch):
    (tmp_path / "m").mkdir()
    for name in ("bucket.tf", "policy.tf", "notes.json"):
        (tmp_path / "m" / name).write_text("")
    monkeypatch.chdir(tmp_path)
    assert resolve_targets(["m/bucket.tf", "m/notes.json"]) == ["m/bucket.tf", "m/policy.tf", "m/notes.json"]
    with pytest.raises(UsageError):
        resolve_targets(["m", "m/notes.json"])
    with pytest.raises(UsageError):
        resolve_targets(["nothing-here.tf"])


def test_scanning_one_file_of_a_module_sees_the_policy_in_another(tmp_path):
    source = (FIXTURES / "CKV_VPCE_1" / "terraform" / "jsonencode_refs_pass" / "main.tf").read_text()
    bucket, _, policy = source.partition('resource "aws_s3_bucket_policy"')
    (tmp_path / "bucket.tf").write_text(bucket[bucket.index('resource "aws_s3_bucket"'):])
    (tmp_path / "policy.tf").write_text('resource "aws_s3_bucket_policy"' + policy)
    completed = _scan("bucket.tf", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr[-2000:]
    assert "CKV_VPCE_1 PASSED  aws_s3_bucket_policy.reports" in completed.stdout


@pytest.fixture(scope="module")
def all_formats(tmp_path_factory):
    """One scan of every fixture with JSON, SARIF and JUnit XML into a folder, as Checkov names the files."""
    out = tmp_path_factory.mktemp("formats") / "out"
    completed = _scan(str(FIXTURES), "-o", "json", "-o", "sarif", "-o", "junitxml", "--output-file-path", str(out))
    assert completed.returncode == 1, completed.stderr[-3000:]
    return out


def _json_rows(out: Path):
    payload = json.loads((out / "results_json.json").read_text())
    rows = []
    for report in payload if isinstance(payload, list) else [payload]:
        for bucket in ("failed_checks", "passed_checks", "skipped_checks"):
            rows += [dict(r, check_type=report["check_type"]) for r in report["results"].get(bucket, [])]
    return rows


def test_sarif_message_is_the_explanation_for_every_input_kind(all_formats):
    rows = [r for r in _json_rows(all_formats) if r["check_result"]["result"] == "FAILED"]
    assert {r["check_type"] for r in rows} >= {"terraform", "terraform_plan", "cloudformation", "json"}
    sarif = json.loads((all_formats / "results_sarif.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert len(results) == len(rows)
    by_key = {}
    for row in rows:
        key = (row["check_id"], row["repo_file_path"].lstrip("/"), max(row["file_line_range"][0], 1))
        by_key.setdefault(key, []).append(short_message(row["details"], ""))
    kinds = set()
    for result in results:
        location = result["locations"][0]["physicalLocation"]
        key = (result["ruleId"], unquote(location["artifactLocation"]["uri"]), location["region"]["startLine"])
        assert result["message"]["text"] in by_key[key], key
        text = result["message"]["text"]
        row_details = next(r["details"] for r in rows if (r["check_id"], r["repo_file_path"].lstrip("/"),
                                                          max(r["file_line_range"][0], 1)) == key)
        reason = field(row_details, "Reason")
        assert text.splitlines()[0] == reason[:1].upper() + reason[1:], key
        counterexample = field(row_details, "Counterexample")
        if counterexample:
            assert f"Counterexample: {counterexample}" in text, key
        if any(line.startswith("Fix: ") for line in row_details):
            assert "Fix: " in text, key
        assert result["properties"]["details"] == row_details, key
        kinds |= {kind for kind in ("terraform", "plan", "cloudformation", "json") if f"/{kind}/" in key[1]}
    assert {"terraform", "plan", "cloudformation", "json"} <= kinds, kinds


def test_sarif_validates_against_the_2_1_0_schema_and_rules_carry_their_docs(all_formats):
    sarif = json.loads((all_formats / "results_sarif.sarif").read_text())
    assert sarif["runs"][0]["results"]
    assert sarif_errors(sarif) == []
    assert "invocations" not in sarif["runs"][0]  # every fixture file was judged: no notification
    payload = json.loads((all_formats / "results_json.json").read_text())
    assert all(report["vpce_checks_not_judged"] == [] for report in payload)
    rules = {rule["id"]: rule for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {check.id for check in CHECKS}
    for check in CHECKS:
        rule = rules[check.id]
        assert rule["shortDescription"]["text"] == check.title
        assert rule["help"]["text"] == rule["help"]["markdown"] == docs_text(check.id)
        assert rule["help"]["text"].startswith(f"# {check.id}: {check.title}\n")
        assert "helpUri" not in rule  # no repository URL is set: no invented address


def test_sarif_help_uri_and_docs_lines_come_from_the_repository_url_setting(tmp_path):
    base = "https://git.example.test/team/vpce-checks"  # example.test: a reserved name, never a real host
    out = tmp_path / "out"
    completed = _scan(str(SMALL), "-o", "sarif", "-o", "json", "--output-file-path", str(out),
                      env={"VPCE_CHECKS_REPOSITORY_URL": base + "/"})
    assert completed.returncode == 1, completed.stderr[-3000:]
    sarif = json.loads((out / "results_sarif.sarif").read_text())
    assert sarif_errors(sarif) == []
    from vpce_checks import __version__

    page = f"{base}/blob/v{__version__}/docs/CKV_VPCE_1.md"
    rules = {rule["id"]: rule for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["CKV_VPCE_1"]["helpUri"] == page
    failed = [r for r in _json_rows(out) if r["check_result"]["result"] == "FAILED"]
    assert failed and all(f"Docs: {base}/blob/v{__version__}/docs/{r['check_id']}.md" in r["details"]
                          for r in failed)
    assert all(r["guideline"] == f"{base}/blob/v{__version__}/docs/{r['check_id']}.md" for r in failed)
    bad = _scan(str(SMALL), env={"VPCE_CHECKS_REPOSITORY_URL": "git.example.test/team"})
    assert bad.returncode == 2 and "VPCE_CHECKS_REPOSITORY_URL" in bad.stderr


def test_sarif_beside_a_format_checkov_writes_alone_is_still_explained_and_valid(tmp_path):
    out = tmp_path / "out"
    completed = _scan(str(SMALL), "-o", "sarif", "-o", "csv", "--output-file-path", str(out))
    assert completed.returncode == 1, completed.stderr[-3000:]
    assert list(out.glob("*_iac.csv"))  # Checkov's own CSV
    sarif = json.loads((out / "results_sarif.sarif").read_text())
    assert sarif_errors(sarif) == []
    assert all(r["properties"]["details"] for r in sarif["runs"][0]["results"])


def test_junit_failures_carry_the_reason_and_explanation(all_formats):
    rows = {(r["check_id"], f"{r['file_path']}.{r['resource']}"): r for r in _json_rows(all_formats)
            if r["check_result"]["result"] == "FAILED"}
    junit = ET.parse(all_formats / "results_junitxml.xml")
    cases = [c for c in junit.iter("testcase") if c.find("failure") is not None]
    assert len(cases) == len(rows)
    for case in cases:
        check = re.search(r"\[(CKV_VPCE_\w+)\]", case.get("name")).group(1)
        row = rows[(check, case.get("classname"))]
        failure = case.find("failure")
        assert failure.get("message") == field(row["details"], "Reason")
        assert failure.text.startswith("\n".join(row["details"]))
    # Checkov's command-line properties say what the user asked for, never `scan`'s private temporary folder
    properties = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert properties["output_file_path"] == str(all_formats)
    assert properties["output"] == "['json', 'sarif', 'junitxml']"
    assert not [v for v in properties.values() if "/vpce-checks-" in v]  # scan's tempfile prefix


def test_sarif_goes_where_checkov_puts_it(tmp_path):
    completed = _scan(str(SMALL), "-o", "sarif", cwd=tmp_path)
    assert completed.returncode == 1, completed.stderr[-2000:]
    assert (tmp_path / "results.sarif").is_file()  # Checkov's default: results.sarif in the current folder
    assert "vpce-checks results — passed: " in completed.stdout  # and the report on the console
    sarif = json.loads((tmp_path / "results.sarif").read_text())
    # each result explains itself: a counterexample, why the policy could not be read, or (CKV_VPCE_6, a fault in
    # how the perimeter is written) the fault and its fix
    assert all("Counterexample: " in r["message"]["text"] or "cannot be resolved" in r["message"]["text"]
               or (r["ruleId"] == "CKV_VPCE_6" and "\nFix: " in r["message"]["text"])
               for r in sarif["runs"][0]["results"])

    mapped = tmp_path / "mapped"
    mapped.mkdir()
    completed = _scan(str(SMALL), "-o", "cli", "-o", "sarif", "--output-file-path", "console,out/scan.sarif",
                      cwd=mapped)
    assert completed.returncode == 1 and (mapped / "out" / "scan.sarif").is_file()
    assert not (mapped / "results.sarif").exists()
    assert completed.stdout.count("vpce-checks results — passed: ") == 1


def test_terminal_shows_progress_and_summary_by_check():
    leader, follower = pty.openpty()
    process = subprocess.Popen([*SCAN, str(SMALL)], stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
                               env=offline_env())
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=60)
    os.close(leader)
    text = output.decode("utf-8", "replace")
    assert process.returncode == 1, text[-2000:]
    assert "vpce-checks: scanning " in text
    summary = [line for line in text.splitlines() if "vpce-checks results — passed: " in line][-1]
    assert re.search(r"by check: CKV_VPCE_1 \d+ failed/\d+", summary), summary
    assert re.search(r"\(\d+ results on \d+ resources in \d+ files\)", summary), summary


def test_no_progress_when_not_a_terminal_or_machine_output():
    completed = _scan(str(SMALL))
    assert "scanning" not in completed.stderr and "scanning" not in completed.stdout
    assert completed.stdout.strip().splitlines()[-1].startswith("vpce-checks results — passed: ")
    completed = _scan(str(SMALL), "-o", "json")
    json.loads(completed.stdout)  # nothing but the JSON on stdout
    assert "vpce-checks results" not in completed.stdout


def test_the_json_frameworks_run_only_when_there_is_a_json_file(tmp_path):
    """Issue 14: Checkov's json runner costs a worker per folder even with nothing to read. A tree without a .json
    file is scanned without it and gives the same pack results; one .json file anywhere brings it back."""
    from vpce_checks.cli import checks_path
    from vpce_checks.scanner import checkov_command, frameworks_for

    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "CKV_VPCE_1" / "terraform", tree)
    for path in list(tree.rglob("*.json")):
        path.unlink()
    assert "json" not in frameworks_for([str(tree)]) and "terraform_plan" not in frameworks_for([str(tree)])
    assert "terraform" in frameworks_for([str(tree)])
    command = checkov_command(str(tree), [], "json")
    assert command[command.index("--framework") + 1:command.index("--framework") + 3] == ["terraform",
                                                                                          "cloudformation"]
    assert checkov_command(str(tree), ["--framework", "json"], None).count("--framework") == 1  # the user's

    def pack_results(framework_args):
        run = subprocess.run([sys.executable, "-m", "checkov.main", "-d", str(tree), "--external-checks-dir",
                              checks_path(), "--check", "CKV_VPCE_*", "--skip-download", "-o", "json",
                              "--framework", *framework_args], capture_output=True, text=True, env=offline_env())
        reports = json.loads(run.stdout)
        reports = reports if isinstance(reports, list) else [reports]
        return sorted((r["check_id"], r["resource"], r["file_path"]) for report in reports
                      for key in ("passed_checks", "failed_checks")
                      for r in report.get("results", {}).get(key, []))

    assert pack_results(["terraform", "terraform_plan", "cloudformation", "json"]) == pack_results(
        ["terraform", "cloudformation"])
    (tree / "nested").mkdir()
    (tree / "nested" / "policy.json").write_text("{}")
    assert frameworks_for([str(tree)]) == ["terraform", "terraform_plan", "cloudformation", "json"]
