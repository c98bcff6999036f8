"""`vpce-checks scan`: the real Checkov (offline) with only the pack's checks, every result with its explanation.

Checkov keeps a check's details for Terraform only, so the checks also write their explanations to a side
directory (VPCE_CHECKS_DETAILS_DIR, see checkov_glue) that `scan` reads back. Checkov runs once, writing its JSON
report (plus SARIF and JUnit XML when asked for) into a private folder; `scan` puts the explanations into each
format and then writes the formats where Checkov itself would have written them:

- ``-o cli`` (the default): the pack's own report and a summary line, on stdout;
- ``-o json``: Checkov's JSON with ``details`` filled in for every input kind, on stdout;
- ``-o sarif``: the report on stdout and ``results.sarif`` in the current folder, each result's ``message.text``
  being its explanation (code scanning shows nothing else);
- ``-o junitxml``: on stdout, each failure's message being its reason;
- ``-o gitlab_sast``: on stdout, each finding's description and solution being its explanation and fix
  (vpce_checks/gitlab_report.py);
- ``--output-file-path DIR``: every format also into DIR/results_<format>.<ext> (Checkov's names, e.g.
  ``results_sarif.sarif``); ``--output-file-path console,results.sarif`` with ``-o cli -o sarif``: one place per
  format, in order.

Other formats (csv, cyclonedx, spdx, github_failed_only) go straight to Checkov, unexplained, in a run of their own;
the explained formats asked for beside them (gitlab_sast among them) still come from `scan`.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from vpce_checks.catalog import PREFIX
from vpce_checks.coverage import NotJudged, display_path, framework_files
from vpce_checks.coverage import not_judged as not_judged_files
from vpce_checks.gitlab_report import FILE_NAME as GITLAB_FILE_NAME
from vpce_checks.gitlab_report import GITLAB_SAST, enrich_gitlab_sast_text
from vpce_checks.reporting import (
    add_not_judged_to_json,
    add_not_judged_to_junit,
    add_not_judged_to_sarif,
    attach_details,
    count_recorded,
    enrich_junit,
    enrich_sarif,
    junit_properties_as_asked,
    render_text,
)

FRAMEWORKS = ("terraform", "terraform_plan", "cloudformation", "json")
CHECK_PATTERN = PREFIX + "*"
CONSOLE = "console"
EXPLAINED_FORMATS = ("cli", "json", "sarif", "junitxml", GITLAB_SAST)
FILE_NAMES = {"cli": "results_cli.txt", "json": "results_json.json", "sarif": "results_sarif.sarif",
              "junitxml": "results_junitxml.xml", GITLAB_SAST: GITLAB_FILE_NAME}

# Checkov 3.3's options that take no value (tests/test_scan_cli.py compares this with Checkov's own parser); every
# other option takes one value, except --framework/--skip-framework (framework names) and -f/--file (files).
CHECKOV_FLAGS = frozenset({
    "-h", "--help", "-v", "--version", "--support", "--add-check", "-l", "--list", "--output-bc-ids",
    "--include-all-checkov-policies", "--quiet", "--compact", "--run-all-external-checks", "-s", "--soft-fail",
    "--skip-results-upload", "--skip-download", "--use-enforcement-rules", "--no-cert-verify", "--show-config",
    "--create-baseline", "--output-baseline-as-skipped", "--enable-secret-scan-all-files",
    "--skip-resources-without-violations", "--deep-analysis", "--no-fail-on-crash", "--scan-secrets-history",
})
FRAMEWORK_OPTIONS = frozenset({"--framework", "--skip-framework"})
SPINNER = "|/-\\"

USAGE = """usage: vpce-checks scan PATH [PATH ...] [--settings FILE] [checkov options]

Scan folders (or files) with the pack alone (Checkov, offline) and explain every result.

  PATH             a folder, or files; a Terraform file is scanned with the other .tf files of its folder
                   (its module), so a policy declared in another file of the module is seen
  --settings FILE  the pack's settings file (same as VPCE_CHECKS_CONFIG=FILE)

