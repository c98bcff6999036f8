"""CloudFormation templates: loading (Checkov's parser, once per file version), the file a check's resource comes
from, and the template's sections and resources as written. The bottom layer: it reads no intrinsic (intrinsics.py
renders them over a Template, resources.py links policies to what they protect)."""

from __future__ import annotations

import os
import sys
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from vpce_checks.adapters.base import PolicySource
from vpce_checks.adapters.bindings import CFN_TARGET_PROPERTIES

_TARGET_PROPERTIES = CFN_TARGET_PROPERTIES

_CACHE_SIZE = 64
# What the adapter hands a check: nothing to judge, one policy, or one policy read several ways (PolicySource.reading):
# once per resource of ``Queues``/``Topics`` and per undecided ``Fn::If`` branch. Every reading must pass.
Readings = Union[None, PolicySource, List[PolicySource]]


class Template:
    """The parsed template: parameters, mappings, conditions and resources, as written."""

    def __init__(self, path: str, data: Mapping[str, Any]) -> None:
        self.path = path

        def section(name: str) -> Dict[str, Any]:
            raw = data.get(name)
            if not isinstance(raw, Mapping):
                return {}
            return {k: v for k, v in raw.items() if isinstance(k, str) and not k.startswith("__")}

        self.parameters = section("Parameters")
        self.mappings = section("Mappings")
        self.conditions = section("Conditions")
        self.resources = {k: v for k, v in section("Resources").items() if isinstance(v, Mapping)}
        # What the layers above work out once per template (intrinsics: its Conditions, whether it writes the
        # partition pseudo parameter; resources: the owners its policy resources name), kept here so that it lives
        # and is evicted with the template.
        self.derived: Dict[str, object] = {}

    def resource_type(self, logical_id: str) -> Optional[str]:
        resource = self.resources.get(logical_id)
        kind = resource.get("Type") if resource else None
        return kind if isinstance(kind, str) else None

    def properties(self, logical_id: str) -> Mapping[str, Any]:
        props = self.resources.get(logical_id, {}).get("Properties")
        return props if isinstance(props, Mapping) else {}

    def condition_of(self, logical_id: str) -> Optional[str]:
        """The resource's ``Condition`` attribute: CloudFormation creates it only when that condition holds."""
        condition = self.resources.get(logical_id, {}).get("Condition")
        return condition if isinstance(condition, str) else None


# The loader, its cache and counters are kept as written (they name the class _Template).
_Template = Template
_TEMPLATE_CACHE: OrderedDict[Tuple[str, int, int], Optional[_Template]] = OrderedDict()
_TEMPLATE_READS: Dict[str, int] = {}  # real path -> how many times it was parsed (for tests and benchmarks)


def clear_template_cache() -> None:
    """Forget every parsed template (tests; long-lived processes scanning changed files use the mtime key)."""
    _TEMPLATE_CACHE.clear()
    _TEMPLATE_READS.clear()


def template_reads(path: str) -> int:
    """How many times the template at ``path`` was parsed by this process."""
    return _TEMPLATE_READS.get(os.path.realpath(path), 0)


def _load_template(path: str) -> Optional[_Template]:
    """Parse ``path`` with Checkov's CloudFormation parser, once per (file, mtime, size); None when unreadable."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    real = os.path.realpath(path)
    key = (real, stat.st_mtime_ns, stat.st_size)
    if key in _TEMPLATE_CACHE:
        _TEMPLATE_CACHE.move_to_end(key)
        return _TEMPLATE_CACHE[key]
    template: Optional[_Template] = None
    try:
        from checkov.cloudformation import parser as cfn_parser  # lazy: checkov is already loaded in a scan

        _TEMPLATE_READS[real] = _TEMPLATE_READS.get(real, 0) + 1
        data, _lines = cfn_parser.parse(path)
        if isinstance(data, Mapping):
            template = _Template(path, data)
    except Exception:  # noqa: BLE001 - an unreadable template is reported by the caller
        template = None
    _TEMPLATE_CACHE[key] = template
    while len(_TEMPLATE_CACHE) > _CACHE_SIZE:
        _TEMPLATE_CACHE.popitem(last=False)
    return template


def split_entity_path(entity_path: str, entity_type: str) -> Tuple[str, str]:
    """``(file, logical_id)`` from a check's ``self.entity_path`` (``"/a.yaml:AWS::S3::Bucket:Logs"``)."""
    marker = f":{entity_type}:"
    index = entity_path.rfind(marker)
    if index < 0:
        file_path, _, logical_id = entity_path.rpartition(":")
        return file_path, logical_id
    return entity_path[:index], entity_path[index + len(marker):]


def _file_in_conf(conf: Any) -> Optional[str]:
    """The ``__file__`` Checkov stamps on every multi-line dict: the path as Checkov opened it."""
    stack, seen = [conf], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Mapping):
            found = item.get("__file__")
            if isinstance(found, str):
                return found
            stack.extend(v for v in item.values() if isinstance(v, (Mapping, list)))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (Mapping, list)))
    return None


def _file_from_runner(file_path: str) -> Optional[str]:
    """The absolute path Checkov's CFN runner is scanning, read from its frame.

    Needed for a resource without Properties: its ``conf`` has no ``__file__`` and the ``entity_path`` is
    relative to a root folder the check is never told.
    """
    try:
        frame = sys._getframe(1)
    except ValueError:  # pragma: no cover - no caller frame
        return None
    for _ in range(40):
        if frame is None:
            break
        if frame.f_code.co_name == "check_definitions":
            local = frame.f_locals
            candidate, cf_file = local.get("file_abs_path"), local.get("cf_file")
            if isinstance(candidate, str) and (not file_path or cf_file == file_path):
                return candidate
        frame = frame.f_back
    return None


def template_path(conf: Any, file_path: str) -> Optional[str]:
    for candidate in (_file_in_conf(conf), file_path):
        if candidate and os.path.isfile(candidate):
            return candidate
    from_runner = _file_from_runner(file_path)
    if from_runner and os.path.isfile(from_runner):
        return from_runner
    relative = file_path.lstrip("/") if file_path else ""
    if relative and os.path.isfile(relative):
        return relative
    return None


def template_syntax(path: str) -> str:
    lower = path.lower()
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    try:  # .template and friends: JSON when the first non-blank character opens an object
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(512).lstrip()
        return "json" if head.startswith("{") else "yaml"
    except OSError:
        return "yaml"


def target_expressions(kind: str, props: Mapping[str, Any]) -> List[Any]:
    """Every expression a policy resource uses to name what it protects (list items flattened)."""
    out: List[Any] = []
    for prop in _TARGET_PROPERTIES.get(kind, ()):
        value = props.get(prop)
        if value is None:
            continue
        out.extend(value if isinstance(value, list) else [value])
    return out
# The public name of the template loader (its body stays as written above).
load_template = _load_template
