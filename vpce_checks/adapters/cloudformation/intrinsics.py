"""CloudFormation intrinsics: the renderer of Ref, GetAtt, Sub, Join, If, FindInMap, ... over a template, the
walker of the names an expression references, and the conditions decided from parameter defaults. The layer over
template.py (whose Template it reads as written) and under resources.py."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Set, Tuple

from vpce_checks.adapters.bindings import (
    CFN_GET_ATT,
    CFN_NAME_PROPERTY,
    CFN_OWNER_RESOURCES,
    CFN_REF_VALUE,
    OwnerValue,
)
from vpce_checks.engine.model import THIS_ACCOUNT, THIS_REGION
from vpce_checks.engine.services import PROFILES, Target

_NAME_PROPERTY = CFN_NAME_PROPERTY

if TYPE_CHECKING:
    from vpce_checks.adapters.cloudformation.template import Template


_PSEUDO = {"AWS::AccountId": THIS_ACCOUNT, "AWS::Region": THIS_REGION, "AWS::URLSuffix": "amazonaws.com"}
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:([^}]*)\}\}")
TOKEN = re.compile(r"\$\{[^}]*\}")
_MAX_DEPTH = 100
_MAX_STEPS = 200_000  # rendering budget: Fn::If renders both branches, and YAML aliases share subtrees


class _NoValue:
    """``Ref: AWS::NoValue``: the property or list element is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


class Unresolvable(Exception):
    """The template leaves the policy undecidable here (e.g. ``Fn::If`` with different branches): fail closed."""


def intrinsic(value: Any) -> Optional[Tuple[str, Any]]:
    """``(name, argument)`` when ``value`` is an intrinsic function call such as ``{"Fn::Sub": ...}``."""
    if not isinstance(value, Mapping):
        return None
    keys = [k for k in value if not (isinstance(k, str) and k.startswith("__"))]
    if len(keys) == 1 and isinstance(keys[0], str) and (keys[0] == "Ref" or keys[0].startswith("Fn::")):
        return keys[0], value[keys[0]]
    return None


def unresolved_token(*parts: Any) -> str:
    """An unresolved value: ``${Kind.part.part}`` with no colon, brace or dollar inside (one distinct value)."""
    text = ".".join(str(p) for p in parts if p not in (None, ""))
    text = text.replace("::", ".").replace(":", ".")
    text = re.sub(r"[${}\s]+", "_", text).strip("_") or "unknown"
    return "${" + text + "}"


def short(value: Any, limit: int = 80) -> str:
    """A JSON-like excerpt of ``value`` for messages, at most ``limit`` characters.

    Bounded on purpose: YAML aliases can make a small template a huge (shared) tree.
    """
    parts: List[str] = []
    room = [limit + 1]

    def emit(text: str) -> bool:
        parts.append(text)
        room[0] -= len(text)
        return room[0] > 0

    def walk(item: Any, depth: int) -> bool:
        if depth > 20:
            return emit("...")
        if isinstance(item, Mapping):
            if not emit("{"):
                return False
            first = True
            for key, sub in item.items():
                if isinstance(key, str) and key.startswith("__"):
                    continue
                if not (first or emit(", ")) or not emit(json.dumps(str(key)) + ": ") or not walk(sub, depth + 1):
                    return False
                first = False
            return emit("}")
        if isinstance(item, list):
            if not emit("["):
                return False
            for index, sub in enumerate(item):
                if not (index == 0 or emit(", ")) or not walk(sub, depth + 1):
                    return False
            return emit("]")
        return emit(json.dumps(item, default=str))

    walk(value, 0)
    text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def digest(value: Any) -> str:
    """A short stable name for an expression that has no better one (distinct expressions, distinct tokens)."""
    import hashlib  # lazy: rarely needed, and module import must stay cheap

    return hashlib.sha1(short(value, 10_000).encode()).hexdigest()[:8]


