"""A symbolic evaluator for the Terraform expressions that resource policies are written with.

Checkov hands a check a half-evaluated rendering of each attribute (SPEC section 8): a ``local`` list loses the
``"${...}/*"`` element, ``format()``/``join()``/``concat()`` arrive as text, conditionals as strings. This module
reads the expression itself, from the HCL parse tree of checkov's own parser (``bc-python-hcl2``'s Lark grammar),
and evaluates it as Terraform would, keeping what cannot be known at scan time as :class:`Unknown` symbols with
identity (``aws_s3_bucket.b.arn``, ``data.aws_region.current.name``, ``var.x`` without a default). A symbol
inside a string is written ``${expr}``: the form the rest of the Terraform adapter and the engine already read.

A conditional whose condition is unknown forks the evaluation: :func:`evaluate_variants` returns one value per
combination of branches (bounded), each labelled with the branches it took, so the caller can judge them all.

Nothing here reads the graph: names are resolved through a :class:`Scope` the caller supplies.
"""

from __future__ import annotations

import json
import os
import re
import stat
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from vpce_checks.adapters.bounded_documents import load_json

# One file read is bounded: a policy file or template is small; /dev/zero or a FIFO would hang or exhaust memory.
MAX_FILE_BYTES = 1024 * 1024
_MAX_VARIANTS = 8
_MAX_DEPTH = 64
_MAX_ITEMS = 10000
_KEYWORDS = {"true": True, "false": False, "null": None}


class Unknown:
    """A value the scan cannot know (a resource attribute, a variable without a default), named by its expression."""

    __slots__ = ("text", "combo")

    def __init__(self, text: str, combo: Optional[Tuple[str, Any, Any]] = None) -> None:
        self.text = text
        # A boolean combination of unknowns ("&&", a, b), ("||", a, b), ("!", a, None): a condition on it is
        # decided symbol by symbol, so `a && b` and `a` agree on a.
        self.combo = combo

    def __repr__(self) -> str:
        return f"Unknown({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.text == self.text

    def __hash__(self) -> int:
        return hash(("Unknown", self.text))


class EvaluationProblem(Exception):
    """The expression is understood but cannot be evaluated soundly (a file too large, a cycle): fail closed."""


class Unsupported(Exception):
    """An expression form this evaluator does not read: the caller falls back to Checkov's rendering."""


class Infeasible(EvaluationProblem):
    """An index past the end of a list: Terraform rejects the configuration. Under assumed branches of unknown
    conditions this means the assumed combination cannot occur (the conditions are related)."""


class _Fork(Exception):
    """An unknown condition decides the value: evaluate again with each branch."""

    def __init__(self, condition: str) -> None:
        super().__init__(condition)
        self.condition = condition


# Resolves data.TYPE.NAME.ATTRIBUTE...: called with (the evaluator, "TYPE.NAME", [attribute, ...]); None: unknown.
Resolver = Callable[["Evaluator", str, List[Any]], Any]


class Scope:
    """How names resolve for one module: the caller fills these in (locals, variables, data sources, paths)."""

    def __init__(self, module_dir: str, root_dir: str) -> None:
        self.module_dir = module_dir
        self.root_dir = root_dir
        self.locals: Dict[str, Any] = {}  # name -> parse tree of its expression
        self.variables: Dict[str, Any] = {}  # name -> parse tree of its default, or None without one
        self.data: Optional[Resolver] = None
        # Inside a called module: the module block's arguments (var.X) and the scope they are evaluated in.
        self.inputs: Dict[str, Any] = {}
        self.caller: Optional[Scope] = None
        # The module's resource blocks' ``count`` expressions: a splat over a counted resource is a list of its
        # instances (join("", aws_s3_bucket.this[*].id) is the one bucket's id).
        self.counts: Dict[Tuple[str, str], Any] = {}
        # module.NAME.OUTPUT of a local module this module calls: (evaluator, NAME, OUTPUT) -> the value as this
        # module sees it, None when it cannot be read (source.py sets it); and the data-source resolver a called
        # module's scope gets, made from that module's directory.
        self.module_output: Optional[Callable[[Evaluator, str, str], Any]] = None
        self.data_for: Optional[Callable[[str], Resolver]] = None


# --------------------------------------------------------------------------------------------------------------
# Parsing (checkov's bundled HCL grammar; imported lazily: check modules are imported ~20 times a run)
# --------------------------------------------------------------------------------------------------------------

_EXPRESSION_CACHE: Dict[str, Any] = {}


def _lark() -> Any:
    from hcl2.parser import hcl2  # noqa: PLC0415 - lazy: the grammar is built on first import

    return hcl2.lark_parser


def parse_file(text: str) -> Any:
    """The parse tree of one .tf file; raises Unsupported when the grammar rejects it."""
    try:
        return _lark().parse(text + "\n")
    except Exception as exc:  # noqa: BLE001 - lark raises many types; the caller falls back
        raise Unsupported(f"cannot parse: {type(exc).__name__}") from exc


def parse_expression(text: str) -> Any:
    """The parse tree of one expression (the inside of ``${...}``)."""
    found = _EXPRESSION_CACHE.get(text)
    if found is None:
        if "\n" in text and text.count("\n") > 200:
            raise Unsupported("expression too long")
        tree = parse_file(f"__expression__ = {text.strip()}\n")
        body = tree.children[0]
        attribute = body.children[0] if body.children else None
        if attribute is None or getattr(attribute, "data", "") != "attribute":
            raise Unsupported("not an expression")
        found = attribute.children[1]
        if len(_EXPRESSION_CACHE) > 5000:
            _EXPRESSION_CACHE.clear()
        _EXPRESSION_CACHE[text] = found
    return found


def _kind(node: Any) -> str:
    data = getattr(node, "data", None)
    if data is not None:
        return str(data)
    return "token:" + str(getattr(node, "type", ""))


def _children(node: Any) -> List[Any]:
    return list(getattr(node, "children", []))


def _name(node: Any) -> str:
    """The text of an ``identifier`` node or a block label."""
    if _kind(node) == "identifier":
        return str(node.children[0])
    text = str(node)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def block_parts(block: Any) -> Tuple[str, List[str], Any]:
    """(block type, labels, body) of a ``block`` node."""
    children = _children(block)
    return _name(children[0]), [_name(c) for c in children[1:-1]], children[-1]


