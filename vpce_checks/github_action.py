"""`vpce-checks action`: the GitHub Action's scan step (action.yml at the repository root runs it).

A composite action passes its inputs to a `run:` step only through the environment, so action.yml maps each
input to INPUT_<NAME> (upper case) and this module turns them into a `vpce-checks scan`: the same runs locally
with the same variables (tests/test_github_action.py does). It then
- writes a Markdown summary of the failures, each with its reason, counterexample and fix, to $GITHUB_STEP_SUMMARY;
- writes the outputs exit_code, passed, failed, skipped and sarif_file to $GITHUB_OUTPUT;
- annotates each failure (a workflow command on the log) when the `annotations` input is true;
- exits like Checkov: 1 when a check fails, 0 with soft_fail, 2 for a bad setting or path.
"""

from __future__ import annotations

import io
import os
import sys
from typing import Dict, List, Mapping, Optional, Sequence

from vpce_checks.reporting import field, markdown_summary, result_of
from vpce_checks.scanner import ScanOutcome, ScanRequest, parse_scan_args, run_scan

# action input -> pack setting (SPEC section 6)
SETTING_INPUTS = {
    "allowed_vpce_ids": "VPCE_CHECKS_ALLOWED_VPCE_IDS",
    "allowed_vpc_ids": "VPCE_CHECKS_ALLOWED_VPC_IDS",
    "perimeter_keys": "VPCE_CHECKS_PERIMETER_KEYS",
    "accepted_exemptions": "VPCE_CHECKS_ACCEPTED_EXEMPTIONS",
    "allowed_source_cidrs": "VPCE_CHECKS_ALLOWED_SOURCE_CIDRS",
    "unresolved": "VPCE_CHECKS_UNRESOLVED",
    "missing_policy": "VPCE_CHECKS_MISSING_POLICY",
    "endpoint_policy_glob": "VPCE_CHECKS_ENDPOINT_POLICY_GLOB",
    "settings_file": "VPCE_CHECKS_CONFIG",
}
# action input -> Checkov option taking one value (as bridgecrewio/checkov-action names them)
VALUE_INPUTS = {
    "check": "--check",
    "skip_check": "--skip-check",
    "soft_fail_on": "--soft-fail-on",
    "hard_fail_on": "--hard-fail-on",
    "baseline": "--baseline",
    "config_file": "--config-file",
    "output_file_path": "--output-file-path",
    "download_external_modules": "--download-external-modules",
}
# action input -> Checkov option given once per comma-separated value (checkov --var-file a --var-file b)
LIST_INPUTS = {
    "var_file": "--var-file",
    "repo_root_for_plan_enrichment": "--repo-root-for-plan-enrichment",
}
FLAG_INPUTS = {"soft_fail": "--soft-fail", "quiet": "--quiet", "compact": "--compact",
               "deep_analysis": "--deep-analysis"}
# Checkov reads its log level from the LOG_LEVEL variable only (checkov/logging_init.py), as checkov-action sets it
ENVIRONMENT_INPUTS = {"log_level": "LOG_LEVEL"}
DEFAULTS = {"directory": ".", "output_format": "cli,sarif", "output_file_path": "console,results.sarif",
            "annotations": "true", "log_level": "WARNING"}


def _input(env: Mapping[str, str], name: str) -> str:
    value = env.get("INPUT_" + name.upper())
    if value is None:
        value = DEFAULTS.get(name, "")
    return value.strip()