def literal_target(service: str, text: str) -> Target:
    """A bucket name, queue URL or topic ARN written (or rendered) as a string -> the protected resource."""
    text = text.strip()
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) == 6:
            partition = parts[1] if parts[1] and "$" not in parts[1] else "aws"
            if service == "s3":
                return Target("s3", parts[5].split("/", 1)[0], partition=partition)
            name = PROFILES[service].name_from_arn_resource(parts[5]) or parts[5].split(":", 1)[0]
            return Target(service, name, account=parts[4] or THIS_ACCOUNT,
                          region=parts[3] or THIS_REGION, partition=partition)
    if service == "sqs":
        match = re.match(r"^https?://([^/]+)/([^/]+)/([^/?#]+)/?$", text)
        if match:
            host, account, name = match.groups()
            region = THIS_REGION
            host_match = re.match(r"^(?:sqs\.([^.]+)\.|([^.]+)\.queue\.)", host)
            if host_match:
                region = host_match.group(1) or host_match.group(2) or THIS_REGION
            return Target("sqs", name, account=account, region=region)
    return Target(service, text)


def owner_value(service: str, target: Target, kind: OwnerValue) -> str:
    """The protected resource's name, ARN or URL: what a reference to it gives, by the kind the bindings table
    names for that reference (docs/semantics.md, "CloudFormation Ref and Fn::GetAtt")."""
    if kind == "arn":
        return PROFILES[service].resource_arn(target)
    if kind == "url":  # the SQS queue URL, the one URL a bound reference gives
        return f"https://sqs.{target.region}.amazonaws.com/{target.account}/{target.name}"
    return target.name


_NAMING: Set[str] = set()


def owner_target(template: Optional[Template], logical_id: str, service: str) -> Target:
    """The bucket/queue/topic declared as ``logical_id``: its literal name, else the token ``${LogicalId}``."""
    name = "${" + logical_id + "}"
    if template is not None and logical_id not in _NAMING:  # _NAMING: a name that refers to itself stays a token
        kind = template.resource_type(logical_id)
        prop = _NAME_PROPERTY.get(kind or "")
        raw = template.properties(logical_id).get(prop) if prop else None
        if raw is not None:
            _NAMING.add(logical_id)
            try:
                rendered = Renderer(template, service).render(raw)
            except Exception:  # noqa: BLE001 - an unreadable name keeps the token
                rendered = None
            finally:
                _NAMING.discard(logical_id)
            if isinstance(rendered, (str, int)) and not isinstance(rendered, bool):
                text = str(rendered)
                if text and all(token in (THIS_ACCOUNT, THIS_REGION) for token in TOKEN.findall(text)):
                    name = text
    return Target(service, name)


def intrinsic_references(expr: Any) -> Set[Tuple[str, str]]:
    """Every name ``expr`` reads through an intrinsic, as (function, name): ``Ref`` targets, ``Fn::GetAtt`` logical
    IDs and ``Fn::Sub`` variables (their part before the first dot), anywhere in ``expr``. The one walker behind
    the logical-ID, partition and deploy-time questions below."""
    found: Set[Tuple[str, str]] = set()
    stack, seen = [expr], set()
    while stack:
        item = stack.pop()
        if isinstance(item, (Mapping, list)):
            if id(item) in seen:
                continue
            seen.add(id(item))
        call = intrinsic(item)
        if call is not None:
            name, arg = call
            if name == "Ref" and isinstance(arg, str):
                found.add((name, arg))
            elif name == "Fn::GetAtt":
                if isinstance(arg, str):
                    found.add((name, arg.split(".", 1)[0]))
                elif isinstance(arg, list) and arg and isinstance(arg[0], str):
                    found.add((name, arg[0]))
            elif name == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) and arg else arg
                if isinstance(text, str):
                    for var in _SUB_VARIABLE.findall(text):
                        found.add((name, var.strip().split(".", 1)[0]))
            stack.append(arg)
        elif isinstance(item, Mapping):
            stack.extend(v for k, v in item.items() if not (isinstance(k, str) and k.startswith("__")))
        elif isinstance(item, list):
            stack.extend(item)
    return found


