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
template become its name, URL or ARN. ``Fn::If`` whose condition the parameter defaults decide (``Conditions``)
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
import re
from functools import partial
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple

from vpce_checks.adapters.base import PolicySource
from vpce_checks.adapters.bindings import (
    CFN_INLINE_POLICY,
    CFN_OWNER_RESOURCES,
    CFN_POLICY_PROPERTY,
    CFN_POLICY_RESOURCES,
    CFN_TARGET_PROPERTIES,
)
from vpce_checks.adapters.bounded_documents import DocumentTooLarge, load_json
from vpce_checks.adapters.cloudformation.intrinsics import (
    Renderer,
    Unresolvable,
    conditions_of,
    created,
    intrinsic,
    literal_target,
    owner_target,
    referenced_ids,
    short,
    uses_partition,
)
from vpce_checks.adapters.cloudformation.template import (
    Readings,
    Template,
    _load_template,
    target_expressions,
    template_path,
    template_syntax,
)
from vpce_checks.engine.services import PROFILES, Target

# Per-service types and property names come from the bindings table (adapters/bindings.py).
_INLINE_POLICY = CFN_INLINE_POLICY
_POLICY_PROPERTY = CFN_POLICY_PROPERTY
_OWNER_TYPE = {service: type_ for type_, service in CFN_OWNER_RESOURCES.items()}
_TARGET_PROPERTIES = CFN_TARGET_PROPERTIES


# --------------------------------------------------------------------------------------------------------------
# Fixes in the template's own partition

PARTITION_EXPRESSION = "${AWS::Partition}"
_YAML_ARN = re.compile(r'(!Sub )?"arn:aws:((?:[^"\\]|\\.)*)"')


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
        path = template_path(conf, file_path)
        syntax = template_syntax(path or file_path or "")
        template = _load_template(path) if path else None
        if logical_id is None and template is not None:
            logical_id = guess_logical_id(template, conf, entity_type)
            label = f"{entity_type} {logical_id or '(unknown logical ID)'}"
        if entity_type in CFN_POLICY_RESOURCES:
            found = _policy_source(conf, entity_type, service, logical_id, template, label, syntax)
        else:
            found = _inline_source(conf, entity_type, service, logical_id, template, label, syntax) \
                if entity_type in _INLINE_POLICY else None
            if found is None:
                found = _owner_source(entity_type, service, logical_id, template, path or file_path, label, syntax)
        if template is not None and uses_partition(template):
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


def guess_logical_id(template: Template, conf: Any, entity_type: str) -> Optional[str]:
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
                         template: Optional[Template]) -> Mapping[str, Any]:
    """The resource's Properties: the template's original (intrinsics intact, parameter types known), else conf."""
    if template is not None and logical_id and template.resource_type(logical_id) == entity_type:
        props: Any = template.properties(logical_id)
    else:
        props = conf.get("Properties") if isinstance(conf, Mapping) else None
    return props if isinstance(props, Mapping) else {}


def _inline_source(conf: Any, entity_type: str, service: str, logical_id: Optional[str],
                   template: Optional[Template], label: str, syntax: str) -> Readings:
    """The policy an owner carries in a property (KeyPolicy, RepositoryPolicyText, ...); None when it has none."""
    path = _INLINE_POLICY[entity_type]
    raw: Any = _resource_properties(conf, entity_type, logical_id, template)
    for key in path:
        raw = raw.get(key) if isinstance(raw, Mapping) else None
    if raw is None:
        return None
    origin = f"{'.'.join(path)} of {label}"
    evaluated = ["Properties/" + "/".join(path)]
    target = owner_target(template, logical_id, service) if logical_id else Target(service, "${unknown}")
    readings = rendered_sources(raw, lambda: Renderer(template, service, logical_id, target), target, origin,
                                evaluated, syntax, path[-1])
    return readings[0] if len(readings) == 1 and not readings[0].reading else readings