Every other option goes to Checkov, e.g. -o cli|json|sarif|junitxml|gitlab_sast (several allowed, or
comma-separated), --output-file-path, --soft-fail, --hard-fail-on HIGH, --skip-check, --skip-path, --baseline,
--create-baseline, --quiet. Checkov's exit code comes back; 2 for a bad setting or path.
"""


class UsageError(ValueError):
    """A command line `scan` cannot run."""


@dataclass
class ScanRequest:
    targets: List[str]
    checkov_args: List[str] = field(default_factory=list)
    formats: List[str] = field(default_factory=list)
    output_file_path: Optional[str] = None
    settings_file: Optional[str] = None
    quiet: bool = False
    sarif_uri_base: Optional[str] = None  # make SARIF paths relative to this folder (the GitHub workspace)
    progress: Optional[bool] = None  # None: on when stdout and stderr are terminals and the output is the report
    environment: Dict[str, str] = field(default_factory=dict)  # variables for this scan (e.g. VPCE_CHECKS_*)


@dataclass
class ScanOutcome:
    returncode: int
    rows: List[dict] = field(default_factory=list)
    written: Dict[str, str] = field(default_factory=dict)  # format -> file written
    error: Optional[str] = None
    not_judged: List[Dict[str, str]] = field(default_factory=list)  # {"file", "reason"} for every file not judged


def checks_path() -> str:
    """The folder to pass to ``checkov --external-checks-dir``."""
    return str(Path(__file__).resolve().parent / "checks")


def _has_flag(args: Sequence[str], *names: str) -> bool:
    return any(arg == name or arg.startswith(name + "=") for arg in args for name in names)


def _framework_names() -> frozenset:
    from checkov.common.bridgecrew.check_type import checkov_runners

    return frozenset(checkov_runners) | {"all"}


def parse_scan_args(tokens: Sequence[str]) -> ScanRequest:
    """Split `scan`'s arguments into paths, the pack's own options, output options and the rest for Checkov.

    Paths may come anywhere (pre-commit puts the file names last, after any options): an option's value is
    known from Checkov's own option table, so ``--skip-check CKV_VPCE_7 a.tf`` is an option and one path."""
    request = ScanRequest(targets=[])
    frameworks: Optional[frozenset] = None
    index = 0
    tokens = list(tokens)
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token == "--":
            request.targets += tokens[index:]
            break
        if not token.startswith("-") or token == "-":
            request.targets.append(token)
            continue
        name, has_value, inline = token.partition("=")
        if name in ("-h", "--help"):
            raise UsageError("help")
        if name in ("-f", "--file", "-d", "--directory"):
            if has_value:
                request.targets.append(inline)
            while index < len(tokens) and not tokens[index].startswith("-"):
                request.targets.append(tokens[index])
                index += 1
                if name in ("-d", "--directory"):
                    break
            continue
        if name in FRAMEWORK_OPTIONS and not has_value:
            frameworks = frameworks or _framework_names()
            values = []
            while index < len(tokens) and all(p in frameworks for p in tokens[index].split(",") if p):
                values.append(tokens[index])
                index += 1
            request.checkov_args += [name, *values]
            continue
        if name in CHECKOV_FLAGS and not has_value:
            request.checkov_args.append(token)
            if name == "--quiet":
                request.quiet = True
            continue
        if has_value:
            value = inline
        elif index < len(tokens):
            value = tokens[index]
            index += 1
        else:
            raise UsageError(f"{name} needs a value")
        if name in ("-o", "--output"):
            request.formats += [f.strip() for f in value.split(",") if f.strip()]
        elif name == "--output-file-path":
            request.output_file_path = value
        elif name == "--settings":
            request.settings_file = value
        else:
            request.checkov_args += [name, value]
    return request


