"""Nothing silent: the policy and template files a scan could not judge, and why.

Checkov reports the Terraform and CloudFormation files it cannot parse (``parsing_errors``) but drops others
without a word: a raw JSON policy that is not valid JSON or has a duplicate key, and whatever a crashing runner held.
So `vpce-checks scan` lists the files under its targets that look like what the pack judges and compares them with
the files a pack check ran on (checkov_glue writes them to the details folder as ``seen-*.txt``):

- ``*.json`` with a ``"Statement"`` key: a raw policy (every JSON document reaches the pack's JSON checks);
- ``*.tf`` declaring a resource type some pack check reads (catalog.TERRAFORM_TYPES);
- ``*.yaml``/``*.yml``/``*.json``/``*.template`` with ``AWSTemplateFormatVersion`` or ``Resources`` and a resource type
  some pack check reads (catalog.CLOUDFORMATION_TYPES).

A file with other resources only is legitimately unseen: no check applies to it.
"""

from __future__ import annotations

import glob
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set

from vpce_checks.catalog import CLOUDFORMATION_TYPES, TERRAFORM_TYPES

SNIFF_BYTES = 4 << 20  # look at most this far into a file to decide what it is
_POLICY_KEY = re.compile(r'"Statement"\s*:')
_TEMPLATE_KEY = re.compile(r'^\s*"?(?:AWSTemplateFormatVersion|Resources)"?\s*:', re.M)
_TERRAFORM_RESOURCE = re.compile(r'^\s*resource\s+"([A-Za-z0-9_]+)"', re.M)
_TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
KIND_FRAMEWORK = {"json": "json", "terraform": "terraform", "cloudformation": "cloudformation"}


@dataclass(frozen=True)
class NotJudged:
    """A file that holds (or looks like it holds) a policy or template the pack would judge, and why it was not."""

    file: str
    reason: str

    def as_dict(self) -> Dict[str, str]:
        return {"file": self.file, "reason": self.reason}


def display_path(path: str) -> str:
    """The path as the user can open it: relative to the working folder when under it."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return absolute if relative.startswith("..") else relative


def _sniff(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as handle:
            return handle.read(SNIFF_BYTES).decode("utf-8", "replace")
    except OSError:
        return None


def kinds_of(path: str) -> List[str]:
    """What the file looks like: "json" (a raw policy), "terraform", "cloudformation"; empty for anything else."""
    lower = path.lower()
    if not lower.endswith((".tf",) + _TEMPLATE_SUFFIXES):
        return []
    text = _sniff(path)
    if text is None:
        return []
    kinds = []
    if lower.endswith(".tf"):
        if any(name in TERRAFORM_TYPES for name in _TERRAFORM_RESOURCE.findall(text)):
            kinds.append("terraform")
        return kinds
    if lower.endswith(".json") and _POLICY_KEY.search(text):
        kinds.append("json")
    if _TEMPLATE_KEY.search(text) and any(name in text for name in CLOUDFORMATION_TYPES):
        kinds.append("cloudformation")
    return kinds


def candidates(targets: Sequence[str], skip_paths: Sequence[str]) -> Dict[str, List[str]]:
    """Absolute path -> kinds, for every file under the targets Checkov would walk (its own ignore rules)."""
    from checkov.common.runners.base_runner import filter_ignored_paths

    found: Dict[str, List[str]] = {}
    for target in targets:
        if os.path.isfile(target):
            paths: Iterable[str] = [target]
        else:
            walked: List[str] = []
            for root, folders, files in os.walk(target):
                filter_ignored_paths(root, folders, list(skip_paths))
                filter_ignored_paths(root, files, list(skip_paths))
                walked.extend(os.path.join(root, name) for name in files)
            paths = walked
        for path in paths:
            kinds = kinds_of(path)
            if kinds:
                found[os.path.abspath(path)] = kinds
    return found


def framework_files(targets: Sequence[str], skip_paths: Sequence[str], framework: str) -> List[str]:
    """Every file a Checkov framework might read under the targets (whatever resources it holds): what to run one
    by one when that framework's runner crashed."""
    from checkov.common.runners.base_runner import filter_ignored_paths

    def wanted(path: str) -> bool:
        lower = path.lower()
        if framework == "terraform":
            return lower.endswith(".tf")
        if framework in ("json", "terraform_plan"):
            return lower.endswith(".json")
        if framework == "cloudformation" and lower.endswith(_TEMPLATE_SUFFIXES):
            return bool(_TEMPLATE_KEY.search(_sniff(path) or ""))
        return False

    found: List[str] = []
    for target in targets:
        if os.path.isfile(target):
            found += [os.path.abspath(target)] if wanted(target) else []
            continue
        for root, folders, files in os.walk(target):
            filter_ignored_paths(root, folders, list(skip_paths))
            filter_ignored_paths(root, files, list(skip_paths))
            found += [os.path.abspath(os.path.join(root, n)) for n in files if wanted(os.path.join(root, n))]
    return sorted(set(found))