def _policy_source(conf: Any, entity_type: str, service: str, logical_id: Optional[str],
                   template: Optional[Template], label: str, syntax: str) -> Readings:
    """The policy once per resource it names (``Queues: [A, B]``): each reading is judged, and the policy passes
    only when it keeps the perimeter for every one of them (a Deny naming only A's ARN leaves B open). A policy
    resource with a ``Condition`` the defaults cannot decide is also read as absent (no policy) when it is false."""
    policy_property = _POLICY_PROPERTY.get(entity_type, "PolicyDocument")
    origin = f"{policy_property} of {label}"
    evaluated = [f"Properties/{policy_property}"]
    props = _resource_properties(conf, entity_type, logical_id, template)
    expressions = target_expressions(entity_type, props)
    prop_names = " or ".join(_TARGET_PROPERTIES[entity_type])
    placeholder = Target(service, "${" + (logical_id or "unknown") + "}")

    def problem(message: str, target: Target = placeholder, reading: str = "") -> PolicySource:
        return PolicySource(target=target, origin=origin, problem=f"{origin}: {message}", evaluated_keys=evaluated,
                            syntax=syntax, reading=reading)

    if not expressions:
        return problem(f"no {prop_names} names the {PROFILES[service].title} it protects")
    condition = template.condition_of(logical_id) if template is not None and logical_id else None
    exists = created(template, logical_id) if template is not None and logical_id else True
    if exists is False:
        return None  # never created with the defaults: what it names is judged as having no policy
    raw = props.get(policy_property)
    readings: List[PolicySource] = []
    seen: Set[Target] = set()
    for index, expr in enumerate(expressions):
        reading = (f"{PROFILES[service].title} {_describe_reference(expr)} ({prop_names} item {index + 1} of "
                   f"{len(expressions)})") if len(expressions) > 1 else ""
        if exists is None:  # the policy exists only when its Condition holds: judged with and without it
            reading = ", ".join(part for part in (reading, f"when condition {condition} is true") if part)
        try:
            target, protected = _policy_target(expr, service, template)
        except Unresolvable as error:
            readings.append(problem(f"{prop_names}: {error}", reading=reading))
            continue
        if target in seen:
            continue
        seen.add(target)
        if raw is None:
            readings.append(problem(f"has no {policy_property}", target, reading))
            continue
        make = partial(Renderer, template, service, protected, target)
        for found in rendered_sources(raw, make, target, origin, evaluated, syntax, policy_property):
            found.reading = ", ".join(part for part in (reading, found.reading) if part)
            readings.append(found)
        if exists is None and not (protected and template is not None
                                   and template.condition_of(protected) == condition):
            # Without the policy resource the resource has no policy (unless it, too, exists only then).
            readings.append(PolicySource(
                target=target, document=None, evaluated_keys=evaluated, syntax=syntax,
                origin=f"{label} (created only when condition {condition} is true)",
                reading=reading.replace(f"when condition {condition} is true", f"when condition {condition} is false")))
    return readings[0] if len(readings) == 1 and not readings[0].reading else readings


def _describe_reference(expr: Any) -> str:
    """How the template names a resource, for messages: ``OrdersQueue`` for a Ref/GetAtt, else the expression."""
    call = intrinsic(expr)
    if call and call[0] == "Ref" and isinstance(call[1], str):
        return call[1]
    if call and call[0] == "Fn::GetAtt":
        arg = call[1]
        return arg if isinstance(arg, str) else ".".join(str(part) for part in arg) if isinstance(arg, list) else ""
    return short(expr)


_MAX_READINGS = 16  # branch combinations judged per policy; more undecided conditions than that fail closed