def resolve_targets(targets: Sequence[str]) -> List[str]:
    """The paths Checkov gets: folders as given; files as given, each Terraform file with its module's others."""
    if not targets:
        raise UsageError("give a folder or files to scan")
    missing = [t for t in targets if not os.path.exists(t)]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    folders = [t for t in targets if os.path.isdir(t)]
    if folders and len(folders) != len(targets):
        raise UsageError("give folders or files, not both")
    if folders:
        return list(dict.fromkeys(folders))
    resolved: List[str] = []
    for target in targets:
        if target.endswith(".tf"):
            folder = os.path.dirname(target) or "."
            module = sorted(os.path.join(os.path.dirname(target), name) for name in os.listdir(folder)
                            if name.endswith(".tf") and os.path.isfile(os.path.join(folder, name)))
            resolved += module or [target]
        else:
            resolved.append(target)
    return list(dict.fromkeys(resolved))


JSON_FRAMEWORKS = ("terraform_plan", "json")


def frameworks_for(paths: Sequence[str]) -> List[str]:
    """The frameworks `scan` asks Checkov for: the JSON ones only when a .json file is under the paths. With an
    external checks dir Checkov's json runner starts a worker per folder even when there is nothing to read
    (issue 14: about 1.5 CPU seconds on a large Terraform tree); a tree without a .json file loses nothing."""
    def has_json(path: str) -> bool:
        if os.path.isfile(path):
            return path.lower().endswith(".json")
        for _root, folders, files in os.walk(path):
            folders[:] = [f for f in folders if f != ".git"]
            if any(name.lower().endswith(".json") for name in files):
                return True
        return False

    if any(has_json(p) for p in paths):
        return list(FRAMEWORKS)
    return [f for f in FRAMEWORKS if f not in JSON_FRAMEWORKS]


def checkov_command(target: Union[str, Sequence[str]], extra: Sequence[str], output: Optional[str]) -> List[str]:
    """The Checkov command line `scan` runs: the pack only, its frameworks (frameworks_for), offline, extra args
    passed on."""
    paths = [target] if isinstance(target, str) else list(target)
    if all(os.path.isfile(p) for p in paths):
        where = ["-f", *paths]
    else:
        where = [arg for p in paths for arg in ("-d", p)]
    command = [sys.executable, "-m", "checkov.main", *where, "--external-checks-dir", checks_path()]
    if not _has_flag(extra, "--check", "-c"):
        command += ["--check", CHECK_PATTERN]
    if not _has_flag(extra, "--framework"):
        command += ["--framework", *frameworks_for(paths)]
    if not _has_flag(extra, "--skip-download"):
        command.append("--skip-download")
    if output:
        command += ["-o", output]
    return command + list(extra)


def _wait(process: subprocess.Popen, details_dir: str, label: str, show: bool) -> int:
    if not show:
        return process.wait()
    start, frame = time.monotonic(), 0
    while True:
        try:
            return process.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            pass
        recorded = count_recorded(details_dir)
        sys.stderr.write(f"\r{SPINNER[frame % len(SPINNER)]} vpce-checks: scanning {label} with Checkov... "
                         f"{recorded} results so far, {time.monotonic() - start:.0f}s\033[K")
        sys.stderr.flush()
        frame += 1


def _write(path: str, text: str) -> None:
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


@dataclass
class _CheckovRun:
    """One Checkov run's outputs (None where it wrote none, e.g. after a crash) and, when captured, its stderr."""

    returncode: int
    payload: Any = None
    sarif: Optional[dict] = None
    junit: Optional[str] = None
    gitlab: Optional[str] = None
    stdout: str = ""
    stderr: str = ""