class Renderer:
    """Renders intrinsics to plain JSON values, as the deployed stack would, or to ``${...}`` tokens."""

    def __init__(self, template: Optional[Template], service: str, protected: Optional[str] = None,
                 target: Optional[Target] = None) -> None:
        self.template = template
        self.service = service
        self.protected = protected  # logical ID of the resource the policy guards
        self.target = target
        self.partition = target.partition if target else "aws"
        self.steps = 0
        # Lenient mode (policy documents): a differing Fn::If is recorded with where it sits instead of raising,
        # so that one inside an Allow statement (no part of the perimeter) does not fail the whole policy.
        self.lenient = False
        self.path: List[Any] = []
        self.conflicts: List[Tuple[Tuple[Any, ...], str, Any, Any]] = []
        self.conflict_conditions: List[str] = []  # the Fn::If condition of each conflict
        # Fn::If: the undecided comparisons (see Conditions) fixed for this reading; None: conditions are not
        # consulted (every Fn::If keeps both branches, as before conditions were read).
        self.assumed: Optional[Dict[str, bool]] = None
        self.taken: Dict[str, bool] = {}  # conditions that depend on an assumed comparison, as taken
        self.defaulted: Dict[str, bool] = {}  # conditions decided from parameter defaults alone

    # The value of Ref / GetAtt on a bucket, queue or topic declared in the template.
    def _owner(self, logical_id: str) -> Optional[Tuple[str, Target]]:
        if logical_id == self.protected and self.target is not None:
            return self.service, self.target
        kind = self.template.resource_type(logical_id) if self.template else None
        service = CFN_OWNER_RESOURCES.get(kind or "")
        if service is None:
            return None
        return service, owner_target(self.template, logical_id, service)

    @staticmethod
    def _owner_value(service: str, target: Target, attribute: Optional[str]) -> Optional[str]:
        """What ``Ref`` (``attribute`` None) or ``Fn::GetAtt`` gives for the owner: the kind comes from the
        bindings table (adapters/bindings.py); None for an attribute the table does not bind."""
        kind = CFN_REF_VALUE[service] if attribute is None else CFN_GET_ATT[service].get(attribute)
        return None if kind is None else owner_value(service, target, kind)

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name == "AWS::Partition":
            return self.partition
        if name in _PSEUDO:
            return _PSEUDO[name]
        owner = self._owner(name)
        if owner is not None:
            return self._owner_value(owner[0], owner[1], None)
        parameter = self.template.parameters.get(name) if self.template else None
        if isinstance(parameter, Mapping):
            default = parameter.get("Default")
            kind = str(parameter.get("Type", "String"))
            if default is not None and not kind.startswith("AWS::SSM::"):  # an SSM default is a parameter *name*
                if kind.startswith("List<") or kind == "CommaDelimitedList":
                    items = default if isinstance(default, list) else str(default).split(",")
                    return [str(item).strip() for item in items]
                return str(default) if isinstance(default, str) else json.dumps(default)
        return unresolved_token("Ref", name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        owner = self._owner(logical_id)
        if owner is not None:
            value = self._owner_value(owner[0], owner[1], attribute)
            if value is not None:
                return value
        return unresolved_token("GetAtt", logical_id, attribute)

    def render(self, value: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise Unresolvable(f"the document is nested more than {_MAX_DEPTH} levels deep")
        self.steps += 1
        if self.steps > _MAX_STEPS:
            raise Unresolvable(f"the document takes more than {_MAX_STEPS} steps to render (shared or repeated parts)")
        call = intrinsic(value)
        if call is not None:
            return self._call(call[0], call[1], depth + 1)
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                if isinstance(key, str) and key.startswith("__"):
                    continue
                self.path.append(str(key))
                try:
                    rendered = self.render(item, depth + 1)
                finally:
                    self.path.pop()
                if rendered is not NO_VALUE:
                    out[str(key)] = rendered
            return out
        if isinstance(value, list):
            items: List[Any] = []
            for item in value:
                self.path.append(len(items))
                try:
                    rendered = self.render(item, depth + 1)
                finally:
                    self.path.pop()
                if rendered is NO_VALUE:
                    continue
                if isinstance(rendered, list) and intrinsic(item) is not None:
                    items.extend(rendered)  # a list-valued Ref/Split/If spliced into the list
                else:
                    items.append(rendered)
            return items
        if isinstance(value, str):  # str(): Checkov's parser hands str subclasses carrying line marks
            return _DYNAMIC_REFERENCE.sub(lambda m: unresolved_token("Resolve", m.group(1)), str(value))
        return value

    def _string(self, value: Any, depth: int, what: str) -> str:
        rendered = self.render(value, depth)
        if isinstance(rendered, bool):
            return "true" if rendered else "false"
        if isinstance(rendered, (str, int, float)):
            return str(rendered)
        if isinstance(rendered, list) and all(isinstance(i, str) for i in rendered):
            return ",".join(rendered)
        return unresolved_token(what, digest(value))

    def _list(self, value: Any, depth: int) -> Optional[List[Any]]:
        rendered = self.render(value, depth)
        if isinstance(rendered, list):
            return rendered
        if isinstance(rendered, str) and not TOKEN.fullmatch(rendered):
            return [part.strip() for part in rendered.split(",")]  # Checkov pre-joins list parameter defaults
        return None

    def _call(self, name: str, arg: Any, depth: int) -> Any:  # noqa: C901 - one branch per intrinsic
        if name == "Ref":
            return self.ref(self._string(arg, depth, "Ref")) if not isinstance(arg, str) else self.ref(arg)
        if name == "Fn::GetAtt":
            if isinstance(arg, str):
                logical_id, _, attribute = arg.partition(".")
            elif isinstance(arg, list) and len(arg) == 2:
                logical_id, attribute = str(arg[0]), self._string(arg[1], depth, "GetAtt")
            else:
                return unresolved_token("GetAtt", short(arg))
            return self.get_att(logical_id, attribute)
        if name == "Fn::Sub":
            return self._sub(arg, depth)
        if name == "Fn::Join":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise Unresolvable(f"Fn::Join needs [delimiter, list], got {short(arg)}")
            delimiter = self._string(arg[0], depth, "Join")
            parts = self._list(arg[1], depth)
            if parts is None:
                return unresolved_token("Join", self._string(arg[1], depth, "Join"))
            return delimiter.join(self._part(part, depth) for part in parts)
        if name == "Fn::If":
            if not (isinstance(arg, list) and len(arg) == 3):
                raise Unresolvable(f"Fn::If needs [condition, value_if_true, value_if_false], got {short(arg)}")
            condition = arg[0] if isinstance(arg[0], str) else short(arg[0])
            if self.assumed is not None:
                logic = conditions_of(self.template)
                holds = logic.value(condition, self.assumed)
                if holds is not None:
                    if logic.value(condition, {}) is None:  # depends on an assumed comparison
                        self.taken[condition] = holds
                    elif short(arg[1], 2000) != short(arg[2], 2000):  # a choice worth naming in the verdict
                        self.defaulted[condition] = holds
                    return self.render(arg[1] if holds else arg[2], depth)
            first, second = self.render(arg[1], depth), self.render(arg[2], depth)
            if first is NO_VALUE or second is NO_VALUE:
                kept = second if first is NO_VALUE else first
                if self.lenient and kept is not NO_VALUE:
                    # A part of a policy that exists only under a deploy-time condition: harmless in an Allow
                    # statement, but a Deny (or a piece of one) that may be absent cannot prove the perimeter.
                    self.conflicts.append((tuple(self.path), (
                        f"Fn::If on condition {condition} keeps {short(kept)} only when the condition holds "
                        "(AWS::NoValue otherwise): the perimeter must not depend on a deploy-time condition"),
                        kept, kept))
                    self.conflict_conditions.append(condition)
                return kept
            if first == second:
                return first
            message = (
                f"Fn::If on condition {condition} chooses between {short(arg[1])} and {short(arg[2])}: the "
                "verdict depends on which applies at deploy time. Make both branches keep the perimeter the same "
                "way (or put the choice in a parameter)"
            )
            if not self.lenient:
                raise Unresolvable(message)
            self.conflicts.append((tuple(self.path), message, first, second))
            self.conflict_conditions.append(condition)
            if all(isinstance(v, (str, int, float)) for v in (first, second)):
                return unresolved_token("If", condition, digest(arg))  # one unknown value
            return first  # only kept when it sits in an Allow statement, where either branch gives the same verdict
        if name == "Fn::Select":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise Unresolvable(f"Fn::Select needs [index, list], got {short(arg)}")
            index_text = self._string(arg[0], depth, "Select")
            items = self._list(arg[1], depth)
            if items is None or not index_text.isdigit():
                return unresolved_token("Select", index_text, self._string(arg[1], depth, "Select"))
            index = int(index_text)
            if index >= len(items):
                raise Unresolvable(f"Fn::Select index {index} is out of range for {short(items)}")
            return items[index]
        if name == "Fn::Split":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise Unresolvable(f"Fn::Split needs [delimiter, string], got {short(arg)}")
            delimiter = self._string(arg[0], depth, "Split")
            source = self.render(arg[1], depth)
            if isinstance(source, str) and delimiter and not TOKEN.fullmatch(source):
                return source.split(delimiter)
            return [unresolved_token("Split", self._string(arg[1], depth, "Split"))]
        if name == "Fn::ImportValue":
            exported = self._string(arg, depth, "ImportValue")
            exported = TOKEN.sub(lambda m: m.group(0)[2:-1], exported)  # ${Ref.AWS::StackName} -> its name
            exported = exported.replace("Ref.", "", 1) if exported.startswith("Ref.") else exported
            return unresolved_token("ImportValue", exported)
        if name == "Fn::FindInMap":
            return self._find_in_map(arg, depth)
        if name == "Fn::ToJsonString":
            return json.dumps(self.render(arg, depth), separators=(",", ":"))
        if name == "Fn::Length":
            items = self._list(arg, depth)
            return len(items) if items is not None else unresolved_token("Length", short(arg))
        # GetAZs, Base64, Cidr, Transform, ...: unknown here
        return unresolved_token(name.replace("Fn::", ""), digest(arg))

    def _part(self, part: Any, depth: int) -> str:
        if isinstance(part, str):
            return part
        return self._string(part, depth, "Join")

    def _sub(self, arg: Any, depth: int) -> str:
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping):
            text, variables = arg[0], arg[1]
        else:
            text, variables = arg, {}
        if not isinstance(text, str):
            return unresolved_token("Sub", short(arg))

        def replace(match: re.Match[str]) -> str:
            var = match.group(1)
            if var.startswith("!"):
                return "${" + var[1:] + "}"  # ${!Literal} is written as ${Literal}
            var = var.strip()
            if var in variables:
                return self._string(variables[var], depth, "Sub")
            if var.startswith("AWS::"):
                value = self.ref(var)
                return value if isinstance(value, str) else ""
            if ":" in var:
                return match.group(0)  # an IAM policy variable (${aws:username}); CloudFormation wants ${!...}
            if "." in var:
                logical_id, _, attribute = var.partition(".")
                return self.get_att(logical_id, attribute)
            value = self.ref(var)
            if isinstance(value, list):
                return ",".join(str(v) for v in value)
            return value if isinstance(value, str) else str(value)

        substituted = _SUB_VARIABLE.sub(replace, text)
        return _DYNAMIC_REFERENCE.sub(lambda m: unresolved_token("Resolve", m.group(1)), substituted)

    def _find_in_map(self, arg: Any, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) >= 3):
            raise Unresolvable(f"Fn::FindInMap needs [map, key, key], got {short(arg)}")
        keys = [self._string(part, depth, "FindInMap") for part in arg[:3]]
        node: Any = self.template.mappings if self.template else None
        for key in keys:
            if not isinstance(node, Mapping) or key not in node:
                node = None
                break
            node = node[key]
        if node is not None:
            return self.render(node, depth)
        if len(arg) == 4 and isinstance(arg[3], Mapping) and "DefaultValue" in arg[3]:
            return self.render(arg[3]["DefaultValue"], depth)
        return unresolved_token("FindInMap", *keys)


