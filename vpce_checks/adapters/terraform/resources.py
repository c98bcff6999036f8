"""Terraform resources: which resource a policy guards, and the links between them.

The public entry ``source_for_terraform`` reads one resource Checkov hands a check: an owner resource
(aws_s3_bucket, aws_sqs_queue, ...) with its own ``policy`` argument, or a policy resource (aws_s3_bucket_policy,
...) whose bucket / queue_url / arn pointer names the resource it protects. It builds the resolution Context (the
protected resource's Target and the reference bases that name it: through references, ``for_each``, a literal
name or ARN, a module's caller) and leaves the policy value to resolution.py. An owner without a policy argument
gives no result when a policy resource points at it, so one policy is judged once. The layer over resolution.py
and graph.py; the API Gateway, endpoint and organisation readers use its public names.
"""

from __future__ import annotations

import os
import re
from typing import Any, List, Mapping, Optional, Tuple

from vpce_checks.adapters.base import PolicySource
from vpce_checks.adapters.bindings import (
    TERRAFORM_NAME_ATTRIBUTE,
    TERRAFORM_OWNER_RESOURCES,
    TERRAFORM_POINTER_ATTRIBUTE,
    TERRAFORM_POLICY_RESOURCES,
)
from vpce_checks.adapters.terraform.graph import (
    IDENT,
    INDEX,
    GraphIndex,
    Pointers,
    Ref,
    graph_index,
    index_part,
    literal_name,
    lookup_up,
    normalise_index,
    parse_reference,
    plausible_bare,
    root_dir_of,
    rx,
    same_instance,
    scope_of,
    strip_index,
    unwrap,
    with_tfvars,
)
from vpce_checks.adapters.terraform.resolution import (
    BARE_REFERENCE,
    EVALUATED_KEYS,
    Context,
    judge_policy_value,
    normalise_string,
    own_arn_expression,
    pointer_bases,
    source_block,
    target_from_literal,
    whole_interpolation,
)
from vpce_checks.engine.services import PROFILES, Target

# Per-service names come from the bindings table (adapters/bindings.py).
_POINTER_ATTRIBUTE = TERRAFORM_POINTER_ATTRIBUTE
_OWNER_OF_SERVICE = {service: owner for owner, service in TERRAFORM_OWNER_RESOURCES.items()}
_POLICY_OF_SERVICE = {service: policy for policy, service in TERRAFORM_POLICY_RESOURCES.items()}
_NAME_ATTRIBUTE = TERRAFORM_NAME_ATTRIBUTE


# --------------------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------------------


def source_for_terraform(conf: dict, entity_type: str, graph: object | None, file_path: str) -> PolicySource | None:
    """The policy guarding one Terraform resource, for the engine.

    None means: no result for this resource (its policy is judged on a separate policy resource that points at
    it), or an entity type this adapter does not handle. Never raises: Checkov would turn an exception into a
    silent UNKNOWN, a missed finding; any shape we cannot read becomes ``problem``.
    """
    service = TERRAFORM_POLICY_RESOURCES.get(entity_type) or TERRAFORM_OWNER_RESOURCES.get(entity_type)
    if service is None:
        return None
    address = entity_type
    try:
        address = address_of(conf, entity_type)
        return _source(conf if isinstance(conf, Mapping) else {}, entity_type, service, graph, file_path, address)
    except RecursionError:
        return PolicySource(
            target=Target(service=service, name=f"${{{address}}}"),
            problem=f"the policy of {address} is nested too deeply to read",
            evaluated_keys=list(EVALUATED_KEYS),
            syntax="hcl",
        )
    except Exception as exc:  # noqa: BLE001 - a check must never raise (SPEC 4)
        return PolicySource(
            target=Target(service=service, name=f"${{{address}}}"),
            problem=f"could not read the policy of {address} ({type(exc).__name__}: {exc}); "
            "please report this with the resource's Terraform code",
            evaluated_keys=list(EVALUATED_KEYS),
            syntax="hcl",
        )


# --------------------------------------------------------------------------------------------------------------
# Which resource a policy guards: addresses, scopes, owner targets
# --------------------------------------------------------------------------------------------------------------


def address_of(conf: Mapping[str, Any], entity_type: str) -> str:
    address = conf.get("__address__") if isinstance(conf, Mapping) else None
    if isinstance(address, list) and address:
        address = address[0]
    return address if isinstance(address, str) and address else entity_type