def _run_checkov(targets: Sequence[str], checkov_args: Sequence[str], formats: Sequence[str], env: Dict[str, str],
                 work: str, show: bool = False, label: str = "", capture_stderr: bool = False) -> _CheckovRun:
    """Checkov once, with its JSON report (plus SARIF/JUnit when asked for) in a fresh folder under ``work``."""
    out_dir = tempfile.mkdtemp(prefix="out-", dir=work)
    extra_outputs = [arg for f in formats if f in ("sarif", "junitxml", GITLAB_SAST) for arg in ("-o", f)]
    command = checkov_command(targets, list(checkov_args) + extra_outputs + ["--output-file-path", out_dir], "json")
    details_dir = env["VPCE_CHECKS_DETAILS_DIR"]
    with open(os.path.join(out_dir, "stdout.txt"), "w", encoding="utf-8") as captured, \
            open(os.path.join(out_dir, "stderr.txt"), "w", encoding="utf-8") as errors:
        process = subprocess.Popen(command, env=env, stdout=captured, stderr=errors if capture_stderr else None,
                                   text=True)
        returncode = _wait(process, details_dir, label, show)
    if show:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
    run = _CheckovRun(returncode, stdout=_read(os.path.join(out_dir, "stdout.txt")) or "",
                      stderr=_read(os.path.join(out_dir, "stderr.txt")) or "")
    raw = _read(os.path.join(out_dir, FILE_NAMES["json"]))
    try:
        run.payload = json.loads(raw) if raw and raw.strip() else None
    except ValueError:
        run.payload = None
    sarif_text = _read(os.path.join(out_dir, FILE_NAMES["sarif"])) if "sarif" in formats else None
    if sarif_text:
        try:
            run.sarif = json.loads(sarif_text)
        except ValueError:
            run.sarif = None
    run.junit = _read(os.path.join(out_dir, FILE_NAMES["junitxml"])) if "junitxml" in formats else None
    run.gitlab = _read(os.path.join(out_dir, FILE_NAMES[GITLAB_SAST])) if GITLAB_SAST in formats else None
    return run


def _option_values(args: Sequence[str], *names: str) -> List[str]:
    """The values given to an option (``--x a --x b,c``, ``--x=a``; framework options take several words)."""
    values: List[str] = []
    index = 0
    while index < len(args):
        name, has_value, inline = args[index].partition("=")
        index += 1
        if name not in names:
            continue
        if has_value:
            values += [v for v in inline.split(",") if v]
            continue
        while index < len(args) and not args[index].startswith("-"):
            values += [v for v in args[index].split(",") if v]
            index += 1
            if name not in FRAMEWORK_OPTIONS:
                break
    return values


def frameworks_in_effect(checkov_args: Sequence[str]) -> List[str]:
    """The frameworks Checkov runs for `scan`: ours unless --framework says otherwise, minus --skip-framework."""
    chosen = _option_values(checkov_args, "--framework") or list(FRAMEWORKS)
    if "all" in chosen:
        chosen = list(FRAMEWORKS)
    skipped = set(_option_values(checkov_args, "--skip-framework"))
    return [f for f in chosen if f not in skipped]


def _with_framework(checkov_args: Sequence[str], framework: str) -> List[str]:
    args, index = [], 0
    while index < len(checkov_args):
        name = checkov_args[index].partition("=")[0]
        index += 1
        if name in FRAMEWORK_OPTIONS:
            if "=" not in checkov_args[index - 1]:
                while index < len(checkov_args) and not checkov_args[index].startswith("-"):
                    index += 1
            continue
        args.append(checkov_args[index - 1])
    return args + ["--framework", framework]


def _last_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith((" ", "\t"))]
    errors = [line for line in lines if re.match(r"^[A-Za-z_.]+(Error|Exception)\b", line)]
    return (errors or lines or ["no message"])[-1][:300]


def _units(framework: str, files: Sequence[str]) -> List[List[str]]:
    """What to run one at a time when a framework's runner crashed: each file; for Terraform each module folder's
    .tf files together (a resource may use another file's blocks)."""
    if framework != "terraform":
        return [[path] for path in files]
    by_folder: Dict[str, List[str]] = {}
    for path in files:
        by_folder.setdefault(os.path.dirname(path), []).append(path)
    return [sorted(group) for _, group in sorted(by_folder.items())]


