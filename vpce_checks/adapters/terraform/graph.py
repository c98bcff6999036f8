"""The graph index of a Terraform scan: Checkov's graph (rustworkx or networkx) indexed once per graph by block,
scope and address, with the references a policy can make (``aws_s3_bucket.b.arn``, ``module.m.x``, ``var.v``) and
the small readers of Checkov's list-wrapped values that the index needs. The layer under resolution.py."""

from __future__ import annotations

import json
import os
import re
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from vpce_checks.adapters.bindings import (
    TERRAFORM_NAME_ATTRIBUTE,
    TERRAFORM_OWNER_RESOURCES,
    TERRAFORM_POLICY_RESOURCES,
)

_NAME_ATTRIBUTE = TERRAFORM_NAME_ATTRIBUTE
# The loose bare-reference pattern. In the former reader.py a second module-level _BARE_REFERENCE (this compiled
# pattern) replaced the stricter string pattern defined before it, so every function there, literal_name included,
# used this one; kept so here and in resolution.BARE_REFERENCE to change no behaviour (a known oddity, reported for
# a separate fix; the stricter pattern is resolution._STRICT_BARE_REFERENCE, unused).
_BARE_REFERENCE = re.compile(r"(?:aws_[a-z0-9_]+|var|local|module|data)\.[A-Za-z0-9_\-.\[\]\"*]+")


IDENT = r"[A-Za-z_][A-Za-z0-9_-]*"
TYPE = r"[a-z][a-z0-9]*_[a-z0-9_]+"
INDEX = r"\[(?:[^\[\]\"]|\"[^\"]*\")*\]"
HEAD = (
    rf"(?:data\.{TYPE}\.{IDENT}|var\.{IDENT}|local\.{IDENT}|module\.{IDENT}|each\.(?:key|value)|count\.index"
    rf"|path\.(?:module|root|cwd)|{TYPE}\.{IDENT})"
)
TAIL = rf"(?:\.{IDENT}|\.\*|\.\d+|{INDEX})*"
REFERENCE = rf"{HEAD}{TAIL}"
_COMPILED: Dict[str, re.Pattern[str]] = {}


def rx(pattern: str) -> re.Pattern[str]:
    """Compile on first use: check modules are imported in every Checkov process, most never call us."""
    compiled = _COMPILED.get(pattern)
    if compiled is None:
        compiled = _COMPILED[pattern] = re.compile(pattern)
    return compiled


class GraphIndex:
    """The graph nodes this adapter needs, keyed the way references name them.

    Plain classes rather than dataclasses here: class creation time counts, the module is imported ~20 times a run.
    """

    __slots__ = ("nodes", "base_ids", "by_address", "any_scope_ids", "variables", "unset_variables", "locals",
                 "modules", "policy_nodes", "owner_names", "pointers", "dirs_by_id", "tfvars")

    def __init__(self) -> None:
        self.nodes: Dict[Tuple[str, str, str], Dict[str, Any]] = {}  # (block, scope, id) -> attrs
        self.base_ids: Dict[Tuple[str, str, str], List[str]] = {}  # (block, scope, id without index) -> ids
        self.by_address: Dict[str, Dict[str, Any]] = {}  # resource __address__ -> attrs
        self.any_scope_ids: Set[str] = set()  # resource/data ids without index, in any module
        self.variables: Set[str] = set()
        self.unset_variables: Set[str] = set()  # declared without a default (in some module)
        self.locals: Set[str] = set()
        self.modules: Set[str] = set()
        self.policy_nodes: List[Tuple[str, str, Dict[str, Any]]] = []  # (type, scope, attrs)
        self.owner_names: Dict[Tuple[str, str, str], List[str]] = {}  # (scope, owner type, literal name) -> ids
        self.pointers: Dict[str, Pointers] = {}  # per service, built on first use
        # Node ids that several root modules (directories) of one scan declare: references to them are ambiguous.
        self.dirs_by_id: Dict[str, Set[str]] = {}
        # Root-module variables given a value by a .tfvars file (checkov --var-file, terraform.tfvars): module
        # directory -> name -> value. The evaluator reads defaults from the source; these take precedence.
        self.tfvars: Dict[str, Dict[str, Any]] = {}

    def ambiguous_ids(self) -> Set[str]:
        return {ident for ident, dirs in self.dirs_by_id.items() if len(dirs) > 1}


