"""Explanations into every output channel: the terminal report, SARIF ``message.text``, JUnit failures and the
GitHub job summary.

Checkov keeps a check's ``details`` only for Terraform, and SARIF consumers (GitHub code scanning) show only a
result's ``message.text``. ``vpce-checks scan`` therefore matches every result of Checkov's JSON report with the
explanation the check recorded (see checkov_glue) and writes it into each format here.
"""

from __future__ import annotations

import glob
import json
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from typing import Any, Dict, Iterable, List, Optional, Sequence, TextIO, Tuple
from urllib.parse import quote, unquote

from vpce_checks.catalog import PREFIX

PACK_PREFIX = PREFIX
# A Fix block longer than this goes into SARIF as its first line only (code scanning shows plain text).
SHORT_FIX_LINES = 16
SHORT_FIX_CHARS = 900


# ---- details recorded by the checks -> Checkov's report rows --------------------------------------------------

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


def count_recorded(directory: str) -> int:
    """How many results the checks have recorded so far (for the progress line)."""
    total = 0
    for path in glob.glob(os.path.join(directory, "details-*.jsonl")):
        try:
            with open(path, "rb") as handle:
                total += handle.read().count(b"\n")
        except OSError:
            continue
    return total


def _same_file(record: Dict[str, Any], result: Dict[str, Any]) -> bool:
    reported = result.get("file_path") or ""
    if record["file"] == reported or record["file"].endswith(reported) or reported.endswith(record["file"]):
        return True
    absolute = result.get("file_abs_path") or ""
    return bool(absolute) and os.path.realpath(record["abs_file"]) == os.path.realpath(absolute)