def _salvage(targets: Sequence[str], checkov_args: Sequence[str], formats: Sequence[str], env: Dict[str, str],
             work: str, skip_paths: Sequence[str]) -> Tuple[List[_CheckovRun], List[NotJudged]]:
    """After Checkov crashed without a report: run each framework alone, and a crashing framework file by file
    (module by module for Terraform), so one bad file does not lose the others' report; name what crashed."""
    runs: List[_CheckovRun] = []
    crashed: List[NotJudged] = []
    for framework in frameworks_in_effect(checkov_args):
        args = _with_framework(checkov_args, framework)
        run = _run_checkov(targets, args, formats, env, work, capture_stderr=True)
        if run.payload is not None:
            runs.append(run)
            continue
        units = _units(framework, framework_files(targets, skip_paths, framework))
        if not units:
            crashed.append(NotJudged(", ".join(display_path(t) for t in targets),
                                     f"Checkov's {framework} runner crashed ({_last_error(run.stderr)}) and no "
                                     "single file could be blamed; nothing of that framework was judged"))
        for unit in units:
            alone = _run_checkov(unit, args, formats, env, work, capture_stderr=True)
            if alone.payload is not None:
                runs.append(alone)
                continue
            crashed += [NotJudged(display_path(path), f"it crashes Checkov's {framework} runner "
                                  f"({_last_error(alone.stderr)}); the other files were judged")
                        for path in unit]
    return runs, crashed


def _merge(runs: Sequence[_CheckovRun]) -> _CheckovRun:
    """One report from several Checkov runs: the JSON reports side by side, one SARIF run, one JUnit document."""
    reports = [report for run in runs for report in (run.payload if isinstance(run.payload, list)
                                                     else [run.payload]) if isinstance(report, dict)]
    real = [report for report in reports if "results" in report]
    payload: Any = real if len(real) != 1 else real[0]
    if not real:
        payload = reports[0] if reports else []
    merged = _CheckovRun(max((run.returncode for run in runs), default=0), payload=payload)
    sarifs = [run.sarif for run in runs if run.sarif and run.sarif.get("runs")]
    if sarifs:
        merged.sarif = json.loads(json.dumps(sarifs[0]))
        target = merged.sarif["runs"][0]
        rules = target.setdefault("tool", {}).setdefault("driver", {}).setdefault("rules", [])
        for other in sarifs[1:]:
            for run in other["runs"]:
                other_rules = ((run.get("tool") or {}).get("driver") or {}).get("rules") or []
                for result in run.get("results", []):
                    rule_id = result.get("ruleId")
                    index = next((i for i, rule in enumerate(rules) if rule.get("id") == rule_id), None)
                    if index is None:
                        rules.append(next((r for r in other_rules if r.get("id") == rule_id), {"id": rule_id}))
                        index = len(rules) - 1
                    result["ruleIndex"] = index
                    target.setdefault("results", []).append(result)
    junits = [run.junit for run in runs if run.junit]
    if junits:
        import xml.etree.ElementTree as ET

        try:
            root = ET.fromstring(junits[0])
            for other in junits[1:]:
                root.extend(list(ET.fromstring(other)))
            merged.junit = '<?xml version="1.0" ?>\n' + ET.tostring(root, encoding="unicode") + "\n"
        except ET.ParseError:
            merged.junit = junits[0]
    gitlabs = [json.loads(run.gitlab) for run in runs if run.gitlab and run.gitlab.strip().startswith("{")]
    if gitlabs:  # one security report: the first run's header with every run's findings
        for other in gitlabs[1:]:
            gitlabs[0].setdefault("vulnerabilities", []).extend(other.get("vulnerabilities") or [])
        merged.gitlab = json.dumps(gitlabs[0], indent=4)
    return merged


def _parsing_errors(payload: Any) -> List[str]:
    reports = payload if isinstance(payload, list) else [payload]
    return [path for report in reports if isinstance(report, dict)
            for path in ((report.get("results") or {}).get("parsing_errors") or [])]


def _quiet_json(payload: Any) -> Any:
    """Checkov's --quiet JSON shape (failed checks only), which `scan` makes itself: Checkov runs without --quiet
    so that its report keeps the parsing errors."""
    for report in payload if isinstance(payload, list) else [payload]:
        if isinstance(report, dict) and isinstance(report.get("results"), dict):
            report["results"] = {"failed_checks": report["results"].get("failed_checks", [])}
    return payload


