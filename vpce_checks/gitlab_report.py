"""GitLab's security report (``-o gitlab_sast``) with each finding's explanation.

Checkov writes every finding's ``description`` and ``solution`` as "Further info can be found <guideline>", which
for the pack reads "... None": GitLab's vulnerability report would show nothing of why a policy fails or how to
fix it. ``vpce-checks scan -o gitlab_sast`` puts the explanation the checks recorded (the same rows that feed the
SARIF and JUnit outputs, see reporting.attach_details) into each finding instead:

- ``description``: the explanation without the Fix block, the reason first, then the counterexample and the
  other lines (why no Deny matches it, the allowed origins, the policy, the docs page);
- ``solution``: the Fix block, the statement to add in a code block.

Checkov declares schema version 15.0.4 (checkov/common/output/gitlab_sast.py); in it ``solution`` holds at most
7,000 characters and ``description`` at most 1,048,576, and both are GitLab Flavored Markdown, so policy text is
escaped and a longer Fix statement is cut at a line with a pointer to the whole one.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence, Tuple

from vpce_checks.reporting import PACK_PREFIX, entries, md_escape, result_of

GITLAB_SAST = "gitlab_sast"
FILE_NAME = "results_gitlab_sast.json"  # Checkov's name for the format under --output-file-path
SOLUTION_LIMIT = 7000  # schema 15.0.4: vulnerabilities[].solution maxLength
DESCRIPTION_LIMIT = 1048576  # schema 15.0.4: vulnerabilities[].description maxLength
NO_FIX = ("No statement is proposed for this finding: the description says what keeps the check from proving "
          "the perimeter and what to change.")
CUT_NOTE = ("(cut here to fit GitLab's limit: `vpce-checks scan` on this file or `vpce-checks fix` prints the "
            "whole statement)")


def _fenced(lines: Sequence[str]) -> str:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([fence, *lines, fence])


def _dedent(lines: Sequence[str]) -> List[str]:
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return [line[cut:] for line in lines]


def description_of(details: Sequence[str], fallback: str) -> str:
    """The finding's description: every explanation entry but the Fix, reason first, as Markdown paragraphs."""
    paragraphs: List[str] = []
    for entry in entries(details):
        head = entry[0]
        if head.startswith("Fix: "):
            continue
        if head.startswith("Reason: "):
            reason = head[len("Reason: "):]
            paragraphs.insert(0, md_escape(reason[:1].upper() + reason[1:]))
            continue
        paragraphs.append("  \n".join(md_escape(line.strip()) for line in entry))
    text = "\n\n".join(paragraphs) or md_escape(fallback)
    return text[:DESCRIPTION_LIMIT]


def solution_of(details: Sequence[str]) -> str:
    """The finding's solution: the Fix line and its statement in a code block, cut at a line to fit the limit."""
    fix = next((entry for entry in entries(details) if entry[0].startswith("Fix: ")), None)
    if fix is None:
        return NO_FIX
    head = md_escape(fix[0][len("Fix: "):].strip())
    body = _dedent(fix[1:])
    if not body:
        return head[:SOLUTION_LIMIT]
    text = f"{head}\n\n{_fenced(body)}"
    kept = len(body)
    while len(text) > SOLUTION_LIMIT and kept > 0:
        kept -= 1
        text = f"{head}\n\n{_fenced(body[:kept])}\n\n{md_escape(CUT_NOTE)}"
    return text[:SOLUTION_LIMIT]


def _key(check_id: str, path: str, first: Any, last: Any) -> Tuple[str, str, int, int]:
    return (check_id, str(path or "").lstrip("/").replace("\\", "/"), int(first or 0), int(last or 0))


def enrich_gitlab_sast(report: Dict[str, Any], rows: Sequence[Dict[str, Any]]) -> int:
    """Write each pack finding's explanation into its ``description`` and ``solution``; returns how many.

    Checkov's finding has the check ID (first identifier), the file (``repo_file_path`` without its leading
    slash) and the line range, not the resource, so findings are matched on those, in report order."""
    queues: Dict[Tuple[str, str, int, int], List[Dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if result_of(row) == "FAILED":
            first, last = ((row.get("file_line_range") or [0, 0]) + [0, 0])[:2]
            path = row.get("repo_file_path") or row.get("file_path") or ""
            queues[_key(str(row.get("check_id")), path, first, last)].append(row)
    explained = 0
    for finding in report.get("vulnerabilities", []) if isinstance(report, dict) else []:
        identifiers = finding.get("identifiers") or [{}]
        check_id = str(identifiers[0].get("value", ""))
        if not check_id.startswith(PACK_PREFIX):
            continue
        location = finding.get("location") or {}
        queue = queues.get(_key(check_id, location.get("file", ""), location.get("start_line"),
                                location.get("end_line")))
        if not queue:
            continue
        details = queue.pop(0).get("details") or []
        if not details:
            continue
        finding["description"] = description_of(details, str(finding.get("name") or check_id))
        finding["solution"] = solution_of(details)
        explained += 1
    return explained


def enrich_gitlab_sast_text(text: str, rows: Sequence[Dict[str, Any]]) -> Optional[str]:
    """The report Checkov wrote, explained, as the JSON text to write; None when it is not a report."""
    try:
        report = json.loads(text)
    except ValueError:
        return None
    if not isinstance(report, dict):
        return None
    enrich_gitlab_sast(report, rows)
    return json.dumps(report, indent=4) + "\n"
