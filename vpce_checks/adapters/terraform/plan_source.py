"""Plan JSON read through its configuration: the .tf files the plan was made from, evaluated as a scan of them is.

For an expression whose value is unknown until apply, Terraform's plan keeps only the references
(``"${aws_s3_bucket.b.arn}/*"`` becomes ``aws_s3_bucket.b.arn``, the ``/*`` is gone), so a policy naming a resource
the same plan creates has no value in the plan. The configuration has it: when the plan's configuration directory
is at hand (Checkov's ``--repo-root-for-plan-enrichment``, else the plan file's own directory), such a policy is
read there by the same symbolic evaluator (expressions.py), with the plan's variable values, and unknown values stay
symbols with identity. The directory is used only when it is the plan's configuration: the module holds exactly the
plan's resource, data and module blocks, and the policy expression holds every reference the plan records for it
(docs/semantics.md, "Plan JSON").
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from vpce_checks.adapters.bounded_documents import DocumentTooLarge, load_json
from vpce_checks.adapters.terraform.expressions import Scope, Unsupported, source_text
from vpce_checks.adapters.terraform.graph import strip_index
from vpce_checks.adapters.terraform.source import attribute, module_scope, module_source

_MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_PLAN_CHARS = _MAX_FILE_BYTES * 16
ENRICHMENT_FLAG = "--repo-root-for-plan-enrichment"

_PLANS: Dict[str, Optional[Mapping[str, Any]]] = {}


class PlanSourceProblem(Exception):
    """The plan's configuration directory cannot stand for the plan (absent, or not what the plan was made from)."""


def plan_document(path: str) -> Optional[Mapping[str, Any]]:
    """A plan JSON file (read once per file, bounded), or None for anything that is not one."""
    if path not in _PLANS:
        loaded = None
        try:
            if path.endswith(".json") and os.path.getsize(path) <= MAX_PLAN_CHARS:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read(MAX_PLAN_CHARS + 1)
                # A plan is larger than a policy: its own size bound, and no more nodes than characters (JSON has
                # no aliases); the depth bound is the same. Past a bound the plan is not read.
                loaded = load_json(text, max_chars=MAX_PLAN_CHARS, max_nodes=MAX_PLAN_CHARS)
        except (OSError, ValueError, DocumentTooLarge):
            loaded = None
        _PLANS[path] = loaded if isinstance(loaded, Mapping) and isinstance(loaded.get("configuration"),
                                                                            Mapping) else None
    return _PLANS[path]


def configuration_root(plan_path: str, argv: Sequence[str] = ()) -> str:
    """Where the plan's root module lives: Checkov's --repo-root-for-plan-enrichment (its first value, as Checkov
    uses it), else the plan file's own directory."""
    items = list(argv or sys.argv[1:])
    for position, item in enumerate(items):
        if item == ENRICHMENT_FLAG and position + 1 < len(items):
            return os.path.abspath(items[position + 1])
        if item.startswith(ENRICHMENT_FLAG + "="):
            return os.path.abspath(item.split("=", 1)[1])
    return os.path.dirname(os.path.abspath(plan_path))


def _module_path(address: str) -> Tuple[List[str], str]:
    """(module names from the root, the block's own "type.name") of a plan address, instance keys dropped."""
    parts: List[str] = []
    rest = address
    while rest.startswith("module."):
        match = re.match(r'module\.([A-Za-z0-9_-]+)(?:\[(?:[^\]"]|"[^"]*")*\])?\.', rest)
        if match is None:
            break
        parts.append(match.group(1))
        rest = rest[match.end():]
    return parts, strip_index(rest.removeprefix("data."))


def _installed_modules(root: str) -> Dict[str, str]:
    """`terraform init`'s record of the modules it installed (.terraform/modules/modules.json): key -> directory."""
    try:
        with open(os.path.join(root, ".terraform", "modules", "modules.json"), encoding="utf-8") as handle:
            record = json.loads(handle.read(1_048_577))
    except (OSError, ValueError):
        return {}
    modules = record.get("Modules") if isinstance(record, Mapping) else None
    return {str(m.get("Key")): os.path.normpath(os.path.join(root, str(m.get("Dir"))))
            for m in modules or [] if isinstance(m, Mapping) and m.get("Key") and m.get("Dir")}


