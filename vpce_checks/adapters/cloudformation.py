"""CloudFormation adapter: a Checkov CloudFormation resource ``conf`` -> the engine's ``PolicySource``.

What Checkov 3.3.x hands a CloudFormation check (measured with real runs; see tests/test_adapter_cloudformation.py):

- ``conf`` is the resource dict ``{"Type": ..., "Properties": {...}}``. Intrinsics are dicts in their long form
  (YAML short forms become ``{"Ref": ...}``, ``{"Fn::Sub": ...}``, ``{"Fn::GetAtt": [logical_id, attr]}``, ...).
  Every dict that spans lines carries ``__file__``, ``__startline__`` and ``__endline__`` keys, and
  ``Properties`` also carries ``resource_type``. A resource written without ``Properties`` arrives with
  ``"Properties": {}`` and then carries no ``__file__`` at all.
- ``Ref`` to a parameter with a ``Default`` is replaced by the default (a ``CommaDelimitedList`` default stays one
  comma-joined string); ``Fn::Sub`` is rendered with defaults only in some top-level properties (``BucketName``), not
  inside policy documents; ``Fn::If``, ``Fn::FindInMap``, ``Fn::ImportValue`` are left as they are.
- ``self.entity_path`` is ``f"{file}:{entity_type}:{logical_id}"`` where ``file`` is relative to the scanned root
  with a leading ``/`` (``/stacks/a.yaml``) -- not openable unless the root is the working directory; use
  ``split_entity_path``. ``self.graph`` is None: checks get no graph, so the whole template is read here, once
  per file (cached), to find a policy resource naming a bucket/queue/topic and to read the original intrinsics.

So the adapter re-reads the template with Checkov's own parser and renders the original resource (parameter
defaults with their types, mappings, ``Fn::Sub``/``Join``/``Select``/``If``...) rather than the pre-substituted
``conf``; ``conf`` is the fallback when the template cannot be read. The template is located from ``conf``'s
``__file__``, else the given path, else the absolute path in Checkov's CloudFormation runner frame
(``check_definitions``), else the path relative to the working directory.

Unresolved values become ``${...}`` tokens with no colon inside (``${Ref.VpceId}``, ``${ImportValue.SharedVpceId}``,
``${GetAtt.Other.Arn}``, ``${Resolve.ssm./path}``); ``Ref``/``GetAtt`` of a bucket, queue or topic declared in the
template become its name, URL or ARN. ``Fn::If`` whose condition the parameter defaults decide (``_Conditions``)
takes that branch; otherwise it keeps a value when both branches agree. When they differ (or one is
``AWS::NoValue``), the choice is harmless inside an Allow statement (Allow statements never decide the perimeter);
anywhere else the policy is read once per way the undecided conditions can go, and each reading is judged. A
policy resource with a ``Condition`` attribute exists only when it holds: decided false by the defaults, it protects
nothing (Checkov then does not even hand it over); undecided, it is also read as absent (no policy at all).

A policy resource that names several resources (``Queues: [A, B]``, ``Topics``) is read once per resource. Several
readings come back as a list of ``PolicySource`` with ``reading`` naming each ("SQS queue B (Queues item 2 of 2),
when condition IsProd is false"); ``judge.judge_each`` passes the policy only when every reading passes.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import OrderedDict
from functools import partial
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple, Union

from vpce_checks.adapters.base import PolicySource
from vpce_checks.adapters.bounded_documents import DocumentTooLarge, load_json
from vpce_checks.engine.model import THIS_ACCOUNT, THIS_REGION
from vpce_checks.engine.services import PROFILES, Target

# Policy resources: the resource type -> the service whose resource policy it carries.
CFN_POLICY_RESOURCES: Dict[str, str] = {
    "AWS::S3::BucketPolicy": "s3",
    "AWS::SQS::QueuePolicy": "sqs",
    "AWS::SQS::QueueInlinePolicy": "sqs",
    "AWS::SNS::TopicPolicy": "sns",
    "AWS::SNS::TopicInlinePolicy": "sns",
    "AWS::SecretsManager::ResourcePolicy": "secretsmanager",  # CKV_VPCE_9
}
# Owner resources: judged here only when no policy resource in the same template names them (missing policy).
CFN_OWNER_RESOURCES: Dict[str, str] = {
    "AWS::S3::Bucket": "s3",
    "AWS::SQS::Queue": "sqs",
    "AWS::SNS::Topic": "sns",
    # CKV_VPCE_9: these services work without a resource policy, so an owner without one gives no result; all but
    # the secret carry their policy inline (_INLINE_POLICY).
    "AWS::KMS::Key": "kms",
    "AWS::SecretsManager::Secret": "secretsmanager",
    "AWS::ECR::Repository": "ecr",
    "AWS::DynamoDB::Table": "dynamodb",
    "AWS::EFS::FileSystem": "elasticfilesystem",
}
# Owners that carry their resource policy in a property: the property path to the policy document.
# AWS::DynamoDB::GlobalTable (a policy per replica, each in its own Region) is not read (docs/CKV_VPCE_9.md).
_INLINE_POLICY: Dict[str, Tuple[str, ...]] = {
    "AWS::KMS::Key": ("KeyPolicy",),
    "AWS::ECR::Repository": ("RepositoryPolicyText",),
    "AWS::DynamoDB::Table": ("ResourcePolicy", "PolicyDocument"),
    "AWS::EFS::FileSystem": ("FileSystemPolicy",),
}
# The policy property of a policy resource, when it is not PolicyDocument.
_POLICY_PROPERTY: Dict[str, str] = {"AWS::SecretsManager::ResourcePolicy": "ResourcePolicy"}

_OWNER_TYPE = {service: type_ for type_, service in CFN_OWNER_RESOURCES.items()}
# Where a policy resource names what it protects. TopicInlinePolicy's documented property is TopicArn; "Topic" is
# accepted too.
_TARGET_PROPERTIES: Dict[str, Tuple[str, ...]] = {
    "AWS::S3::BucketPolicy": ("Bucket",),
    "AWS::SQS::QueuePolicy": ("Queues",),
    "AWS::SQS::QueueInlinePolicy": ("Queue",),
    "AWS::SNS::TopicPolicy": ("Topics",),
    "AWS::SNS::TopicInlinePolicy": ("TopicArn", "Topic"),
    "AWS::SecretsManager::ResourcePolicy": ("SecretId",),
}
_NAME_PROPERTY = {"AWS::S3::Bucket": "BucketName", "AWS::SQS::Queue": "QueueName", "AWS::SNS::Topic": "TopicName",
                  "AWS::SecretsManager::Secret": "Name", "AWS::ECR::Repository": "RepositoryName",
                  "AWS::DynamoDB::Table": "TableName"}
_PSEUDO = {"AWS::AccountId": THIS_ACCOUNT, "AWS::Region": THIS_REGION, "AWS::URLSuffix": "amazonaws.com"}
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:([^}]*)\}\}")
_TOKEN = re.compile(r"\$\{[^}]*\}")
_MAX_DEPTH = 100
_MAX_STEPS = 200_000  # rendering budget: Fn::If renders both branches, and YAML aliases share subtrees
_CACHE_SIZE = 64


class _NoValue:
    """``Ref: AWS::NoValue``: the property or list element is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