class Pointers:
    """What the policy resources of one service point at, so an owner's lookup is a set membership test."""

    __slots__ = ("exact", "any_instance", "bases", "names", "unjudged")

    def __init__(self) -> None:
        self.exact: Set[Tuple[str, str]] = set()  # (scope, id with a literal index)
        self.any_instance: Set[Tuple[str, str]] = set()  # (scope, id without index): unindexed or computed index
        self.bases: Set[Tuple[str, str]] = set()  # (scope, id without index) of every reference
        self.names: Set[str] = set()  # names that literal pointers give (bucket, last part of a URL or ARN)
        # (scope, owner id, policy address) of policy resources Checkov renders with a false count and never checks
        self.unjudged: List[Tuple[str, str, str]] = []


_INDEX_CACHE: List[Tuple[object, int, GraphIndex]] = []


def graph_payloads(graph: object) -> Iterable[Any]:
    """Node payloads of a rustworkx graph (Checkov's default) or a networkx one (CHECKOV_GRAPH_FRAMEWORK)."""
    if hasattr(graph, "node_indices") and hasattr(graph, "nodes"):  # rustworkx: payloads are (index, attrs)
        return list(graph.nodes())  # type: ignore[attr-defined]
    nodes = getattr(graph, "nodes", None)
    if callable(nodes):  # networkx
        return list(nodes(data=True))
    return []


def attrs_of(payload: Any) -> Optional[Dict[str, Any]]:
    """The attribute dict of one node payload: ``(index, attrs)``, ``attrs`` or a block object."""
    if isinstance(payload, tuple) and len(payload) == 2 and isinstance(payload[1], Mapping):
        return payload[1]  # type: ignore[return-value]
    if isinstance(payload, Mapping):
        return payload  # type: ignore[return-value]
    attributes = getattr(payload, "attributes", None)
    if isinstance(attributes, Mapping):
        merged = dict(attributes)
        merged.setdefault("block_type_", getattr(payload, "block_type", None))
        merged.setdefault("id_", getattr(payload, "id", None))
        merged.setdefault("file_path_", getattr(payload, "path", None))
        return merged
    return None


def scope_of(address: str, ident: str) -> str:
    """The module prefix of an address ("module.logs."), given the node's own id."""
    if ident and address.endswith(ident):
        scope = address[: len(address) - len(ident)]
        return scope[: -len("data.")] if scope.endswith("data.") else scope
    return ""


def per_graph(cache: List[Tuple[object, int, Any]], graph: object, build: Callable[[], Any]) -> Any:
    """What ``build`` derives from a graph, built once per graph: Checkov scans every resource of a run against the
    same graph object. The cache keeps the last two graphs (a run scans one at a time; memory stays bounded)."""
    try:
        size = len(graph)  # type: ignore[arg-type]
    except TypeError:
        size = -1
    for cached_graph, cached_size, found in cache:
        if cached_graph is graph and cached_size == size:
            return found
    found = build()
    cache.insert(0, (graph, size, found))
    del cache[2:]
    return found


class _Partitions:
    """The graph indexed as a whole and per root module: Checkov builds one graph for every root module of a scan
    (dev/ and prod/ declaring the same aws_s3_bucket.this), so references are resolved in the root module of the
    resource being checked."""

    __slots__ = ("whole", "roots", "homes")

    def __init__(self) -> None:
        self.whole = GraphIndex()
        self.roots: Dict[str, GraphIndex] = {}  # root module directory -> its index (and the modules it calls)
        self.homes: Dict[str, List[Tuple[str, str]]] = {}  # resource address -> [(root directory, its file)]

    def select(self, file_path: str, address: str) -> GraphIndex:
        """The index of the root module the resource at ``address`` in ``file_path`` belongs to; the whole graph
        (whose ambiguity guard then fails closed) when that cannot be told."""
        if len(self.roots) <= 1:
            return next(iter(self.roots.values()), self.whole)
        roots = {root for root, path in self.homes.get(address, []) if _same_file(path, file_path)}
        if len(roots) == 1:
            return self.roots[roots.pop()]
        return self.whole