def _true(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes", "on")


def _split(value: str) -> List[str]:
    return [part for part in value.replace("\n", ",").replace(" ", ",").split(",") if part]


def scan_arguments(env: Mapping[str, str]) -> List[str]:
    """The `vpce-checks scan` arguments the inputs ask for."""
    files = _split(_input(env, "file"))
    args: List[str] = list(files) if files else [_input(env, "directory") or "."]
    frameworks = _split(_input(env, "framework"))
    if frameworks and frameworks != ["all"]:
        args += ["--framework", *frameworks]
    skipped_frameworks = _split(_input(env, "skip_framework"))
    if skipped_frameworks:
        args += ["--skip-framework", *skipped_frameworks]
    skip_paths = [p.strip() for p in _input(env, "skip_path").splitlines() if p.strip()]
    for path in skip_paths:
        args += ["--skip-path", path]
    for name, option in VALUE_INPUTS.items():
        value = _input(env, name)
        if value:
            args += [option, value]
    for name, option in LIST_INPUTS.items():
        for value in _split(_input(env, name)):
            args += [option, value]
    for name, option in FLAG_INPUTS.items():
        if _true(_input(env, name)):
            args.append(option)
    for fmt in _split(_input(env, "output_format")):
        args += ["-o", fmt]
    return args


def settings_environment(env: Mapping[str, str]) -> Dict[str, str]:
    """The VPCE_CHECKS_* (and Checkov's LOG_LEVEL) variables the inputs set; an empty input leaves any job-level
    variable alone."""
    inputs = {**SETTING_INPUTS, **ENVIRONMENT_INPUTS}
    return {variable: _input(env, name) for name, variable in inputs.items() if _input(env, name)}


def _command_value(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def annotations(rows: Sequence[dict], path_of) -> List[str]:
    """One ::error workflow command per failure (GitHub shows a few per step on the run and in the diff)."""
    lines = []
    for row in rows:
        if result_of(row) != "FAILED":
            continue
        first, last = (row.get("file_line_range") or [1, 1])[:2]
        reason = field(row.get("details") or [], "Reason") or str(row.get("check_name", "failed"))
        title = f"{row.get('check_id')} {row.get('resource')}"
        lines.append(f"::error file={_command_value(path_of(row), True)},line={first or 1},endLine={last or 1},"
                     f"title={_command_value(title, True)}::{_command_value(reason)}")
    return lines


def not_judged_annotations(not_judged: Sequence[Dict[str, str]], workspace: str) -> List[str]:
    """One ::error workflow command per file that could not be judged (nothing silent)."""
    lines = []
    for item in not_judged:
        path = item["file"]
        relative = os.path.relpath(os.path.realpath(path), os.path.realpath(workspace))
        if not relative.startswith(".."):
            path = relative.replace(os.sep, "/")
        title = _command_value("vpce-checks: not judged", True)
        lines.append(f"::error file={_command_value(path, True)},title={title}::{_command_value(item['reason'])}")
    return lines


def _append(path: Optional[str], text: str) -> None:
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def main(argv: Sequence[str] = (), environ: Optional[Mapping[str, str]] = None, stdout=None) -> int:
    env = dict(os.environ if environ is None else environ)
    stdout = stdout or sys.stdout
    if argv:
        sys.stderr.write("vpce-checks action: takes no arguments; it reads INPUT_* variables (see action.yml)\n")
        return 2
    workspace = env.get("GITHUB_WORKSPACE") or os.getcwd()
    try:
        request: ScanRequest = parse_scan_args(scan_arguments(env))
    except ValueError as error:
        sys.stderr.write(f"vpce-checks action: {error}\n")
        return 2
    request.sarif_uri_base = workspace
    request.environment = settings_environment(env)
    request.progress = False
    outcome: ScanOutcome = run_scan(request, stdout=stdout)

    def path_of(row: dict) -> str:
        absolute = row.get("file_abs_path")
        if absolute:
            relative = os.path.relpath(os.path.realpath(absolute), os.path.realpath(workspace))
            if not relative.startswith(".."):
                return relative.replace(os.sep, "/")
        return str(row.get("file_path", "")).lstrip("/")

    if outcome.error:
        sys.stderr.write(f"vpce-checks: {outcome.error}\n")
        _append(env.get("GITHUB_STEP_SUMMARY"), f"## vpce-checks could not run\n\n{outcome.error}\n")
    else:
        _append(env.get("GITHUB_STEP_SUMMARY"), markdown_summary(outcome.rows, path_of=path_of,
                                                                 not_judged=outcome.not_judged))
        if _true(_input(env, "annotations")):
            buffer = io.StringIO()
            for line in annotations(outcome.rows, path_of) + not_judged_annotations(outcome.not_judged, workspace):
                buffer.write(line + "\n")
            stdout.write(buffer.getvalue())
    counts = {key: sum(1 for r in outcome.rows if result_of(r) == key.upper())
              for key in ("passed", "failed", "skipped")}
    counts["not_judged"] = len(outcome.not_judged)
    outputs = [f"exit_code={outcome.returncode}", *(f"{k}={v}" for k, v in counts.items()),
               f"sarif_file={outcome.written.get('sarif', '')}"]
    _append(env.get("GITHUB_OUTPUT"), "\n".join(outputs) + "\n")
    stdout.flush()
    return outcome.returncode