class Conditions:
    """The template's Conditions section as boolean logic over comparisons.

    A ``Fn::Equals`` whose two sides render to plain values (parameter defaults substituted, as Checkov does for
    every check) is decided; one that reads a parameter without a default or a pseudo parameter (the Region, the
    account, the partition: known only at deploy time) is an undecided *comparison*, named by its rendered sides.
    ``Fn::Not``/``And``/``Or`` and ``Condition`` combine them; a condition that is not declared, or not readable, is
    itself one undecided comparison. ``value`` answers True/False/None under assumed comparison values.
    """

    _LIMIT = 50  # nesting of Condition references (a cycle is unreadable, so undecided)

    def __init__(self, template: Optional[Template]) -> None:
        self.template = template
        self.definitions = template.conditions if template else {}
        # comparison -> (the unknown side, the literal side), when one side is a single unknown value: two such
        # comparisons of one unknown with different literals cannot both hold.
        self.pinned: Dict[str, Tuple[str, str]] = {}
        self._comparisons: Dict[str, Set[str]] = {}
        self._values: Dict[Tuple[str, Tuple[Tuple[str, bool], ...]], Optional[bool]] = {}

    def comparisons(self, name: str) -> Set[str]:
        """The undecided comparisons condition ``name`` depends on (empty: decided from the template alone)."""
        if name not in self._comparisons:
            found: Set[str] = set()
            self._evaluate({"Condition": name}, None, found, 0)
            self._comparisons[name] = found
        return self._comparisons[name]

    def value(self, name: str, assumed: Mapping[str, bool]) -> Optional[bool]:
        """Whether condition ``name`` holds when the undecided comparisons are as ``assumed`` (None: unknown)."""
        relevant = self.comparisons(name)
        key = (name, tuple(sorted((c, v) for c, v in assumed.items() if c in relevant)))
        if key not in self._values:  # every Fn::If of every reading asks: answer each question once
            self._values[key] = self._evaluate({"Condition": name}, assumed, set(), 0)
        return self._values[key]

    def consistent(self, assumed: Mapping[str, bool]) -> bool:
        """False when two comparisons hold that cannot both hold (one unknown equal to two different literals)."""
        equal: Dict[str, str] = {}
        for comparison, holds in assumed.items():
            if holds and comparison in self.pinned:
                unknown, literal = self.pinned[comparison]
                if equal.setdefault(unknown, literal) != literal:
                    return False
        return True

    def _evaluate(self, expr: Any, assumed: Optional[Mapping[str, bool]], found: Set[str],
                  depth: int) -> Optional[bool]:
        call = intrinsic(expr)
        if isinstance(expr, Mapping) and call is None:
            keys = [k for k in expr if not (isinstance(k, str) and k.startswith("__"))]
            if keys == ["Condition"]:
                call = ("Condition", expr["Condition"])
        if isinstance(expr, bool):
            return expr
        if isinstance(expr, str) and expr.lower() in ("true", "false"):
            return expr.lower() == "true"
        if call is None or depth > self._LIMIT:
            return self._free(f"condition {short(expr)}", assumed, found)
        name, arg = call
        if name == "Condition":
            definition = self.definitions.get(arg) if isinstance(arg, str) else None
            if definition is None:
                return self._free(f"condition {arg}", assumed, found)
            return self._evaluate(definition, assumed, found, depth + 1)
        if name == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            return self._equals(arg, assumed, found)
        parts = arg if isinstance(arg, list) else None
        if name == "Fn::Not" and parts is not None and len(parts) == 1:
            inner = self._evaluate(parts[0], assumed, found, depth + 1)
            return None if inner is None else not inner
        if name in ("Fn::And", "Fn::Or") and parts:
            values = [self._evaluate(part, assumed, found, depth + 1) for part in parts]
            decisive = name == "Fn::Or"  # a True decides an Or, a False an And
            if decisive in values:
                return decisive
            return None if None in values else not decisive
        return self._free(f"condition {short(expr)}", assumed, found)

    def _equals(self, sides: List[Any], assumed: Optional[Mapping[str, bool]], found: Set[str]) -> Optional[bool]:
        rendered: List[str] = []
        unknown: List[bool] = []
        for side in sides:
            try:
                value = Renderer(self.template, "s3").render(side)
            except Exception:  # noqa: BLE001 - an unreadable side is an unknown value
                value = unresolved_token("Equals", digest(side))
            text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
            if isinstance(value, bool):
                text = "true" if value else "false"
            rendered.append(text)
            unknown.append(_mentions_deploy_time(side) or bool(TOKEN.search(text)) or THIS_ACCOUNT in text
                           or THIS_REGION in text)
        if short(sides[0], 10_000) == short(sides[1], 10_000):
            return True  # the same expression on both sides
        if not any(unknown):
            return rendered[0] == rendered[1]
        key = "Fn::Equals " + json.dumps(sorted(rendered))
        if unknown.count(True) == 1:
            index = unknown.index(True)
            if TOKEN.fullmatch(rendered[index]):
                self.pinned[key] = (rendered[index], rendered[1 - index])
        return self._free(key, assumed, found)

    @staticmethod
    def _free(key: str, assumed: Optional[Mapping[str, bool]], found: Set[str]) -> Optional[bool]:
        found.add(key)
        return None if assumed is None else assumed.get(key)