def body_items(body: Any) -> Iterator[Tuple[str, str, Any]]:
    """("attribute", name, expression) and ("block", type, block node) of a body, in order."""
    for item in _children(body):
        kind = _kind(item)
        if kind == "attribute":
            yield "attribute", _name(item.children[0]), item.children[1]
        elif kind == "block":
            yield "block", block_parts(item)[0], item


def source_text(node: Any) -> str:
    """An expression written back as Terraform source, for messages and symbol names."""
    kind = _kind(node)
    children = _children(node)
    if kind.startswith("token:"):
        return str(node)
    if kind == "identifier":
        return str(children[0])
    if kind == "get_attr_expr_term":
        return source_text(children[0]) + "." + _name(children[1].children[0])
    if kind == "index_expr_term":
        return source_text(children[0]) + _index_text(children[1])
    if kind in ("attr_splat_expr_term", "full_splat_expr_term"):
        splat = children[1]
        head = ".*" if kind == "attr_splat_expr_term" else "[*]"
        rest = "".join("." + _name(c.children[0]) if _kind(c) == "get_attr" else _index_text(c)
                       for c in _children(splat))
        return source_text(children[0]) + head + rest
    if kind == "expr_term":
        inner = source_text(children[0]) if children else ""
        return inner if len(children) == 1 and _kind(children[0]) != "binary_op" else f"({inner})"
    if kind == "function_call":
        arguments = children[1] if len(children) > 1 else None
        return f"{_name(children[0])}({', '.join(source_text(a) for a in _children(arguments))})"
    if kind == "tuple":
        return "[" + ", ".join(source_text(c) for c in children) + "]"
    if kind == "object":
        return "{" + ", ".join(f"{source_text(e.children[0])} = {source_text(e.children[1])}"
                               for e in children) + "}"
    if kind == "conditional":
        return f"{source_text(children[0])} ? {source_text(children[1])} : {source_text(children[2])}"
    if kind == "binary_op":
        term = children[1]
        return f"{source_text(children[0])} {term.children[0].children[0]} {source_text(term.children[1])}"
    if kind == "unary_op":
        return f"{children[0]}{source_text(children[1])}"
    if kind in ("int_lit", "float_lit"):
        return "".join(str(c) for c in children)
    if kind in ("for_tuple_expr", "for_object_expr"):
        return "[for ...]" if kind == "for_tuple_expr" else "{for ...}"
    return kind


def _index_text(index: Any) -> str:
    children = _children(index)
    if children and _kind(children[0]).startswith("token:"):
        return "[" + "".join(str(c) for c in children) + "]"
    return "[" + (source_text(children[0]) if children else "") + "]"


# --------------------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------------------


def has_unknown(value: Any, depth: int = 0) -> bool:
    """Does a value hold an Unknown anywhere (a whole element, not text inside a string)?"""
    if depth > _MAX_DEPTH:
        return True
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(has_unknown(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v, depth + 1) for v in value)
    return False


