"""What every check file shares: adapter -> judge -> Checkov result, and never an exception.

Checkov turns an exception in a check into a silent UNKNOWN (one ERROR log line): a missed finding. So every
step runs under one guard and any surprise becomes a FAILED result that says what went wrong.

When ``vpce-checks scan`` runs Checkov it sets VPCE_CHECKS_DETAILS_DIR; each result's explanation is then also
written there, because Checkov keeps a check's ``details`` only for Terraform.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import TYPE_CHECKING, Any, Callable, Hashable, List, Optional, Set, Tuple, TypeVar

from checkov.common.models.enums import CheckResult

from vpce_checks.analysis_cache import ADAPTED, Memo, content_digest, counted
from vpce_checks.catalog import OTHER_PERIMETER

if TYPE_CHECKING:
    from vpce_checks.adapters.base import PolicySource
    from vpce_checks.judge import Judgement

# Every Checkov runner process (about 20 per scan) imports the check files, and most never run one: the judge,
# the engine and the settings are imported on a check's first run, not with the check files (issue 14).

DETAILS_DIR = "VPCE_CHECKS_DETAILS_DIR"
_RESULTS = {"PASSED": CheckResult.PASSED, "FAILED": CheckResult.FAILED, "SKIPPED": CheckResult.SKIPPED,
            "NO_RESULT": CheckResult.UNKNOWN}


def _settings():
    """The settings in force (or the error every check then reports); cached in vpce_checks.settings."""
    from vpce_checks.settings import cached_settings

    return cached_settings()


def _is_policy_source(found: Any) -> bool:
    from vpce_checks.adapters.base import PolicySource

    return isinstance(found, PolicySource)


def _entity_parts(check: Any) -> List[str]:
    path = getattr(check, "entity_path", "") or ""
    marker = f":{getattr(check, 'entity_type', '')}:"
    index = path.rfind(marker)
    if index < 0:
        return path.rsplit(":", 2)[::2] if path.count(":") >= 2 else [path, ""]
    return [path[:index], path[index + len(marker):]]


def scanned_file(check: Any) -> str:
    """The file Checkov is scanning: BaseCheck.run sets entity_path to "FILE:TYPE:NAME"."""
    return _entity_parts(check)[0]


def entity_name(check: Any) -> str:
    """The resource's name (Terraform) or logical ID (CloudFormation) from the same entity_path."""
    return _entity_parts(check)[1]


# What a check reads of its resource; the checks that read the same thing share one adapter answer (adapted).
POLICY, ENDPOINT_TYPE, ENDPOINT_POLICY, JSON_SOURCES = "policy", "endpoint type", "endpoint policy", "json sources"
_Answer = TypeVar("_Answer")
_ADAPTED = Memo()


def _file_identity(path: str) -> Tuple[Hashable, ...]:
    """The scanned file as (real path, mtime, size); the path alone when it cannot be read from here."""
    for candidate in (path, path.lstrip("/")):
        try:
            stat = os.stat(candidate)
        except (OSError, ValueError):
            continue
        return os.path.realpath(candidate), stat.st_mtime_ns, stat.st_size
    return (path,)


def adapted(check: Any, reads: str, adapter: Callable[..., _Answer], conf: Any, *args: Any) -> _Answer:
    """``adapter(conf, *args)``, computed once per resource and process for every check that ``reads`` the same
    thing of it (CKV_VPCE_1 and CKV_VPCE_6 read one policy). Keyed by what is read, the resource Checkov names
    (entity path), the file's identity, the configuration's content and the graph by identity (held while
    remembered, so an identity is never reused); bounded. The checks' other arguments (type, file, name) are parts
    of the entity path, spelt per adapter. An adapter that raises is not remembered."""
    entity_path = getattr(check, "entity_path", "") or ""
    key = (reads, entity_path, _file_identity(scanned_file(check)), content_digest(conf),
           tuple(id(arg) for arg in args if not isinstance(arg, (str, int, type(None)))))

    def compute() -> Tuple[_Answer, Tuple[Any, ...]]:
        answer = adapter(conf, *args)
        # Plan JSON names count/for_each instances without their key (one entity path, several resources): the
        # configuration's digest tells them apart.
        counted(ADAPTED, f"{reads}|{entity_path}|{key[3][:12]}")
        return answer, args  # the arguments are held, so the graph's identity in the key is never reused

    return _ADAPTED.get(key, compute)[0]


def _source_record(found: Any) -> Optional[dict]:
    """What `vpce-checks fix` needs to repair the policy without re-reading the file: the document, the protected
    resource and the file's syntax."""
    if not _is_policy_source(found) or found.document is None:
        return None
    return {"document": found.document, "target": dataclasses.asdict(found.target), "syntax": found.syntax,
            "origin": found.origin, "arn_partition": found.arn_partition,
            "own_arn_expression": found.own_arn_expression, "json_text": found.json_text}


_SEEN: Set[str] = set()


