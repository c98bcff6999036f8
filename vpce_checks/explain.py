"""`vpce-checks explain` and `vpce-checks fix`: one policy at a time, in words, and the corrected policy.

A raw JSON policy is judged here, in-process, by the same adapter and judge the raw-JSON checks call. Terraform and
CloudFormation need Checkov's parsers and graph, so they go through the real Checkov run with the pack (as `scan`
does), and the explanation each check records is read back, grouped by policy.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from vpce_checks.adapters.base import PolicySource
from vpce_checks.adapters.rawjson import sources_for_json
from vpce_checks.catalog import PERIMETER_SOUNDNESS, SOURCE_IP_TRAP
from vpce_checks.coverage import NotJudged, display_path, json_problem, kinds_of, not_judged
from vpce_checks.engine.model import PolicyError, parse_policy
from vpce_checks.engine.repair import repair
from vpce_checks.engine.services import PROFILES, Target
from vpce_checks.engine.soundness import FORMATS, is_placeholder
from vpce_checks.fix_rendering import render_fix
from vpce_checks.judge import FAILED, NO_RESULT, REQUEST_PREFIX, judge, judge_soundness, judge_source_ip
from vpce_checks.settings import Settings, SettingsError, load_settings

PERIMETER_CHECKS = {profile.check_id for profile in PROFILES.values()}
SOUNDNESS_CHECK, SOURCE_IP_CHECK = PERIMETER_SOUNDNESS, SOURCE_IP_TRAP
_STATEMENT_LABEL = re.compile(r'^(statement (?:"[^"]*"|#\d+))')


class UsageError(Exception):
    """The command cannot run on this input; the message says why (exit code 2)."""


@dataclass
class Finding:
    check_id: str
    result: str
    reason: str
    details: List[str] = field(default_factory=list)


@dataclass
class PolicyReport:
    """Every pack verdict on one policy (one resource of a file, or one service's view of a raw document)."""

    file: str
    resource: str
    findings: List[Finding] = field(default_factory=list)
    sources: Dict[str, Dict[str, Any]] = field(default_factory=dict)  # check_id -> what fix needs

    @property
    def failed(self) -> bool:
        return any(f.result == FAILED for f in self.findings)


# --------------------------------------------------------------------------------------------------------------
# Collecting verdicts
# --------------------------------------------------------------------------------------------------------------


def _is_raw_policy(path: str) -> Optional[Any]:
    """The parsed document when ``path`` is a raw JSON resource policy (not a template or a plan)."""
    if not path.lower().endswith(".json") or not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError):
        return None
    if isinstance(document, dict) and any(k.lower() == "statement" for k in document):
        return document
    return None


def _raw_reports(document: Any, path: str, settings: Settings) -> List[PolicyReport]:
    reports = []
    for source in sources_for_json(document, path):
        profile = PROFILES[source.target.service]
        report = PolicyReport(file=path, resource=f"{profile.title} policy ({source.target.service})")
        for check_id, decide in ((profile.check_id, judge), (SOUNDNESS_CHECK, judge_soundness),
                                 (SOURCE_IP_CHECK, judge_source_ip)):
            judgement = decide(source, settings)
            if judgement.result == NO_RESULT:
                continue
            report.findings.append(Finding(check_id, judgement.result, judgement.reason, list(judgement.lines)))
            report.sources[check_id] = _source_dict(source)
        reports.append(report)
    return reports


def _source_dict(source: PolicySource) -> Dict[str, Any]:
    return {"document": source.document, "target": asdict(source.target), "syntax": source.syntax,
            "origin": source.origin}