def materialize(value: Any, depth: int = 0) -> Any:
    """Plain JSON types, each Unknown written ``${expr}`` (the form the adapter and engine read)."""
    if depth > _MAX_DEPTH:
        raise EvaluationProblem("the value nests too deeply")
    if isinstance(value, Unknown):
        return "${" + value.text + "}"
    if isinstance(value, dict):
        return {str(k): materialize(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [materialize(v, depth + 1) for v in value]
    return value


def to_string(value: Any) -> str:
    """A value inside a string template, as Terraform converts it."""
    if isinstance(value, str):
        return value
    if isinstance(value, Unknown):
        return "${" + value.text + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if value is None:
        raise EvaluationProblem("a null value inside a string template")
    raise EvaluationProblem(f"a {type(value).__name__} value inside a string template")


# --------------------------------------------------------------------------------------------------------------
# The evaluator
# --------------------------------------------------------------------------------------------------------------


class Evaluator:
    """Evaluates parse trees in one Scope, under fixed choices for unknown conditions (see evaluate_variants)."""

    def __init__(self, scope: Scope, choices: Optional[Dict[str, bool]] = None) -> None:
        self.scope = scope
        self.choices = choices if choices is not None else {}  # shared with sub-evaluators (module callers)
        self.bindings: List[Dict[str, Any]] = []  # for-expression, dynamic-block and each/count names
        self._locals_busy: List[str] = []
        self._locals_done: Dict[str, Any] = {}
        self.depth = 0
        self.template_only = False  # a template file: only its variables are in scope (templatefile())

    # -- entry points ------------------------------------------------------------------------------------------

    def value(self, node: Any) -> Any:
        self.depth += 1
        if self.depth > _MAX_DEPTH * 4:
            raise EvaluationProblem("the expression nests too deeply")
        try:
            return self._value(node)
        finally:
            self.depth -= 1

    def with_bindings(self, names: Dict[str, Any], node: Any) -> Any:
        self.bindings.append(names)
        try:
            return self.value(node)
        finally:
            self.bindings.pop()

    # -- dispatch ----------------------------------------------------------------------------------------------

    def _value(self, node: Any) -> Any:  # noqa: C901 - one branch per grammar rule
        kind = _kind(node)
        children = _children(node)
        if kind == "expr_term":
            if not children:
                raise Unsupported("empty term")
            return self.value(children[0])
        if kind == "token:STRING_LIT":
            return self.template(str(node)[1:-1], escapes=True)
        if kind in ("token:heredoc_template", "heredoc_template", "token:heredoc_template_trim",
                    "heredoc_template_trim"):
            return self.template(_heredoc_body(str(node if kind.startswith("token") else children[0])),
                                 escapes=False)
        if kind == "int_lit":
            return int("".join(str(c) for c in children))
        if kind == "float_lit":
            return float("".join(str(c) for c in children))
        if kind == "tuple":
            return [self.value(c) for c in children]
        if kind == "object":
            out: Dict[str, Any] = {}
            for element in children:
                key_node, value_node = element.children[0], element.children[-1]
                key = _name(key_node) if _kind(key_node) == "identifier" else self.value(key_node)
                if isinstance(key, Unknown):
                    raise Unsupported(f"an object key from {key.text}")
                out[to_string(key)] = self.value(value_node)
            return out
        if kind == "identifier" or kind in ("get_attr_expr_term", "index_expr_term"):
            return self.traversal(node)
        if kind in ("attr_splat_expr_term", "full_splat_expr_term"):
            return self.splat(node)
        if kind == "function_call":
            name = _name(children[0])
            arguments = _children(children[1]) if len(children) > 1 else []
            return self.call(name, arguments, node)
        if kind == "conditional":
            return self.conditional(children[0], children[1], children[2])
        if kind == "binary_op":
            return self.binary(node)
        if kind == "unary_op":
            operator, operand = str(children[0]), self.value(children[1])
            if isinstance(operand, Unknown):
                if operator == "!":
                    return Unknown("!" + operand.text, ("!", operand, None))
                return Unknown("-" + operand.text)
            if operator == "!":
                return not _as_bool(operand)
            return -_as_number(operand)
        if kind == "for_tuple_expr":
            return self.for_expression(node, as_object=False)
        if kind == "for_object_expr":
            return self.for_expression(node, as_object=True)
        raise Unsupported(f"the expression form {kind}")

    # -- names -------------------------------------------------------------------------------------------------

    def traversal(self, node: Any) -> Any:
        """``root.attr[index]...``: bound names first, then var/local/data/path/each/count, else a symbol."""
        steps: List[Any] = []
        current = node
        while True:
            kind = _kind(current)
            if kind == "expr_term" and len(_children(current)) == 1:
                current = current.children[0]
            elif kind == "get_attr_expr_term":
                steps.append(_name(current.children[1].children[0]))
                current = current.children[0]
            elif kind == "index_expr_term":
                steps.append(self.index_key(current.children[1]))
                current = current.children[0]
            else:
                break
        steps.reverse()
        if _kind(current) != "identifier":
            return self.apply_steps(self.value(current), steps, source_text(current))
        root = _name(current)
        if root in _KEYWORDS and not steps:
            return _KEYWORDS[root]
        for frame in reversed(self.bindings):
            if root in frame:
                return self.apply_steps(frame[root], steps, root)
        return self.resolve_name(root, steps)

    def index_key(self, index: Any) -> Any:
        children = _children(index)
        if children and _kind(children[0]).startswith("token:"):  # the legacy .0 form
            return int("".join(str(c) for c in children))
        key = self.value(children[0])
        return key

    def resolve_name(self, root: str, steps: List[Any]) -> Any:
        text = _traversal_text(root, steps)
        if self.template_only:
            raise EvaluationProblem(f"the template uses ${{{text}}}, which its variables do not provide")
        if not steps or root in ("module",) and len(steps) < 2:
            raise Unsupported(f"the name {text}")
        if root == "local" and steps and isinstance(steps[0], str):
            return self.apply_steps(self.local(steps[0]), steps[1:], f"local.{steps[0]}")
        if root == "var" and steps and isinstance(steps[0], str):
            name = steps[0]
            if self.scope.caller is not None and name in self.scope.inputs:
                caller = Evaluator(self.scope.caller, self.choices)
                caller.depth = self.depth
                return self.apply_steps(from_caller(caller.value(self.scope.inputs[name])), steps[1:], f"var.{name}")
            if name in self.scope.variables and self.scope.variables[name] is not None:
                default = self.scope.variables[name]
                return self.apply_steps(self.value(default) if not _is_value(default) else default, steps[1:],
                                        f"var.{name}")
            return Unknown(text)
        if root == "path" and steps in (["module"], ["root"], ["cwd"]):
            return self.scope.module_dir if steps == ["module"] else self.scope.root_dir
        if root == "data" and len(steps) >= 2 and self.scope.data is not None:
            found = self.scope.data(self, f"{steps[0]}.{steps[1]}", list(steps[2:]))
            if found is not None:
                return found
        if root in ("each", "count", "self", "terraform"):
            return Unknown(text)
        if root == "module" and self.scope.module_output is not None and isinstance(steps[0], str) \
                and isinstance(steps[1], str):
            found = self.scope.module_output(self, steps[0], steps[1])
            if found is not None:
                return self.apply_steps(found, steps[2:], f"module.{steps[0]}.{steps[1]}")
        count = self.scope.counts.get((root, steps[0])) if len(steps) == 1 else None
        if count is not None:
            number = self.value(count)
            if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= 64:
                return Unknown(text)
            return [Unknown(f"{text}[{i}]") for i in range(number)]
        return Unknown(text)

    def local(self, name: str) -> Any:
        if name in self._locals_done:
            return self._locals_done[name]
        tree = self.scope.locals.get(name)
        if tree is None:
            raise Unsupported(f"local.{name} is not in the module's source")
        if name in self._locals_busy:
            raise EvaluationProblem(f"local.{name} refers to itself")
        self._locals_busy.append(name)
        saved = self.bindings
        self.bindings = []  # a local sees no for-expression names of its user
        try:
            found = self.value(tree)
        finally:
            self.bindings = saved
            self._locals_busy.pop()
        self._locals_done[name] = found
        return found

    def apply_steps(self, value: Any, steps: Sequence[Any], text: str) -> Any:
        for step in steps:
            text = _traversal_text(text, [step])
            if isinstance(value, Unknown):
                value = Unknown(_traversal_text(value.text, [step]))
                continue
            if isinstance(step, Unknown):
                return Unknown(text)
            if isinstance(value, dict):
                key = to_string(step)
                if key not in value:
                    raise EvaluationProblem(f"{text}: the object has no attribute {key!r}")
                value = value[key]
            elif isinstance(value, list):
                position = _as_int(step)
                if not 0 <= position < len(value):
                    raise Infeasible(f"{text}: index {position} is out of range")
                value = value[position]
            else:
                raise EvaluationProblem(f"{text}: cannot take {step!r} of a {type(value).__name__}")
        return value

    def splat(self, node: Any) -> Any:
        kind = _kind(node)
        base = self.value(node.children[0])
        steps = []
        for child in _children(node.children[1]):
            steps.append(_name(child.children[0]) if _kind(child) == "get_attr" else self.index_key(child))
        if isinstance(base, Unknown):
            return Unknown(source_text(node))
        items = base if isinstance(base, list) else ([] if base is None else [base])
        del kind
        return [self.apply_steps(item, steps, "splat") for item in items]

    # -- templates ---------------------------------------------------------------------------------------------

    def template(self, text: str, escapes: bool) -> Any:
        """A quoted string or heredoc: interpolations, ``%{if}``/``%{for}`` directives, and HCL escapes."""
        parts = _template_parts(text, escapes)
        if len(parts) == 1 and parts[0][0] == "interp":  # "${x}" alone is x itself, whatever its type
            return self.value(parse_expression(parts[0][1]))
        return self.render(parts)

    def render(self, parts: List[Tuple[str, str]]) -> str:
        out: List[str] = []
        position = 0
        while position < len(parts):
            kind, text = parts[position]
            if kind == "text":
                out.append(text)
                position += 1
            elif kind == "interp":
                if re.fullmatch(r"[A-Za-z0-9-]+:[^}]+", text):  # an IAM policy variable written without $$
                    out.append("${" + text + "}")
                else:
                    out.append(to_string(self.value(parse_expression(text))))
                position += 1
            else:
                rendered, position = self.directive(parts, position)
                out.append(rendered)
        return _strip_markers("".join(out))

    def directive(self, parts: List[Tuple[str, str]], position: int) -> Tuple[str, int]:
        text = parts[position][1]
        words = text.split(None, 1)
        keyword = words[0] if words else ""
        end_word = "endif" if keyword == "if" else "endfor" if keyword == "for" else None
        if end_word is None:
            raise Unsupported(f"the template directive %{{{text}}}")
        depth, cursor, middle = 0, position + 1, None
        while cursor < len(parts):
            kind, inner = parts[cursor]
            if kind == "directive":
                word = inner.split(None, 1)[0] if inner.split() else ""
                if word in ("if", "for"):
                    depth += 1
                elif word in ("endif", "endfor"):
                    if depth == 0:
                        break
                    depth -= 1
                elif word == "else" and depth == 0 and keyword == "if":
                    middle = cursor
            cursor += 1
        if cursor >= len(parts):
            raise EvaluationProblem(f"the template directive %{{{text}}} is not closed")
        if keyword == "if":
            condition = self.value(parse_expression(words[1] if len(words) > 1 else ""))
            if isinstance(condition, Unknown):
                condition = self.choose(condition)
            then_parts = parts[position + 1: middle if middle is not None else cursor]
            else_parts = parts[middle + 1: cursor] if middle is not None else []
            return self.render(then_parts if _as_bool(condition) else else_parts), cursor + 1
        match = re.fullmatch(r"for\s+([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in\s+(.+)", text, re.DOTALL)
        if not match:
            raise Unsupported(f"the template directive %{{{text}}}")
        collection = self.value(parse_expression(match.group(3)))
        if isinstance(collection, Unknown):
            raise EvaluationProblem(f"the template iterates over {collection.text}, which the scan cannot know")
        body = parts[position + 1: cursor]
        out: List[str] = []
        for key, item in _iterate(collection, match.group(3)):
            names = {match.group(1): item} if match.group(2) is None else {match.group(1): key, match.group(2): item}
            self.bindings.append(names)
            try:
                out.append(self.render(body))
            finally:
                self.bindings.pop()
        return "".join(out), cursor + 1

    # -- operators ---------------------------------------------------------------------------------------------

    def choose(self, condition: Unknown | bool) -> bool:
        """The branch taken for an unknown condition, keyed by the symbol it is (the same symbol decides every
        conditional that tests it; a caller's symbols carry the "caller." prefix, so modules stay apart)."""
        if not isinstance(condition, Unknown):
            return _as_bool(condition)
        if condition.combo is not None:
            operator, left, right = condition.combo
            if operator == "!":
                return not self.choose(left)
            if operator == "&&":
                return self.choose(left) and self.choose(right)
            return self.choose(left) or self.choose(right)
        if condition.text not in self.choices:
            raise _Fork(condition.text)
        return self.choices[condition.text]

    def conditional(self, condition_node: Any, then_node: Any, else_node: Any) -> Any:
        condition = self.value(condition_node)
        if isinstance(condition, Unknown):
            condition = self.choose(condition)
        return self.value(then_node if _as_bool(condition) else else_node)

    def binary(self, node: Any) -> Any:
        operands: List[Any] = []
        operators: List[str] = []
        current = node
        while _kind(current) == "binary_op":
            operands.append(current.children[0])
            term = current.children[1]
            operators.append(str(term.children[0].children[0]))
            current = term.children[1]
        if _kind(current) == "conditional":  # the grammar binds `a == b ? x : y` as `a == (b ? x : y)`
            condition, then_node, else_node = current.children
            operands.append(condition)
            value = self._chain(operands, operators)
            if isinstance(value, Unknown):
                value = self.choose(value)
            return self.value(then_node if _as_bool(value) else else_node)
        operands.append(current)
        return self._chain(operands, operators)

    def _chain(self, operand_nodes: List[Any], operators: List[str]) -> Any:
        values = [self.value(n) for n in operand_nodes]
        texts = [source_text(n) for n in operand_nodes]
        for group in (("*", "/", "%"), ("+", "-"), ("<", ">", "<=", ">="), ("==", "!="), ("&&",), ("||",)):
            position = 0
            while position < len(operators):
                if operators[position] in group:
                    left, right = values[position], values[position + 1]
                    text = f"{texts[position]} {operators[position]} {texts[position + 1]}"
                    values[position: position + 2] = [_operate(operators[position], left, right, text)]
                    texts[position: position + 2] = [text]
                    del operators[position]
                else:
                    position += 1
        return values[0]

    # -- for expressions ---------------------------------------------------------------------------------------

    def for_expression(self, node: Any, as_object: bool) -> Any:
        children = [c for c in _children(node) if not _kind(c).startswith("token:")]
        intro = children[0]
        names = [_name(c) for c in _children(intro) if _kind(c) == "identifier"]
        collection_node = [c for c in _children(intro) if not _kind(c).startswith("token:")
                           and _kind(c) != "identifier"][0]
        condition = next((c for c in children[1:] if _kind(c) == "for_cond"), None)
        expressions = [c for c in children[1:] if _kind(c) != "for_cond"]
        grouping = any(str(c) == "..." for c in _children(node) if _kind(c).startswith("token:"))
        collection = self.value(collection_node)
        if isinstance(collection, Unknown):
            return Unknown(f"[for ... in {collection.text}]" if not as_object else f"{{for ... in {collection.text}}}")
        tuple_out: List[Any] = []
        object_out: Dict[str, Any] = {}
        for key, item in _iterate(collection, source_text(collection_node)):
            frame = {names[0]: item} if len(names) == 1 else {names[0]: key, names[1]: item}
            self.bindings.append(frame)
            try:
                if condition is not None:
                    keep = self.value([c for c in _children(condition) if not _kind(c).startswith("token:")][0])
                    if isinstance(keep, Unknown):
                        keep = self.choose(keep)
                    if not _as_bool(keep):
                        continue
                if as_object:
                    out_key = self.value(expressions[0])
                    if isinstance(out_key, Unknown):
                        raise Unsupported(f"an object key from {out_key.text}")
                    out_value = self.value(expressions[1])
                    if grouping:
                        object_out.setdefault(to_string(out_key), []).append(out_value)
                    else:
                        object_out[to_string(out_key)] = out_value
                else:
                    tuple_out.append(self.value(expressions[0]))
            finally:
                self.bindings.pop()
        return object_out if as_object else tuple_out

    # -- functions ---------------------------------------------------------------------------------------------

    def call(self, name: str, argument_nodes: List[Any], node: Any) -> Any:
        if name == "try":
            for argument in argument_nodes:
                try:
                    return self.value(argument)
                except EvaluationProblem:
                    continue
            raise EvaluationProblem("try(): no argument could be evaluated")
        if name == "can":
            try:
                self.value(argument_nodes[0])
                return True
            except EvaluationProblem:
                return False
        if name in ("file", "templatefile"):
            return self.read_file(name, argument_nodes)
        function = _FUNCTIONS.get(name)
        if function is None:
            raise Unsupported(f"the function {name}()")
        arguments = [self.value(a) for a in argument_nodes]
        try:
            return function(*arguments)
        except _NeedsKnown:
            return Unknown(source_text(node))
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise EvaluationProblem(f"{name}(): {exc}") from exc

    def read_file(self, name: str, argument_nodes: List[Any]) -> Any:
        if not argument_nodes:
            raise EvaluationProblem(f"{name}() without a path")
        path_value = self.value(argument_nodes[0])
        if not isinstance(path_value, str) or "${" in path_value:
            unknown = re.findall(r"\$\{[^}]*\}", to_string(path_value)) or [to_string(path_value)]
            raise EvaluationProblem(f"the path of {name}() depends on {', '.join(unknown)}, which the scan cannot "
                                    "resolve: give the variable a default or use a literal path")
        path = path_value if os.path.isabs(path_value) else os.path.join(self.scope.root_dir, path_value)
        content = read_bounded(os.path.normpath(path))
        if name == "file":
            return content
        if len(argument_nodes) != 2:
            raise EvaluationProblem("templatefile() takes a path and an object of variables")
        variables = self.value(argument_nodes[1])
        if isinstance(variables, Unknown) or not isinstance(variables, dict):
            raise EvaluationProblem(f"the variables of templatefile() are not an object the scan can read "
                                    f"({to_string(variables) if not isinstance(variables, dict) else ''})")
        return render_template(content, variables, self)


_CONTEXT_DATA = ("data.aws_caller_identity.", "data.aws_region.", "data.aws_partition.")


def _caller_text(text: str) -> str:
    """A symbol of a module's caller, renamed so it never reads as the module's own resource of the same name
    (``aws_s3_bucket.this`` in the root is not the module's ``aws_s3_bucket.this``). The account, Region and
    partition data sources keep their names: a module inherits its caller's provider."""
    return text if text.startswith(_CONTEXT_DATA) else "caller." + text


def _renamed(value: Any, rename: Callable[[str], str], depth: int = 0) -> Any:
    """``value`` with each symbol (an Unknown, or a ``${...}`` in a string; policy variables kept) renamed."""
    if depth > _MAX_DEPTH:
        raise EvaluationProblem("the value nests too deeply")
    if isinstance(value, Unknown):
        return Unknown(rename(value.text))
    if isinstance(value, str) and "${" in value:
        return re.sub(r"\$\{(?![A-Za-z0-9-]+:)([^}]*)\}", lambda m: "${" + rename(m.group(1)) + "}", value)
    if isinstance(value, dict):
        return {k: _renamed(v, rename, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, rename, depth + 1) for v in value]
    return value


def from_caller(value: Any) -> Any:
    """A value computed in a module's caller, as the module sees it (see _caller_text)."""
    return _renamed(value, _caller_text)


def to_caller(value: Any, module_name: str) -> Any:
    """A value computed in a called module, as its caller sees it: the caller's own symbols (``caller.`` in the
    module, see from_caller) are its own again; the module's own get the module's name, so they never read as the
    caller's resources of the same name."""

    def rename(text: str) -> str:
        if text.startswith("caller."):
            return text[len("caller."):]
        return text if text.startswith(_CONTEXT_DATA) else f"module.{module_name}.{text}"

    return _renamed(value, rename)


def render_template(content: str, variables: Dict[str, Any], parent: Evaluator) -> str:
    """A template file rendered with only its own variables in scope (templatefile(), template_file)."""
    inner = Evaluator(Scope(parent.scope.module_dir, parent.scope.root_dir), parent.choices)
    inner.template_only = True
    inner.bindings.append(dict(variables))
    inner.scope.data = None
    return inner.render(_template_parts(content, escapes=False))


def read_bounded(path: str) -> str:
    """A policy file or template: a regular file of at most MAX_FILE_BYTES, UTF-8; anything else fails closed."""
    try:
        info = os.stat(path)  # follows symlinks: the target is what would be read
    except FileNotFoundError as exc:
        raise EvaluationProblem(f"the file {path} does not exist: keep it beside the module (${{path.module}} is "
                                "the module's directory, other relative paths start at the root module)") from exc
    except OSError as exc:
        raise EvaluationProblem(f"the file {path} cannot be read ({exc.strerror})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise EvaluationProblem(f"{path} is not a regular file (a device, FIFO or directory): the scan reads only "
                                "regular files")
    if info.st_size > MAX_FILE_BYTES:
        raise EvaluationProblem(f"{path} is larger than {MAX_FILE_BYTES} bytes: the scan reads policy files of "
                                "at most 1 MiB")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise EvaluationProblem(f"the file {path} cannot be read ({exc.strerror})") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise EvaluationProblem(f"{path} is larger than {MAX_FILE_BYTES} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EvaluationProblem(f"{path} is not UTF-8 text") from exc


def evaluate_variants(scope: Scope, node: Any, guard: Any = None, also: Any = None,
                      instance: Optional[Dict[str, Any]] = None) -> List[Tuple[str, Any]]:
    """The value of an expression under every combination of its unknown conditions (at most 8): a list of
    (description of the branches taken, value); one entry with an empty description when nothing forked.
    ``guard``: the resource's ``count``; a combination where it is 0 is left out (the resource does not exist).
    ``also``: a second expression evaluated under the same branches; each value is then the pair of both.
    ``instance``: the ``count``/``each`` names of one known instance ({"count": {"index": 0}}); without it they
    stay symbols (one symbolic instance)."""
    pending: List[Dict[str, bool]] = [{}]
    done: List[Tuple[str, Any]] = []
    while pending:
        choices = pending.pop(0)
        evaluator = Evaluator(scope, dict(choices))
        if instance:
            evaluator.bindings.append(instance)
        try:
            if guard is not None and evaluator.value(guard) in (0, False):
                if not choices:
                    raise EvaluationProblem("the resource's count is 0: it does not exist")
                continue
            found = evaluator.value(node)
            if also is not None:
                found = (found, evaluator.value(also))
        except Infeasible:
            if not choices:
                raise
            continue  # this combination of branches cannot occur: Terraform would reject it
        except _Fork as fork:
            if len(done) + len(pending) + 2 > _MAX_VARIANTS:
                raise EvaluationProblem(f"the value depends on more than {_MAX_VARIANTS} combinations of unknown "
                                        f"conditions (the last: {fork.condition})") from fork
            pending.append({**choices, fork.condition: True})
            pending.append({**choices, fork.condition: False})
            continue
        label = ", ".join(f"{condition} is {'true' if chosen else 'false'}" for condition, chosen in choices.items())
        done.append((label, found))
    if not done:
        raise EvaluationProblem("no combination of the unknown conditions gives a valid value")
    return done


# --------------------------------------------------------------------------------------------------------------
# Template scanning
# --------------------------------------------------------------------------------------------------------------

_MARK_STRIP_LEFT = "\x00<"
_MARK_STRIP_RIGHT = "\x00>"


def _strip_markers(text: str) -> str:
    """Apply the ``~`` strip markers of directives and interpolations: whitespace beside them goes."""
    if "\x00" not in text:
        return text
    text = re.sub(r"\s*\x00<", "", text)
    return re.sub(r"\x00>\s*", "", text)


def _template_parts(text: str, escapes: bool) -> List[Tuple[str, str]]:
    """A template split into ("text", s), ("interp", expr) and ("directive", words)."""
    parts: List[Tuple[str, str]] = []
    buffer: List[str] = []
    position = 0
    while position < len(text):
        if text.startswith("$${", position) or text.startswith("%%{", position):
            buffer.append(text[position + 1: position + 3])
            position += 3
            continue
        if text.startswith("${", position) or text.startswith("%{", position):
            end = closing_brace(text, position + 1)
            if end < 0:
                raise EvaluationProblem("a template has an unclosed ${ or %{")
            inner = text[position + 2: end]
            if inner.startswith("~"):
                buffer.append(_MARK_STRIP_LEFT)
                inner = inner[1:]
            strip_right = inner.endswith("~")
            if strip_right:
                inner = inner[:-1]
            if buffer:
                parts.append(("text", "".join(buffer)))
                buffer = []
            parts.append(("interp" if text[position] == "$" else "directive", inner.strip()))
            if strip_right:
                buffer.append(_MARK_STRIP_RIGHT)
            position = end + 1
            continue
        char = text[position]
        if escapes and char == "\\" and position + 1 < len(text):
            decoded, width = _escape(text, position)
            buffer.append(decoded)
            position += width
            continue
        buffer.append(char)
        position += 1
    if buffer:
        parts.append(("text", "".join(buffer)))
    return parts


def _escape(text: str, position: int) -> Tuple[str, int]:
    following = text[position + 1]
    simple = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    if following in simple:
        return simple[following], 2
    if following == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[position + 2: position + 6]):
        return chr(int(text[position + 2: position + 6], 16)), 6
    if following == "U" and re.fullmatch(r"[0-9A-Fa-f]{8}", text[position + 2: position + 10]):
        return chr(int(text[position + 2: position + 10], 16)), 10
    return "\\" + following, 2


def closing_brace(text: str, start: int, quotes: str = '"') -> int:
    """Index of the brace closing the one at ``start``, skipping strings opened by a character of ``quotes``;
    -1 when unbalanced. HCL quotes with '"' only; Checkov's Python-repr renderings also with "'" (an apostrophe
    inside a word, as in it's, opens no string)."""
    depth, position, quote = 0, start, ""
    while position < len(text):
        char = text[position]
        if quote:
            if char == "\\":
                position += 2
                continue
            if char == quote:
                quote = ""
        elif char in quotes and depth > 0 and _opens_string(text, position):
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    return -1


def _opens_string(text: str, position: int) -> bool:
    """A quote opens a string unless it is an apostrophe inside a word (it's, don't)."""
    if text[position] == '"':
        return True
    before = text[position - 1] if position > 0 else " "
    return not before.isalnum()


def _heredoc_body(token: str) -> str:
    """The text of ``<<EOT ... EOT`` / ``<<-EOT ... EOT`` (the trim form drops the common indentation)."""
    first_newline = token.find("\n")
    marker = token[:first_newline]
    trim = marker.startswith("<<-")
    lines = token[first_newline + 1:].split("\n")
    lines = lines[:-1]  # the closing marker line
    while lines and not lines[-1].strip():
        lines.pop()
    if trim:
        indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
        cut = min(indents) if indents else 0
        lines = [line[cut:] for line in lines]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------------------
# Helpers and the function table
# --------------------------------------------------------------------------------------------------------------


class _NeedsKnown(Exception):
    """A function argument is unknown where the function needs its value: the call becomes a symbol."""


def _traversal_text(text: str, steps: Sequence[Any]) -> str:
    for step in steps:
        if isinstance(step, Unknown):
            text += f"[{step.text}]"
        elif isinstance(step, int) and not isinstance(step, bool):
            text += f"[{step}]"
        elif isinstance(step, str) and re.fullmatch(r"[A-Za-z_][\w-]*", step) and text:
            text += f".{step}"
        else:
            text += f"[{json.dumps(step)}]"
    return text


def _is_value(node: Any) -> bool:
    return not hasattr(node, "data") and not hasattr(node, "type")


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise EvaluationProblem(f"expected a bool, got {value!r}")


def _as_number(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+(?:\.\d+)?", value):
        return float(value) if "." in value else int(value)
    raise EvaluationProblem(f"expected a number, got {value!r}")


def _as_int(value: Any) -> int:
    number = _as_number(value)
    return int(number)


def _operate(operator: str, left: Any, right: Any, text: str) -> Any:
    if operator in ("&&", "||"):
        # false && unknown is false; true || unknown is true (Terraform short-circuits known results the same way)
        for known, other in ((left, right), (right, left)):
            if not isinstance(known, Unknown) and isinstance(other, Unknown):
                value = _as_bool(known)
                if operator == "&&" and not value:
                    return False
                if operator == "||" and value:
                    return True
                return other
        if isinstance(left, Unknown) and isinstance(right, Unknown):
            return Unknown(text, (operator, left, right))
    if isinstance(left, Unknown) or isinstance(right, Unknown) or has_unknown(left) or has_unknown(right):
        return Unknown(text)
    if operator == "==":
        return left == right
    if operator == "!=":
        return left != right
    if operator == "&&":
        return _as_bool(left) and _as_bool(right)
    if operator == "||":
        return _as_bool(left) or _as_bool(right)
    a, b = _as_number(left), _as_number(right)
    operations: Dict[str, Callable[[Any, Any], Any]] = {
        "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
        "/": lambda x, y: x / y, "%": lambda x, y: x % y,
        "<": lambda x, y: x < y, ">": lambda x, y: x > y, "<=": lambda x, y: x <= y, ">=": lambda x, y: x >= y,
    }
    try:
        return operations[operator](a, b)
    except ZeroDivisionError as exc:
        raise EvaluationProblem(f"{text}: division by zero") from exc


def _iterate(collection: Any, text: str) -> List[Tuple[Any, Any]]:
    if isinstance(collection, dict):
        return sorted(collection.items())
    if isinstance(collection, list):
        if len(collection) > _MAX_ITEMS:
            raise EvaluationProblem(f"{text} has more than {_MAX_ITEMS} elements")
        return list(enumerate(collection))
    if isinstance(collection, Unknown):
        raise _NeedsKnown()
    raise EvaluationProblem(f"cannot iterate over {text}")


def _known(*values: Any) -> None:
    for value in values:
        if isinstance(value, Unknown):
            raise _NeedsKnown()


def _known_list(value: Any) -> List[Any]:
    _known(value)
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _format(spec: Any, *arguments: Any) -> str:
    _known(spec)
    if not isinstance(spec, str):
        raise TypeError("the format is not a string")
    values = list(arguments)
    out: List[str] = []
    position = 0

    def take() -> Any:
        if not values:
            raise ValueError("too few arguments for the format")
        return values.pop(0)

    for match in re.finditer(r"%(%|[-+ #0]*\d*(?:\.\d+)?[svdtfqeEgGxXob])", spec):
        out.append(spec[position: match.start()])
        position = match.end()
        verb = match.group(1)
        if verb == "%":
            out.append("%")
            continue
        value = take()
        letter = verb[-1]
        if isinstance(value, Unknown) or letter in "svt":
            out.append(to_string(value) if not isinstance(value, (list, dict)) else json.dumps(materialize(value)))
        elif letter == "q":
            out.append(json.dumps(to_string(value)))
        elif letter == "d":
            out.append(str(_as_int(value)))
        else:
            out.append(("%" + verb) % _as_number(value))
    out.append(spec[position:])
    return "".join(out)


def _formatlist(spec: Any, *arguments: Any) -> List[str]:
    _known(spec, *arguments)
    lengths = {len(a) for a in arguments if isinstance(a, list)}
    if len(lengths) > 1:
        raise ValueError("formatlist() lists of different lengths")
    count = lengths.pop() if lengths else 1
    return [_format(spec, *[a[i] if isinstance(a, list) else a for a in arguments]) for i in range(count)]


def _join(separator: Any, *lists: Any) -> str:
    _known(separator)
    items: List[Any] = []
    for value in lists:
        items.extend(_known_list(value))
    return to_string(separator).join(to_string(i) for i in items)


def _split(separator: Any, text: Any) -> List[str]:
    _known(separator, text)
    if "${" in to_string(text):
        raise _NeedsKnown()
    return to_string(text).split(to_string(separator))


def _concat(*lists: Any) -> List[Any]:
    out: List[Any] = []
    for value in lists:
        out.extend(_known_list(value))
    return out


def _merge(*objects: Any) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for value in objects:
        _known(value)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise TypeError("merge() takes objects")
        out.update(value)
    return out


def _flatten(value: Any) -> List[Any]:
    out: List[Any] = []
    for item in _known_list(value):
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def _distinct(value: Any) -> List[Any]:
    out: List[Any] = []
    for item in _known_list(value):
        if item not in out:
            out.append(item)
    return out


def _compact(value: Any) -> List[Any]:
    items = _known_list(value)
    return [i for i in items if i is not None and i != ""]


def _coalesce(*values: Any) -> Any:
    for value in values:
        if isinstance(value, Unknown):
            raise _NeedsKnown()
        if value is not None and value != "":
            return value
    raise ValueError("coalesce(): no non-null argument")


def _coalescelist(*values: Any) -> Any:
    for value in values:
        if _known_list(value):
            return value
    return []


def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    _known(mapping, key)
    if isinstance(mapping, dict) and to_string(key) in mapping:
        return mapping[to_string(key)]
    if default:
        return default[0]
    raise KeyError(f"lookup(): no key {key!r}")


def _element(value: Any, position: Any) -> Any:
    items = _known_list(value)
    _known(position)
    if not items:
        raise IndexError("element() of an empty list")
    return items[_as_int(position) % len(items)]


def _string_function(function: Callable[..., str]) -> Callable[..., Any]:
    def apply(*values: Any) -> Any:
        _known(*values)
        if any(isinstance(v, str) and "${" in v for v in values):
            raise _NeedsKnown()
        return function(*[to_string(v) for v in values])

    return apply


def _tostring(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    return to_string(value)


def _tolist(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    return list(value) if isinstance(value, list) else _known_list(value)


def _toset(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    return _distinct(value)


def _jsonencode(value: Any) -> str:
    return json.dumps(materialize(value), separators=(",", ":"))


def _jsondecode(text: Any) -> Any:
    _known(text)
    return load_json(to_string(text))  # bounded: past a limit DocumentTooLarge (a ValueError) names it


def _length(value: Any) -> int:
    _known(value)
    if isinstance(value, (list, dict, str)):
        if isinstance(value, str) and "${" in value:
            raise _NeedsKnown()
        return len(value)
    raise TypeError("length() of a scalar")


def _keys(value: Any) -> List[str]:
    _known(value)
    return sorted(value) if isinstance(value, dict) else []


def _values(value: Any) -> List[Any]:
    _known(value)
    return [value[k] for k in sorted(value)] if isinstance(value, dict) else []


def _contains(collection: Any, value: Any) -> bool:
    items = _known_list(collection)
    _known(value)
    if has_unknown(items):
        raise _NeedsKnown()
    return value in items


def _zipmap(keys: Any, values: Any) -> Dict[str, Any]:
    key_list, value_list = _known_list(keys), _known_list(values)
    return {to_string(k): v for k, v in zip(key_list, value_list)}


def _one(value: Any) -> Any:
    items = _known_list(value)
    if len(items) > 1:
        raise ValueError("one() of a list with more than one element")
    return items[0] if items else None


def _replace(text: Any, old: Any, new: Any) -> str:
    _known(text, old)  # an unknown replacement is written in as its symbol
    old_text = to_string(old)
    if len(old_text) > 1 and old_text.startswith("/") and old_text.endswith("/"):
        raise _NeedsKnown()  # a regular expression replace: RE2 syntax is not Python's
    return to_string(text).replace(old_text, to_string(new))


def _numbers(*values: Any) -> List[Any]:
    _known(*values)
    flat = [v for value in values for v in (value if isinstance(value, list) else [value])]
    return [_as_number(v) for v in flat]


def _substr(text: Any, offset: Any, length: Any) -> str:
    value = _string_function(lambda s: s)(text)
    start, count = _as_int(offset), _as_int(length)
    start = start if start >= 0 else max(len(value) + start, 0)
    return value[start:] if count < 0 else value[start: start + count]


def _slice(value: Any, start: Any, end: Any) -> List[Any]:
    items = _known_list(value)
    return items[_as_int(start): _as_int(end)]


def _setop(operation: str) -> Callable[..., List[Any]]:
    def apply(*sets: Any) -> List[Any]:
        lists = [_known_list(s) for s in sets]
        if any(has_unknown(items) for items in lists):
            raise _NeedsKnown()
        out = list(lists[0]) if lists else []
        for other in lists[1:]:
            if operation == "union":
                out += [item for item in other if item not in out]
            elif operation == "intersection":
                out = [item for item in out if item in other]
            else:
                out = [item for item in out if item not in other]
        return _distinct(out)

    return apply


def _always_unknown(*_: Any) -> Any:
    raise _NeedsKnown()  # timestamp(), uuid(): a new value on every run


_FUNCTIONS: Dict[str, Callable[..., Any]] = {
    "format": _format, "formatlist": _formatlist, "join": _join, "split": _split, "concat": _concat,
    "merge": _merge, "flatten": _flatten, "distinct": _distinct, "compact": _compact, "coalesce": _coalesce,
    "coalescelist": _coalescelist, "lookup": _lookup, "element": _element, "tolist": _tolist, "toset": _toset,
    "tostring": _tostring, "jsonencode": _jsonencode, "jsondecode": _jsondecode, "length": _length,
    "keys": _keys, "values": _values, "contains": _contains, "zipmap": _zipmap, "replace": _replace,
    "lower": _string_function(str.lower), "upper": _string_function(str.upper),
    "trimspace": _string_function(str.strip),
    "trimprefix": _string_function(lambda s, p: s[len(p):] if s.startswith(p) else s),
    "trimsuffix": _string_function(lambda s, p: s[: -len(p)] if p and s.endswith(p) else s),
    "tomap": lambda value: value, "one": _one,
    "title": _string_function(lambda s: re.sub(r"(?<![A-Za-z0-9])[a-z]", lambda m: m.group(0).upper(), s)),
    "chomp": _string_function(lambda s: s.rstrip("\r\n")),
    "startswith": _string_function(lambda s, p: s.startswith(p)),
    "endswith": _string_function(lambda s, p: s.endswith(p)),
    "strcontains": _string_function(lambda s, p: p in s),
    "substr": _substr, "slice": _slice, "reverse": lambda value: list(reversed(_known_list(value))),
    "min": lambda *values: min(_numbers(*values)), "max": lambda *values: max(_numbers(*values)),
    "sum": lambda value: sum(_numbers(value)), "tonumber": lambda value: _as_number(_known(value) or value),
    "tobool": lambda value: _as_bool(_known(value) or value),
    "alltrue": lambda value: all(_as_bool(v) for v in _known_list(value) if not _known(v)),
    "anytrue": lambda value: any(_as_bool(v) for v in _known_list(value) if not _known(v)),
    "setunion": _setop("union"), "setintersection": _setop("intersection"), "setsubtract": _setop("subtract"),
    "range": lambda *bounds: list(range(*[_as_int(b) for b in _numbers(*bounds)]))[:_MAX_ITEMS],
    "index": lambda value, item: _known_list(value).index(item),
    "timestamp": _always_unknown, "uuid": _always_unknown,
    "sort": lambda value: sorted(to_string(v) for v in _known_list(value)),
}
