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

Other formats (csv, cyclonedx, spdx, github_failed_only) go straight to Checkov, unexplained.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

from vpce_checks.gitlab_report import FILE_NAME as GITLAB_FILE_NAME
from vpce_checks.gitlab_report import GITLAB_SAST, enrich_gitlab_sast_text
from vpce_checks.reporting import attach_details, count_recorded, enrich_junit, enrich_sarif, render_text

FRAMEWORKS = ("terraform", "terraform_plan", "cloudformation", "json")
CHECK_PATTERN = "CKV_VPCE_*"
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


def checkov_command(target: Union[str, Sequence[str]], extra: Sequence[str], output: Optional[str]) -> List[str]:
    """The Checkov command line `scan` runs: the pack only, four frameworks, offline, extra args passed on."""
    paths = [target] if isinstance(target, str) else list(target)
    if all(os.path.isfile(p) for p in paths):
        where = ["-f", *paths]
    else:
        where = [arg for p in paths for arg in ("-d", p)]
    command = [sys.executable, "-m", "checkov.main", *where, "--external-checks-dir", checks_path()]
    if not _has_flag(extra, "--check", "-c"):
        command += ["--check", CHECK_PATTERN]
    if not _has_flag(extra, "--framework"):
        command += ["--framework", *FRAMEWORKS]
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


def run_scan(request: ScanRequest, stdout=None) -> ScanOutcome:
    """Run Checkov once and write the requested formats; the caller decides what the exit code means."""
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
    with tempfile.TemporaryDirectory(prefix="vpce-checks-") as work:
        details_dir = os.path.join(work, "details")
        out_dir = os.path.join(work, "out")
        os.makedirs(details_dir)
        env["VPCE_CHECKS_DETAILS_DIR"] = details_dir
        if any(f not in EXPLAINED_FORMATS for f in formats):
            outputs = [arg for f in formats for arg in ("-o", f)]
            if request.output_file_path:
                outputs += ["--output-file-path", request.output_file_path]
            command = checkov_command(targets, request.checkov_args + outputs, None)
            return ScanOutcome(subprocess.call(command, env=env))
        extra_outputs = [arg for f in formats if f in ("sarif", "junitxml", GITLAB_SAST) for arg in ("-o", f)]
        checkov_args = list(request.checkov_args)
        if "--quiet" in checkov_args and not {"json", "junitxml"} & set(formats):
            checkov_args.remove("--quiet")  # Checkov's JSON would lose the passed results the summary counts
        command = checkov_command(targets, checkov_args + extra_outputs + ["--output-file-path", out_dir], "json")
        console_report = set(formats) == {"cli"} and not request.output_file_path
        show = request.progress if request.progress is not None else (
            console_report and _isatty(stdout) and _isatty(sys.stderr))
        label = targets[0] if len(targets) == 1 else f"{len(targets)} paths"
        with open(os.path.join(work, "checkov-stdout.txt"), "w", encoding="utf-8") as captured:
            process = subprocess.Popen(command, env=env, stdout=captured, text=True)
            returncode = _wait(process, details_dir, label, show)
        if show:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
        raw = _read(os.path.join(out_dir, FILE_NAMES["json"]))
        try:
            payload = json.loads(raw) if raw and raw.strip() else None
        except ValueError:
            payload = None
        if payload is None:  # Checkov did not get as far as a report: show what it said
            stdout.write(_read(os.path.join(work, "checkov-stdout.txt")) or "")
            return ScanOutcome(returncode, error="checkov wrote no report")
        rows = attach_details(payload, details_dir)
        contents: Dict[str, str] = {"json": json.dumps(payload, indent=2) + "\n"}
        text = io.StringIO()
        render_text(rows, text, quiet=request.quiet)
        contents["cli"] = text.getvalue()
        sarif_text = _read(os.path.join(out_dir, FILE_NAMES["sarif"])) if "sarif" in formats else None
        if sarif_text:
            sarif = json.loads(sarif_text)
            enrich_sarif(sarif, rows, uri_base=request.sarif_uri_base)
            contents["sarif"] = json.dumps(sarif, indent=2) + "\n"
        junit_text = _read(os.path.join(out_dir, FILE_NAMES["junitxml"])) if "junitxml" in formats else None
        if junit_text:
            contents["junitxml"] = enrich_junit(junit_text, rows)[0]
        gitlab_text = _read(os.path.join(out_dir, FILE_NAMES[GITLAB_SAST])) if GITLAB_SAST in formats else None
        if gitlab_text:  # vpce_checks/gitlab_report.py
            contents[GITLAB_SAST] = enrich_gitlab_sast_text(gitlab_text, rows) or gitlab_text
    written = _route(formats, contents, request.output_file_path, stdout)
    return ScanOutcome(returncode, rows=rows, written=written)


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