def _checkov_records(path: str, extra: Sequence[str] = (),
                     gaps: Optional[List[NotJudged]] = None) -> List[Dict[str, Any]]:
    """Run the real Checkov with the pack over ``path`` and read back every result's recorded explanation; into
    ``gaps`` go the files Checkov could not parse or dropped (vpce_checks/coverage.py)."""
    from vpce_checks.reporting import load_details
    from vpce_checks.scanner import FRAMEWORKS, _parsing_errors, checkov_command

    with tempfile.TemporaryDirectory(prefix="vpce-checks-explain-") as details:
        env = dict(os.environ, BC_SKIP_MAPPING="TRUE", VPCE_CHECKS_DETAILS_DIR=details)
        command = checkov_command(path, list(extra), "json")
        completed = subprocess.run(command, env=env, capture_output=True, text=True)
        if completed.returncode not in (0, 1):
            raise UsageError(f"checkov failed (exit {completed.returncode}), so nothing in {path} was judged; "
                             f"`vpce-checks scan {path}` names the file it crashed on: "
                             f"{completed.stderr.strip()[-2000:]}")
        if gaps is not None:
            try:
                payload = json.loads(completed.stdout)
            except ValueError:
                payload = None
            gaps.extend(not_judged([path], [], FRAMEWORKS, details, _parsing_errors(payload)))
        return load_details(details)


def _checkov_reports(path: str, settings: Settings, gaps: Optional[List[NotJudged]] = None) -> List[PolicyReport]:
    by_policy: Dict[Tuple[str, str], PolicyReport] = {}
    for record in _checkov_records(path, gaps=gaps):
        key = (_display_path(path, record.get("file", "")), record.get("entity", ""))
        report = by_policy.setdefault(key, PolicyReport(file=key[0], resource=_entity_label(key)))
        report.findings.append(Finding(record["check_id"], record["result"], record.get("reason", ""),
                                       list(record.get("details") or [])))
        if record.get("source"):
            report.sources[record["check_id"]] = record["source"]
    for report in by_policy.values():
        report.findings.sort(key=lambda f: int(f.check_id.rsplit("_", 1)[-1]) if f.check_id[-1].isdigit() else 0)
    return sorted(by_policy.values(), key=lambda r: (r.file, r.resource))


def _display_path(root: str, file: str) -> str:
    """The scanned file as the user can open it: Checkov reports paths relative to the folder it scanned."""
    if os.path.isfile(root):
        return root
    joined = os.path.join(root, file.lstrip("/"))
    if os.path.isfile(joined):
        return os.path.normpath(joined)
    return file


def _entity_label(key: Tuple[str, str]) -> str:
    file, entity = key
    if entity.startswith("*."):  # a raw JSON document: the entity is the file itself
        return "document"
    return entity


def explain(path: str, resource: Optional[str] = None) -> List[PolicyReport]:
    """Every policy in ``path`` (a raw policy, a Terraform file or folder, a CloudFormation template) with every
    pack verdict on it. Raises UsageError for a path that does not exist or bad settings."""
    return explain_all(path, resource)[0]


def explain_all(path: str, resource: Optional[str] = None) -> Tuple[List[PolicyReport], List[NotJudged]]:
    """explain(), and the files in ``path`` that hold or look like a policy or template but could not be judged
    (nothing silent: a policy that does not parse is not "no policy")."""
    if not os.path.exists(path):
        raise UsageError(f"no such file or directory: {path}")
    try:
        settings = load_settings()
    except SettingsError as error:
        raise UsageError(f"vpce-checks settings error: {error}") from error
    gaps: List[NotJudged] = []
    document = _is_raw_policy(path)
    if document is not None:
        reports = _raw_reports(document, path, settings)
    elif os.path.isfile(path) and "json" in kinds_of(path) and json_problem(path):
        reports, gaps = [], [NotJudged(display_path(path), f"{json_problem(path)}; Checkov would drop it too")]
    else:
        reports = _checkov_reports(path, settings, gaps)
    if resource:
        reports = [r for r in reports if _matches(r.resource, resource)]
        if not reports:
            raise UsageError(f"no policy of {resource} in {path}")
    return reports, gaps


def _matches(label: str, wanted: str) -> bool:
    """--resource takes a Terraform address, a CloudFormation logical ID, or TYPE.NAME as reported."""
    return label == wanted or label.endswith("." + wanted) or label.split(".", 1)[-1] == wanted


