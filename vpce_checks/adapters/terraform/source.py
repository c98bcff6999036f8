"""The Terraform source of one module directory, parsed once: its blocks, locals and variable defaults.

The symbolic evaluator (expressions.py) reads expressions from here rather than from Checkov's half-evaluated
rendering (SPEC section 8). Files are read with the same bounds as policy files (regular files, at most 1 MiB);
a file the grammar rejects is left out, and a name only it declares makes the evaluator fall back to Checkov's
rendering (:class:`expressions.Unsupported`).
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

from vpce_checks.adapters.terraform.expressions import (
    EvaluationProblem,
    Evaluator,
    Scope,
    Unknown,
    Unsupported,
    block_parts,
    body_items,
    parse_file,
    read_bounded,
    to_caller,
)

_MAX_FILES = 200


class ModuleSource:
    """The parsed .tf files of one directory."""

    __slots__ = ("directory", "locals", "variables", "blocks", "outputs", "complete")

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.locals: Dict[str, Any] = {}
        self.variables: Dict[str, Any] = {}  # name -> default expression tree, or None
        self.blocks: Dict[Tuple[str, str, str], Any] = {}  # ("resource"|"data"|"module", type, name) -> block
        self.outputs: Dict[str, Any] = {}  # output name -> its value expression tree
        self.complete = True  # every .tf file parsed


_CACHE: Dict[str, Tuple[Tuple[Tuple[str, int, int], ...], ModuleSource]] = {}


def module_source(directory: str) -> ModuleSource:
    """The directory's source, parsed once per change of its .tf files."""
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(".tf"))[:_MAX_FILES]
    except OSError:
        names = []
    stamps = []
    for name in names:
        try:
            info = os.stat(os.path.join(directory, name))
            stamps.append((name, info.st_mtime_ns, info.st_size))
        except OSError:
            continue
    signature = tuple(stamps)
    cached = _CACHE.get(directory)
    if cached is not None and cached[0] == signature:
        return cached[1]
    found = ModuleSource(directory)
    for name, _, _ in stamps:
        try:
            tree = parse_file(read_bounded(os.path.join(directory, name)))
        except (Unsupported, EvaluationProblem):
            found.complete = False
            continue
        _index_body(found, tree.children[0] if tree.children else None)
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[directory] = (signature, found)
    return found


def _index_body(found: ModuleSource, body: Any) -> None:
    if body is None:
        return
    for kind, _, node in body_items(body):
        if kind != "block":
            continue
        block_type, labels, block_body = block_parts(node)
        if block_type == "locals":
            for item_kind, name, expression in body_items(block_body):
                if item_kind == "attribute":
                    found.locals[name] = expression
        elif block_type == "variable" and labels:
            default = next((e for k, n, e in body_items(block_body) if k == "attribute" and n == "default"), None)
            found.variables[labels[0]] = default
        elif block_type in ("resource", "data") and len(labels) == 2:
            found.blocks[(block_type, labels[0], labels[1])] = node
        elif block_type == "module" and labels:
            found.blocks[("module", "", labels[0])] = node
        elif block_type == "output" and labels:
            value = next((e for k, n, e in body_items(block_body) if k == "attribute" and n == "value"), None)
            if value is not None:
                found.outputs[labels[0]] = value


def attribute(block: Any, name: str) -> Optional[Any]:
    """The expression tree of one attribute of a block, None when absent."""
    _, _, body = block_parts(block)
    return next((e for k, n, e in body_items(body) if k == "attribute" and n == name), None)


def block_values(evaluator: Evaluator, block: Any) -> Dict[str, Any]:
    """A block's body evaluated into the shape Checkov's graph gives a node: attributes by name, nested blocks as
    lists of dicts, ``dynamic`` blocks expanded (an unknown for_each gives one symbolic instance)."""
    _, _, body = block_parts(block)
    return _body_values(evaluator, body)


def _body_values(evaluator: Evaluator, body: Any) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for kind, name, node in body_items(body):
        if kind == "attribute":
            out[name] = evaluator.value(node)
            continue
        block_type, labels, inner = block_parts(node)
        if block_type == "dynamic" and labels:
            out.setdefault(labels[0], []).extend(_dynamic_instances(evaluator, labels[0], inner))
        else:
            out.setdefault(block_type, []).append(_body_values(evaluator, inner))
    return out


