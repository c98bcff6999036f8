"""`vpce-checks`: print the checks folder for --external-checks-dir, or scan a tree with the pack alone.

`scan` runs the real Checkov (offline) with only the pack's checks and writes every result with its
explanation, for every input kind: Checkov keeps a check's details for Terraform only, so the checks also write
their explanations to a side directory that `scan` reads back (see checkov_glue).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

from vpce_checks import __version__

FRAMEWORKS = ("terraform", "terraform_plan", "cloudformation", "json")
CHECK_PATTERN = "CKV_VPCE_*"


def checks_path() -> str:
    """The folder to pass to ``checkov --external-checks-dir``."""
    return str(Path(__file__).resolve().parent / "checks")


def _has_flag(args: Sequence[str], *names: str) -> bool:
    return any(arg == name or arg.startswith(name + "=") for arg in args for name in names)


def _output_formats(args: Sequence[str]) -> List[str]:
    formats = []
    for index, arg in enumerate(args):
        if arg in ("-o", "--output") and index + 1 < len(args):
            formats.append(args[index + 1])
        elif arg.startswith("--output="):
            formats.append(arg.split("=", 1)[1])
    return formats


def _without_outputs(args: Sequence[str]) -> List[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ("-o", "--output"):
            skip = True
            continue
        if arg.startswith("--output="):
            continue
        out.append(arg)
    return out


def checkov_command(directory: str, extra: Sequence[str], output: Optional[str]) -> List[str]:
    """The Checkov command line `scan` runs: the pack only, four frameworks, offline, extra args passed on."""
    flag = "-f" if os.path.isfile(directory) else "-d"
    command = [sys.executable, "-m", "checkov.main", flag, directory, "--external-checks-dir", checks_path()]
    if not _has_flag(extra, "--check", "-c"):
        command += ["--check", CHECK_PATTERN]
    if not _has_flag(extra, "--framework"):
        command += ["--framework", *FRAMEWORKS]
    if not _has_flag(extra, "--skip-download"):
        command.append("--skip-download")
    if output:
        command += ["-o", output]
    return command + list(extra)


def _reports(payload: Any) -> List[Dict[str, Any]]:
    if isinstance(payload, list):
        return [r for r in payload if isinstance(r, dict)]
    if isinstance(payload, dict) and "results" in payload:
        return [payload]
    return []


def load_details(directory: str) -> List[Dict[str, Any]]:
    """The explanations the checks wrote during the scan."""
    found: List[Dict[str, Any]] = []
    for path in glob.glob(os.path.join(directory, "details-*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue
    return found


def _same_file(record: Dict[str, Any], result: Dict[str, Any]) -> bool:
    reported = result.get("file_path") or ""
    if record["file"] == reported or record["file"].endswith(reported) or reported.endswith(record["file"]):
        return True
    absolute = result.get("file_abs_path") or ""
    return bool(absolute) and os.path.realpath(record["abs_file"]) == os.path.realpath(absolute)


def _details_for(result: Dict[str, Any], details: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The record for one reported result: same check, same file, same resource (or raw document)."""
    candidates = [r for r in details if r["check_id"] == result.get("check_id") and _same_file(r, result)]
    named = [r for r in candidates if r["entity"] == result.get("resource")]
    candidates = named or [r for r in candidates if r["entity"].startswith("*.")]
    first_line = (result.get("file_line_range") or [None])[0]
    exact = [r for r in candidates if r.get("start_line") == first_line]
    chosen = exact or candidates
    return chosen[0] if len(chosen) >= 1 else None


def attach_details(payload: Any, details_dir: str) -> List[Dict[str, Any]]:
    """Put each pack result's explanation into Checkov's JSON ``details`` (it is empty outside Terraform)."""
    details = load_details(details_dir)
    rows = []
    for report in _reports(payload):
        results = report.get("results", {})
        for bucket in ("passed_checks", "failed_checks", "skipped_checks"):
            for result in results.get(bucket, []):
                if not str(result.get("check_id", "")).startswith("CKV_VPCE_"):
                    continue
                record = _details_for(result, details)
                if record:
                    result["details"] = record["details"]
                rows.append(result)
    return rows


def render_text(rows: Iterable[Dict[str, Any]], stream=sys.stdout) -> Dict[str, int]:
    """The pack's own terminal report: every result, failures with their whole explanation."""
    counts = {"PASSED": 0, "FAILED": 0, "SKIPPED": 0}
    ordered = sorted(rows, key=lambda r: (r["check_result"]["result"] != "FAILED", r.get("check_id", ""),
                                          r.get("file_path", ""), r.get("resource", "")))
    for row in ordered:
        result = row["check_result"]["result"]
        counts[result] = counts.get(result, 0) + 1
        first, last = (row.get("file_line_range") or [0, 0])[:2]
        stream.write(f"{row['check_id']} {result}  {row.get('resource')}  {row.get('file_path')}:{first}-{last}\n")
        details = row.get("details") or []
        if result == "PASSED":
            details = details[:2]
        for line in details:
            stream.write(f"    {line}\n")
    stream.write(f"vpce-checks results — passed: {counts['PASSED']}, failed: {counts['FAILED']}, "
                 f"skipped: {counts['SKIPPED']}\n")
    return counts


def scan(directory: str, extra: Sequence[str]) -> int:
    from vpce_checks.settings import SettingsError, load_settings

    try:
        load_settings()
    except SettingsError as error:
        sys.stderr.write(f"vpce-checks: settings error: {error}\n")
        return 2
    if not os.path.isdir(directory) and not os.path.isfile(directory):
        sys.stderr.write(f"vpce-checks: no such directory: {directory}\n")
        return 2
    formats = _output_formats(extra)
    passthrough = [f for f in formats if f not in ("json", "cli")]
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE")
    with tempfile.TemporaryDirectory(prefix="vpce-checks-") as details_dir:
        env["VPCE_CHECKS_DETAILS_DIR"] = details_dir
        if passthrough:
            return subprocess.call(checkov_command(directory, extra, None), env=env)
        command = checkov_command(directory, _without_outputs(extra), "json")
        completed = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)
        try:
            payload = json.loads(completed.stdout) if completed.stdout.strip() else []
        except ValueError:
            sys.stdout.write(completed.stdout)
            return completed.returncode
        rows = attach_details(payload, details_dir)
        if "json" in formats:
            json.dump(payload, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            render_text(rows)
        return completed.returncode


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vpce-checks",
        description="Checkov checks that prove AWS resource policies keep a VPC endpoint perimeter.")
    parser.add_argument("--version", action="version", version=f"vpce-checks {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("path", help="print the folder to pass to checkov --external-checks-dir")
    scan_parser = commands.add_parser(
        "scan", help="scan DIR with the pack alone (Checkov, offline) and explain every result; "
                     "further arguments go to checkov (e.g. -o json, --soft-fail)")
    scan_parser.add_argument("directory", help="a folder, or one file")
    args, extra = parser.parse_known_args(argv)
    if args.command == "path":
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        print(checks_path())
        return 0
    return scan(args.directory, extra)


if __name__ == "__main__":
    sys.exit(main())