def _check_module(configuration: Mapping[str, Any], directory: str, where: str) -> None:
    """The directory's blocks are the plan module's blocks: same resources, data sources and module calls."""
    found = module_source(directory)
    if not found.blocks:
        raise PlanSourceProblem(f"{where} holds no Terraform blocks")
    if not found.complete:
        raise PlanSourceProblem(f"a .tf file in {where} does not parse")
    planned = set()
    for resource in configuration.get("resources") or []:
        if isinstance(resource, Mapping):
            kind = "data" if resource.get("mode") == "data" else "resource"
            planned.add((kind, str(resource.get("type")), str(resource.get("name"))))
    planned |= {("module", "", str(name)) for name in configuration.get("module_calls") or {}}
    present = {key for key in found.blocks}
    if planned != present:
        differing = sorted(".".join(p for p in key if p) for key in planned ^ present)
        raise PlanSourceProblem(f"{where} is not the plan's configuration: {', '.join(differing[:3])} "
                                f"{'is' if len(differing) == 1 else 'are'} in one and not the other")


def _references(expression: Any) -> List[str]:
    """Every reference the plan records anywhere inside one configuration expression."""
    if isinstance(expression, Mapping):
        own = [str(r) for r in expression.get("references") or []]
        return own + [r for key, value in expression.items() if key != "references" for r in _references(value)]
    if isinstance(expression, list):
        return [r for item in expression for r in _references(item)]
    return []


def plan_block(plan_path: str, address: str, block_kind: str, block_type: str, name: str,
               attribute_name: str) -> Tuple[Scope, Any, str]:
    """(evaluation scope, block, the .tf directory) of one block of a plan, read from the plan's configuration
    directory with the plan's variable values; raises PlanSourceProblem when that directory cannot stand for the
    plan, and Unsupported when a module's source is not on disk."""
    plan = plan_document(plan_path)
    if plan is None:
        raise PlanSourceProblem("the plan file cannot be read")
    root = configuration_root(plan_path)
    module: Any = plan["configuration"].get("root_module")
    calls, own = _module_path(address)
    directory, where = root, os.path.basename(root) or root
    call: Optional[Dict[str, Any]] = None
    installed: Optional[Dict[str, str]] = None
    keys: List[str] = []
    if not isinstance(module, Mapping):
        raise PlanSourceProblem("the plan has no root module configuration")
    _check_module(module, directory, f"the folder {where}")
    for module_name in calls:
        record = (module.get("module_calls") or {}).get(module_name)
        if not isinstance(record, Mapping) or not isinstance(record.get("module"), Mapping):
            raise PlanSourceProblem(f"the plan does not record module {module_name}'s configuration")
        keys.append(module_name)
        source = str(record.get("source") or "")
        if source.startswith(("./", "../")):
            target = os.path.normpath(os.path.join(directory, source))
        else:
            installed = _installed_modules(root) if installed is None else installed
            target = installed.get(".".join(keys), "")
        if not target or not os.path.isdir(target):
            raise Unsupported(f"module {'.'.join(keys)} ({source}) is not on disk: run terraform init")
        call = {"path": os.path.join(directory, "main.tf"), "name": module_name, "nested_tf_module": call}
        directory, module = target, record["module"]
        _check_module(module, directory, f"module {'.'.join(keys)} ({source})")
    scope = module_scope(directory, root, call)
    top = scope
    while top.caller is not None:
        top = top.caller
    for variable, entry in (plan.get("variables") or {}).items():
        if isinstance(entry, Mapping) and "value" in entry and entry["value"] is not None:
            top.variables[str(variable)] = entry["value"]
    block = module_source(directory).blocks.get((block_kind, block_type, name))
    if block is None or f"{block_type}.{name}" != own:
        raise PlanSourceProblem(f"{block_type}.{name} is not in {where}")
    _check_attribute(module, block_kind, block_type, name, attribute_name, block)
    return scope, block, directory


def _check_attribute(module: Mapping[str, Any], block_kind: str, block_type: str, name: str, attribute_name: str,
                     block: Any) -> None:
    """Every reference the plan records for the attribute is in the attribute's source text."""
    mode = "data" if block_kind == "data" else "managed"
    planned = next((r for r in module.get("resources") or [] if isinstance(r, Mapping) and r.get("mode") == mode
                    and r.get("type") == block_type and r.get("name") == name), None)
    expressions = planned.get("expressions") if isinstance(planned, Mapping) else None
    recorded = expressions.get(attribute_name) if isinstance(expressions, Mapping) else None
    node = attribute(block, attribute_name)
    if node is None:
        if recorded is not None:
            raise PlanSourceProblem(f"{block_type}.{name} has no {attribute_name} in the source but has in the plan")
        return
    text = re.sub(r"\s+", "", source_text(node))
    missing = [r for r in _references(recorded) if re.sub(r"\s+", "", r) not in text]
    if missing:
        raise PlanSourceProblem(f"the {attribute_name} of {block_type}.{name} in the source does not name "
                                f"{missing[0]}, which the plan records: it is not the plan's configuration")