def details_for(result: Dict[str, Any], details: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The record for one reported result: same check, same file, same resource (or raw document)."""
    candidates = [r for r in details if r["check_id"] == result.get("check_id") and _same_file(r, result)]
    named = [r for r in candidates if r["entity"] == result.get("resource")]
    candidates = named or [r for r in candidates if r["entity"].startswith("*.")]
    first_line = (result.get("file_line_range") or [None])[0]
    exact = [r for r in candidates if r.get("start_line") == first_line]
    chosen = exact or candidates
    return chosen[0] if chosen else None


def attach_details(payload: Any, details_dir: str) -> List[Dict[str, Any]]:
    """Put each pack result's explanation into Checkov's JSON ``details`` (it is empty outside Terraform) and
    return the pack's results, each with ``check_type`` added."""
    details = load_details(details_dir)
    rows = []
    for report in _reports(payload):
        results = report.get("results", {})
        for bucket in ("passed_checks", "failed_checks", "skipped_checks"):
            for result in results.get(bucket, []):
                if not str(result.get("check_id", "")).startswith(PACK_PREFIX):
                    continue
                record = details_for(result, details)
                if record:
                    result["details"] = record["details"]
                result.setdefault("check_type", report.get("check_type"))
                rows.append(result)
    return rows


def result_of(row: Dict[str, Any]) -> str:
    return str((row.get("check_result") or {}).get("result", ""))


# ---- the explanation as text ------------------------------------------------------------------------------------

def entries(details: Sequence[str]) -> List[List[str]]:
    """Detail lines grouped: each unindented line starts an entry ("Reason: ...", "Fix: ..."); indented lines (a
    Fix statement) belong to the entry above."""
    grouped: List[List[str]] = []
    for line in details or []:
        if line.startswith((" ", "\t")) and grouped:
            grouped[-1].append(line)
        else:
            grouped.append([line])
    return grouped


def field(details: Sequence[str], label: str) -> Optional[str]:
    """The text of the first "Label: text" line, e.g. field(details, "Reason")."""
    prefix = label + ": "
    return next((line[len(prefix):] for line in details or [] if line.startswith(prefix)), None)


def short_message(details: Sequence[str], fallback: str) -> str:
    """The explanation for SARIF ``message.text``: the reason first (it is the alert's headline), then every other
    line; the Fix statement only when short, else its first line and a pointer."""
    if not details:
        return fallback
    out: List[str] = []
    for entry in entries(details):
        head = entry[0]
        if head.startswith("Reason: "):
            reason = head[len("Reason: "):]
            out.insert(0, reason[:1].upper() + reason[1:])
            continue
        if head.startswith("Fix: ") and len(entry) > 1:
            body = "\n".join(entry)
            if len(entry) > SHORT_FIX_LINES or len(body) > SHORT_FIX_CHARS:
                out.append(f"{head} (a {len(entry) - 1}-line statement: `vpce-checks scan` on this file, or the "
                           "job summary, prints it in full)")
                continue
            out.append(body)
            continue
        out.extend(entry)
    return "\n".join(out)


# ---- terminal report ----------------------------------------------------------------------------------------------

def _check_order(check_id: str) -> Tuple[int, str]:
    tail = check_id.rsplit("_", 1)[-1]
    return (int(tail) if tail.isdigit() else 10 ** 6, check_id)


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(rows: Sequence[Dict[str, Any]]) -> str:
    """One line: totals (the prefix scripts grep for), then how many resources and files, then per check ID."""
    counts = Counter(result_of(r) for r in rows)
    resources = {(r.get("file_path"), r.get("resource")) for r in rows}
    files = {r.get("file_path") for r in rows}
    per_check: Dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        per_check[str(row.get("check_id"))][result_of(row)] += 1
    parts = [f"{check} {c['FAILED']} failed/{sum(c.values())}"
             for check, c in sorted(per_check.items(), key=lambda kv: _check_order(kv[0]))]
    line = (f"vpce-checks results — passed: {counts['PASSED']}, failed: {counts['FAILED']}, "
            f"skipped: {counts['SKIPPED']} ({_n(len(rows), 'result')} on {_n(len(resources), 'resource')} in "
            f"{_n(len(files), 'file')})")
    if parts:
        line += "; by check: " + ", ".join(parts)
    return line


def render_text(rows: Iterable[Dict[str, Any]], stream: Optional[TextIO] = None,
                quiet: bool = False, not_judged: Sequence[Dict[str, str]] = ()) -> Dict[str, int]:
    """The pack's own terminal report: every result (failures first, each with its whole explanation), the files
    that could not be judged, then the summary line. ``quiet`` leaves out passed results, like checkov --quiet."""
    import sys

    stream = stream or sys.stdout
    rows = list(rows)
    counts = {"PASSED": 0, "FAILED": 0, "SKIPPED": 0}
    ordered = sorted(rows, key=lambda r: (result_of(r) != "FAILED", r.get("check_id", ""),
                                          r.get("file_path", ""), r.get("resource", "")))
    for row in ordered:
        result = result_of(row)
        counts[result] = counts.get(result, 0) + 1
        if quiet and result == "PASSED":
            continue
        first, last = (row.get("file_line_range") or [0, 0])[:2]
        stream.write(f"{row['check_id']} {result}  {row.get('resource')}  {row.get('file_path')}:{first}-{last}\n")
        details = row.get("details") or []
        if result == "PASSED":
            details = details[:2]
        elif result == "SKIPPED":
            comment = (row.get("check_result") or {}).get("suppress_comment")
            details = [f"Skipped: {comment}"] if comment else []
        for line in details:
            stream.write(f"    {line}\n")
    for item in not_judged:
        stream.write(f"NOT JUDGED  {item['file']}\n    {item['reason']}\n")
    line = summary_line(rows)
    if not_judged:
        verb = "holds or looks" if len(not_judged) == 1 else "hold or look"
        line += f"; NOT JUDGED: {_n(len(not_judged), 'file')} that {verb} like a policy or template (listed above)"
    stream.write(line + "\n")
    return counts


# ---- SARIF ---------------------------------------------------------------------------------------------------------

def _span(row: Dict[str, Any]) -> Tuple[int, int]:
    first, last = ((row.get("file_line_range") or [0, 0]) + [0, 0])[:2]
    return (int(first or 0) or 1, int(last or 0) or 1)


def _uri_key(uri: str) -> str:
    return unquote(uri or "").lstrip("/").replace("\\", "/")


def sarif_rule(rule: Dict[str, Any]) -> None:
    """A pack rule as the catalog describes it: its title, its docs page as ``help`` (text and Markdown: code
    scanning shows it beside each alert), and ``helpUri`` only from the repository-URL setting, else none.

    Checkov writes the first result's resource into ``help.text``; a rule is not one resource."""
    from vpce_checks.catalog import docs_text, docs_url, info, is_pack_check

    if not is_pack_check(rule.get("id")):
        return
    entry = info(rule["id"])
    rule["shortDescription"] = {"text": entry.title}
    rule["fullDescription"] = {"text": entry.title}
    page = docs_text(entry.id) or f"{entry.title}\n\nDocs: {entry.docs_file} in the vpce-checks source."
    rule["help"] = {"text": page, "markdown": page}
    url = docs_url(entry.id)
    if url:
        rule["helpUri"] = url
    else:
        rule.pop("helpUri", None)
    properties = rule.setdefault("properties", {})
    properties["tags"] = sorted(set(properties.get("tags") or []) | {"security", entry.category.lower()})


def _valid_attachments(result: Dict[str, Any]) -> None:
    """SARIF 2.1.0 requires an ``artifactLocation`` in every attachment (and unique ones); Checkov writes each
    detail line as an attachment without one. Such lines move to the result's property bag as ``details``."""
    attachments = result.get("attachments")
    if attachments is None:
        return
    kept, lines = [], []
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, dict) and attachment.get("artifactLocation"):
            if isinstance(attachment.get("description"), str):
                attachment["description"] = {"text": attachment["description"]}
            if attachment not in kept:
                kept.append(attachment)
            continue
        description = attachment.get("description") if isinstance(attachment, dict) else attachment
        text = description.get("text") if isinstance(description, dict) else description
        if text is not None:
            lines.append(str(text))
    if kept:
        result["attachments"] = kept
    else:
        result.pop("attachments", None)
    if lines:
        result.setdefault("properties", {})["details"] = lines