def _owner_name(attrs: Mapping[str, Any], owner_id: str, owner_type: str) -> str:
    name_attribute = _NAME_ATTRIBUTE[owner_type]
    name = literal_name(attrs.get(name_attribute))
    return name if name is not None else f"${{{owner_id}.{name_attribute}}}"


def _owner_target(attrs: Mapping[str, Any], owner_id: str, owner_type: str, context: Context) -> Target:
    """The owner's Target: from its ARN when known (plan JSON of existing resources), else from its name."""
    service = TERRAFORM_OWNER_RESOURCES[owner_type]
    arn = literal_name(attrs.get("arn"))
    if arn is not None and arn.startswith("arn:") and arn.count(":") >= 5:
        return target_from_literal(service, arn)
    return _target_from_name(service, _owner_name(attrs, owner_id, owner_type), context)


def ambiguous_reference(index: Optional[GraphIndex], conf: Mapping[str, Any], address: str) -> Optional[str]:
    """A resource or data source id that this resource is, or refers to, and that several directories declare:
    the graph index cannot tell them apart, so the verdict would rest on a guess (fail closed instead)."""
    if index is None:
        return None
    ambiguous = index.ambiguous_ids()
    if not ambiguous:
        return None
    owner_type = address.split(".", 1)[0]
    if (address in ambiguous and owner_type in TERRAFORM_OWNER_RESOURCES and "policy" not in conf
            and PROFILES[TERRAFORM_OWNER_RESOURCES[owner_type]].requires_policy):
        return address  # whether a policy resource points at this owner cannot be told
    text = repr({k: v for k, v in conf.items() if not str(k).startswith("__")})
    # Only policy documents matter here: other references (an endpoint ID, a bucket name) are opaque values.
    for ident in sorted(i for i in ambiguous if i.startswith("data.aws_iam_policy_document.")):
        if re.search(rf"(?<![\w.]){re.escape(ident)}(?![\w])", text):
            return ident
    return None


def module_dir_of(attrs: Optional[Mapping[str, Any]], file_path: str) -> str:
    path = attrs.get("file_path_") if attrs else None
    if not isinstance(path, str) or not path:
        path = file_path or ""
    return os.path.dirname(os.path.abspath(path)) if path else os.getcwd()


def scope_for(conf_address: str, entity_type: str, node: Optional[Mapping[str, Any]]) -> str:
    if node is not None and isinstance(node.get("id_"), str):
        return scope_of(conf_address, node["id_"])
    position = conf_address.rfind(entity_type + ".")
    return conf_address[:position] if position > 0 else ""


def _pointer_context(
    conf: Mapping[str, Any], entity_type: str, service: str, index: Optional[GraphIndex], scope: str,
    address: str, module_dir: str, root_dir: str,
) -> Context:
    """The target a policy resource protects, from its bucket / queue_url / arn argument."""
    pointer = unwrap(conf.get(_POINTER_ATTRIBUTE[entity_type]))
    owner_type = _OWNER_OF_SERVICE[service]
    base_context = Context(service, Target(service=service, name="?"), address, scope, index, module_dir, root_dir)
    if not isinstance(pointer, str) or not pointer.strip():
        name = f"${{{strip_scope(address)}.{_POINTER_ATTRIBUTE[entity_type]}}}"
        return _replace_target(base_context, Target(service=service, name=name))
    text = pointer.strip()
    expression = whole_interpolation(text)
    ref = parse_reference(expression if expression is not None else text)
    if ref is not None and (expression is not None or plausible_bare(ref, index)):
        base, self_each = ref.base, False
        if ref.kind == "each" and ref.base == "each.value":
            each_ref = for_each_reference(conf)
            if each_ref is not None and each_ref.kind == "resource" and each_ref.resource_type == owner_type:
                base, self_each = each_ref.base, True
        if strip_index(base).split(".", 1)[0] == owner_type:
            node = lookup_up(index, "resource", scope, base)[1]
            context = _replace_target(base_context, _owner_target(node or {}, base, owner_type, base_context))
            context.self_bases = (base,)
            context.self_each = self_each
            return context
        return _replace_target(base_context, Target(service=service, name=f"${{{ref.text}}}"))
    # A literal, possibly with interpolations (arn:aws:sns:${data.aws_region.cur.name}:...): resolve pseudo refs.
    literal = normalise_string(text, base_context)
    target = target_from_literal(service, literal)
    context = _replace_target(base_context, target)
    if index is not None:  # Checkov resolves bucket = aws_s3_bucket.b.bucket to "logs": the doc may still say .arn
        context.self_bases = tuple(index.owner_names.get((scope, owner_type, target.name), ()))
    return context