# What the adapter hands a check: nothing to judge, one policy, or one policy read several ways (PolicySource.reading):
# once per resource of ``Queues``/``Topics`` and per undecided ``Fn::If`` branch. Every reading must pass.
Readings = Union[None, PolicySource, List[PolicySource]]


class _Unresolvable(Exception):
    """The template leaves the policy undecidable here (e.g. ``Fn::If`` with different branches): fail closed."""


def _intrinsic(value: Any) -> Optional[Tuple[str, Any]]:
    """``(name, argument)`` when ``value`` is an intrinsic function call such as ``{"Fn::Sub": ...}``."""
    if not isinstance(value, Mapping):
        return None
    keys = [k for k in value if not (isinstance(k, str) and k.startswith("__"))]
    if len(keys) == 1 and isinstance(keys[0], str) and (keys[0] == "Ref" or keys[0].startswith("Fn::")):
        return keys[0], value[keys[0]]
    return None


def _token(*parts: Any) -> str:
    """An unresolved value: ``${Kind.part.part}`` with no colon, brace or dollar inside (one distinct value)."""
    text = ".".join(str(p) for p in parts if p not in (None, ""))
    text = text.replace("::", ".").replace(":", ".")
    text = re.sub(r"[${}\s]+", "_", text).strip("_") or "unknown"
    return "${" + text + "}"


def _short(value: Any, limit: int = 80) -> str:
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


def _digest(value: Any) -> str:
    """A short stable name for an expression that has no better one (distinct expressions, distinct tokens)."""
    import hashlib  # lazy: rarely needed, and module import must stay cheap

    return hashlib.sha1(_short(value, 10_000).encode()).hexdigest()[:8]


# --------------------------------------------------------------------------------------------------------------
# The template, read once per file


class _Template:
    """The parsed template: parameters, mappings and resources, plus which owners its policy resources name."""

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
        self._logic: Optional[_Conditions] = None
        self.resources = {k: v for k, v in section("Resources").items() if isinstance(v, Mapping)}
        # Whether the template writes ARNs with the partition pseudo parameter (fixes then do too).
        self.uses_partition = _mentions_partition(self.resources)
        self._named: Optional[Tuple[Set[str], Dict[str, Set[str]]]] = None

    def resource_type(self, logical_id: str) -> Optional[str]:
        resource = self.resources.get(logical_id)
        kind = resource.get("Type") if resource else None
        return kind if isinstance(kind, str) else None

    def properties(self, logical_id: str) -> Mapping[str, Any]:
        props = self.resources.get(logical_id, {}).get("Properties")
        return props if isinstance(props, Mapping) else {}

    def logic(self) -> _Conditions:
        """The Conditions section, evaluated from parameter defaults (built once per template)."""
        if self._logic is None:
            self._logic = _Conditions(self)
        return self._logic

    def condition_of(self, logical_id: str) -> Optional[str]:
        """The resource's ``Condition`` attribute: CloudFormation creates it only when that condition holds."""
        condition = self.resources.get(logical_id, {}).get("Condition")
        return condition if isinstance(condition, str) else None

    def created(self, logical_id: str) -> Optional[bool]:
        """Whether the resource is created with the parameter defaults (None: it depends on deploy-time values)."""
        condition = self.condition_of(logical_id)
        return True if condition is None else self.logic().value(condition, {})

    def named_owners(self) -> Tuple[Set[str], Dict[str, Set[str]]]:
        """Logical IDs, and literal names per service, that some policy resource of this template protects (a
        policy resource that the parameter defaults leave uncreated protects nothing)."""
        if self._named is None:
            ids: Set[str] = set()
            names: Dict[str, Set[str]] = {}
            for kind, service in CFN_POLICY_RESOURCES.items():
                for logical_id in self.resources:
                    if self.resource_type(logical_id) != kind or self.created(logical_id) is False:
                        continue
                    for expr in _target_expressions(kind, self.properties(logical_id)):
                        ids |= _referenced_ids(expr, self, _OWNER_TYPE[service])
                        try:
                            literal = _Renderer(self, service).render(expr)
                        except Exception:  # noqa: BLE001 - an unreadable reference names nothing literal
                            continue
                        for item in literal if isinstance(literal, list) else [literal]:
                            if isinstance(item, str):
                                names.setdefault(service, set()).add(_literal_target(service, item).name)
            self._named = (ids, names)
        return self._named


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