# --------------------------------------------------------------------------------------------------------------
# Presenting them
# --------------------------------------------------------------------------------------------------------------


def statements_to_change(finding: Finding) -> List[str]:
    """The statements a failing coverage verdict points at: each Deny that misses the counterexample."""
    labels = []
    for line in finding.details:
        if line.startswith("Why no Deny matches it: "):
            match = _STATEMENT_LABEL.match(line[len("Why no Deny matches it: "):])
            if match and match.group(1) not in labels:
                labels.append(match.group(1))
    return labels


def render_text(reports: Sequence[PolicyReport], gaps: Sequence[NotJudged] = ()) -> str:
    not_judged = [f"NOT JUDGED  {gap.file}\n    {gap.reason}\n" for gap in gaps]
    if not reports:
        return "".join(not_judged) + ("No resource policy found.\n" if not gaps else "")
    out = []
    for report in reports:
        verdict = "FAILED" if report.failed else "PASSED"
        out.append(f"{report.resource}  ({report.file})  {verdict}")
        for finding in report.findings:
            out.append(f"  {finding.check_id} {finding.result}: {finding.reason or _first(finding.details)}")
            out.extend("      " + line for line in _with_statements_to_change(finding))
        out.append("")
    failed = sum(1 for r in reports if r.failed)
    out.append(f"{len(reports)} polic{'y' if len(reports) == 1 else 'ies'}, {failed} failing"
               + (f", {len(gaps)} file{'' if len(gaps) == 1 else 's'} not judged" if gaps else ""))
    return "".join(not_judged) + "\n".join(out) + "\n"


def _with_statements_to_change(finding: Finding) -> List[str]:
    """The finding's lines, with the statements that would have to change right after the counterexample's
    explanation (coverage failures only)."""
    lines = list(finding.details)
    if finding.result != FAILED or finding.check_id not in PERIMETER_CHECKS:
        return lines
    labels = statements_to_change(finding)
    if labels:
        note = "To change: " + ", ".join(labels) + " (each misses the counterexample), or add the Deny under Fix"
    elif any(line.startswith("Counterexample: ") for line in lines):
        note = "To change: no Deny could match the counterexample; add the one under Fix"
    else:
        return lines
    last = max((i for i, line in enumerate(lines) if line.startswith(("Why no Deny", "Counterexample: "))), default=0)
    return lines[: last + 1] + [note] + lines[last + 1:]


def _first(lines: Sequence[str]) -> str:
    return lines[0] if lines else ""


def counterexample_of(finding: Finding) -> Optional[dict]:
    """The finding's counterexample as data (every key and value), when it has one."""
    for line in finding.details:
        if line.startswith(REQUEST_PREFIX):
            try:
                return json.loads(line[len(REQUEST_PREFIX):])
            except ValueError:
                return None
    return None


def render_json(reports: Sequence[PolicyReport], gaps: Sequence[NotJudged] = ()) -> str:
    payload = [{"file": r.file, "resource": r.resource, "result": "FAILED" if r.failed else "PASSED",
                "findings": [dict(asdict(f), statements_to_change=statements_to_change(f),
                                  counterexample=counterexample_of(f)) for f in r.findings]}
               for r in reports]
    payload += [{"file": gap.file, "resource": None, "result": "NOT_JUDGED", "reason": gap.reason} for gap in gaps]
    return json.dumps(payload, indent=2, default=str)


# --------------------------------------------------------------------------------------------------------------
# fix
# --------------------------------------------------------------------------------------------------------------


def _check_ids(endpoints: Sequence[str], vpcs: Sequence[str]) -> None:
    """The IDs must be what CKV_VPCE_6 accepts: one test of form (soundness.FORMATS), no placeholders."""
    if not endpoints and not vpcs:
        raise UsageError("give the endpoints to admit: --vpce ID (repeatable) and/or --vpc ID")
    for flag, key, values in (("--vpce", "aws:sourcevpce", endpoints), ("--vpc", "aws:sourcevpc", vpcs)):
        pattern, shape = FORMATS[key]
        for value in values:
            if not pattern.match(value):
                raise UsageError(f"{flag} {value}: not a well-formed ID ({shape})")
            if is_placeholder(value):
                raise UsageError(f"{flag} {value}: a placeholder (one repeated digit, x, or an AWS documentation "
                                 "example), not a real ID")