def for_each_reference(attrs: Mapping[str, Any]) -> Optional[Ref]:
    """``for_each = aws_s3_bucket.b``: what ``each.value`` stands for."""
    for_each = unwrap(attrs.get("for_each"))
    if not isinstance(for_each, str):
        return None
    return parse_reference(whole_interpolation(for_each) or for_each)


def _target_from_name(service: str, name: str, context: Context) -> Target:
    """A Target from an owner's name, which may carry pseudo references of its own."""
    if "${" in name or rx(BARE_REFERENCE).search(name):
        normalised = normalise_string(name, context)
        name = normalised if normalised else name
    return Target(service=service, name=name)


def _replace_target(context: Context, target: Target) -> Context:
    context.target = target
    return context


def strip_scope(address: str) -> str:
    return re.sub(rf"^(?:module\.{IDENT}(?:{INDEX})?\.)+", "", address)


# --------------------------------------------------------------------------------------------------------------
# The adapter proper
# --------------------------------------------------------------------------------------------------------------


def _source(
    conf: Mapping[str, Any], entity_type: str, service: str, graph: object | None, file_path: str, address: str
) -> Optional[PolicySource]:
    index = graph_index(graph, file_path, address)
    clash = ambiguous_reference(index, conf, address)
    if clash:
        target = Target(service=service, name="${" + address + "}")
        return PolicySource(target=target, origin=f"policy of {address}", evaluated_keys=["policy"], syntax="hcl",
                            problem=(f"{clash} is declared in several directories scanned together ("
                                     f"{', '.join(sorted(index.dirs_by_id[clash]))}), so which one {address} "
                                     "means is ambiguous in Checkov's graph: scan each root module on its own "
                                     "(checkov -d DIR per module) or give the blocks distinct names"))
    node = index.by_address.get(address) if index is not None else None
    scope = scope_for(address, entity_type, node)
    module_dir = module_dir_of(node, file_path)
    root_dir = root_dir_of(node, module_dir)
    if _declared_absent(node, root_dir, index):
        return None

    if entity_type in TERRAFORM_POLICY_RESOURCES:
        if entity_type == "aws_dynamodb_resource_policy" and _names_a_stream(conf):
            return None  # a stream's policy: CKV_VPCE_9 judges table policies only (docs/CKV_VPCE_9.md)
        context = _pointer_context(conf, entity_type, service, index, scope, address, module_dir, root_dir)
        context.node = node
        return judge_policy_value(conf.get("policy"), context, f"policy of {address}")

    # An owner resource: aws_s3_bucket / aws_sqs_queue / aws_sns_topic.
    owner_id = strip_scope(address)
    context = Context(service, Target(service=service, name="?"), address, scope, index, module_dir, root_dir)
    context.target = _owner_target(conf, owner_id, entity_type, context)
    context.self_bases = (owner_id,)
    context.node = node
    policy = conf.get("policy")
    if not is_empty(policy):
        return judge_policy_value(policy, context, f"policy of {address}")
    if index is not None and _has_separate_policy(index, service, scope, owner_id, context.target.name):
        return None
    unjudged = _unjudged_policy(index, service, scope, owner_id) if index is not None else None
    if unjudged is not None:
        return PolicySource(target=context.target, origin=f"{unjudged} via {address}", evaluated_keys=["policy"],
                            syntax="hcl", problem=(
                                f"{unjudged} points at {address}, but Checkov rendered its count as false and does "
                                "not check it, while its count depends on values the scan cannot know: whether the "
                                "bucket has a policy, and which, is undecided (give the variables behind the count "
                                "values with --var-file, or set VPCE_CHECKS_UNRESOLVED=skip)"))
    return PolicySource(target=context.target, document=None, origin="", evaluated_keys=list(EVALUATED_KEYS),
                        syntax="hcl", own_arn_expression=own_arn_expression(context))


