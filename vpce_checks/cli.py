"""`vpce-checks`: print the checks folder for --external-checks-dir, scan with the pack alone, run as a GitHub
Action step, explain or fix a policy.

Each subcommand is one entry of COMMANDS: a function taking the arguments after its name and returning the exit
code. `scan` lives in vpce_checks/scanner.py, `action` in vpce_checks/github_action.py, `explain` and `fix` in
vpce_checks/explain.py.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Dict, List, Optional, Sequence

from vpce_checks import __version__
from vpce_checks.reporting import attach_details, load_details, render_text  # noqa: F401 - public helpers
from vpce_checks.scanner import CHECK_PATTERN, FRAMEWORKS, checkov_command, checks_path  # noqa: F401


def _path(args: List[str]) -> int:
    if args:
        sys.stderr.write(f"vpce-checks path: unrecognized arguments: {' '.join(args)}\n")
        return 2
    print(checks_path())
    return 0


def _scan(args: List[str]) -> int:
    from vpce_checks.scanner import scan_main

    if "--list" in args or "-l" in args:
        return _list_registered(args)
    return scan_main(args)


# Checkov's own registries per framework the pack checks: `checkov --list` prints these, but Checkov 3.3 prints its
# list before it loads --external-checks-dir (checkov/main.py returns from --list first), and its list has no raw
# JSON (json_doc) registry at all, so plain `checkov --list` can never show the pack (docs/usage.md says so).
_REGISTRIES = (
    ("terraform", "checkov.terraform.checks.resource.registry", "resource_registry"),
    ("cloudformation", "checkov.cloudformation.checks.resource.registry", "cfn_registry"),
    ("json", "checkov.json_doc.registry", "registry"),
)


def registered_checks() -> List[tuple]:
    """(ID, framework, entity, name, severity) of every pack check Checkov registers when it loads the checks
    folder as --external-checks-dir would: the checks as Checkov itself sees them, not the catalog."""
    import importlib

    from vpce_checks.scanner import PREFIX

    registries = [(framework, getattr(importlib.import_module(module), name))
                  for framework, module, name in _REGISTRIES]
    registries[0][1].load_external_checks(checks_path())  # each check file registers itself where it belongs
    rows = []
    for framework, registry in registries:
        for entity, check in registry.all_checks():
            if check.id.startswith(PREFIX):
                severity = getattr(check.severity, "name", None) or str(check.severity or "")
                rows.append((check.id, framework, entity, check.name, severity))
    return sorted(set(rows))


def _list_registered(args: List[str]) -> int:
    """`vpce-checks scan --list [--framework F ...]`: the pack's checks as Checkov registers them."""
    frameworks = {f for i, a in enumerate(args) if a == "--framework" for f in args[i + 1:i + 2]}
    frameworks |= {a.split("=", 1)[1] for a in args if a.startswith("--framework=")}
    frameworks = {x for f in frameworks for x in f.split(",")} - {"all"}
    if "terraform_plan" in frameworks:
        frameworks.add("terraform")  # the plan runner runs the Terraform resource checks
    rows = [r for r in registered_checks() if not frameworks or r[1] in frameworks]
    header = ("ID", "FRAMEWORK", "ENTITY", "SEVERITY", "NAME")
    table = [header] + [(r[0], r[1], r[2], r[4], r[3]) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for row in table:
        sys.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + f"  {row[4]}\n")
    sys.stdout.write(f"{len(rows)} check registrations ({len({r[0] for r in rows})} check IDs)\n")
    return 0 if rows else 1


def _action(args: List[str]) -> int:
    from vpce_checks.github_action import main as action_main

    return action_main(args)


def _explain(args: List[str]) -> int:
    from vpce_checks.explain import main_explain

    return main_explain(args)


def _fix(args: List[str]) -> int:
    from vpce_checks.explain import main_fix

    return main_fix(args)


def _list(args: List[str]) -> int:
    """Print the check catalog: ID, severity, category, title and docs page, one check a line."""
    from vpce_checks.catalog import CHECKS

    if args:
        sys.stderr.write(f"vpce-checks list: unrecognized arguments: {' '.join(args)}\n")
        return 2
    rows = [("ID", "SEVERITY", "CATEGORY", "TITLE", "DOCS")]
    rows += [(c.id, c.severity, c.category, c.title, c.docs_file) for c in CHECKS]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        sys.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + f"  {row[3]}  ({row[4]})\n")
    return 0


def _docs(args: List[str]) -> int:
    """Print a check's docs page from the installed package (what the "Docs:" lines point at)."""
    from vpce_checks.catalog import BY_ID, docs_text

    if len(args) != 1 or args[0].upper() not in BY_ID:
        sys.stderr.write(f"vpce-checks docs: give one check ID ({', '.join(BY_ID)})\n")
        return 2
    text = docs_text(args[0].upper())
    if text is None:
        sys.stderr.write("vpce-checks docs: this installation has no docs pages (a build without setup.py's step)\n")
        return 1
    sys.stdout.write(text)
    return 0


COMMANDS: Dict[str, Callable[[List[str]], int]] = {
    "path": _path, "scan": _scan, "action": _action, "explain": _explain, "fix": _fix, "list": _list,
    "docs": _docs,
}
HELP = {
    "path": "print the folder to pass to checkov --external-checks-dir",
    "scan": "scan folders or files with the pack alone (Checkov, offline) and explain every result; "
            "further arguments go to checkov (e.g. -o sarif, --soft-fail); see `vpce-checks scan --help`",
    "action": "run as the GitHub Action's step (reads INPUT_* variables; see action.yml)",
    "explain": "explain the verdicts on a policy file",
    "fix": "print the statement that closes the perimeter",
    "list": "print the pack's checks: ID, severity, category, title and docs page",
    "docs": "print a check's docs page, e.g. `vpce-checks docs CKV_VPCE_1`",
}


def scan(directory: str, extra: Sequence[str]) -> int:
    """`vpce-checks scan DIRECTORY EXTRA...` as a function (kept for callers of the earlier API)."""
    from vpce_checks.scanner import scan_main

    return scan_main([directory, *extra])


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    parser = argparse.ArgumentParser(
        prog="vpce-checks",
        description="Checkov checks that prove AWS resource policies keep a VPC endpoint perimeter.")
    parser.add_argument("--version", action="version", version=f"vpce-checks {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        commands.add_parser(name, help=HELP.get(name, ""))
    parser.parse_args(argv)  # --version, --help, or a usage error (exit 2)
    return 2


if __name__ == "__main__":
    sys.exit(main())