def _mentions_deploy_time(expr: Any) -> bool:
    """True when ``expr`` reads a pseudo parameter (``AWS::Region``, ``AWS::Partition``, ...): its value is known
    only at deploy time (the renderer's stand-ins, such as the partition "aws", must not decide a condition)."""
    return any(name.startswith("AWS::") and (function == "Fn::Sub" or name != "AWS::NoValue")
               for function, name in intrinsic_references(expr))


def mentions_partition(value: Any) -> bool:
    """True when ``value`` has ``!Ref AWS::Partition`` or ``${AWS::Partition}`` in a ``Fn::Sub`` anywhere."""
    return any(name == "AWS::Partition" for _, name in intrinsic_references(value))


def conditions_of(template: Optional[Template]) -> Conditions:
    """The template's Conditions section, evaluated from parameter defaults (built once per template)."""
    if template is None:
        return Conditions(None)
    found = template.derived.get("conditions")
    if not isinstance(found, Conditions):
        found = template.derived["conditions"] = Conditions(template)
    return found


def created(template: Template, logical_id: str) -> Optional[bool]:
    """Whether the resource is created with the parameter defaults (None: it depends on deploy-time values)."""
    condition = template.condition_of(logical_id)
    return True if condition is None else conditions_of(template).value(condition, {})


def uses_partition(template: Template) -> bool:
    """Whether the template writes ARNs with the partition pseudo parameter (fixes then do too); read once."""
    found = template.derived.get("uses_partition")
    if not isinstance(found, bool):
        found = template.derived["uses_partition"] = mentions_partition(template.resources)
    return found


def referenced_ids(expr: Any, template: Optional[Template], owner_type: str) -> Set[str]:
    """Logical IDs of ``owner_type`` resources referenced anywhere in ``expr`` (Ref, GetAtt, Sub variables)."""
    found = {name for _, name in intrinsic_references(expr)}
    if template is None:
        return found
    return {logical_id for logical_id in found if template.resource_type(logical_id) == owner_type}