def _same_file(node_path: str, scanned: str) -> bool:
    """Is the graph node's file (absolute) the file Checkov names for the check: absolute, or relative to the
    scanned folder with a leading "/" (checkov -d DIR)?"""
    if not scanned:
        return True
    if os.path.isabs(scanned) and os.path.exists(scanned):
        return node_path == os.path.abspath(scanned)
    relative = scanned.replace("\\", "/").lstrip("/")
    return node_path == os.path.abspath(relative) or node_path.endswith("/" + relative)


def graph_index(graph: object | None, file_path: str = "", address: str = "") -> Optional[GraphIndex]:
    """The index for a resource (see _Partitions), built once per graph (see per_graph); without ``address``, the
    whole graph's."""
    if graph is None:
        return None
    partitions = per_graph(_INDEX_CACHE, graph, lambda: _build_partitions(graph))
    return partitions.select(file_path, address) if address else partitions.whole


def _build_partitions(graph: object) -> _Partitions:
    partitions = _Partitions()
    for payload in graph_payloads(graph):
        attrs = attrs_of(payload)
        if not attrs:
            continue
        path = attrs.get("file_path_")
        module_dir = os.path.dirname(os.path.abspath(path)) if isinstance(path, str) and path else ""
        root = root_dir_of(attrs, module_dir)
        index = partitions.roots.get(root)
        if index is None:
            index = partitions.roots[root] = GraphIndex()
        for target in (partitions.whole, index):
            _add_node(target, attrs)
        ident = attrs.get("id_")
        address = attrs.get("__address__") if isinstance(attrs.get("__address__"), str) else ident
        if isinstance(address, str) and address and isinstance(path, str):
            partitions.homes.setdefault(address, []).append((root, os.path.abspath(path)))
    return partitions


def _add_node(index: GraphIndex, attrs: Dict[str, Any]) -> None:
    """One node into an index: what references and pointers look up."""
    block = attrs.get("block_type_")
    block = getattr(block, "value", block)  # enum or str
    ident = attrs.get("id_") or ""
    name = attrs.get("block_name_") or ""
    if block == "variable":
        index.variables.add(str(name))
        _record_tfvar(index, attrs, str(name))
        if "default" not in attrs:
            index.unset_variables.add(str(name))
    elif block == "locals":
        index.locals.add(str(name))
    elif block == "module":
        index.modules.add(str(name))
    if block not in ("resource", "data") or not isinstance(ident, str) or not ident:
        return
    address = attrs.get("__address__") if isinstance(attrs.get("__address__"), str) else ident
    scope = scope_of(address, ident)
    key_id = normalise_index(ident)
    path = attrs.get("file_path_")
    if isinstance(path, str) and path and not scope:  # root modules: module calls carry their own scope
        written = ("data." if block == "data" else "") + strip_index(key_id)
        index.dirs_by_id.setdefault(written, set()).add(os.path.dirname(path))
    index.nodes[(block, scope, key_id)] = attrs
    base = strip_index(key_id)
    index.base_ids.setdefault((block, scope, base), []).append(key_id)
    index.any_scope_ids.add(base)
    if block == "resource":
        index.by_address[address] = attrs
        resource_type = ident.split(".", 1)[0]
        if resource_type in TERRAFORM_POLICY_RESOURCES:
            index.policy_nodes.append((resource_type, scope, attrs))
        elif resource_type in TERRAFORM_OWNER_RESOURCES:
            literal = literal_name(attrs.get(_NAME_ATTRIBUTE[resource_type]))
            if literal is not None:
                index.owner_names.setdefault((scope, resource_type, literal), []).append(key_id)