def _names_a_stream(conf: Mapping[str, Any]) -> bool:
    """Does an aws_dynamodb_resource_policy attach to a table's stream (``stream_arn``, ``.../stream/LABEL``)?"""
    pointer = unwrap(conf.get("resource_arn"))
    if not isinstance(pointer, str):
        return False
    text = whole_interpolation(pointer.strip()) or pointer.strip()
    ref = parse_reference(text)
    if ref is not None:
        return ref.attribute in ("stream_arn", "latest_stream_arn")
    return "/stream/" in text or text.endswith(".stream_arn")


def is_empty(value: Any) -> bool:
    value = unwrap(value)
    return value is None or value == "" or value == [] or value == {}


# --------------------------------------------------------------------------------------------------------------
# Owners whose policy is a separate policy resource (bucket / queue_url / arn pointers)
# --------------------------------------------------------------------------------------------------------------


def _has_separate_policy(index: GraphIndex, service: str, scope: str, owner_id: str, owner_name: str) -> bool:
    """Does some aws_*_policy resource point at this owner (by reference, for_each, or the same literal name)?"""
    pointers = index.pointers.get(service)
    if pointers is None:
        pointers = index.pointers[service] = _collect_pointers(index, service)
    if "${" not in owner_name and owner_name in pointers.names:
        return True
    owner_id = normalise_index(owner_id)
    base = strip_index(owner_id)
    if index_part(owner_id) is None:
        return (scope, base) in pointers.bases
    return (scope, owner_id) in pointers.exact or (scope, base) in pointers.any_instance


def _unjudged_policy(index: GraphIndex, service: str, scope: str, owner_id: str) -> Optional[str]:
    """A policy resource pointing at this owner that Checkov does not check (its rendering of ``count`` is false)
    although the evaluator cannot tell its count is 0: its address, else None."""
    pointers = index.pointers.get(service) or _collect_pointers(index, service)
    owner_id = normalise_index(owner_id)
    for policy_scope, base, address in pointers.unjudged:
        if policy_scope == scope and same_instance(base, owner_id):
            return address
    return None


def _collect_pointers(index: GraphIndex, service: str) -> Pointers:
    """Resolve every policy resource's bucket / queue_url / arn once (module scope included)."""
    policy_type = _POLICY_OF_SERVICE[service]
    attribute = _POINTER_ATTRIBUTE[policy_type]
    pointers = Pointers()
    for resource_type, node_scope, attrs in index.policy_nodes:
        if resource_type != policy_type:
            continue
        path = attrs.get("file_path_")
        module_dir = os.path.dirname(os.path.abspath(path)) if isinstance(path, str) and path else ""
        if _declared_absent(attrs, root_dir_of(attrs, module_dir), index):
            continue  # count = 0: this policy resource does not exist, so it protects nothing
        if unwrap(attrs.get("count")) in (False, 0, "0", "false"):  # Checkov skips it: the owner must say so
            address = attrs.get("__address__") or attrs.get("id_")
            for scope, base in _node_pointer_bases(attrs, resource_type, node_scope, index):
                pointers.unjudged.append((scope, base, str(address)))
            continue
        for scope, base in _node_pointer_bases(attrs, resource_type, node_scope, index):
            pointers.bases.add((scope, strip_index(base)))
            if index_part(base) is None:
                pointers.any_instance.add((scope, base))
            else:
                pointers.exact.add((scope, base))
        pointer = unwrap(attrs.get(attribute))
        if not isinstance(pointer, str):
            continue
        text = pointer.strip()
        ref = parse_reference(whole_interpolation(text) or text)
        if ref is None:
            pointers.names.add(_literal_pointer_name(service, text))
            continue
        if ref.kind == "each" and ref.base == "each.value":
            ref = for_each_reference(attrs)
        if ref is None or ref.kind != "resource":
            continue
        found_scope = lookup_up(index, "resource", node_scope, ref.base)[0]
        scope = node_scope if found_scope is None else found_scope
        base, instance = strip_index(ref.base), index_part(ref.base)
        pointers.bases.add((scope, base))
        if instance is None or not re.fullmatch(r'\[(?:\d+|"[^"]*")\]', instance):
            pointers.any_instance.add((scope, base))
        else:
            pointers.exact.add((scope, ref.base))
    return pointers