def _scan_with_unexplained(request: ScanRequest, targets: List[str], formats: List[str], unexplained: List[str],
                           env: Dict[str, str], stdout) -> ScanOutcome:
    """Formats the pack does not explain (csv, cyclonedx, ...) come from one Checkov run as Checkov writes them; the
    others from `scan`'s own run, so its SARIF, JSON and JUnit stay explained and valid. Each keeps its place in an
    ``--output-file-path`` list."""
    places = request.output_file_path.split(",") if request.output_file_path and "," in request.output_file_path \
        else None
    explained = [f for f in formats if f not in unexplained]

    def place_of(chosen: List[str]) -> Optional[str]:
        if places is None:
            return request.output_file_path
        return ",".join(places[formats.index(f)] if formats.index(f) < len(places) else CONSOLE for f in chosen)

    outputs = [arg for f in unexplained for arg in ("-o", f)]
    where = place_of(unexplained)
    if where:
        outputs += ["--output-file-path", where]
        if places is None:
            os.makedirs(where, exist_ok=True)  # Checkov's csv writer expects the folder to exist
    straight = subprocess.call(checkov_command(targets, request.checkov_args + outputs, None), env=env)
    if not explained:
        return ScanOutcome(straight)
    rest = ScanRequest(**{**request.__dict__, "formats": explained, "output_file_path": place_of(explained)})
    outcome = run_scan(rest, stdout)
    outcome.returncode = max(outcome.returncode, straight)
    return outcome


def run_scan(request: ScanRequest, stdout=None) -> ScanOutcome:
    """Run Checkov once (again per framework and file only if it crashed) and write the requested formats, naming
    every file that could not be judged; the caller decides what the exit code means."""
    from vpce_checks.settings import SettingsError, load_settings

    stdout = stdout or sys.stdout
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE")
    env.update(request.environment)
    if request.settings_file:
        env["VPCE_CHECKS_CONFIG"] = request.settings_file
    try:
        load_settings(env)
    except SettingsError as error:
        return ScanOutcome(2, error=f"settings error: {error}")
    from vpce_checks.checkov_config import ConfigFileError, apply_config_files

    try:
        apply_config_files(request)  # paths, -o, --output-file-path, --quiet from Checkov's config file
        targets = resolve_targets(request.targets)
    except (UsageError, ConfigFileError) as error:
        return ScanOutcome(2, error=str(error))
    formats = list(dict.fromkeys(request.formats or ["cli"]))
    unexplained = [f for f in formats if f not in EXPLAINED_FORMATS]
    if unexplained:  # those straight from Checkov; the explained ones (SARIF among them) still through `scan`
        return _scan_with_unexplained(request, targets, formats, unexplained, env, stdout)
    with tempfile.TemporaryDirectory(prefix="vpce-checks-") as work:
        details_dir = os.path.join(work, "details")
        os.makedirs(details_dir)
        env["VPCE_CHECKS_DETAILS_DIR"] = details_dir
        # Checkov's --quiet JSON drops the parsing errors: `scan` applies quiet itself (JUnit ignores it)
        checkov_args = [arg for arg in request.checkov_args if arg != "--quiet"]
        skip_paths = _option_values(checkov_args, "--skip-path")
        console_report = set(formats) == {"cli"} and not request.output_file_path
        show = request.progress if request.progress is not None else (
            console_report and _isatty(stdout) and _isatty(sys.stderr))
        label = targets[0] if len(targets) == 1 else f"{len(targets)} paths"
        run = _run_checkov(targets, checkov_args, formats, env, work, show, label)
        crashed: List[NotJudged] = []
        if run.payload is None and run.returncode not in (0, 1):  # a crash: keep what the other files give
            shutil.rmtree(details_dir)
            os.makedirs(details_dir)
            sys.stderr.write(f"vpce-checks: Checkov crashed (exit {run.returncode}); scanning again framework by "
                             "framework to judge every file it can\n")
            runs, crashed = _salvage(targets, checkov_args, formats, env, work, skip_paths)
            if runs:
                run = _merge(runs)
                run.returncode = max(run.returncode, 1 if crashed else 0)
        if run.payload is None:  # Checkov did not get as far as a report: show what it said
            stdout.write(run.stdout)
            return ScanOutcome(run.returncode, error="checkov wrote no report")
        payload = run.payload
        rows = attach_details(payload, details_dir)
        reported = {row.get(key) for row in rows for key in ("file_abs_path", "file_path")}
        not_judged = [item.as_dict() for item in not_judged_files(
            targets, skip_paths, frameworks_in_effect(checkov_args), details_dir, _parsing_errors(payload),
            crashed, reported)]
        if request.quiet:
            payload = _quiet_json(payload)
        contents: Dict[str, str] = {"json": json.dumps(add_not_judged_to_json(payload, not_judged), indent=2) + "\n"}
        text = io.StringIO()
        render_text(rows, text, quiet=request.quiet, not_judged=not_judged)
        contents["cli"] = text.getvalue()
        if run.sarif is not None:
            enrich_sarif(run.sarif, rows, uri_base=request.sarif_uri_base)
            add_not_judged_to_sarif(run.sarif, not_judged, uri_base=request.sarif_uri_base)
            contents["sarif"] = json.dumps(run.sarif, indent=2) + "\n"
        if run.junit:
            junit = add_not_judged_to_junit(enrich_junit(run.junit, rows)[0], not_judged)
            asked = {"output": repr(formats), "output_file_path": request.output_file_path or CONSOLE}
            contents["junitxml"] = junit_properties_as_asked(junit, asked, work)
        if run.gitlab:  # vpce_checks/gitlab_report.py
            contents[GITLAB_SAST] = enrich_gitlab_sast_text(run.gitlab, rows) or run.gitlab
    written = _route(formats, contents, request.output_file_path, stdout)
    returncode = run.returncode
    if not_judged and returncode == 0 and not _has_flag(request.checkov_args, "--soft-fail", "-s"):
        returncode = 1  # a policy or template that could not be judged is not a pass
    return ScanOutcome(returncode, rows=rows, written=written, not_judged=not_judged)