def _record_tfvar(index: GraphIndex, attrs: Mapping[str, Any], name: str) -> None:
    """Checkov writes a .tfvars value into the variable's ``default`` and says so in ``rendering_breadcrumbs_``."""
    crumbs = attrs.get("rendering_breadcrumbs_")
    crumbs = crumbs.get("default") if isinstance(crumbs, Mapping) else None
    path = attrs.get("file_path_")
    if attrs.get("source_module_object_") or not isinstance(crumbs, list) or not isinstance(path, str):
        return
    if not any(isinstance(c, Mapping) and c.get("type") == "tfvar" for c in crumbs):
        return
    value = attrs.get("default")
    if "${" in json.dumps(value, default=str):
        return  # a value Checkov could not render: the source's default (or a symbol) is read instead
    index.tfvars.setdefault(os.path.dirname(os.path.abspath(path)), {})[name] = value


def with_tfvars(scope: Any, index: Optional[GraphIndex]) -> Any:
    """The scope with .tfvars values applied to its root module's variables (the end of its caller chain)."""
    root = scope
    while root is not None and root.caller is not None:
        root = root.caller
    if root is not None and index is not None:
        root.variables.update(index.tfvars.get(root.module_dir, {}))
    return scope


def lookup_node(index: Optional[GraphIndex], block: str, scope: str, ident: str) -> Optional[Dict[str, Any]]:
    """A node by its id as a reference writes it; an unindexed reference to a counted resource finds the only one."""
    if index is None:
        return None
    ident = normalise_index(ident)
    found = index.nodes.get((block, scope, ident))
    if found is not None:
        return found
    candidates = index.base_ids.get((block, scope, strip_index(ident)), [])
    if len(candidates) == 1:  # several instances: which one is unknown, so the caller keeps a reference
        return index.nodes.get((block, scope, candidates[0]))
    return None


def lookup_up(
    index: Optional[GraphIndex], block: str, scope: str, ident: str
) -> Tuple[Optional[str], Optional[Dict[str, Any]]]:
    """Look in the module, then its callers: Checkov inlines a caller's expression passed as a module variable."""
    while True:
        found = lookup_node(index, block, scope, ident)
        if found is not None or not scope:
            return (scope, found) if found is not None else (None, None)
        parent = re.match(rf"^(.*)module\.{IDENT}(?:{INDEX})?\.$", scope)
        scope = parent.group(1) if parent else ""


# --------------------------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------------------------


def normalise_index(ident: str) -> str:
    """aws_sqs_queue.q["0"] and aws_sqs_queue.q[0] name the same instance."""
    return rx(r'\["(\d+)"\]').sub(r"[\1]", ident) if "[" in ident else ident


def strip_index(ident: str) -> str:
    return rx(INDEX).sub("", ident) if "[" in ident else ident


def index_part(ident: str) -> Optional[str]:
    match = rx(INDEX).search(ident) if "[" in ident else None
    return match.group(0) if match else None


class Ref:
    """A Terraform reference split into the object it names (``base``) and the attribute path after it."""

    __slots__ = ("text", "kind", "base", "attribute", "resource_type")

    def __init__(self, text: str, kind: str, base: str, attribute: str, resource_type: str = "") -> None:
        self.text = text
        self.kind = kind  # "resource", "data", "var", "local", "module", "each", "count", "path"
        self.base = base  # "aws_s3_bucket.b[0]", "data.aws_region.cur", "var.x", "each.value"
        self.attribute = attribute  # "arn", "" when none
        self.resource_type = resource_type


_REF_CACHE: Dict[str, Optional[Ref]] = {}


def parse_reference(text: str) -> Optional[Ref]:
    """A reference (``aws_s3_bucket.b["x"].arn``, ``var.x``...) split into parts; None for anything else."""
    cached = _REF_CACHE.get(text, _REF_CACHE)
    if cached is not _REF_CACHE:
        return cached  # type: ignore[return-value]
    if len(_REF_CACHE) > 20000:
        _REF_CACHE.clear()
    ref = _REF_CACHE[text] = _split_reference(text.strip())
    return ref