def seen_names(details_dir: str) -> Set[str]:
    """The files pack checks ran on, as Checkov named them (absolute, or "/x.tf" from the scanned folder)."""
    names: Set[str] = set()
    for path in glob.glob(os.path.join(details_dir, "seen-*.txt")):
        try:
            with open(path, encoding="utf-8") as handle:
                names.update(line.rstrip("\n") for line in handle if line.strip())
        except OSError:
            continue
    return names


def _is_seen(path: str, names: Set[str], roots: Sequence[str]) -> bool:
    if path in names:
        return True
    for root in roots:
        # Checkov writes a file outside the working folder given with -f as "/../../tmp/x.yaml"
        relative = os.path.relpath(path, root)
        if ("/" + relative.replace(os.sep, "/")) in names:
            return True
    return any(not os.path.isabs(name) and os.path.abspath(name) == path for name in names)


def json_problem(path: str) -> Optional[str]:
    """What is wrong with a JSON file as JSON: not valid, or a key twice in one object; None when it is fine."""
    duplicates: List[str] = []

    def pairs(items: List[Any]) -> Dict[str, Any]:
        keys = [key for key, _ in items]
        duplicates.extend(sorted({key for key in keys if keys.count(key) > 1}))
        return dict(items)

    try:
        json.loads(_sniff(path) or "", object_pairs_hook=pairs)
    except ValueError as error:
        return f"not valid JSON ({error})"
    if duplicates:
        return f"the key {duplicates[0]!r} appears twice in one object (IAM would reject the policy too)"
    return None


def _json_reason(path: str) -> str:
    problem = json_problem(path)
    if problem:
        return f"{problem}; Checkov drops such a file without a word"
    return "no check of the pack ran on it: Checkov did not hand it to the pack"


def not_judged(targets: Sequence[str], skip_paths: Sequence[str], frameworks: Sequence[str], details_dir: str,
               parsing_errors: Iterable[str], crashed: Sequence[NotJudged] = (),
               reported: Iterable[str] = ()) -> List[NotJudged]:
    """Every file the scan should have judged and did not: Checkov's parsing errors, files it dropped silently,
    files whose runner crashed. ``reported`` are the file names of the results (a file whose every check was
    skipped by a suppression comment was seen too)."""
    problems: Dict[str, NotJudged] = {}
    for item in crashed:
        problems.setdefault(os.path.abspath(item.file), item)
    for path in parsing_errors:
        absolute = os.path.abspath(path)
        detail = json_problem(absolute) if absolute.lower().endswith(".json") else None
        problems.setdefault(absolute, NotJudged(display_path(absolute), "Checkov could not parse it" + (
            f": {detail}" if detail else " (its log says why)")))
    names = seen_names(details_dir) | {name for name in reported if name}
    # Checkov names a file from the folder it scans with a leading "/": a -d folder, or for -f files their common
    # folder (or the working folder)
    files = [os.path.abspath(t) for t in targets if not os.path.isdir(t)]
    roots = [os.path.abspath(t) for t in targets if os.path.isdir(t)] + [os.getcwd()]
    if files:
        roots += sorted({os.path.dirname(f) for f in files}) + [os.path.commonpath(files)]
    for path, kinds in sorted(candidates(targets, skip_paths).items()):
        kinds = [k for k in kinds if KIND_FRAMEWORK[k] in frameworks]
        if not kinds or path in problems or _is_seen(path, names, roots):
            continue
        if "json" in kinds:
            reason = _json_reason(path)
        else:
            reason = (f"it looks like a {' and '.join(kinds)} file with resources the pack reads, but no check of "
                      "the pack ran on it: Checkov did not hand it to the pack")
        problems[path] = NotJudged(display_path(path), reason)
    return sorted(problems.values(), key=lambda item: item.file)