def _route(formats: List[str], contents: Dict[str, str], output_file_path: Optional[str], stdout) -> Dict[str, str]:
    """Write each format where Checkov would have: stdout, its own file, or files in a folder."""
    written: Dict[str, str] = {}
    mapped = bool(output_file_path) and "," in output_file_path
    places = output_file_path.split(",") if mapped else []
    report_shown = False
    for index, fmt in enumerate(formats):
        content = contents.get(fmt)
        if content is None:
            sys.stderr.write(f"vpce-checks: checkov wrote no {fmt} output\n")
            continue
        place = places[index].strip() if index < len(places) else CONSOLE
        if place != CONSOLE:
            _write(place, content)
            written[fmt] = place
        elif fmt == "sarif":
            if "cli" not in formats and not report_shown:  # as Checkov: the report on the console
                stdout.write(contents["cli"])
                report_shown = True
            if not output_file_path or mapped:
                _write("results.sarif", content)
                written[fmt] = "results.sarif"
                sys.stderr.write("vpce-checks: wrote SARIF to results.sarif\n")
        elif fmt == "cli":
            if not report_shown:
                stdout.write(content)
                report_shown = True
        else:
            stdout.write(content)
    if output_file_path and not mapped:
        for fmt in formats:
            if fmt in contents:
                path = os.path.join(output_file_path, FILE_NAMES[fmt])
                _write(path, contents[fmt])
                written[fmt] = path
    stdout.flush()
    return written


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def scan_main(tokens: Sequence[str]) -> int:
    """`vpce-checks scan ...`"""
    try:
        request = parse_scan_args(tokens)
    except UsageError as error:
        if str(error) == "help":
            sys.stdout.write(USAGE)
            return 0
        sys.stderr.write(f"vpce-checks scan: {error}\n{USAGE}")
        return 2
    outcome = run_scan(request)
    if outcome.error and outcome.returncode == 2:
        sys.stderr.write(f"vpce-checks: {outcome.error}\n")
    return outcome.returncode