def fix_document(document: Dict[str, Any], path: str, endpoints: Sequence[str], vpcs: Sequence[str],
                 settings: Settings) -> Tuple[Dict[str, Any], List[str]]:
    """The raw policy repaired for every service it governs, and what changed."""
    sources = sources_for_json(document, path)
    if not sources:
        raise UsageError(f"{path} is not a resource policy the pack reads (no statement with a Principal, or a "
                         "trust or identity policy)")
    changes: List[str] = []
    for source in sources:
        profile = PROFILES[source.target.service]
        try:
            repaired = repair(document, profile, source.target, endpoints, vpcs, settings.accepted_exemptions,
                              settings.allowed_source_cidrs)
        except PolicyError as error:
            raise UsageError(f"{path} is not valid IAM, so it cannot be repaired safely: {error}") from error
        document = repaired.document
        changes += [f"{profile.prefix}: {change}" for change in repaired.changes]
    changes += paths_left(document, path, settings)
    return document, changes


def paths_left(document: Dict[str, Any], path: str, settings: Settings) -> List[str]:
    """What the repaired document still fails, in words, with the request left open when there is one: a path the
    fix could not close (a grant it had to keep, a placeholder it cannot replace) is said, never left for the user
    to find (issue 13 item 4). Empty when every check passes."""
    return [line for source in sources_for_json(document, path) for line in _still_failing(source, settings)]


def _still_failing(source: PolicySource, settings: Settings) -> List[str]:
    """The pack checks a repaired policy still fails, each with its reason and the request it leaves open."""
    profile = PROFILES[source.target.service]
    said = []
    for check_id, decide in ((profile.check_id, judge), (SOUNDNESS_CHECK, judge_soundness),
                             (SOURCE_IP_CHECK, judge_source_ip)):
        judgement = decide(source, settings)
        if judgement.result != FAILED:
            continue
        left = next((line.split(":", 1)[1].strip() for line in judgement.lines
                     if line.startswith("Counterexample:")), "")
        said.append(f"{check_id}: the fixed policy still fails: {judgement.reason}"
                    + (f"; still open: {left}" if left else ""))
    return said


MAX_BACKUPS = 100  # FILE.bak, FILE.bak.1 ... FILE.bak.99; then `fix --write` refuses instead of overwriting one


def _refuse_link(path: str, role: str) -> None:
    if os.path.islink(path):
        raise UsageError(f"{role} {path} is a symbolic link (to {os.readlink(path)}); --write does not write "
                         "through links: run fix on the file itself, or move the link away")


def _new_backup(path: str, original: bytes, mode: int) -> Tuple[str, List[str]]:
    """Write the original next to FILE under the first free name FILE.bak, FILE.bak.1, ...; an existing backup is
    never overwritten (O_EXCL) and a symbolic link on the way is refused. Returns the name and the names skipped."""
    skipped: List[str] = []
    for index in range(MAX_BACKUPS):
        backup = path + ".bak" + (f".{index}" if index else "")
        _refuse_link(backup, "the backup path")
        try:
            handle = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            _refuse_link(backup, "the backup path")  # created as a link since the first look
            skipped.append(backup)
            continue
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(original)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(backup, mode)
        except OSError:
            os.unlink(backup)
            raise
        return backup, skipped
    raise UsageError(f"{path}.bak and {path}.bak.1 to .bak.{MAX_BACKUPS - 1} all exist; --write never overwrites a "
                     "backup: remove the old ones first")