def _mark_seen(directory: str, check: Any) -> None:
    """Note that a pack check ran on this file, whatever its result: `vpce-checks scan` names every policy or
    template file no check saw (Checkov drops some files without a word), and a file with only NO_RESULT verdicts
    has been seen."""
    path = scanned_file(check)  # as Checkov names it: absolute, or from the scanned folder with a leading "/"
    if not path or path in _SEEN:
        return
    _SEEN.add(path)
    try:
        with open(os.path.join(directory, f"seen-{os.getpid()}.txt"), "a", encoding="utf-8") as handle:
            handle.write(path + "\n")
    except OSError:
        _SEEN.discard(path)  # best effort, like the explanations; the scan then names the file as not judged


def _record(check: Any, conf: Any, judgement: Judgement, found: Any = None) -> None:
    directory = os.environ.get(DETAILS_DIR)
    if not directory:
        return
    _mark_seen(directory, check)
    if judgement.result == "NO_RESULT":
        return
    start = None
    if isinstance(conf, dict):
        start = conf.get("__start_line__", conf.get("__startline__"))
        if isinstance(start, list):
            start = start[0] if start else None
    record = {"check_id": check.id, "file": scanned_file(check), "abs_file": os.path.abspath(scanned_file(check)),
              "start_line": start, "entity": f"{getattr(check, 'entity_type', '')}.{entity_name(check)}",
              "result": judgement.result,
              "reason": judgement.reason, "details": judgement.lines, "source": _source_record(found)}
    try:
        try:
            line = json.dumps(record, default=str)
        except (TypeError, ValueError):  # an odd document: keep the explanation, drop what fix would reuse
            line = json.dumps(dict(record, source=None), default=str)
        with open(os.path.join(directory, f"details-{os.getpid()}.jsonl"), "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except (OSError, TypeError, ValueError):
        pass  # the explanation channel is best effort; the verdict itself is already in Checkov's report


def _attach_org_policies(check: Any, conf: Any, found: Any) -> None:
    """Give a resource check's policies the organisation policies (RCPs, SCPs) of the same scan, when a setting
    says which apply (judge.py credits them; issue 15). Terraform: the whole graph; CloudFormation: the same
    template. Nothing is read while neither setting is given."""
    settings = _settings()
    if isinstance(settings, Exception) or not (settings.member_accounts or settings.applied_org_policies):
        return
    sources = [s for s in (found if isinstance(found, list) else [found]) if _is_policy_source(s)]
    if not sources:
        return
    from vpce_checks.adapters.organizations import org_policies_for_check

    policies = org_policies_for_check(check, conf)
    for source in sources:
        source.org_policies = policies


def run_check(check: Any, conf: Any, find: Callable[[], Any],
              decide: Optional[Callable[[Any, Any], Judgement]] = None) -> CheckResult:
    """Find what the check reads (a policy, an endpoint type), judge it, and hand Checkov the result with its
    explanation."""
    from vpce_checks.judge import FAILED, Judgement, docs_page, judge, judge_each

    decide = decide or judge
    found = None
    try:
        found = find()
        _attach_org_policies(check, conf, found)
        resource_key = getattr(check, "entity_path", "") or ""
        for source in found if isinstance(found, list) else [found]:
            if _is_policy_source(source):
                source.resource_key = resource_key  # its checks share one analysis budget (judge.resource_budget)
        if isinstance(found, list):  # several readings of one policy (adapters/base.py, PolicySource.reading)
            judgement, found = judge_each(found, _settings(), decide)
        else:
            judgement = decide(found, _settings())
        if found is not None:
            check.evaluated_keys = list(getattr(found, "evaluated_keys", []) or [])
    except Exception as error:  # noqa: BLE001 - an exception would become a silent UNKNOWN in Checkov
        reason = f"vpce-checks could not evaluate this resource ({type(error).__name__}: {error})"
        judgement = Judgement(FAILED, reason, [f"Reason: {reason}",
                                               "The check fails closed; please report this input.",
                                               f"Docs: {docs_page(check.id)}"])
    check.details = list(judgement.lines)
    _record(check, conf, judgement, found)
    return _RESULTS[judgement.result]


# The services CKV_VPCE_9 covers (every profile without a check of its own), and every profiled service: the
# raw-JSON soundness and aws:SourceIp checks (CKV_VPCE_6/7) judge the policies of all of them.
def _services_of(check_id: Optional[str]) -> Tuple[str, ...]:
    from vpce_checks.engine.services import PROFILES

    return tuple(service for service, profile in PROFILES.items() if check_id is None or profile.check_id == check_id)


def __getattr__(name: str) -> Tuple[str, ...]:
    """OTHER_SERVICES and POLICY_SERVICES, read from the engine's profiles when a check file first names them."""
    if name == "OTHER_SERVICES":
        return _services_of(OTHER_PERIMETER)
    if name == "POLICY_SERVICES":
        return _services_of(None)
    raise AttributeError(name)


def pick_service(sources: List[PolicySource], service: str) -> Optional[PolicySource]:
    return next((s for s in sources if s.target.service == service), None)


def first_of_services(sources: List[PolicySource], services: Tuple[str, ...]) -> Optional[PolicySource]:
    """One result per document for checks that judge the policy text itself, not one service's view of it."""
    return next((s for s in sources if s.target.service in services), None)