def _split_reference(text: str) -> Optional[Ref]:
    if not rx(REFERENCE).fullmatch(text):
        return None
    parts = re.findall(rf"\.?({IDENT}|\*|\d+|{INDEX})", text)
    # re-split keeping indexes attached to the part before them
    segments: List[str] = []
    for part in parts:
        if part.startswith("[") and segments:
            segments[-1] += part
        else:
            segments.append(part)
    head = strip_index(segments[0])
    if head == "data":
        if len(segments) < 3:
            return None
        base = ".".join(segments[:3])
        return Ref(text, "data", normalise_index(base), ".".join(segments[3:]), strip_index(segments[1]))
    if head in ("var", "local", "module", "each", "count", "path"):
        base = ".".join(segments[:2])
        return Ref(text, head, normalise_index(base), ".".join(segments[2:]))
    if len(segments) < 2:
        return None
    base = ".".join(segments[:2])
    return Ref(text, "resource", normalise_index(base), ".".join(segments[2:]), head)


def plausible_bare(ref: Ref, index: Optional[GraphIndex]) -> bool:
    """Is bare text that looks like a reference really one (and not, say, an S3 key such as var.log)?"""
    if ref.kind in ("resource", "data"):
        if not ref.attribute:
            return False
        base = strip_index(ref.base[len("data."):] if ref.kind == "data" else ref.base)
        return ref.resource_type.startswith("aws_") or (index is not None and base in index.any_scope_ids)
    if index is None:
        return True
    name = ref.base.split(".", 1)[1] if "." in ref.base else ""
    name = strip_index(name)
    if ref.kind == "var":
        return not index.variables or name in index.variables
    if ref.kind == "local":
        return not index.locals or name in index.locals
    if ref.kind == "module":
        return not index.modules or name in index.modules
    return True


def same_instance(ref_base: str, owner_id: str) -> bool:
    """Does a reference base (aws_sqs_queue.q[0]) name the owner (aws_sqs_queue.q[0], or any instance if unindexed)?"""
    ref_base, owner_id = normalise_index(ref_base), normalise_index(owner_id)
    if ref_base == owner_id:
        return True
    if strip_index(ref_base) != strip_index(owner_id):
        return False
    ref_index, owner_index = index_part(ref_base), index_part(owner_id)
    if ref_index is None or owner_index is None:
        return True
    return not re.fullmatch(r'\[(?:\d+|"[^"]*")\]', ref_index)  # [count.index] and the like: any instance


def unwrap(value: Any) -> Any:
    """Checkov wraps attribute values in one-element lists, sometimes twice."""
    depth = 0
    while isinstance(value, list) and len(value) == 1 and depth < 4:
        value = value[0]
        depth += 1
    return value


def literal_name(value: Any) -> Optional[str]:
    """A resource name that is a plain literal (no reference, bare or not)."""
    value = unwrap(value)
    if not isinstance(value, str) or not value or "${" in value:
        return None
    for match in rx(_BARE_REFERENCE).finditer(value):
        ref = parse_reference(match.group(0))
        if ref is not None and plausible_bare(ref, None):
            return None
    return value


def root_dir_of(attrs: Optional[Mapping[str, Any]], module_dir: str) -> str:
    """The root module's directory: Checkov records the chain of module calls in ``source_module_object_``."""
    module = attrs.get("source_module_object_") if attrs else None
    path = None
    for _ in range(64):
        if module is None:
            break
        path = getattr(module, "path", None)
        module = getattr(module, "nested_tf_module", None)
    return os.path.dirname(os.path.abspath(path)) if isinstance(path, str) and path else module_dir


def graph_resources(graph: object | None, resource_types: Iterable[str]) -> List[Tuple[str, Dict[str, Any]]]:
    """(address, attributes) of every resource node of these types in Checkov's graph (values not list-wrapped):
    the organisations reader finds policies and attachments this way."""
    wanted = set(resource_types)
    found: List[Tuple[str, Dict[str, Any]]] = []
    if graph is None:
        return found
    for payload in graph_payloads(graph):
        attrs = attrs_of(payload)
        if not attrs:
            continue
        block = attrs.get("block_type_")
        block = getattr(block, "value", block)
        ident = attrs.get("id_")
        if block != "resource" or not isinstance(ident, str) or ident.split(".", 1)[0] not in wanted:
            continue
        address = attrs.get("__address__") if isinstance(attrs.get("__address__"), str) else ident
        found.append((address, dict(attrs)))
    return found