def _template_path(conf: Any, file_path: str) -> Optional[str]:
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


def _syntax(path: str) -> str:
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


# --------------------------------------------------------------------------------------------------------------
# Targets


def _literal_target(service: str, text: str) -> Target:
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


_NAMING: Set[str] = set()


def _owner_target(template: Optional[_Template], logical_id: str, service: str) -> Target:
    """The bucket/queue/topic declared as ``logical_id``: its literal name, else the token ``${LogicalId}``."""
    name = "${" + logical_id + "}"
    if template is not None and logical_id not in _NAMING:  # _NAMING: a name that refers to itself stays a token
        kind = template.resource_type(logical_id)
        prop = _NAME_PROPERTY.get(kind or "")
        raw = template.properties(logical_id).get(prop) if prop else None
        if raw is not None:
            _NAMING.add(logical_id)
            try:
                rendered = _Renderer(template, service).render(raw)
            except Exception:  # noqa: BLE001 - an unreadable name keeps the token
                rendered = None
            finally:
                _NAMING.discard(logical_id)
            if isinstance(rendered, (str, int)) and not isinstance(rendered, bool):
                text = str(rendered)
                if text and all(token in (THIS_ACCOUNT, THIS_REGION) for token in _TOKEN.findall(text)):
                    name = text
    return Target(service, name)


def _target_expressions(kind: str, props: Mapping[str, Any]) -> List[Any]:
    """Every expression a policy resource uses to name what it protects (list items flattened)."""
    out: List[Any] = []
    for prop in _TARGET_PROPERTIES.get(kind, ()):
        value = props.get(prop)
        if value is None:
            continue
        out.extend(value if isinstance(value, list) else [value])
    return out


def _referenced_ids(expr: Any, template: Optional[_Template], owner_type: str) -> Set[str]:
    """Logical IDs of ``owner_type`` resources referenced anywhere in ``expr`` (Ref, GetAtt, Sub variables)."""
    found: Set[str] = set()
    stack, seen = [expr], set()
    while stack:
        item = stack.pop()
        if isinstance(item, (Mapping, list)):
            if id(item) in seen:
                continue
            seen.add(id(item))
        call = _intrinsic(item)
        if call is not None:
            name, arg = call
            if name == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif name == "Fn::GetAtt":
                if isinstance(arg, str):
                    found.add(arg.split(".", 1)[0])
                elif isinstance(arg, list) and arg and isinstance(arg[0], str):
                    found.add(arg[0])
            elif name == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) and arg else arg
                if isinstance(text, str):
                    for var in _SUB_VARIABLE.findall(text):
                        found.add(var.strip().split(".", 1)[0])
            stack.append(arg)
        elif isinstance(item, Mapping):
            stack.extend(v for k, v in item.items() if not (isinstance(k, str) and k.startswith("__")))
        elif isinstance(item, list):
            stack.extend(item)
    if template is None:
        return found
    return {logical_id for logical_id in found if template.resource_type(logical_id) == owner_type}


# --------------------------------------------------------------------------------------------------------------
# Rendering intrinsics