def _replace_atomically(path: str, text: str, mode: int) -> None:
    """A temporary file in FILE's own folder, then os.replace: readers see the old file or the new, never half."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        _refuse_link(path, "FILE")  # replaced by a link while we worked
        os.replace(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def write_fixed(path: str, text: str) -> List[str]:
    """`fix --write`: FILE replaced atomically by ``text`` after its original went to a new backup; what was done,
    in words. Refuses a symbolic link as FILE or backup, and leaves an unchanged policy alone."""
    _refuse_link(path, "FILE")
    if not os.path.isfile(path):
        raise UsageError(f"{path} is not a regular file; --write updates regular files only")
    with open(path, "rb") as stream:
        original = stream.read()
    if original.decode("utf-8", "replace") == text:
        return [f"{path} already holds the fixed policy; nothing written, no backup made"]
    mode = os.stat(path).st_mode & 0o7777
    backup, skipped = _new_backup(path, original, mode)
    try:
        _replace_atomically(path, text, mode)
    except BaseException:
        os.unlink(backup)
        raise
    said = [f"wrote {path} (replaced atomically; the original is in {backup})"]
    if skipped:
        said.append(f"{', '.join(skipped)} already existed and {'was' if len(skipped) == 1 else 'were'} left alone")
    return said


def fix_raw(path: str, document: Dict[str, Any], endpoints: Sequence[str], vpcs: Sequence[str], write: bool,
            settings: Settings) -> Tuple[str, List[str]]:
    """The repaired raw policy as text and what changed; with ``write``, FILE updated safely (write_fixed)."""
    fixed, changes = fix_document(document, path, endpoints, vpcs, settings)
    text = json.dumps(fixed, indent=2) + "\n"
    if write:
        changes += write_fixed(path, text)
    return text, changes


def _with_elb_data_source_name(text: str, file: str) -> str:
    """A Terraform fix names the file's own ``data "aws_elb_service_account"`` (fix_rendering writes "current")."""
    generic = "data.aws_elb_service_account.current."
    if generic not in text:
        return text
    try:
        with open(file, encoding="utf-8", errors="replace") as stream:
            found = re.search(r'data\s+"aws_elb_service_account"\s+"([A-Za-z0-9_-]+)"', stream.read(2_000_000))
    except OSError:
        return text
    return text.replace(generic, f"data.aws_elb_service_account.{found.group(1)}.") if found else text


def fix_statements(path: str, endpoints: Sequence[str], vpcs: Sequence[str], settings: Settings,
                   resource: Optional[str] = None) -> str:
    """Terraform and CloudFormation: for each failing policy, the Deny to put in, in the file's own syntax."""
    out = []
    for report in explain(path, resource):
        failing = [f for f in report.findings if f.result == FAILED and f.check_id in PERIMETER_CHECKS
                   | {SOUNDNESS_CHECK} and report.sources.get(f.check_id)]
        if not failing:
            continue
        source = report.sources[failing[0].check_id]
        target = Target(**{k: tuple(v) if isinstance(v, list) else v for k, v in source["target"].items()})
        profile = PROFILES[target.service]
        try:
            repaired = repair(source["document"], profile, target, endpoints, vpcs, settings.accepted_exemptions,
                              settings.allowed_source_cidrs)
            parse_policy(repaired.document)
        except PolicyError as error:
            out.append(f"{report.resource} ({report.file}): cannot repair: {error}\n")
            continue
        syntax = source.get("syntax", "json")
        if syntax == "json" and str(source.get("origin", "")).startswith("PolicyDocument"):
            syntax = "cfn-json"
        data_source = "aws_iam_policy_document" in str(source.get("origin", ""))
        if syntax == "hcl" and source.get("json_text") and not data_source:
            syntax = "hcl-json"  # a heredoc or string policy: JSON text with Terraform interpolations
        where = "the data source" if data_source else "the policy's Statement list"
        action = (f"replace {', '.join(repaired.replaced)} in {where} with" if repaired.replaced
                  else f"add to {where}")
        out.append(f"{report.resource} ({report.file}): {action}:")
        own_expression = str(source.get("own_arn_expression") or "")
        text = render_fix(repaired.statement, syntax, profile, data_source,
                          (profile.resource_arn(target), own_expression) if own_expression else None)
        text = _with_elb_data_source_name(text, report.file)
        if source.get("arn_partition"):  # the template writes arn:${AWS::Partition}: and so does its fix
            from vpce_checks.adapters.cloudformation import fix_with_template_partition

            text = fix_with_template_partition(text, syntax)
        out.append(text)
        out.extend(f"# {change}" for change in repaired.changes if "replaced by" not in change)
        fixed_source = PolicySource(target=target, document=repaired.document, origin=str(source.get("origin", "")),
                                    syntax=source.get("syntax", "json"))
        out.extend(f"# {line}" for line in _still_failing(fixed_source, settings))
        out.append("")
    return "\n".join(out) + ("\n" if out else "No failing policy to fix.\n")