def _node_pointer_bases(attrs: Mapping[str, Any], resource_type: str, node_scope: str,
                        index: GraphIndex) -> List[Tuple[str, str]]:
    """(module scope, owner id) of each owner a policy resource's pointer names, read from the source by the
    evaluator: locals, join(), try(), splats and both branches of a conditional (the issue's module forms)."""
    from vpce_checks.adapters.terraform import expressions
    from vpce_checks.adapters.terraform.source import module_scope, module_source

    path, ident = attrs.get("file_path_"), attrs.get("id_")
    if not isinstance(path, str) or not path.endswith(".tf") or not isinstance(ident, str):
        return []
    module_dir = os.path.dirname(os.path.abspath(path))
    try:
        scope = with_tfvars(module_scope(module_dir, root_dir_of(attrs, module_dir),
                                          attrs.get("source_module_object_")), index)
    except expressions.Unsupported:
        return []
    block = module_source(module_dir).blocks.get(("resource", resource_type, strip_index(ident).split(".", 1)[-1]))
    found = []
    for base in sorted(pointer_bases(scope, block, resource_type) or ()):
        owner_scope = node_scope
        while base.startswith("caller."):  # the module's caller passed the owner in: it lives one level up
            base = base[len("caller."):]
            owner_scope = _parent_scope(owner_scope)
        found.append((owner_scope, normalise_index(base)))
    return found


def _parent_scope(scope: str) -> str:
    """The scope of the module that calls ``scope`` ("module.a.module.b." -> "module.a.")."""
    parent = re.match(rf"^(.*)module\.{IDENT}(?:{INDEX})?\.$", scope)
    return parent.group(1) if parent else ""


def _literal_pointer_name(service: str, pointer: str) -> str:
    """The resource name a literal bucket / queue URL / topic ARN names."""
    if service == "s3":
        return pointer[len("arn:aws:s3:::"):] if pointer.startswith("arn:aws:s3:::") else pointer
    if service == "sqs":
        return pointer.rstrip("/").rsplit("/", 1)[-1]
    if pointer.startswith("arn:") and pointer.count(":") >= 5:
        return target_from_literal(service, pointer).name
    return pointer.rsplit(":", 1)[-1]


def _declared_absent(node: Optional[Mapping[str, Any]], root_dir: str, index: Optional[GraphIndex]) -> bool:
    """Is the resource's ``count`` 0 whatever the unknown conditions are? Then it does not exist (a module's bucket
    switched off for a directory bucket) and gives no result."""
    from vpce_checks.adapters.terraform import expressions
    from vpce_checks.adapters.terraform.source import attribute

    ident = node.get("id_") if node else None
    parts = strip_index(ident).split(".") if isinstance(ident, str) else []
    if len(parts) != 2:
        return False
    scope, block = source_block(node, root_dir, "resource", parts[0], parts[1], index)
    count = attribute(block, "count") if block is not None else None
    if count is None:
        return False
    try:
        variants = expressions.evaluate_variants(scope, count)
    except (expressions.Unsupported, expressions.EvaluationProblem, RecursionError):
        return False
    return all(value == 0 and not isinstance(value, bool) for _, value in variants)


# --------------------------------------------------------------------------------------------------------------
# Policy-valued attributes of other resources (organisation policies)
# --------------------------------------------------------------------------------------------------------------


def resolve_policy_value(value: Any, address: str, entity_type: str, graph: object | None, file_path: str,
                         origin: str) -> Tuple[Optional[Any], Optional[str], str]:
    """(document, problem, origin) of a policy-valued attribute other than ``policy`` (an organisation policy's
    ``content``): jsonencode, heredoc, ``data "aws_iam_policy_document"``, ``file()``, as the adapter reads them.
    The document protects no resource of its own, so no reference is read as "this resource"."""
    index = graph_index(graph, file_path, address)
    attrs = index.by_address.get(address) if index is not None else None
    module_dir = module_dir_of(attrs, file_path)
    context = Context("s3", Target(service="s3", name=address), address, scope_for(address, entity_type, None),
                      index, module_dir, root_dir_of(attrs, module_dir))
    context.node = attrs
    found = judge_policy_value(value, context, origin)
    return found.document, found.problem, found.origin
