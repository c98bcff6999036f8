"""Bounded reading of the documents the pack parses itself (OpenAPI bodies and files: JSON or YAML).

YAML anchors and aliases let a few hundred bytes stand for billions of nodes (the "billion laughs"): PyYAML
shares the aliased subtree, but anything that walks the result visits every copy. So a document is measured
before it is used: its size as text, its nodes counted with every alias expanded, and its nesting depth; past a
limit the check fails closed with a message naming the limit (docs/semantics.md, "Bounds").
"""

from __future__ import annotations

import json
from typing import Any, List, Mapping, Tuple

# A body or file longer than this is not parsed (the limit for files read by file()/templatefile(), 1 MiB).
MAX_DOCUMENT_CHARS = 1024 * 1024
# Nodes of a document with every YAML alias expanded: scalars, mappings and sequences (a mapping entry counts
# its key and its value). Real OpenAPI documents of hundreds of operations stay far below.
MAX_DOCUMENT_NODES = 200_000
# Nesting of mappings and sequences.
MAX_DOCUMENT_DEPTH = 100


class DocumentTooLarge(ValueError):
    """A document past one of the limits above; the message names the limit."""


def _too_many_nodes() -> DocumentTooLarge:
    return DocumentTooLarge(f"the document has more than {MAX_DOCUMENT_NODES} nodes once its YAML aliases are "
                            "expanded (MAX_DOCUMENT_NODES): the scan does not expand it")


def _too_deep() -> DocumentTooLarge:
    return DocumentTooLarge(f"the document is nested more than {MAX_DOCUMENT_DEPTH} levels deep "
                            "(MAX_DOCUMENT_DEPTH)")


def check_text_size(text: str, max_chars: int = MAX_DOCUMENT_CHARS) -> None:
    """Refuse a text longer than MAX_DOCUMENT_CHARS (or the caller's larger bound) before any parser sees it."""
    if len(text) > max_chars:
        raise DocumentTooLarge(f"the document is longer than {max_chars} characters (MAX_DOCUMENT_CHARS)")


def check_tree_bounds(value: Any, max_nodes: int = MAX_DOCUMENT_NODES) -> None:
    """Count the nodes of a parsed value as a walk would visit them (shared subtrees once per reference) and its
    depth; raise DocumentTooLarge past the limits. Stops as soon as a limit is passed, so the cost is bounded."""
    count = 0
    stack: List[Tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > max_nodes:
            raise _too_many_nodes()
        if isinstance(item, Mapping):
            if depth >= MAX_DOCUMENT_DEPTH:
                raise _too_deep()
            count += len(item)  # the keys
            stack.extend((sub, depth + 1) for sub in item.values())
        elif isinstance(item, (list, tuple)):
            if depth >= MAX_DOCUMENT_DEPTH:
                raise _too_deep()
            stack.extend((sub, depth + 1) for sub in item)


def _check_node_bounds(root: Any) -> None:
    """check_tree_bounds over a composed YAML node graph: an alias is the same node object met again, so the
    walk counts it once per reference, without constructing anything."""
    import yaml

    count = 0
    stack: List[Tuple[Any, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_DOCUMENT_NODES:
            raise _too_many_nodes()
        if isinstance(node, yaml.MappingNode):
            if depth >= MAX_DOCUMENT_DEPTH:
                raise _too_deep()
            for key_node, value_node in node.value:
                stack.append((key_node, depth + 1))
                stack.append((value_node, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            if depth >= MAX_DOCUMENT_DEPTH:
                raise _too_deep()
            stack.extend((sub, depth + 1) for sub in node.value)


def load_yaml(text: str) -> Any:
    """yaml.safe_load with the bounds: the text is composed (aliases stay references), measured, then built."""
    import yaml  # lazy: module import must stay cheap (checkov ships PyYAML)

    check_text_size(text)
    loader = yaml.SafeLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except RecursionError as error:  # PyYAML composes recursively
            raise _too_deep() from error
        if root is None:
            return None
        _check_node_bounds(root)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def load_json(text: str, max_chars: int = MAX_DOCUMENT_CHARS, max_nodes: int = MAX_DOCUMENT_NODES) -> Any:
    """json.loads with the bounds (JSON has no aliases, but its depth and size still count). A caller reading a
    larger kind of file (a Terraform plan) may raise the size and node bounds; the depth bound is the same."""
    check_text_size(text, max_chars)
    try:
        value = json.loads(text)
    except RecursionError as error:
        raise _too_deep() from error
    check_tree_bounds(value, max_nodes)
    return value