# --------------------------------------------------------------------------------------------------------------
# Command lines
# --------------------------------------------------------------------------------------------------------------


def main_explain(argv: Sequence[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="vpce-checks explain", description="Explain every pack verdict on the "
                                     "policies in FILE (raw policy JSON, Terraform, CloudFormation).")
    parser.add_argument("file")
    parser.add_argument("--resource", help="only this resource (Terraform address or CloudFormation logical ID)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(list(argv))
    try:
        reports, gaps = explain_all(args.file, args.resource)
    except UsageError as error:
        print(f"vpce-checks explain: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - a clear message, never a traceback, for input we did not foresee
        print(f"vpce-checks explain: could not explain {args.file} ({type(error).__name__}: {error}); please "
              "report this input", file=sys.stderr)
        return 2
    sys.stdout.write(render_json(reports, gaps) + "\n" if args.json else render_text(reports, gaps))
    return 1 if gaps or any(r.failed for r in reports) else 0


def main_fix(argv: Sequence[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="vpce-checks fix", description="Print the corrected policy (raw JSON) or "
                                     "the statement to put in (Terraform, CloudFormation).")
    parser.add_argument("file")
    parser.add_argument("--vpce", action="append", default=[], metavar="ID", help="an endpoint to admit (repeat)")
    parser.add_argument("--vpc", action="append", default=[], metavar="ID", help="a VPC whose endpoints to admit")
    parser.add_argument("--resource", help="only this resource (Terraform address or CloudFormation logical ID)")
    parser.add_argument("--write", action="store_true",
                        help="raw JSON only: replace FILE atomically, the original kept in the first free FILE.bak, "
                             "FILE.bak.1, ...; refuses symbolic links")
    args = parser.parse_args(list(argv))
    try:
        _check_ids(args.vpce, args.vpc)
        settings = load_settings()
        if args.write:
            _refuse_link(args.file, "FILE")
        document = _is_raw_policy(args.file)
        if document is not None:
            text, changes = fix_raw(args.file, document, args.vpce, args.vpc, args.write, settings)
            if not args.write:
                sys.stdout.write(text)
            for change in changes:
                print(f"vpce-checks fix: {change}", file=sys.stderr)
            return 0
        if args.write:
            raise UsageError("--write updates raw JSON policies only; for Terraform and CloudFormation paste the "
                             "statement printed")
        if not os.path.exists(args.file):
            raise UsageError(f"no such file or directory: {args.file}")
        sys.stdout.write(fix_statements(args.file, args.vpce, args.vpc, settings, args.resource))
        return 0
    except SettingsError as error:
        print(f"vpce-checks fix: vpce-checks settings error: {error}", file=sys.stderr)
        return 2
    except UsageError as error:
        print(f"vpce-checks fix: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"vpce-checks fix: could not write {error.filename or args.file} ({error.strerror or error}); "
              f"{args.file} is as it was", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - a clear message, never a traceback, for input we did not foresee
        print(f"vpce-checks fix: could not repair {args.file} ({type(error).__name__}: {error}); please report "
              "this input", file=sys.stderr)
        return 2