def _dynamic_instances(evaluator: Evaluator, label: str, body: Any) -> List[Dict[str, Any]]:
    for_each = None
    iterator = label
    content = None
    for kind, name, node in body_items(body):
        if kind == "attribute" and name == "for_each":
            for_each = node
        elif kind == "attribute" and name == "iterator":
            iterator = _bare_name(node) or label
        elif kind == "block" and name == "content":
            content = block_parts(node)[2]
    if for_each is None or content is None:
        raise EvaluationProblem(f'dynamic "{label}" has no for_each or no content block')
    collection = evaluator.value(for_each)
    if isinstance(collection, Unknown):
        # How many blocks there are (none, one, several) is unknown: a statement or condition that may be absent
        # or repeated cannot be judged soundly, so the reading fails closed.
        raise EvaluationProblem(f'dynamic "{label}" iterates over {collection.text}, which the scan cannot expand: '
                                "give the variable a default or write the blocks out")
    items: List[Tuple[Any, Any]]
    if isinstance(collection, dict):
        items = sorted(collection.items())
    elif isinstance(collection, list):
        items = list(enumerate(collection))
    else:
        raise EvaluationProblem(f'dynamic "{label}" iterates over a {type(collection).__name__}')
    out = []
    for key, value in items:
        evaluator.bindings.append({iterator: {"key": key, "value": value}})
        try:
            out.append(_body_values(evaluator, content))
        finally:
            evaluator.bindings.pop()
    return out


def _bare_name(node: Any) -> Optional[str]:
    while getattr(node, "data", None) == "expr_term" and node.children:
        node = node.children[0]
    if getattr(node, "data", None) == "identifier":
        return str(node.children[0])
    return None


def scope_for(source: ModuleSource, root_dir: str) -> Scope:
    """An evaluation scope over the module's locals and variable defaults."""
    scope = Scope(source.directory, root_dir)
    scope.locals = dict(source.locals)
    scope.variables = dict(source.variables)
    for (kind, block_type, name), block in source.blocks.items():
        count = attribute(block, "count") if kind == "resource" else None
        if count is not None:
            scope.counts[(block_type, name)] = count
    scope.module_output = lambda evaluator, name, output: _module_output(scope, evaluator, name, output)
    return scope


def _module_output(scope: Scope, evaluator: Evaluator, name: str, output: str) -> Any:
    """module.NAME.OUTPUT for a local module (``source = "./..."``) called once: the output's value evaluated in
    the module with this call's arguments, as the caller sees it; None (a symbol) for any other module."""
    block = module_source(scope.module_dir).blocks.get(("module", "", name))
    if block is None or attribute(block, "count") is not None or attribute(block, "for_each") is not None:
        return None
    source_node = attribute(block, "source")
    where = evaluator.value(source_node) if source_node is not None else None
    if not isinstance(where, str) or not where.startswith(("./", "../")):
        return None
    directory = os.path.normpath(os.path.join(scope.module_dir, where))
    called = module_source(directory)
    if output not in called.outputs:
        return None
    child = scope_for(called, scope.root_dir)
    child.inputs = _call_arguments(block)
    child.caller = scope
    child.data_for = scope.data_for
    child.data = scope.data_for(directory) if scope.data_for is not None else None
    inner = Evaluator(child, evaluator.choices)
    inner.depth = evaluator.depth + 8  # nested calls share the caller's depth bound
    return to_caller(inner.value(called.outputs[output]), name)


# Module block arguments that are not input variables.
_META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}


def module_scope(module_dir: str, root_dir: str, call: Any, depth: int = 0) -> Scope:
    """The scope of a module instance: ``call`` is Checkov's record of the module call (``source_module_object_``:
    the caller's file, the module name, the caller's own call), None for a root module. A module variable takes the
    call's argument, evaluated in the caller's scope; raises Unsupported when the call is not in the source."""
    scope = scope_for(module_source(module_dir), root_dir)
    if call is None:
        return scope
    if depth > 16:
        raise Unsupported("modules nest too deeply")
    caller_path = _field(call, "path")
    name = _field(call, "name")
    if not isinstance(caller_path, str) or not isinstance(name, str):
        raise Unsupported("the module call is not recorded")
    caller_dir = os.path.dirname(os.path.abspath(caller_path))
    block = module_source(caller_dir).blocks.get(("module", "", name))
    if block is None:
        raise Unsupported(f"module {name} is not in {caller_dir}")
    caller = module_scope(caller_dir, root_dir, _field(call, "nested_tf_module"), depth + 1)
    scope.inputs = _call_arguments(block)
    scope.caller = caller
    return scope


def _call_arguments(block: Any) -> Dict[str, Any]:
    """A module block's input variables: its arguments but the meta-arguments (source, count, ...)."""
    _, _, body = block_parts(block)
    return {n: e for k, n, e in body_items(body) if k == "attribute" and n not in _META_ARGUMENTS}


def _field(call: Any, name: str) -> Any:
    """A field of Checkov's TFModule, or of its JSON form."""
    if isinstance(call, dict):
        return call.get(name)
    return getattr(call, name, None)