def rendered_sources(raw: Any, make_renderer: Callable[[], Renderer], target: Target, origin: str,
                     evaluated: List[str], syntax: str, what: str, allows_matter: bool = False) -> List[PolicySource]:
    """Render a policy document's intrinsics and hand it over, or the problem that prevents it.

    An ``Fn::If`` decided by parameter defaults takes its branch. One that is not, and that can change a Deny, makes
    one reading per way the conditions can go (each judged; the policy passes only when all pass), named by the
    conditions taken. In an Allow statement either branch gives the same verdict, and no reading is made for it,
    unless ``allows_matter`` (a REST API whose methods with authorization NONE need an Allow: docs/semantics.md).
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
        except Unresolvable as error:
            readings.append(problem(str(error), _branch_label(renderer.taken, renderer.defaulted)))
            continue
        logic = conditions_of(renderer.template)
        blocking = [(condition, message) for (path, message, first, second), condition
                    in zip(renderer.conflicts, renderer.conflict_conditions)
                    if allows_matter or not in_allow_statement(document, path, first, second)]
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
        return problem(f"{what} must be a JSON object, got {short(document)}")
    return PolicySource(target=target, document=document, origin=origin, evaluated_keys=evaluated, syntax=syntax,
                        reading=reading)


def _is_allow(statement: Any) -> bool:
    if not isinstance(statement, Mapping):
        return False
    effect = next((v for k, v in statement.items() if str(k).lower() == "effect"), None)
    return isinstance(effect, str) and effect.strip().lower() == "allow"


def in_allow_statement(document: Any, path: Tuple[Any, ...], first: Any, second: Any) -> bool:
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


def _policy_target(expr: Any, service: str, template: Optional[Template]) -> Tuple[Target, Optional[str]]:
    """The resource a policy protects, and its logical ID when the template declares it."""
    owner_type = _OWNER_TYPE[service]
    ids = referenced_ids(expr, template, owner_type)
    if template is None:  # without the template, a plain Ref/GetAtt names the resource by its logical ID
        call = intrinsic(expr)
        if call and call[0] == "Ref" and isinstance(call[1], str) and not call[1].startswith("AWS::"):
            ids = {call[1]}
        elif call and call[0] == "Fn::GetAtt":
            ids = {call[1].split(".", 1)[0] if isinstance(call[1], str) else str(call[1][0])}
        else:
            ids = set()
    if len(ids) == 1:
        (logical_id,) = ids
        return owner_target(template, logical_id, service), logical_id
    rendered = Renderer(template, service).render(expr)
    if isinstance(rendered, list) and rendered:
        rendered = rendered[0]
    if isinstance(rendered, str) and rendered:
        return literal_target(service, rendered), None
    raise Unresolvable(f"cannot tell which {PROFILES[service].title} {short(expr)} names")


def _owner_source(entity_type: str, service: str, logical_id: Optional[str], template: Optional[Template],
                  path: str, label: str, syntax: str) -> Optional[PolicySource]:
    if not PROFILES[service].requires_policy:
        return None  # works without a resource policy (KMS, Secrets Manager, ...): no result either way
    if not logical_id:
        return PolicySource(
            target=Target(service, "${unknown}"), origin=label, syntax=syntax,
            problem=f"{label}: the logical ID is unknown, so the template cannot be searched for its policy",
        )
    target = owner_target(template, logical_id, service)
    if template is None:
        return PolicySource(
            target=target, origin=label, syntax=syntax,
            problem=f"{label}: could not read the template {path!r} to look for a policy resource naming it",
        )
    ids, names = named_owners(template)
    if logical_id in ids or target.name in names.get(service, set()):
        return None  # a policy resource of this template protects it; that resource is judged
    policy_types = "/".join(k.split("::")[-1] for k, v in CFN_POLICY_RESOURCES.items() if v == service)
    return PolicySource(
        target=target, document=None, syntax=syntax,
        origin=f"{label} (no {policy_types} in this template names it)",
    )


def named_owners(template: Template) -> Tuple[Set[str], Dict[str, Set[str]]]:
    """Logical IDs, and literal names per service, that some policy resource of this template protects (a policy
    resource that the parameter defaults leave uncreated protects nothing); worked out once per template."""
    found = template.derived.get("named_owners")
    if isinstance(found, tuple):
        return found
    ids: Set[str] = set()
    names: Dict[str, Set[str]] = {}
    for kind, service in CFN_POLICY_RESOURCES.items():
        for logical_id in template.resources:
            if template.resource_type(logical_id) != kind or created(template, logical_id) is False:
                continue
            for expr in target_expressions(kind, template.properties(logical_id)):
                ids |= referenced_ids(expr, template, _OWNER_TYPE[service])
                try:
                    literal = Renderer(template, service).render(expr)
                except Exception:  # noqa: BLE001 - an unreadable reference names nothing literal
                    continue
                for item in literal if isinstance(literal, list) else [literal]:
                    if isinstance(item, str):
                        names.setdefault(service, set()).add(literal_target(service, item).name)
    template.derived["named_owners"] = (ids, names)
    return ids, names


class TemplateResource:
    """One resource of a template as the organisations reader needs it: type and properties rendered on demand."""

    def __init__(self, template: Template, logical_id: str) -> None:
        self._template = template
        self.logical_id = logical_id
        self.resource_type = template.resource_type(logical_id)

    def rendered(self, name: str) -> Tuple[Any, Optional[str]]:
        """(value, problem) of one property with intrinsics rendered as the deployed stack would (unresolved ones
        as ``${...}`` tokens); (None, None) when the property is absent."""
        raw = self._template.properties(self.logical_id).get(name)
        if raw is None:
            return None, None
        renderer = Renderer(self._template, "s3")
        renderer.lenient = True
        try:
            value = renderer.render(raw)
        except Unresolvable as error:
            return None, str(error)
        if renderer.conflicts:
            return None, str(renderer.conflicts[0][1])
        return value, None


def template_resources(conf: Any, file_path: str, resource_type: str) -> Tuple[Optional[str], List[TemplateResource]]:
    """(template syntax, the resources of this type) of the template holding ``conf``; ``(None, [])`` when the
    template cannot be read."""
    path = template_path(conf, file_path)
    template = _load_template(path) if path else None
    if template is None or path is None:
        return None, []
    return template_syntax(path), [TemplateResource(template, logical_id) for logical_id in template.resources
                                   if template.resource_type(logical_id) == resource_type]