def enrich_sarif(sarif: Dict[str, Any], rows: Sequence[Dict[str, Any]], uri_base: Optional[str] = None) -> int:
    """Write each pack result's explanation into its SARIF ``message.text``; returns how many were explained.

    Checkov's SARIF result has the rule (check ID), the file (``repo_file_path``) and the line range but not the
    resource, so results are matched on those, in report order. Also: the whole explanation goes to the result's
    ``properties.details`` (Checkov's attachments lack the ``artifactLocation`` SARIF requires), pack rules get their
    docs page (see sarif_rule), and with ``uri_base`` every matched result's ``artifactLocation.uri`` is made
    relative to that folder (code scanning needs paths from the repository root). The log then validates against
    the SARIF 2.1.0 schema (tests/test_sarif_schema.py).
    """
    queues: Dict[Tuple[str, str, int, int], List[Dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if result_of(row) in ("FAILED", "SKIPPED"):
            path = row.get("repo_file_path") or row.get("file_path") or ""
            queues[(str(row.get("check_id")), _uri_key(path), *_span(row))].append(row)
    explained = 0
    for run in sarif.get("runs", []) if isinstance(sarif, dict) else []:
        for rule in ((run.get("tool") or {}).get("driver") or {}).get("rules") or []:
            sarif_rule(rule)
        for result in run.get("results", []):
            _valid_attachments(result)
            rule = str(result.get("ruleId", ""))
            if not rule.startswith(PACK_PREFIX):
                continue
            location = ((result.get("locations") or [{}])[0]).get("physicalLocation", {})
            artifact = location.get("artifactLocation", {})
            region = location.get("region", {})
            key = (rule, _uri_key(artifact.get("uri", "")), int(region.get("startLine", 1) or 1),
                   int(region.get("endLine", 1) or 1))
            if not queues.get(key):
                continue
            row = queues[key].pop(0)
            if uri_base and row.get("file_abs_path"):
                relative = os.path.relpath(os.path.realpath(row["file_abs_path"]), os.path.realpath(uri_base))
                if not relative.startswith(".."):
                    artifact["uri"] = quote(relative.replace(os.sep, "/"))
            details = row.get("details") or []
            if result_of(row) == "FAILED" and details:
                fallback = (result.get("message") or {}).get("text", "")
                result["message"] = {"text": short_message(details, fallback)}
                result.setdefault("properties", {})["details"] = list(details)
                explained += 1
    return explained


# ---- files that could not be judged -------------------------------------------------------------------------------

NOT_JUDGED_FIELD = "vpce_checks_not_judged"
NOT_JUDGED_ID = "vpce-checks/not-judged"


def add_not_judged_to_json(payload: Any, not_judged: Sequence[Dict[str, str]]) -> Any:
    """Checkov's JSON report with ``vpce_checks_not_judged`` (file, reason) in every report object (Checkov writes
    one object, or a list with one per framework); an empty list when every file was judged."""
    items = [dict(item) for item in not_judged]
    reports = payload if isinstance(payload, list) else [payload]
    for report in reports:
        if isinstance(report, dict):
            report[NOT_JUDGED_FIELD] = items
    if isinstance(payload, list) and not payload:
        payload.append({NOT_JUDGED_FIELD: items})
    return payload


def add_not_judged_to_sarif(sarif: Dict[str, Any], not_judged: Sequence[Dict[str, str]],
                            uri_base: Optional[str] = None) -> None:
    """Each file not judged as an error-level tool execution notification of the run's invocation (SARIF 2.1.0
    section 3.20.21), with the file as its location; the invocation then did not succeed."""
    notifications = []
    for item in not_judged:
        path = item["file"]
        if uri_base:
            relative = os.path.relpath(os.path.realpath(path), os.path.realpath(uri_base))
            if not relative.startswith(".."):
                path = relative
        notifications.append({
            "level": "error", "message": {"text": f"{item['file']} was not judged: {item['reason']}"},
            "descriptor": {"id": NOT_JUDGED_ID},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": quote(path.replace(os.sep, "/"))}}}],
        })
    for run in sarif.get("runs", []) if isinstance(sarif, dict) else []:
        if notifications:
            run["invocations"] = [{"executionSuccessful": False, "toolExecutionNotifications": notifications}]


def add_not_judged_to_junit(xml_text: str, not_judged: Sequence[Dict[str, str]]) -> str:
    """A test suite "vpce-checks not judged" with one errored test case per file."""
    if not not_judged:
        return xml_text
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return xml_text
    suite = ET.SubElement(root, "testsuite", {"name": "vpce-checks not judged", "tests": str(len(not_judged)),
                                              "errors": str(len(not_judged)), "failures": "0"})
    for item in not_judged:
        case = ET.SubElement(suite, "testcase", {"name": f"[{NOT_JUDGED_ID}] {item['file']}",
                                                 "classname": item["file"]})
        error = ET.SubElement(case, "error", {"message": item["reason"], "type": "not judged"})
        error.text = f"{item['file']}: {item['reason']}"
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" ?>\n' + body + "\n"


# ---- JUnit XML -----------------------------------------------------------------------------------------------------

_JUNIT_CHECK = re.compile(r"\[(" + re.escape(PREFIX) + r"\w+)\]")


def enrich_junit(xml_text: str, rows: Sequence[Dict[str, Any]]) -> Tuple[str, int]:
    """Each failed pack test case gets the reason as its failure ``message`` and the whole explanation at the top
    of the failure text. Checkov names a test case ``[SEVERITY][CHECK_ID] name`` with classname
    ``FILE.RESOURCE``."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return xml_text, 0
    by_key = {(str(r.get("check_id")), f"{r.get('file_path')}.{r.get('resource')}"): r
              for r in rows if result_of(r) == "FAILED" and r.get("details")}
    explained = 0
    for case in root.iter("testcase"):
        match = _JUNIT_CHECK.search(case.get("name", ""))
        failure = case.find("failure")
        if not match or failure is None:
            continue
        row = by_key.get((match.group(1), case.get("classname", "")))
        if not row:
            continue
        details = row["details"]
        reason = field(details, "Reason")
        if reason:
            failure.set("message", reason)
        original = failure.text or ""
        failure.text = "\n".join(details) + ("\n\n" + original if original.strip() else "\n")
        explained += 1
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" ?>\n' + body + "\n", explained


def junit_properties_as_asked(xml_text: str, asked: Dict[str, str], private_folder: str) -> str:
    """Checkov records its own command line as test-suite properties; `scan` ran it with a private temporary folder
    and extra outputs. Each property in ``asked`` gets what the user asked for, and any other property naming the
    private folder is dropped, so the report carries no temporary path."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return xml_text
    private = os.path.realpath(private_folder)
    for properties in root.iter("properties"):
        for prop in list(properties):
            name, value = prop.get("name", ""), prop.get("value", "")
            if name in asked:
                prop.set("value", asked[name])
            elif private_folder in value or private in value:
                properties.remove(prop)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" ?>\n' + body + "\n"


# ---- GitHub job summary -----------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
SUMMARY_LIMIT = 900_000  # GitHub takes at most 1 MiB of job summary per step


def md_escape(text: str) -> str:
    """Plain text safe inside Markdown: no emphasis, links, tables or HTML from policy contents."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def code_span(text: str) -> str:
    """``text`` as a Markdown code span, shown verbatim: backslash escapes are not processed inside one, so the
    text is not escaped; the fence is one backtick longer than any run of backticks inside."""
    text = text.replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fence(lines: Sequence[str]) -> str:
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n" + "\n".join(lines) + f"\n{fence}"


def markdown_summary(rows: Sequence[Dict[str, Any]], title: str = "vpce-checks",
                     path_of=None, limit: int = SUMMARY_LIMIT, not_judged: Sequence[Dict[str, str]] = ()) -> str:
    """The job summary: totals, the files that could not be judged, a table per check ID, then every failure with
    its reason, counterexample and the whole explanation (with the fix) folded below."""
    path_of = path_of or (lambda row: str(row.get("file_path", "")).lstrip("/"))
    counts = Counter(result_of(r) for r in rows)
    failed = [r for r in rows if result_of(r) == "FAILED"]
    failed.sort(key=lambda r: (_check_order(str(r.get("check_id"))), path_of(r), str(r.get("resource"))))
    head = [f"## {title}: {counts['FAILED']} failed, {counts['PASSED']} passed, {counts['SKIPPED']} skipped"
            + (f", {len(not_judged)} not judged" if not_judged else ""), ""]
    if not_judged:
        head += ["### Files not judged", ""]
        head += [f"- {code_span(item['file'])}: {md_escape(item['reason'])}" for item in not_judged]
        head.append("")
    if not rows:
        head.append("No AWS resource policy was found to check.")
        return "\n".join(head) + "\n"
    per_check: Dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        per_check[str(row.get("check_id"))][result_of(row)] += 1
    head += ["| Check | Failed | Passed | Skipped |", "|---|---:|---:|---:|"]
    for check, c in sorted(per_check.items(), key=lambda kv: _check_order(kv[0])):
        head.append(f"| {check} | {c['FAILED']} | {c['PASSED']} | {c['SKIPPED']} |")
    head.append("")
    if not failed:
        head.append("Every checked policy keeps the VPC endpoint perimeter.")
        return "\n".join(head) + "\n"
    head += ["### Failures", ""]
    out = "\n".join(head) + "\n"
    for index, row in enumerate(failed):
        first, last = (row.get("file_line_range") or [0, 0])[:2]
        details = row.get("details") or []
        block = [f"#### {row.get('check_id')} · {code_span(str(row.get('resource')))}",
                 f"{md_escape(path_of(row))}, lines {first}–{last}", ""]
        for label in ("Reason", "Counterexample"):
            value = field(details, label)
            if value:
                block.append(f"- **{label}:** {md_escape(value)}")
        if not details:
            block.append(f"- **Reason:** {md_escape(str(row.get('check_name', 'failed')))}")
        block += ["", "<details><summary>Full explanation and fix</summary>", "", _fence(details or ["(none)"]),
                  "", "</details>", ""]
        text = "\n".join(block) + "\n"
        if len(out) + len(text) > limit:
            out += f"\n{len(failed) - index} more failures are not shown here (size limit); the log has them all.\n"
            break
        out += text
    return out