class _Renderer:
    """Renders intrinsics to plain JSON values, as the deployed stack would, or to ``${...}`` tokens."""

    def __init__(self, template: Optional[_Template], service: str, protected: Optional[str] = None,
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
        # Fn::If: the undecided comparisons (see _Conditions) fixed for this reading; None: conditions are not
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
        return service, _owner_target(self.template, logical_id, service)

    @staticmethod
    def _owner_value(service: str, target: Target, attribute: Optional[str]) -> Optional[str]:
        arn = PROFILES[service].resource_arn(target)
        url = f"https://sqs.{target.region}.amazonaws.com/{target.account}/{target.name}"
        values = {
            "s3": {None: target.name, "Arn": arn},
            "sqs": {None: url, "Arn": arn, "QueueName": target.name, "QueueUrl": url},
            "sns": {None: arn, "TopicArn": arn, "TopicName": target.name},
            "kms": {None: target.name, "Arn": arn, "KeyId": target.name},
            "secretsmanager": {None: arn, "Id": arn},
            "ecr": {None: target.name, "Arn": arn},
            "dynamodb": {None: target.name, "Arn": arn},
            "elasticfilesystem": {None: target.name, "Arn": arn, "FileSystemId": target.name},
        }[service]
        return values.get(attribute)

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
        return _token("Ref", name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        owner = self._owner(logical_id)
        if owner is not None:
            value = self._owner_value(owner[0], owner[1], attribute)
            if value is not None:
                return value
        return _token("GetAtt", logical_id, attribute)

    def render(self, value: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise _Unresolvable(f"the document is nested more than {_MAX_DEPTH} levels deep")
        self.steps += 1
        if self.steps > _MAX_STEPS:
            raise _Unresolvable(f"the document takes more than {_MAX_STEPS} steps to render (shared or repeated parts)")
        call = _intrinsic(value)
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
                if isinstance(rendered, list) and _intrinsic(item) is not None:
                    items.extend(rendered)  # a list-valued Ref/Split/If spliced into the list
                else:
                    items.append(rendered)
            return items
        if isinstance(value, str):  # str(): Checkov's parser hands str subclasses carrying line marks
            return _DYNAMIC_REFERENCE.sub(lambda m: _token("Resolve", m.group(1)), str(value))
        return value

    def _string(self, value: Any, depth: int, what: str) -> str:
        rendered = self.render(value, depth)
        if isinstance(rendered, bool):
            return "true" if rendered else "false"
        if isinstance(rendered, (str, int, float)):
            return str(rendered)
        if isinstance(rendered, list) and all(isinstance(i, str) for i in rendered):
            return ",".join(rendered)
        return _token(what, _digest(value))

    def _list(self, value: Any, depth: int) -> Optional[List[Any]]:
        rendered = self.render(value, depth)
        if isinstance(rendered, list):
            return rendered
        if isinstance(rendered, str) and not _TOKEN.fullmatch(rendered):
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
                return _token("GetAtt", _short(arg))
            return self.get_att(logical_id, attribute)
        if name == "Fn::Sub":
            return self._sub(arg, depth)
        if name == "Fn::Join":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise _Unresolvable(f"Fn::Join needs [delimiter, list], got {_short(arg)}")
            delimiter = self._string(arg[0], depth, "Join")
            parts = self._list(arg[1], depth)
            if parts is None:
                return _token("Join", self._string(arg[1], depth, "Join"))
            return delimiter.join(self._part(part, depth) for part in parts)
        if name == "Fn::If":
            if not (isinstance(arg, list) and len(arg) == 3):
                raise _Unresolvable(f"Fn::If needs [condition, value_if_true, value_if_false], got {_short(arg)}")
            condition = arg[0] if isinstance(arg[0], str) else _short(arg[0])
            if self.assumed is not None:
                logic = self.template.logic() if self.template else _Conditions(None)
                holds = logic.value(condition, self.assumed)
                if holds is not None:
                    if logic.value(condition, {}) is None:  # depends on an assumed comparison
                        self.taken[condition] = holds
                    elif _short(arg[1], 2000) != _short(arg[2], 2000):  # a choice worth naming in the verdict
                        self.defaulted[condition] = holds
                    return self.render(arg[1] if holds else arg[2], depth)
            first, second = self.render(arg[1], depth), self.render(arg[2], depth)
            if first is NO_VALUE or second is NO_VALUE:
                kept = second if first is NO_VALUE else first
                if self.lenient and kept is not NO_VALUE:
                    # A part of a policy that exists only under a deploy-time condition: harmless in an Allow
                    # statement, but a Deny (or a piece of one) that may be absent cannot prove the perimeter.
                    self.conflicts.append((tuple(self.path), (
                        f"Fn::If on condition {condition} keeps {_short(kept)} only when the condition holds "
                        "(AWS::NoValue otherwise): the perimeter must not depend on a deploy-time condition"),
                        kept, kept))
                    self.conflict_conditions.append(condition)
                return kept
            if first == second:
                return first
            message = (
                f"Fn::If on condition {condition} chooses between {_short(arg[1])} and {_short(arg[2])}: the "
                "verdict depends on which applies at deploy time. Make both branches keep the perimeter the same "
                "way (or put the choice in a parameter)"
            )
            if not self.lenient:
                raise _Unresolvable(message)
            self.conflicts.append((tuple(self.path), message, first, second))
            self.conflict_conditions.append(condition)
            if all(isinstance(v, (str, int, float)) for v in (first, second)):
                return _token("If", condition, _digest(arg))  # one unknown value
            return first  # only kept when it sits in an Allow statement, where either branch gives the same verdict
        if name == "Fn::Select":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise _Unresolvable(f"Fn::Select needs [index, list], got {_short(arg)}")
            index_text = self._string(arg[0], depth, "Select")
            items = self._list(arg[1], depth)
            if items is None or not index_text.isdigit():
                return _token("Select", index_text, self._string(arg[1], depth, "Select"))
            index = int(index_text)
            if index >= len(items):
                raise _Unresolvable(f"Fn::Select index {index} is out of range for {_short(items)}")
            return items[index]
        if name == "Fn::Split":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise _Unresolvable(f"Fn::Split needs [delimiter, string], got {_short(arg)}")
            delimiter = self._string(arg[0], depth, "Split")
            source = self.render(arg[1], depth)
            if isinstance(source, str) and delimiter and not _TOKEN.fullmatch(source):
                return source.split(delimiter)
            return [_token("Split", self._string(arg[1], depth, "Split"))]
        if name == "Fn::ImportValue":
            exported = self._string(arg, depth, "ImportValue")
            exported = _TOKEN.sub(lambda m: m.group(0)[2:-1], exported)  # ${Ref.AWS::StackName} -> its name
            exported = exported.replace("Ref.", "", 1) if exported.startswith("Ref.") else exported
            return _token("ImportValue", exported)
        if name == "Fn::FindInMap":
            return self._find_in_map(arg, depth)
        if name == "Fn::ToJsonString":
            return json.dumps(self.render(arg, depth), separators=(",", ":"))
        if name == "Fn::Length":
            items = self._list(arg, depth)
            return len(items) if items is not None else _token("Length", _short(arg))
        return _token(name.replace("Fn::", ""), _digest(arg))  # GetAZs, Base64, Cidr, Transform, ...: unknown here

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
            return _token("Sub", _short(arg))

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

        return _DYNAMIC_REFERENCE.sub(lambda m: _token("Resolve", m.group(1)), _SUB_VARIABLE.sub(replace, text))

    def _find_in_map(self, arg: Any, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) >= 3):
            raise _Unresolvable(f"Fn::FindInMap needs [map, key, key], got {_short(arg)}")
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
        return _token("FindInMap", *keys)


# --------------------------------------------------------------------------------------------------------------
# Conditions: decided from parameter defaults where they can be, otherwise judged both ways


class _Conditions:
    """The template's Conditions section as boolean logic over comparisons.

    A ``Fn::Equals`` whose two sides render to plain values (parameter defaults substituted, as Checkov does for
    every check) is decided; one that reads a parameter without a default or a pseudo parameter (the Region, the
    account, the partition: known only at deploy time) is an undecided *comparison*, named by its rendered sides.
    ``Fn::Not``/``And``/``Or`` and ``Condition`` combine them; a condition that is not declared, or not readable, is
    itself one undecided comparison. ``value`` answers True/False/None under assumed comparison values.
    """

    _LIMIT = 50  # nesting of Condition references (a cycle is unreadable, so undecided)

    def __init__(self, template: Optional[_Template]) -> None:
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
        call = _intrinsic(expr)
        if isinstance(expr, Mapping) and call is None:
            keys = [k for k in expr if not (isinstance(k, str) and k.startswith("__"))]
            if keys == ["Condition"]:
                call = ("Condition", expr["Condition"])
        if isinstance(expr, bool):
            return expr
        if isinstance(expr, str) and expr.lower() in ("true", "false"):
            return expr.lower() == "true"
        if call is None or depth > self._LIMIT:
            return self._free(f"condition {_short(expr)}", assumed, found)
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
        return self._free(f"condition {_short(expr)}", assumed, found)

    def _equals(self, sides: List[Any], assumed: Optional[Mapping[str, bool]], found: Set[str]) -> Optional[bool]:
        rendered: List[str] = []
        unknown: List[bool] = []
        for side in sides:
            try:
                value = _Renderer(self.template, "s3").render(side)
            except Exception:  # noqa: BLE001 - an unreadable side is an unknown value
                value = _token("Equals", _digest(side))
            text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
            if isinstance(value, bool):
                text = "true" if value else "false"
            rendered.append(text)
            unknown.append(_mentions_deploy_time(side) or bool(_TOKEN.search(text)) or THIS_ACCOUNT in text
                           or THIS_REGION in text)
        if _short(sides[0], 10_000) == _short(sides[1], 10_000):
            return True  # the same expression on both sides
        if not any(unknown):
            return rendered[0] == rendered[1]
        key = "Fn::Equals " + json.dumps(sorted(rendered))
        if unknown.count(True) == 1:
            index = unknown.index(True)
            if _TOKEN.fullmatch(rendered[index]):
                self.pinned[key] = (rendered[index], rendered[1 - index])
        return self._free(key, assumed, found)

    @staticmethod
    def _free(key: str, assumed: Optional[Mapping[str, bool]], found: Set[str]) -> Optional[bool]:
        found.add(key)
        return None if assumed is None else assumed.get(key)


def _mentions_deploy_time(expr: Any) -> bool:
    """True when ``expr`` reads a pseudo parameter (``AWS::Region``, ``AWS::Partition``, ...): its value is known
    only at deploy time (the renderer's stand-ins, such as the partition "aws", must not decide a condition)."""
    stack = [expr]
    while stack:
        item = stack.pop()
        call = _intrinsic(item)
        if call is not None:
            name, arg = call
            if name == "Ref" and isinstance(arg, str) and arg.startswith("AWS::") and arg != "AWS::NoValue":
                return True
            if name == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) and arg else arg
                if isinstance(text, str) and re.search(r"\$\{\s*AWS::", text):
                    return True
            stack.append(arg)
        elif isinstance(item, Mapping):
            stack.extend(v for k, v in item.items() if not (isinstance(k, str) and k.startswith("__")))
        elif isinstance(item, list):
            stack.extend(item)
    return False


# --------------------------------------------------------------------------------------------------------------
# Fixes in the template's own partition

PARTITION_EXPRESSION = "${AWS::Partition}"
_PARTITION_IN_SUB = re.compile(r"\$\{\s*AWS::Partition\s*\}")
_YAML_ARN = re.compile(r'(!Sub )?"arn:aws:((?:[^"\\]|\\.)*)"')


def _mentions_partition(value: Any) -> bool:
    """True when ``value`` has ``!Ref AWS::Partition`` or ``${AWS::Partition}`` in a ``Fn::Sub`` anywhere."""
    stack, seen = [value], set()
    while stack:
        item = stack.pop()
        if isinstance(item, (Mapping, list)):
            if id(item) in seen:
                continue
            seen.add(id(item))
        call = _intrinsic(item)
        if call is not None:
            name, arg = call
            if name == "Ref" and arg == "AWS::Partition":
                return True
            text = arg[0] if name == "Fn::Sub" and isinstance(arg, list) and arg else arg
            if name == "Fn::Sub" and isinstance(text, str) and _PARTITION_IN_SUB.search(text):
                return True
        if isinstance(item, Mapping):
            stack.extend(v for k, v in item.items() if not (isinstance(k, str) and k.startswith("__")))
        elif isinstance(item, list):
            stack.extend(item)
    return False


def fix_with_template_partition(fix: str, syntax: str) -> str:
    """A CloudFormation fix (``yaml`` or ``cfn-json``) with each ``arn:aws:`` ARN written ``arn:${AWS::Partition}:``
    inside ``Fn::Sub``, for templates that write their ARNs so (the same template then deploys to every partition).

    The text stays valid for its file: a literal that becomes a ``Fn::Sub`` escapes any ``${`` it held as ``${!``.
    Text this function cannot read is returned unchanged.
    """
    if syntax == "yaml":
        def to_sub(match: re.Match[str]) -> str:
            body = match.group(2) if match.group(1) else match.group(2).replace("${", "${!")
            return '!Sub "arn:' + PARTITION_EXPRESSION + ":" + body + '"'

        return "\n".join(_YAML_ARN.sub(to_sub, line) for line in fix.split("\n"))
    if syntax != "cfn-json":
        return fix
    try:
        statements = json.loads("[" + fix + "]")  # the fix is one statement or several joined by ",\n"
    except ValueError:
        return fix
    return ",\n".join(json.dumps(_json_partition(statement), indent=2) for statement in statements)


def _json_partition(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("arn:aws:"):
        return {"Fn::Sub": "arn:" + PARTITION_EXPRESSION + ":" + value[len("arn:aws:"):].replace("${", "${!")}
    if isinstance(value, dict) and list(value) == ["Fn::Sub"] and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        if text.startswith("arn:aws:"):
            return {"Fn::Sub": "arn:" + PARTITION_EXPRESSION + ":" + text[len("arn:aws:"):]}
        return value
    if isinstance(value, dict):
        return {key: _json_partition(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_partition(item) for item in value]
    return value


# --------------------------------------------------------------------------------------------------------------
# The public entry point


def source_for_cloudformation(
    conf: dict, entity_type: str, file_path: str, logical_id: Optional[str] = None
) -> Readings:
    """The policy that guards this resource, for the engine; None when this resource is not the one to judge;
    a list of readings when one policy guards several resources (each judged: checkov_glue.run_check).

    ``file_path`` and ``logical_id`` come from the check's ``self.entity_path`` (see ``split_entity_path``); the
    template is found from ``conf``'s ``__file__``, ``file_path`` or Checkov's runner, and read once per file.
    Policy resources give their document; an owner (bucket, queue, topic) gives ``document=None`` (missing) unless
    a policy resource of the same template names it, and then None (judged there). Never raises: anything the
    adapter cannot read becomes ``PolicySource(problem=...)``.
    """
    service = CFN_POLICY_RESOURCES.get(entity_type) or CFN_OWNER_RESOURCES.get(entity_type)
    if service is None:
        return None
    label = f"{entity_type} {logical_id or '(unknown logical ID)'}"
    syntax = "yaml"
    try:
        path = _template_path(conf, file_path)
        syntax = _syntax(path or file_path or "")
        template = _load_template(path) if path else None
        if logical_id is None and template is not None:
            logical_id = _guess_logical_id(template, conf, entity_type)
            label = f"{entity_type} {logical_id or '(unknown logical ID)'}"
        if entity_type in CFN_POLICY_RESOURCES:
            found = _policy_source(conf, entity_type, service, logical_id, template, label, syntax)
        else:
            found = _inline_source(conf, entity_type, service, logical_id, template, label, syntax) \
                if entity_type in _INLINE_POLICY else None
            if found is None:
                found = _owner_source(entity_type, service, logical_id, template, path or file_path, label, syntax)
        if template is not None and template.uses_partition:
            for source in found if isinstance(found, list) else [found] if found is not None else []:
                source.arn_partition = PARTITION_EXPRESSION
        return found
    except Exception as error:  # noqa: BLE001 - a check must never raise (Checkov turns it into a silent UNKNOWN)
        return PolicySource(
            target=Target(service, "${" + (logical_id or "unknown") + "}"),
            origin=label,
            problem=f"{label}: could not read the resource ({type(error).__name__}: {error})",
            syntax=syntax,
        )


def _guess_logical_id(template: _Template, conf: Any, entity_type: str) -> Optional[str]:
    """The logical ID of ``conf`` when the caller did not pass it: the only same-type resource at its lines."""
    props = conf.get("Properties") if isinstance(conf, Mapping) else None
    start = props.get("__startline__") if isinstance(props, Mapping) else None
    candidates = []
    for logical_id in template.resources:
        if template.resource_type(logical_id) != entity_type:
            continue
        raw = template.resources[logical_id].get("Properties")
        raw_start = raw.get("__startline__") if isinstance(raw, Mapping) else None
        if start is None or raw_start == start:
            candidates.append(logical_id)
    return candidates[0] if len(candidates) == 1 else None


def _resource_properties(conf: Any, entity_type: str, logical_id: Optional[str],
                         template: Optional[_Template]) -> Mapping[str, Any]:
    """The resource's Properties: the template's original (intrinsics intact, parameter types known), else conf."""
    if template is not None and logical_id and template.resource_type(logical_id) == entity_type:
        props: Any = template.properties(logical_id)
    else:
        props = conf.get("Properties") if isinstance(conf, Mapping) else None
    return props if isinstance(props, Mapping) else {}


def _inline_source(conf: Any, entity_type: str, service: str, logical_id: Optional[str],
                   template: Optional[_Template], label: str, syntax: str) -> Readings:
    """The policy an owner carries in a property (KeyPolicy, RepositoryPolicyText, ...); None when it has none."""
    path = _INLINE_POLICY[entity_type]
    raw: Any = _resource_properties(conf, entity_type, logical_id, template)
    for key in path:
        raw = raw.get(key) if isinstance(raw, Mapping) else None
    if raw is None:
        return None
    origin = f"{'.'.join(path)} of {label}"
    evaluated = ["Properties/" + "/".join(path)]
    target = _owner_target(template, logical_id, service) if logical_id else Target(service, "${unknown}")
    readings = _rendered_source(raw, lambda: _Renderer(template, service, logical_id, target), target, origin,
                                evaluated, syntax, path[-1])
    return readings[0] if len(readings) == 1 and not readings[0].reading else readings


def _policy_source(conf: Any, entity_type: str, service: str, logical_id: Optional[str],
                   template: Optional[_Template], label: str, syntax: str) -> Readings:
    """The policy once per resource it names (``Queues: [A, B]``): each reading is judged, and the policy passes
    only when it keeps the perimeter for every one of them (a Deny naming only A's ARN leaves B open). A policy
    resource with a ``Condition`` the defaults cannot decide is also read as absent (no policy) when it is false."""
    policy_property = _POLICY_PROPERTY.get(entity_type, "PolicyDocument")
    origin = f"{policy_property} of {label}"
    evaluated = [f"Properties/{policy_property}"]
    props = _resource_properties(conf, entity_type, logical_id, template)
    expressions = _target_expressions(entity_type, props)
    prop_names = " or ".join(_TARGET_PROPERTIES[entity_type])
    placeholder = Target(service, "${" + (logical_id or "unknown") + "}")

    def problem(message: str, target: Target = placeholder, reading: str = "") -> PolicySource:
        return PolicySource(target=target, origin=origin, problem=f"{origin}: {message}", evaluated_keys=evaluated,
                            syntax=syntax, reading=reading)

    if not expressions:
        return problem(f"no {prop_names} names the {PROFILES[service].title} it protects")
    condition = template.condition_of(logical_id) if template is not None and logical_id else None
    created = template.created(logical_id) if template is not None and logical_id else True
    if created is False:
        return None  # never created with the defaults: what it names is judged as having no policy
    raw = props.get(policy_property)
    readings: List[PolicySource] = []
    seen: Set[Target] = set()
    for index, expr in enumerate(expressions):
        reading = (f"{PROFILES[service].title} {_describe_reference(expr)} ({prop_names} item {index + 1} of "
                   f"{len(expressions)})") if len(expressions) > 1 else ""
        if created is None:  # the policy exists only when its Condition holds: judged with and without it
            reading = ", ".join(part for part in (reading, f"when condition {condition} is true") if part)
        try:
            target, protected = _policy_target(expr, service, template)
        except _Unresolvable as error:
            readings.append(problem(f"{prop_names}: {error}", reading=reading))
            continue
        if target in seen:
            continue
        seen.add(target)
        if raw is None:
            readings.append(problem(f"has no {policy_property}", target, reading))
            continue
        make = partial(_Renderer, template, service, protected, target)
        for found in _rendered_source(raw, make, target, origin, evaluated, syntax, policy_property):
            found.reading = ", ".join(part for part in (reading, found.reading) if part)
            readings.append(found)
        if created is None and not (protected and template is not None
                                    and template.condition_of(protected) == condition):
            # Without the policy resource the resource has no policy (unless it, too, exists only then).
            readings.append(PolicySource(
                target=target, document=None, evaluated_keys=evaluated, syntax=syntax,
                origin=f"{label} (created only when condition {condition} is true)",
                reading=reading.replace(f"when condition {condition} is true", f"when condition {condition} is false")))
    return readings[0] if len(readings) == 1 and not readings[0].reading else readings


def _describe_reference(expr: Any) -> str:
    """How the template names a resource, for messages: ``OrdersQueue`` for a Ref/GetAtt, else the expression."""
    call = _intrinsic(expr)
    if call and call[0] == "Ref" and isinstance(call[1], str):
        return call[1]
    if call and call[0] == "Fn::GetAtt":
        arg = call[1]
        return arg if isinstance(arg, str) else ".".join(str(part) for part in arg) if isinstance(arg, list) else ""
    return _short(expr)


_MAX_READINGS = 16  # branch combinations judged per policy; more undecided conditions than that fail closed


def _rendered_source(raw: Any, make_renderer: Callable[[], _Renderer], target: Target, origin: str,
                     evaluated: List[str], syntax: str, what: str) -> List[PolicySource]:
    """Render a policy document's intrinsics and hand it over, or the problem that prevents it.

    An ``Fn::If`` decided by parameter defaults takes its branch. One that is not, and that can change a Deny, makes
    one reading per way the conditions can go (each judged; the policy passes only when all pass), named by the
    conditions taken. In an Allow statement either branch gives the same verdict, and no reading is made for it.
    """

    def problem(message: str, reading: str = "") -> PolicySource:
        return PolicySource(target=target, origin=origin, problem=f"{origin}: {message}", evaluated_keys=evaluated,
                            syntax=syntax, reading=reading)

    readings: List[PolicySource] = []
    seen: Set[str] = set()
    pending: List[Dict[str, bool]] = [{}]
    while pending:
        assumed = pending.pop(0)
        renderer = make_renderer()
        renderer.lenient = True
        renderer.assumed = assumed
        try:
            document = renderer.render(raw)
        except _Unresolvable as error:
            readings.append(problem(str(error), _branch_label(renderer.taken, renderer.defaulted)))
            continue
        logic = renderer.template.logic() if renderer.template else _Conditions(None)
        blocking = [(condition, message) for (path, message, first, second), condition
                    in zip(renderer.conflicts, renderer.conflict_conditions)
                    if not _in_allow_statement(document, path, first, second)]
        if blocking:
            free = [c for condition, _ in blocking for c in sorted(logic.comparisons(condition)) if c not in assumed]
            if not free:
                readings.append(problem(blocking[0][1], _branch_label(renderer.taken, renderer.defaulted)))
            elif len(readings) + len(pending) + 2 > _MAX_READINGS:
                readings.append(problem(f"{blocking[0][1]} (more than {_MAX_READINGS} combinations of undecided "
                                        "conditions to judge)", _branch_label(renderer.taken, renderer.defaulted)))
            else:
                for holds in (True, False):
                    branch = {**assumed, free[0]: holds}
                    if logic.consistent(branch):
                        pending.append(branch)
            continue
        reading = _branch_label(renderer.taken, renderer.defaulted)
        found = _document_source(document, target, origin, evaluated, syntax, what, reading)
        key = reading + "\0" + json.dumps(found.document, sort_keys=True, default=str) + str(found.problem)
        if key not in seen:
            seen.add(key)
            readings.append(found)
    return readings


def _branch_label(taken: Mapping[str, bool], defaulted: Mapping[str, bool] = {}) -> str:  # noqa: B006 - read only
    """``when condition IsProd is false``: the conditions a reading takes, for messages (those decided by parameter
    defaults too: the verdict holds for the defaults, as Checkov substitutes them)."""
    labels = []
    if taken:
        parts = [f"{name} is {str(holds).lower()}" for name, holds in sorted(taken.items())]
        labels.append(("when condition " if len(parts) == 1 else "when conditions ") + " and ".join(parts))
    if defaulted:
        parts = [f"{name} is {str(holds).lower()}" for name, holds in sorted(defaulted.items())]
        labels.append(("condition " if len(parts) == 1 else "conditions ") + " and ".join(parts)
                      + " by parameter defaults")
    return "; ".join(labels)


def _document_source(document: Any, target: Target, origin: str, evaluated: List[str], syntax: str, what: str,
                     reading: str) -> PolicySource:
    """A rendered document as the engine's input: a JSON string is parsed, anything but an object is a problem."""

    def problem(message: str) -> PolicySource:
        return PolicySource(target=target, origin=origin, problem=f"{origin}: {message}", evaluated_keys=evaluated,
                            syntax=syntax, reading=reading)

    if isinstance(document, str):
        try:
            document = load_json(document)
        except DocumentTooLarge as error:
            return problem(f"{what} is a JSON string past the scan's bounds: {error}")
        except ValueError as error:
            return problem(f"{what} is a string that is not JSON ({error}): {document[:80]!r}")
    if not isinstance(document, dict):
        return problem(f"{what} must be a JSON object, got {_short(document)}")
    return PolicySource(target=target, document=document, origin=origin, evaluated_keys=evaluated, syntax=syntax,
                        reading=reading)


def _is_allow(statement: Any) -> bool:
    if not isinstance(statement, Mapping):
        return False
    effect = next((v for k, v in statement.items() if str(k).lower() == "effect"), None)
    return isinstance(effect, str) and effect.strip().lower() == "allow"


def _in_allow_statement(document: Any, path: Tuple[Any, ...], first: Any, second: Any) -> bool:
    """True when a differing Fn::If sits inside an Allow statement (not its Effect), or picks between two Allow
    statements: Allow statements never make or break the perimeter, so the branch does not change the verdict."""
    if not isinstance(document, Mapping) or not path or str(path[0]).lower() != "statement":
        return False
    statements = document.get(path[0])
    rest = path[1:]
    if isinstance(statements, list):
        if not rest or not isinstance(rest[0], int) or rest[0] >= len(statements):
            return False
        statement, inside = statements[rest[0]], rest[1:]
    else:
        statement, inside = statements, rest
    if not inside:  # the Fn::If chooses the whole statement
        return _is_allow(first) and _is_allow(second)
    return _is_allow(statement) and str(inside[0]).lower() != "effect"


def _policy_target(expr: Any, service: str, template: Optional[_Template]) -> Tuple[Target, Optional[str]]:
    """The resource a policy protects, and its logical ID when the template declares it."""
    owner_type = _OWNER_TYPE[service]
    ids = _referenced_ids(expr, template, owner_type)
    if template is None:  # without the template, a plain Ref/GetAtt names the resource by its logical ID
        call = _intrinsic(expr)
        if call and call[0] == "Ref" and isinstance(call[1], str) and not call[1].startswith("AWS::"):
            ids = {call[1]}
        elif call and call[0] == "Fn::GetAtt":
            ids = {call[1].split(".", 1)[0] if isinstance(call[1], str) else str(call[1][0])}
        else:
            ids = set()
    if len(ids) == 1:
        (logical_id,) = ids
        return _owner_target(template, logical_id, service), logical_id
    rendered = _Renderer(template, service).render(expr)
    if isinstance(rendered, list) and rendered:
        rendered = rendered[0]
    if isinstance(rendered, str) and rendered:
        return _literal_target(service, rendered), None
    raise _Unresolvable(f"cannot tell which {PROFILES[service].title} {_short(expr)} names")


def _owner_source(entity_type: str, service: str, logical_id: Optional[str], template: Optional[_Template],
                  path: str, label: str, syntax: str) -> Optional[PolicySource]:
    if not PROFILES[service].requires_policy:
        return None  # works without a resource policy (KMS, Secrets Manager, ...): no result either way
    if not logical_id:
        return PolicySource(
            target=Target(service, "${unknown}"), origin=label, syntax=syntax,
            problem=f"{label}: the logical ID is unknown, so the template cannot be searched for its policy",
        )
    target = _owner_target(template, logical_id, service)
    if template is None:
        return PolicySource(
            target=target, origin=label, syntax=syntax,
            problem=f"{label}: could not read the template {path!r} to look for a policy resource naming it",
        )
    ids, names = template.named_owners()
    if logical_id in ids or target.name in names.get(service, set()):
        return None  # a policy resource of this template protects it; that resource is judged
    policy_types = "/".join(k.split("::")[-1] for k, v in CFN_POLICY_RESOURCES.items() if v == service)
    return PolicySource(
        target=target, document=None, syntax=syntax,
        origin=f"{label} (no {policy_types} in this template names it)",
    )


# ==============================================================================================================
# PUBLIC WRAPPERS FOR vpce_checks/adapters/organizations.py (issue 15, branch wip-layers).
# Added while this file is being split into a package: re-point them at the new modules' names after the split.
# ==============================================================================================================


class TemplateResource:
    """One resource of a template as the organisations adapter needs it: type and properties rendered on demand."""

    def __init__(self, template: _Template, logical_id: str) -> None:
        self._template = template
        self.logical_id = logical_id
        self.resource_type = template.resource_type(logical_id)

    def rendered(self, name: str) -> Tuple[Any, Optional[str]]:
        """(value, problem) of one property with intrinsics rendered as the deployed stack would (unresolved ones
        as ``${...}`` tokens); (None, None) when the property is absent."""
        raw = self._template.properties(self.logical_id).get(name)
        if raw is None:
            return None, None
        renderer = _Renderer(self._template, "s3")
        renderer.lenient = True
        try:
            value = renderer.render(raw)
        except _Unresolvable as error:
            return None, str(error)
        if renderer.conflicts:
            return None, str(renderer.conflicts[0][1])
        return value, None


def template_resources(conf: Any, file_path: str, resource_type: str) -> Tuple[Optional[str], List[TemplateResource]]:
    """(template syntax, the resources of this type) of the template holding ``conf``; ``(None, [])`` when the
    template cannot be read."""
    path = _template_path(conf, file_path)
    template = _load_template(path) if path else None
    if template is None or path is None:
        return None, []
    return _syntax(path), [TemplateResource(template, logical_id) for logical_id in template.resources
                           if template.resource_type(logical_id) == resource_type]
