"""Terraform resolution: one policy value turned into the plain IAM document the engine judges (a PolicySource).

The Context says what normalising needs to know about the protected resource; which resource that is, and the
links between resources, are the work of resources.py, the layer over this one, which builds the Context.

Checkov hands a check the resource ``conf`` (values list-wrapped), the entity type and ``self.graph`` (rustworkx or
networkx; node payloads are attribute dicts carrying ``block_type_``, ``id_``, ``__address__``, ``file_path_``;
values there are not list-wrapped). A policy reaches us in many shapes (all measured with checkov 3.3.30):

- a dict (``jsonencode``/heredoc that resolved), where references Checkov could not resolve appear *bare*, even
  inside strings: ``'aws_s3_bucket.b.arn/*'``, ``'arn:aws:sns:data.aws_region.cur.name:...'``;
- the string ``${jsonencode({...})}`` holding a Python-repr rendering, sometimes wrapped once more in a list repr;
- module variables interpolated with stray quotes: ``'"arn:aws:s3:::logs"/*'``;
- ``data.aws_iam_policy_document.x.json`` (with or without ``${}``), resolved here through the graph;
- ``file(...)`` / ``templatefile(...)`` with the path unevaluated; variable defaults already substituted;
- in plan JSON, a JSON document, or the configuration reference when the value is unknown at plan time.

First, though, the ``policy`` argument (and a policy resource's bucket / queue_url / arn pointer) is read from the
Terraform source itself by the symbolic evaluator (``expressions``, over ``source``'s parsed modules): locals,
functions, conditionals (every branch judged, the failing one named), ``for``, data "aws_iam_policy_document" and
data "template_file", templatefile() directives, module inputs from the caller and .tfvars values. The shapes above
are read only when the evaluator does not handle an expression (plan JSON, an unsupported function).

Everything ends as a plain IAM dict with unresolved references written ``${expr}``; references to the protected
resource itself become its ARN or name, the caller-identity/region/partition data sources become the resource's
account/region/partition (``THIS_ACCOUNT``/``THIS_REGION`` unless the resource's own ARN or URL names them).
"""

from __future__ import annotations

import ast
import json
import os
import re
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from vpce_checks.adapters.base import PolicySource
from vpce_checks.adapters.bindings import (
    TERRAFORM_OWN_ATTRIBUTES,
    TERRAFORM_OWNER_RESOURCES,
    TERRAFORM_POINTER_ATTRIBUTE,
    TERRAFORM_POLICY_RESOURCES,
)
from vpce_checks.adapters.bounded_documents import DocumentTooLarge, load_json
from vpce_checks.adapters.terraform.expressions import closing_brace
from vpce_checks.adapters.terraform.graph import (
    HEAD,
    IDENT,
    INDEX,
    TAIL,
    GraphIndex,
    Ref,
    index_part,
    literal_name,
    lookup_node,
    lookup_up,
    parse_reference,
    plausible_bare,
    rx,
    same_instance,
    strip_index,
    unwrap,
    with_tfvars,
)
from vpce_checks.engine.log_delivery import elb_service_account  # ELB access-log account (issue 13)
from vpce_checks.engine.services import PROFILES, Target

# A statement-level key recording condition blocks that repeat a (test, variable) pair in an
# aws_iam_policy_document statement: provider versions merge, overwrite or reject them (SPEC 5). Values are kept
# merged; CKV_VPCE_6 reads this key. IAM and the engine's parser ignore it.
DUPLICATE_CONDITIONS_KEY = "__duplicate_conditions__"

# Per-service names come from the bindings table (adapters/bindings.py).
_POINTER_ATTRIBUTE = TERRAFORM_POINTER_ATTRIBUTE
_OWNER_OF_SERVICE = {service: owner for owner, service in TERRAFORM_OWNER_RESOURCES.items()}
_OWN_ATTRIBUTES = TERRAFORM_OWN_ATTRIBUTES
EVALUATED_KEYS = ["policy"]
# Checkov renders HCL values as Python reprs, so a brace matcher over its text skips '...' strings too.
QUOTES = "\"'"
_MAX_DEPTH = 8
_MAX_FILE_BYTES = 4 * 1024 * 1024

# A bare reference inside a literal: not glued to a preceding name, number, glob or template character.
# Unused: in reader.py this stricter pattern shared its name with BARE_REFERENCE below, whose later definition
# replaced it, so every use reads the loose pattern (see graph.py); kept so for a separate fix.
_STRICT_BARE_REFERENCE = rf"(?<![A-Za-z0-9_.\-$@*{{}}&%]){HEAD}{TAIL}(?![A-Za-z0-9_])"
_POLICY_VARIABLE = r"(?:[A-Za-z0-9-]+:[^}]+|\*|\?|\$)"
_STRAY_QUOTES = r'(?<!\[)"([^"\s\[\]]*)"(?!\])'
_DATA_DOCUMENT = rf"^data\.aws_iam_policy_document\.({IDENT}(?:{INDEX})?)\.(?:json|minified_json)$"
_SQS_URL = r"^https?://(?:sqs\.([a-z0-9-]+)\.[^/]+|([a-z0-9-]+)\.queue\.[^/]+)/([^/]+)/([^/?#]+)/?$"
_STATEMENT_METADATA = {"start_line", "end_line", "references_"}
# An HCL expression Checkov left unevaluated as a plain string: concat(local.ids,['x']), [for e in ... : e.id].
UNEVALUATED = r"^(?:[a-z][a-z0-9_]*\(.*\)|[\[{]\s*for\s.*)$"
# Checkov sometimes evaluates Version = "2012-10-17" as arithmetic.
_VERSION_ARITHMETIC = {2012 - 10 - 17: "2012-10-17", 2008 - 10 - 17: "2008-10-17"}


# --------------------------------------------------------------------------------------------------------------
# Context and targets
# --------------------------------------------------------------------------------------------------------------


class Context:
    """What normalising a document needs to know about the resource it protects."""

    __slots__ = ("service", "target", "address", "scope", "index", "module_dir", "root_dir", "self_bases",
                 "self_each", "node", "evaluated", "caller_self", "written_as")

    def __init__(self, service: str, target: Target, address: str, scope: str, index: Optional[GraphIndex],
                 module_dir: str, root_dir: str = "") -> None:
        self.service = service
        self.target = target
        self.address = address  # as users see it: module.logs.aws_s3_bucket_policy.b
        self.scope = scope
        self.index = index
        self.module_dir = module_dir  # path.module
        self.root_dir = root_dir or module_dir  # path.root, and what relative paths are relative to
        self.self_bases: Tuple[str, ...] = ()  # reference bases that name the protected resource
        self.self_each = False  # each.value names it (for_each over the owner resource)
        self.node: Optional[Mapping[str, Any]] = None  # the resource's graph node: its file and lines
        # The document came from the symbolic evaluator (expressions.py), not Checkov's rendering: its strings
        # hold references only as ${...}, so no bare-reference or stray-quote repair applies.
        self.evaluated = False
        self.written_as = ""  # the policy attribute's source text, when read from the source
        # Reference bases of the module's caller(s) that name the protected resource ("caller.aws_s3_bucket.b"):
        # a module's policy on a bucket passed in by its caller (see expressions.from_caller).
        self.caller_self: Tuple[str, ...] = ()

    def resolve(self, ref: Ref) -> Optional[str]:
        """The value a reference stands for, when it is the protected resource or a caller-context data source."""
        attribute = ref.attribute
        if ref.kind == "data":
            if ref.resource_type == "aws_caller_identity" and attribute == "account_id":
                return self.target.account
            if ref.resource_type == "aws_region" and attribute in ("name", "region", "id"):
                return self.target.region
            if ref.resource_type == "aws_partition" and attribute in ("partition", "id"):
                return self.target.partition
            # --- ELB access-log account (issue 13 item 4; minimal change, owned by engine/log_delivery.py) ---
            if ref.resource_type == "aws_elb_service_account" and attribute in ("id", "arn"):
                return elb_service_account(attribute, self.target.partition)
            # --- end ELB access-log account ---
            return None
        own = _OWN_ATTRIBUTES[self.service].get(attribute)
        if own is None:
            return None
        is_self = (ref.kind == "resource" and any(same_instance(ref.base, b) for b in self.self_bases)) or (
            ref.kind == "each" and ref.base == "each.value" and self.self_each
        )
        if not is_self:
            return self._other_bucket(ref, own)
        return PROFILES[self.service].resource_arn(self.target) if own == "arn" else self.target.name

    def _other_bucket(self, ref: Ref, own: str) -> Optional[str]:
        """Another S3 bucket of the same module, named literally: its ARN is its name's (an S3 ARN holds neither
        account nor Region), so a Deny naming it is judged as naming that bucket, not left unresolved."""
        if self.service != "s3" or ref.kind != "resource" or ref.resource_type != "aws_s3_bucket":
            return None
        node = lookup_node(self.index, "resource", self.scope, ref.base)
        name = literal_name(node.get("bucket")) if node is not None else None
        if name is None:
            return None
        return PROFILES["s3"].resource_arn(Target(service="s3", name=name, partition=self.target.partition)) \
            if own == "arn" else name


def target_from_literal(service: str, text: str) -> Target:
    """A target from a literal pointer: a bucket name, a queue URL or a topic ARN (which also give account/region)."""
    if service == "sqs":
        match = rx(_SQS_URL).match(text)
        if match:
            region = match.group(1) or match.group(2)
            account, name = match.group(3), match.group(4)
            return Target(service=service, name=name, account=account, region=region)
        return Target(service=service, name=text.rstrip("/").rsplit("/", 1)[-1])
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) == 6:
            name = parts[5]
            if service == "s3":
                return Target(service=service, name=name.split("/", 1)[0], partition=parts[1] or "aws")
            name = PROFILES[service].name_from_arn_resource(name) or name  # "key/1234..." -> "1234..."
            kwargs: Dict[str, str] = {"partition": parts[1] or "aws"}
            if parts[3]:
                kwargs["region"] = parts[3]
            if parts[4]:
                kwargs["account"] = parts[4]
            return Target(service=service, name=name, **kwargs)
    return Target(service=service, name=text)


# --------------------------------------------------------------------------------------------------------------
# One policy value judged
# --------------------------------------------------------------------------------------------------------------


def judge_policy_value(value: Any, context: Context, origin: str) -> PolicySource:
    """The PolicySource the engine judges for a resource's ``policy`` attribute: evaluated from the Terraform source
    when the evaluator reads it, else from the value Checkov rendered."""
    found = None
    in_plan = _is_plan_node(context.node)
    if origin.startswith("policy of ") and context.node is not None and not context.evaluated and not in_plan:
        found = _judge_from_source(context, origin)
    if found is None:
        found = _judge_value(value, context, origin)
        # A plan's own value is what Terraform applies; only a value the plan does not hold (unknown until apply)
        # is read from the plan's configuration.
        if in_plan and found.problem is not None and origin.startswith("policy of ") and not context.evaluated:
            found = _judge_from_plan_source(context, origin, found)
    found.own_arn_expression = own_arn_expression(context)
    found.json_text = _written_as_json_text(context.written_as.strip(), unwrap(value))
    return found


def _written_as_json_text(source_text: str, rendered: Any) -> bool:
    """Is the policy written as JSON text (a heredoc, or a string holding JSON), not jsonencode or a data source?
    Checkov hands a heredoc's JSON over already parsed, so the source text decides when there is one."""
    if source_text:  # expressions.source_text names a heredoc node by its kind (heredoc_template, ..._trim)
        return source_text.startswith(("<<", "heredoc_template")) or (
            source_text.startswith('"') and source_text[1:].lstrip().startswith("{"))
    return isinstance(rendered, str) and rendered.lstrip().startswith("{")


_PLAIN_BASE = re.compile(r"[A-Za-z][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*(\[[0-9]+\])?")


def own_arn_expression(context: Context) -> str:
    """``aws_s3_bucket.uploads.arn``: the protected resource's ARN as this module names it, when one declared
    resource (not a for_each instance) is it; "" otherwise."""
    attribute = next((a for a, kind in _OWN_ATTRIBUTES.get(context.service, {}).items() if kind == "arn"), None)
    bases = [b for b in context.self_bases if _PLAIN_BASE.fullmatch(b)]
    if attribute is None or len(bases) != 1 or len(context.self_bases) != 1:
        return ""
    return f"{bases[0]}.{attribute}"


def _judge_value(value: Any, context: Context, origin: str) -> PolicySource:
    """Resolve and normalise one policy value into the PolicySource the engine judges."""
    resolved = resolve_policy(value, context, origin, 0, frozenset())
    if resolved.problem is not None:
        return PolicySource(target=context.target, document=None, origin=resolved.origin, problem=resolved.problem,
                            evaluated_keys=list(EVALUATED_KEYS), syntax="hcl")
    document = _normalise(resolved.document, context)
    problem = unset_list_variables(_empty_elements(document), context.node, context.index)
    if problem is not None:
        return PolicySource(target=context.target, document=None, origin=resolved.origin,
                            problem=f"{resolved.origin}: {problem}", evaluated_keys=list(EVALUATED_KEYS),
                            syntax="hcl")
    _condition_booleans(document)
    if isinstance(document, dict) and document.get("Version") in _VERSION_ARITHMETIC:
        document["Version"] = _VERSION_ARITHMETIC[document["Version"]]
    # IAM validity (a missing Action, Null...IfExists) is the engine's call (parse_policy), not a reading problem.
    return PolicySource(target=context.target, document=document, origin=resolved.origin,
                        evaluated_keys=list(EVALUATED_KEYS), syntax="hcl",
                        endpoint_services=_endpoint_attribute(document, context, "service_name"),
                        endpoint_vpcs=_endpoint_attribute(document, context, "vpc_id"))


# --------------------------------------------------------------------------------------------------------------
# The policy read from the Terraform source through the symbolic evaluator (expressions.py)
# --------------------------------------------------------------------------------------------------------------


def source_block(node: Optional[Mapping[str, Any]], root_dir: str, block_kind: str, block_type: str,
                 name: str, index: Optional[GraphIndex] = None) -> Tuple[Any, Any]:
    """(evaluation scope, block) of a block of a graph node's module instance, or (None, None) when the evaluator
    cannot read it (plan JSON, a module call or file the grammar rejects)."""
    from vpce_checks.adapters.terraform import expressions
    from vpce_checks.adapters.terraform.source import module_scope, module_source

    path = node.get("file_path_") if node else None
    if node is None or not isinstance(path, str) or not path.endswith(".tf"):
        return None, None
    try:
        scope = module_scope(os.path.dirname(os.path.abspath(path)), root_dir, node.get("source_module_object_"))
    except expressions.Unsupported:
        return None, None
    return with_tfvars(scope, index), module_source(scope.module_dir).blocks.get((block_kind, block_type, name))


def _is_plan_node(node: Optional[Mapping[str, Any]]) -> bool:
    path = node.get("file_path_") if node else None
    return isinstance(path, str) and path.endswith(".json")


def _own_name(context: Context) -> List[str]:
    """["aws_s3_bucket_policy", "b"]: the resource's type and name, instance key dropped; [] when unknown."""
    ident = (context.node or {}).get("id_")
    name = strip_index(ident).split(".") if isinstance(ident, str) else []
    return name if len(name) == 2 else []


def _judge_from_plan_source(context: Context, origin: str, from_plan: PolicySource) -> PolicySource:
    """A plan's policy that has no value in the plan, read from the plan's configuration (plan_source.py); the
    plan's own reading, with why the configuration was not read, when it cannot be."""
    from vpce_checks.adapters.terraform import expressions
    from vpce_checks.adapters.terraform.plan_source import ENRICHMENT_FLAG, PlanSourceProblem, plan_block

    name = _own_name(context)
    address = (context.node or {}).get("__address__") or (context.node or {}).get("id_")
    path = (context.node or {}).get("file_path_")
    if not name or not isinstance(address, str) or not isinstance(path, str):
        return from_plan
    try:
        scope, block, directory = plan_block(path, address, "resource", name[0], name[1], "policy")
        found = _judge_block(context, origin, scope, block, name[0])
    except (PlanSourceProblem, expressions.Unsupported) as problem:
        reason = str(problem)
        found = None
    else:
        reason = "the evaluator does not read the policy's expression there"
    if found is None:
        problem = str(from_plan.problem)
        if problem.endswith(": expected a policy document, got None"):  # Checkov's plan value of an unknown
            problem = problem[: -len("expected a policy document, got None")] + "in the plan, it is unknown until apply"
        from_plan.problem = (f"{problem}; the plan's configuration could not stand in for it: {reason} "
                             f"(run the scan with {ENRICHMENT_FLAG} naming the folder the plan was made in)")
        return from_plan
    shown = os.path.relpath(directory)
    shown = directory if shown.startswith("..") else shown
    found.read_from = f"the configuration in {shown} (the plan has no value for this policy until apply)"
    found.origin = f"{found.origin}, read from the configuration in {shown} (the plan has no value for it)"
    if found.problem is not None:
        found.problem = f"{found.problem} (read from the configuration in {shown})"
    return found


def _judge_from_source(context: Context, origin: str) -> Optional[PolicySource]:
    """The policy attribute evaluated from the source (locals, format, join, concat, conditionals, for, merge,
    templatefile, data sources); None to fall back to Checkov's rendering (a form the evaluator does not read)."""
    name = _own_name(context)
    if not name:
        return None
    scope, block = source_block(context.node, context.root_dir, "resource", name[0], name[1], context.index)
    return _judge_block(context, origin, scope, block, name[0])


def _judge_block(context: Context, origin: str, scope: Any, block: Any, resource_type: str) -> Optional[PolicySource]:
    """The policy attribute of one source block judged over every branch of its unknown conditions; None when
    the evaluator does not read it."""
    from vpce_checks.adapters.terraform import expressions
    from vpce_checks.adapters.terraform.source import attribute, module_source

    expression = attribute(block, "policy") if block is not None else None
    if expression is None:
        return None
    context.written_as = expressions.source_text(expression)
    origin = _source_origin(context.written_as, context, origin)
    bases = pointer_bases(scope, block, resource_type) if resource_type in _POINTER_ATTRIBUTE else None
    if bases:
        context.self_bases = tuple(dict.fromkeys([*context.self_bases, *(b for b in bases if "caller." not in b)]))
        context.caller_self = tuple(sorted(b for b in bases if b.startswith("caller.")))
    chain: Any = scope
    while chain is not None:  # a module's caller may pass a data source's document in (var.policy)
        chain.data = _data_resolver(context, module_source(chain.module_dir), origin)
        # a local module's output (module.policy.json) may be one of its data sources
        chain.data_for = lambda directory: _data_resolver(context, module_source(directory), origin)
        chain = chain.caller
    pointer_name = _POINTER_ATTRIBUTE.get(resource_type)
    pointer = attribute(block, pointer_name) if pointer_name else None
    try:
        variants = expressions.evaluate_variants(scope, expression, attribute(block, "count"), pointer,
                                                 instance_names(scope, block, (context.node or {}).get("id_")))
    except expressions.Unsupported:
        return None
    except (expressions.EvaluationProblem, RecursionError) as problem:
        return PolicySource(target=context.target, origin=origin, problem=f"{origin}: {problem}",
                            evaluated_keys=list(EVALUATED_KEYS), syntax="hcl")
    pointed = [pair[1] for _, pair in variants] if pointer is not None else []
    variants = [(label, pair[0]) for label, pair in variants] if pointer is not None else variants
    if any(isinstance(value, expressions.Unknown) for _, value in variants):
        return None  # the whole policy is a symbol (var.policy, module output): Checkov's path explains it
    context.evaluated = True
    sources: List[PolicySource] = []
    for position, (label, value) in enumerate(variants):
        branch_origin = f"{origin} (branch where {label})" if label else origin
        value = expressions.materialize(value)
        branch_context = context
        if pointed and bases and len(variants) > 1:  # the pointer itself may depend on the unknown condition
            branch_context = _branch_target(context, expressions.materialize(pointed[position]), bases or set())
        sources.append(_judge_value(value, branch_context, branch_origin))
    return _worst_variant(sources)


def instance_names(scope: Any, block: Any, ident: Any) -> Optional[Dict[str, Any]]:
    """``count.index`` or ``each.key``/``each.value`` of the instance Checkov hands over
    (``aws_s3_bucket_policy.this[0]``, ``...this["logs"]``), so each known instance is judged with its own values;
    None (symbols: one symbolic instance) when the address names no instance or the block has no such argument."""
    from vpce_checks.adapters.terraform import expressions
    from vpce_checks.adapters.terraform.source import attribute

    index = index_part(ident) if isinstance(ident, str) else None
    if index is None or block is None:
        return None
    try:
        key = json.loads(index[1:-1])
    except ValueError:
        return None
    count, for_each = attribute(block, "count"), attribute(block, "for_each")
    try:
        if count is not None and isinstance(key, int) and not isinstance(key, bool):
            number = expressions.Evaluator(scope).value(count)
            known = isinstance(number, int) and not isinstance(number, bool) and 0 <= key < number
            return {"count": {"index": key}} if known else None
        collection = expressions.Evaluator(scope).value(for_each) if for_each is not None else None
    except (expressions.Unsupported, expressions.EvaluationProblem, RecursionError):
        return None
    # Only an instance the scan's own reading of the collection has: otherwise the names stay symbols.
    if isinstance(key, str) and isinstance(collection, dict) and key in collection:
        return {"each": {"key": key, "value": collection[key]}}
    if isinstance(key, str) and isinstance(collection, list) and key in collection:  # a set: value is the key
        return {"each": {"key": key, "value": key}}
    return None


def pointer_bases(scope: Any, block: Any, resource_type: str) -> Optional[Set[str]]:
    """The owner resources a policy resource's bucket / queue_url / arn argument can name, evaluated from the
    source over every branch of its conditionals (locals, join(), try(), splats): reference bases such as
    "aws_s3_bucket.this[0]" or, for a bucket the module's caller passed in, "caller.aws_s3_bucket.logs". None when
    the evaluator cannot read the argument."""
    from vpce_checks.adapters.terraform import expressions
    from vpce_checks.adapters.terraform.source import attribute

    attribute_name = _POINTER_ATTRIBUTE.get(resource_type)
    expression = attribute(block, attribute_name) if attribute_name and block is not None else None
    if expression is None:
        return None
    owner_type = _OWNER_OF_SERVICE[TERRAFORM_POLICY_RESOURCES[resource_type]]
    try:
        variants = expressions.evaluate_variants(scope, expression)
    except (expressions.Unsupported, expressions.EvaluationProblem, RecursionError):
        return None
    pattern = rx(rf"(?<![\w.])((?:caller\.)*{owner_type}\.{IDENT})({INDEX})?")
    found: Set[str] = set()
    for _, value in variants:
        for text in _strings_in(expressions.materialize(value), 0):
            for match in pattern.finditer(text):
                index = match.group(2) or ""
                found.add(match.group(1) + (index if re.fullmatch(r'\[(?:\d+|"[^"]*")\]', index) else ""))
    return found


def _source_origin(text: str, context: Context, origin: str) -> str:
    """Where the document comes from, as the Checkov path names it (the fix's form depends on it)."""
    match = rx(_DATA_DOCUMENT).match(text)
    if match:
        return f"data.aws_iam_policy_document.{match.group(1)} via {context.address}"
    if re.match(r"(?:file|templatefile)\(", text):
        return f"{shorten(text, 80)} via {context.address}"
    return origin


def _branch_target(context: Context, pointer: Any, bases: Set[str]) -> Context:
    """The context for one branch of a policy resource whose bucket / queue_url / arn argument depends on an
    unknown condition: when that branch names none of the owners linked to the policy (an existing bucket passed
    in by name), the policy protects that other resource, and nothing in it refers to the linked owner as itself."""
    text = pointer if isinstance(pointer, str) else ""
    if any(base.split("[", 1)[0] in text for base in bases):
        return context
    branch = Context(context.service, context.target, context.address, context.scope, context.index,
                      context.module_dir, context.root_dir)
    branch.node, branch.evaluated = context.node, context.evaluated
    if text and "${" not in text:
        branch.target = target_from_literal(context.service, text)
    else:
        branch.target = Target(service=context.service, name=text or f"${{{context.address}}}")
    return branch


def _worst_variant(sources: List[PolicySource]) -> PolicySource:
    """Of the documents an unknown condition can give, the one to report: a branch that fails coverage, else one
    that fails soundness, else the first (all pass). Identical documents are one."""
    distinct: List[PolicySource] = []
    for found in sources:
        if not any(other.document == found.document and other.problem == found.problem for other in distinct):
            distinct.append(found)
    if len(distinct) == 1:
        only = distinct[0]
        only.origin = sources[0].origin.split(" (branch where ", 1)[0]
        return only
    from vpce_checks.judge import FAILED, judge, judge_soundness
    from vpce_checks.settings import SettingsError, load_settings

    try:
        settings: Any = load_settings()
    except SettingsError as error:
        settings = error
    for decide in (judge, judge_soundness):
        for found in distinct:
            if found.problem is not None or decide(found, settings).result == FAILED:
                return found
    return distinct[0]


def _data_resolver(context: Context, source: Any, origin: str) -> Callable[..., Any]:
    """data.aws_iam_policy_document.X.json and data.template_file.X.rendered, evaluated from the module's source;
    other data sources stay symbols (region, account and partition are resolved when the document is
    normalised)."""
    from vpce_checks.adapters.terraform import expressions
    from vpce_checks.adapters.terraform.source import attribute, block_values

    busy: List[str] = []
    wanted = {"aws_iam_policy_document": ("json", "minified_json"), "template_file": ("rendered",)}

    def render(evaluator: Any, data_type: str, data_name: str, block: Any) -> str:
        name = f"{data_type}.{data_name}"
        if name in busy:
            raise expressions.EvaluationProblem(f"data.{name} includes itself")
        busy.append(name)
        try:
            if data_type == "template_file":
                return _render_template_file(evaluator, block, name)
            values = expressions.materialize(block_values(evaluator, block))
            values["file_path_"] = (context.node or {}).get("file_path_")
            resolved = _render_data_document(values, context, f"data.{name} via {context.address}", 1, frozenset())
            if resolved.problem is not None:
                raise expressions.EvaluationProblem(resolved.problem)
            return json.dumps(resolved.document)
        finally:
            busy.pop()

    def resolve(evaluator: Any, name: str, steps: List[Any]) -> Any:
        """The data source's instance(s): one object, or a list of them under ``count``; each holds only the
        rendered document (other attributes stay symbols)."""
        data_type, _, data_name = name.partition(".")
        attributes = wanted.get(data_type)
        named = [s for s in steps if isinstance(s, str)]
        if attributes is None or (named and named[0] not in attributes):
            return None
        block = source.blocks.get(("data", data_type, data_name))
        if block is None:
            raise expressions.Unsupported(f"data.{name} is not in the module's source")
        if attribute(block, "for_each") is not None:
            return None
        count_node = attribute(block, "count")

        def instance(index: Optional[int]) -> Dict[str, Any]:
            if index is not None:
                evaluator.bindings.append({"count": {"index": index}})
            try:
                rendered = render(evaluator, data_type, data_name, block)
            finally:
                if index is not None:
                    evaluator.bindings.pop()
            return {attribute_name: rendered for attribute_name in attributes}

        if count_node is None:
            return evaluator.apply_steps(instance(None), steps, f"data.{name}")
        count = evaluator.value(count_node)
        if isinstance(count, bool) or not isinstance(count, int):
            return None  # how many instances is unknown: the reference stays a symbol
        if steps and isinstance(steps[0], int):  # one instance: render only that one
            if not 0 <= steps[0] < count:
                raise expressions.Infeasible(f"data.{name}[{steps[0]}] does not exist (count = {count})")
            return evaluator.apply_steps(instance(steps[0]), steps[1:], f"data.{name}[{steps[0]}]")
        return evaluator.apply_steps([instance(i) for i in range(min(count, 16))], steps, f"data.{name}")

    return resolve


def _render_template_file(evaluator: Any, block: Any, name: str) -> str:
    """data "template_file": its ``template`` rendered with its ``vars`` (the template provider's semantics)."""
    from vpce_checks.adapters.terraform import expressions
    from vpce_checks.adapters.terraform.source import attribute

    template_node = attribute(block, "template")
    if template_node is None:
        raise expressions.EvaluationProblem(f"data.{name} has no template")
    template = evaluator.value(template_node)
    variables_node = attribute(block, "vars")
    variables = evaluator.value(variables_node) if variables_node is not None else {}
    if not isinstance(template, str):
        raise expressions.EvaluationProblem(f"the template of data.{name} is not text the scan can read")
    if not isinstance(variables, dict):
        raise expressions.EvaluationProblem(f"the vars of data.{name} are not an object the scan can read")
    return expressions.render_template(template, variables, evaluator)


# A reference Checkov leaves bare in an argument: aws_vpc.core.id, var.vpc_id, module.net.vpc_id, data.x.y.id
BARE_REFERENCE = re.compile(r"(?:aws_[a-z0-9_]+|var|local|module|data)\.[A-Za-z0-9_\-.\[\]\"*]+")


def _endpoint_attribute(document: Any, context: Context, attribute: str) -> Dict[str, str]:
    """The ``attribute`` (service_name, vpc_id) of every aws_vpc_endpoint the document references by ``.id`` (found
    through the graph), where it is text."""
    found: Dict[str, str] = {}
    for text in _strings_in(document, 0):
        for match in rx(rf"\$\{{(?:caller\.)*(aws_vpc_endpoint\.{IDENT}(?:{INDEX})?)\.id\}}").finditer(text):
            # a caller's endpoint ("caller." prefix): looked up from the module outwards through its callers
            node = lookup_up(context.index, "resource", context.scope, match.group(1))[1]
            value = unwrap(node.get(attribute)) if node else None
            if isinstance(value, str) and BARE_REFERENCE.fullmatch(value):
                value = "${" + value + "}"  # as the policy writes the same reference (vpc_id = aws_vpc.core.id)
            if isinstance(value, str) and value:
                found[match.group(0)] = value
    return found


def _strings_in(value: Any, depth: int) -> Iterable[str]:
    if depth > _MAX_DEPTH * 4:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings_in(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item, depth + 1)


class _Resolved:
    """A raw document or a problem, and where it came from."""

    __slots__ = ("document", "problem", "origin")

    def __init__(self, document: Any = None, problem: Optional[str] = None, origin: str = "") -> None:
        self.document = document
        self.problem = problem
        self.origin = origin


def whole_interpolation(text: Any) -> Optional[str]:
    """``${expr}`` covering the whole string -> ``expr``; anything else -> None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text.startswith("${") or not text.endswith("}"):
        return None
    end = closing_brace(text, 1, QUOTES)
    return text[2:end].strip() if end == len(text) - 1 else None


def resolve_policy(value: Any, context: Context, origin: str, depth: int, seen: frozenset) -> _Resolved:
    """Any policy value Checkov delivers -> a raw IAM dict (not yet normalised), or a problem."""
    if depth > _MAX_DEPTH:
        return _Resolved(problem=f"{origin}: policy nests more than {_MAX_DEPTH} levels of indirection", origin=origin)
    value = unwrap(value)
    if isinstance(value, Mapping):
        return _Resolved(document=value, origin=origin)
    if isinstance(value, list):
        return _Resolved(problem=f"{origin}: expected one policy document, got a list of {len(value)} values",
                         origin=origin)
    if value is None or isinstance(value, (bool, int, float)):
        return _Resolved(problem=f"{origin}: expected a policy document, got {value!r}", origin=origin)
    if not isinstance(value, str):
        return _Resolved(problem=f"{origin}: expected a policy document, got {type(value).__name__}", origin=origin)
    text = value.strip()
    if not text:
        return _Resolved(problem=f"{origin}: the policy is an empty string", origin=origin)

    if text[0] in "{[":  # a JSON (heredoc) document, or a repr Checkov wrapped around the real value
        try:
            parsed = parse_json_or_literal(text, loose=False)
            wrapped = re.fullmatch(r"\[\s*'(.*)'\s*\]", text, re.DOTALL)
            # a list repr around a string whose quotes Checkov escaped one level too deep
            if parsed is None and wrapped:
                return resolve_policy(re.sub(r"\\(.)", r"\1", wrapped.group(1)), context, origin, depth + 1, seen)
            if parsed is None:
                parsed = parse_json_or_literal(text)
        except DocumentTooLarge as error:
            return _Resolved(problem=f"{origin}: the policy text is not read: {error}", origin=origin)
        if isinstance(parsed, Mapping) or (isinstance(parsed, list) and len(parsed) == 1):
            return resolve_policy(parsed, context, origin, depth + 1, seen)
        return _Resolved(problem=f"{origin}: the policy text is neither JSON nor an expression the scan can "
                                 f"evaluate: {shorten(text)}", origin=origin)

    expression = whole_interpolation(text)
    if expression is None:
        expression = text
    return _resolve_expression(expression, context, origin, depth, seen)


def _resolve_expression(expression: str, context: Context, origin: str, depth: int, seen: frozenset) -> _Resolved:
    call = re.match(r"^(jsonencode|file|templatefile)\s*\(", expression)
    if call and expression.endswith(")"):
        function = call.group(1)
        arguments = expression[call.end(): -1]
        if function == "jsonencode":
            try:
                parsed = parse_literal(arguments)
            except ValueError as exc:
                return _Resolved(problem=f"{origin}: cannot read jsonencode(...) as rendered by Checkov ({exc}): "
                                         f"{shorten(arguments)}", origin=origin)
            if isinstance(parsed, str) and parsed.strip() != arguments.strip():  # a nested string form
                return resolve_policy(parsed, context, origin, depth + 1, seen)
            if isinstance(parsed, (Mapping, list)):
                return resolve_policy(parsed, context, origin, depth + 1, seen)
            return _unresolved(f"jsonencode({arguments.strip()})", origin)
        return _read_file(function, arguments, context)

    match = rx(_DATA_DOCUMENT).match(expression)
    if match:
        return _resolve_data_document(match.group(1), context, origin, depth, seen)

    ref = parse_reference(expression)
    if ref is not None:
        return _unresolved(expression, origin)
    try:
        parsed = parse_json_or_literal(expression) if expression[:1] in "{[" else None
    except DocumentTooLarge as error:
        return _Resolved(problem=f"{origin}: the policy text is not read: {error}", origin=origin)
    if isinstance(parsed, Mapping):
        return _Resolved(document=parsed, origin=origin)
    return _Resolved(problem=f"{origin} is the expression {shorten(expression)}, which the scan cannot "
                             "evaluate: inline the document with jsonencode({...}) or use an aws_iam_policy_document "
                             "data source", origin=origin)


def _unresolved(expression: str, origin: str) -> _Resolved:
    if expression.startswith("var."):
        how = ("give the variable a default, pass its value with a .tfvars file (checkov --var-file), "
               "or set VPCE_CHECKS_UNRESOLVED=skip")
    else:
        how = ("inline the document with jsonencode({...}) or an aws_iam_policy_document data source in the same "
               "module, or set VPCE_CHECKS_UNRESOLVED=skip")
    return _Resolved(problem=f"{origin} is {expression}, which has no value the scan can read: {how}", origin=origin)


def shorten(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------------------------
# Literal parsing: JSON, Python-repr renderings of HCL objects, and bare substituted values
# --------------------------------------------------------------------------------------------------------------


def parse_json_or_literal(text: str, loose: bool = True) -> Any:
    """JSON, else a Python literal, else (``loose``) the tolerant reader; None when nothing fits.

    The JSON is read with the bounds of bounded_documents (size, depth, nodes): past one, DocumentTooLarge is
    raised (never a RecursionError, and a text too long for any policy is not handed to the literal readers)."""
    try:
        return load_json(text)
    except DocumentTooLarge:
        raise
    except ValueError:
        pass
    try:
        return _tuples_to_lists(ast.literal_eval(text.strip()))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    if not loose:
        return None
    try:
        return parse_literal(text)
    except ValueError:
        return None


def parse_literal(text: str) -> Any:
    """Checkov's rendering of an HCL value: Python repr, except that substituted values may appear unquoted."""
    try:
        return _tuples_to_lists(ast.literal_eval(text.strip()))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    parser = _LooseParser(text)
    value = parser.value(",")
    parser.skip_space()
    if parser.position != len(parser.text):
        raise ValueError(f"unexpected text at offset {parser.position}")
    return value


def _tuples_to_lists(value: Any) -> Any:
    if isinstance(value, (tuple, list, set)):
        return [_tuples_to_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _tuples_to_lists(v) for k, v in value.items()}
    return value


class _LooseParser:
    """A small recursive-descent reader for Python/JSON literals with bare tokens (``{'vpce': vpce-123}``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.depth = 0

    def skip_space(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def value(self, stops: str) -> Any:
        self.skip_space()
        if self.position >= len(self.text):
            raise ValueError("unexpected end of text")
        self.depth += 1
        if self.depth > 200:
            raise ValueError("nested too deeply")
        try:
            char = self.text[self.position]
            if char == "{":
                return self.mapping()
            if char in "[(":
                return self.sequence("]" if char == "[" else ")")
            if char in "'\"":
                return self.adjacent(self.string(), stops)
            return self.bare(stops)
        finally:
            self.depth -= 1

    def adjacent(self, first: str, stops: str) -> str:
        """Checkov renders a repeated reference as ''aws_sns_topic.t.arn'': glue adjacent pieces into one string."""
        pieces = [first]
        while self.position < len(self.text) and not self.text[self.position].isspace() \
                and self.text[self.position] not in stops + ",:=)]}":
            if self.text[self.position] in "'\"":
                pieces.append(self.string())
            else:
                piece = self.bare(stops, stop_at_quote=True)
                pieces.append(piece if isinstance(piece, str) else json.dumps(piece))
        return "".join(pieces)

    def mapping(self) -> Dict[Any, Any]:
        self.position += 1
        out: Dict[Any, Any] = {}
        while True:
            self.skip_space()
            if self.peek() == "}":
                self.position += 1
                return out
            key = self.value(":=")
            self.skip_space()
            if self.peek() not in (":", "="):
                raise ValueError(f"expected ':' at offset {self.position}")
            self.position += 1
            out[key if isinstance(key, str) else str(key)] = self.value(",}")
            self.skip_space()
            if self.peek() == ",":
                self.position += 1
            elif self.peek() != "}":
                raise ValueError(f"expected ',' or '}}' at offset {self.position}")

    def sequence(self, closing: str) -> List[Any]:
        self.position += 1
        out: List[Any] = []
        while True:
            self.skip_space()
            if self.peek() == closing:
                self.position += 1
                return out
            out.append(self.value("," + closing))
            self.skip_space()
            if self.peek() == ",":
                self.position += 1
            elif self.peek() != closing:
                raise ValueError(f"expected ',' or '{closing}' at offset {self.position}")

    def string(self) -> str:
        quote = self.text[self.position]
        end = self.position + 1
        while end < len(self.text):
            if self.text[end] == "\\":
                end += 2
                continue
            if self.text[end] == quote:
                break
            end += 1
        if end >= len(self.text):
            raise ValueError("unterminated string")
        token = self.text[self.position: end + 1]
        self.position = end + 1
        try:
            decoded = ast.literal_eval(token)
            return decoded if isinstance(decoded, str) else token[1:-1]
        except (ValueError, SyntaxError):
            return token[1:-1]

    def bare(self, stops: str, stop_at_quote: bool = False) -> Any:
        start, depth, quote = self.position, 0, None
        while self.position < len(self.text):
            char = self.text[self.position]
            if stop_at_quote and depth == 0 and char in "'\"":
                break
            if quote:
                if char == "\\":
                    self.position += 1
                elif char == quote:
                    quote = None
            elif char in "\"'" and depth > 0:
                quote = char
            elif char in "([{":
                depth += 1
            elif char in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and char in stops:
                break
            self.position += 1
        token = self.text[start: self.position].strip()
        if not token:
            raise ValueError(f"expected a value at offset {start}")
        constants = {"True": True, "true": True, "False": False, "false": False, "None": None, "null": None}
        if token in constants:
            return constants[token]
        if re.fullmatch(r"-?\d+", token):
            return int(token)
        if re.fullmatch(r"-?\d+\.\d*(?:[eE][-+]?\d+)?", token):
            return float(token)
        return token

    def peek(self) -> str:
        return self.text[self.position] if self.position < len(self.text) else ""


# --------------------------------------------------------------------------------------------------------------
# file() and templatefile()
# --------------------------------------------------------------------------------------------------------------


def split_arguments(text: str) -> List[str]:
    """Top-level comma-separated arguments of a function call."""
    arguments, depth, quote, start, position = [], 0, None, 0, 0
    while position < len(text):
        char = text[position]
        if quote:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            arguments.append(text[start:position].strip())
            start = position + 1
        position += 1
    tail = text[start:].strip()
    if tail:
        arguments.append(tail)
    return arguments


def _read_file(function: str, arguments: str, context: Context) -> _Resolved:
    """file(path) / templatefile(path, vars) with a static path, as Terraform resolves it.

    ``${path.module}`` is the scanned file's directory; ``${path.root}``, ``${path.cwd}`` and bare relative paths
    are relative to the root module (Terraform's working directory).
    """
    written = f"{function}({arguments.strip()})"
    origin = f"{shorten(written, 80)} via {context.address}"
    parts = split_arguments(arguments)
    if not parts or (function == "templatefile" and len(parts) != 2) or (function == "file" and len(parts) != 1):
        return _Resolved(problem=f"{origin}: cannot read the arguments of {shorten(written)}", origin=origin)
    path_expression = parts[0]
    if not (len(path_expression) >= 2 and path_expression[0] == path_expression[-1] == '"'):
        return _Resolved(problem=f"{origin}: the path of {shorten(written)} is computed ({path_expression}); the "
                                 "scan reads only literal paths such as \"${path.module}/policy.json\"",
                         origin=origin)
    raw_path = path_expression[1:-1]
    relative = re.sub(r"\$\{\s*path\.module\s*\}", lambda _: context.module_dir.replace("\\", "/"), raw_path)
    relative = re.sub(r"\$\{\s*path\.(?:root|cwd)\s*\}", lambda _: context.root_dir.replace("\\", "/"), relative)
    leftover = re.search(r"\$\{[^}]*\}", relative)
    if leftover:
        return _Resolved(problem=f"{origin}: the path of {shorten(written)} depends on {leftover.group(0)}, which "
                                 "the scan cannot resolve: give the variable a default or use a literal path",
                         origin=origin)
    path = os.path.normpath(os.path.join(context.root_dir, relative))
    from vpce_checks.adapters.terraform.expressions import EvaluationProblem, read_bounded

    try:
        content = read_bounded(path)  # regular files of at most 1 MiB: never a device, FIFO or huge file
    except EvaluationProblem as problem:
        return _Resolved(problem=f"{origin}: the policy file: {problem}", origin=origin)
    if function == "templatefile":
        try:
            variables = parse_literal(parts[1])
        except ValueError as exc:
            return _Resolved(problem=f"{origin}: cannot read the template variables {shorten(parts[1])} ({exc})",
                             origin=origin)
        if not isinstance(variables, Mapping):
            return _Resolved(problem=f"{origin}: the template variables {shorten(parts[1])} are not an object the "
                                     "scan can read: write them inline as { name = value }", origin=origin)
        content, problem = render_file_template(content, variables)
        if problem is not None:
            return _Resolved(problem=f"{origin}: {problem}", origin=origin)
    try:
        document = load_json(content)
    except DocumentTooLarge as error:
        return _Resolved(problem=f"{origin}: {path} is not read: {error}", origin=origin)
    except ValueError as exc:
        return _Resolved(problem=f"{origin}: {path} is not valid JSON after rendering ({exc})", origin=origin)
    if not isinstance(document, Mapping):
        return _Resolved(problem=f"{origin}: {path} holds JSON but not a policy object", origin=origin)
    return _Resolved(document=document, origin=origin)


def render_file_template(template: str, variables: Mapping[str, Any]) -> Tuple[str, Optional[str]]:
    """Render ``${name}`` and ``${jsonencode(name)}``; anything else is reported, never guessed."""
    out: List[str] = []
    position = 0
    while position < len(template):
        if template.startswith("$${", position):
            out.append("${")
            position += 3
            continue
        if template.startswith("%%{", position):
            out.append("%{")
            position += 3
            continue
        if template.startswith("%{", position):
            end = template.find("}", position)
            directive = template[position: end + 1 if end >= 0 else len(template)]
            return "", (f"the template uses the directive {shorten(directive, 60)}, which the scan does not "
                        "evaluate: render the policy with jsonencode(...) instead")
        if template.startswith("${", position):
            end = closing_brace(template, position + 1, QUOTES)
            if end < 0:
                return "", "the template has an unclosed ${"
            expression = template[position + 2: end].strip()
            rendered = _render_placeholder(expression, variables)
            if rendered is None:
                if rx(_POLICY_VARIABLE).fullmatch(expression):  # an IAM policy variable written without $$
                    rendered = "${" + expression + "}"
                else:
                    return "", (f"the template uses ${{{expression}}}, which its variables do not provide as a value "
                                "the scan can render")
            out.append(rendered)
            position = end + 1
            continue
        out.append(template[position])
        position += 1
    return "".join(out), None


def _render_placeholder(expression: str, variables: Mapping[str, Any]) -> Optional[str]:
    encode = re.fullmatch(r"jsonencode\(\s*([A-Za-z_][\w-]*)\s*\)", expression)
    if encode and encode.group(1) in variables:
        return json.dumps(variables[encode.group(1)])
    if expression not in variables:
        return None
    value = variables[expression]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)[1:-1]  # placeholders sit inside JSON strings
    return None


# --------------------------------------------------------------------------------------------------------------
# data "aws_iam_policy_document"
# --------------------------------------------------------------------------------------------------------------


def _resolve_data_document(name: str, context: Context, origin: str, depth: int, seen: frozenset) -> _Resolved:
    address = f"data.aws_iam_policy_document.{name}"
    where = f"{context.scope}{address}"
    via = origin.split(" via ", 1)[1] if " via " in origin else context.address
    data_origin = f"{address} via {via}"
    if where in seen:
        return _Resolved(problem=f"{data_origin}: the policy documents include each other in a cycle",
                         origin=data_origin)
    node = lookup_up(context.index, "data", context.scope, f"aws_iam_policy_document.{name}")[1]
    if node is None:
        return _Resolved(problem=f"{data_origin}: {address} is not in the scanned files: scan the directory that "
                                 "declares it", origin=data_origin)
    seen = seen | {where}
    rendered = node.get("json")
    if isinstance(rendered, str) and rendered.strip().startswith("{"):  # plan JSON: the provider's own rendering
        try:
            document = load_json(rendered)
            if isinstance(document, Mapping):
                return _Resolved(document=document, origin=data_origin)
        except DocumentTooLarge as error:
            return _Resolved(problem=f"{data_origin}: the rendered document is not read: {error}", origin=data_origin)
        except ValueError:
            pass
    return _render_data_document(node, context, data_origin, depth, seen)


def nested_blocks(container: Mapping[str, Any], name: str, problems: List[str]) -> List[Dict[str, Any]]:
    """A nested block as a list of dicts, including ``dynamic`` blocks that can be expanded statically."""
    value = container.get(name)
    out: List[Dict[str, Any]] = []
    for item in value if isinstance(value, list) else [value]:
        item = unwrap(item)
        if isinstance(item, Mapping):
            out.append(dict(item))
    dynamic = container.get("dynamic")
    for entry in dynamic if isinstance(dynamic, list) else [dynamic]:
        entry = unwrap(entry)
        if isinstance(entry, Mapping) and name in entry:
            out.extend(_expand_dynamic(name, unwrap(entry[name]), problems))
    return out


def _expand_dynamic(name: str, spec: Any, problems: List[str]) -> List[Dict[str, Any]]:
    """Checkov leaves ``dynamic`` blocks unexpanded in the graph; expand those whose for_each is known."""
    if not isinstance(spec, Mapping):
        return []
    content = unwrap(spec.get("content"))
    for_each = spec.get("for_each")
    iterator = unwrap(spec.get("iterator")) or name
    items: Optional[List[Tuple[Any, Any]]] = None
    if isinstance(for_each, Mapping):
        items = list(for_each.items())
    elif isinstance(for_each, list) and not (len(for_each) == 1 and isinstance(for_each[0], str)
                                             and parse_reference(for_each[0].strip("${}"))):
        items = list(enumerate(for_each))
    if items is None or not isinstance(content, Mapping):
        problems.append(f'dynamic "{name}" iterates over {unwrap(for_each)!r}, which the scan cannot expand: give '
                        "the variable a default or write the blocks out")
        return []
    return [_substitute_iterator(dict(content), str(iterator), key, value) for key, value in items]


def _substitute_iterator(value: Any, iterator: str, key: Any, item: Any) -> Any:
    """Replace ``statement.key`` / ``statement.value[...]`` (bare or in ``${}``) in one dynamic block's content."""
    if isinstance(value, Mapping):
        return {k: _substitute_iterator(v, iterator, key, item) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute_iterator(v, iterator, key, item) for v in value]
    if not isinstance(value, str):
        return value
    pattern = re.compile(rf"\$\{{\s*{re.escape(iterator)}\.(key|value)((?:\.{IDENT}|\[[^\]]*\])*)\s*\}}"
                         rf"|(?<![\w.]){re.escape(iterator)}\.(key|value)((?:\.{IDENT}|\[[^\]]*\])*)")

    def lookup(which: str, path: str) -> Any:
        current = key if which == "key" else item
        for step in re.findall(rf"\.({IDENT})|\[\"?([^\]\"]*)\"?\]", path):
            step_name = step[0] or step[1]
            if isinstance(current, Mapping) and step_name in current:
                current = current[step_name]
            elif isinstance(current, list) and step_name.isdigit() and int(step_name) < len(current):
                current = current[int(step_name)]
            else:
                return None
        return current

    whole = pattern.fullmatch(value.strip())
    if whole:
        found = lookup(whole.group(1) or whole.group(3), whole.group(2) or whole.group(4) or "")
        if found is not None:
            return found

    def replace(match: re.Match) -> str:
        found = lookup(match.group(1) or match.group(3), match.group(2) or match.group(4) or "")
        return match.group(0) if found is None or isinstance(found, (Mapping, list)) else str(found)

    return pattern.sub(replace, value)


def _strings_of(value: Any) -> List[str]:
    """An HCL set/list of strings as the provider renders it; booleans and numbers become their JSON spelling."""
    out: List[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, list):
            out.extend(_strings_of(item))
        elif item is None:
            continue
        elif isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (int, float)):
            out.append(str(item))
        else:
            out.append(str(item))
    return out


def _one_or_many(values: List[str]) -> Any:
    return values[0] if len(values) == 1 else values


def _policy_variables(values: List[str]) -> List[str]:
    """The provider writes IAM policy variables as &{aws:username} to dodge Terraform interpolation."""
    return [v.replace("&{", "${") for v in values]


def _principals(blocks: List[Dict[str, Any]]) -> Any:
    if len(blocks) == 1:
        kind = unwrap(blocks[0].get("type"))
        identifiers = _strings_of(blocks[0].get("identifiers"))
        if kind == "*" and identifiers == ["*"]:
            return "*"
    merged: Dict[str, List[str]] = {}
    for block in blocks:
        kind = str(unwrap(block.get("type")))
        merged.setdefault(kind, []).extend(_policy_variables(_strings_of(block.get("identifiers"))))
    return {kind: _one_or_many(values) for kind, values in merged.items()}


def _statement_from_block(
    block: Mapping[str, Any], problems: List[str], empty: List[Tuple[str, str]]
) -> Dict[str, Any]:
    """One statement block as the provider renders it; ``empty`` collects attributes given as empty lists."""
    statement: Dict[str, Any] = {}
    for attribute in ("actions", "not_actions", "resources", "not_resources"):
        if _is_empty_value(block.get(attribute)):
            empty.append((attribute, attribute))
    sid = unwrap(block.get("sid"))
    if isinstance(sid, str) and sid:
        statement["Sid"] = sid
    effect = unwrap(block.get("effect"))
    statement["Effect"] = effect if isinstance(effect, str) and effect else "Allow"
    for attribute, element, variables in (
        ("actions", "Action", False), ("not_actions", "NotAction", False),
        ("resources", "Resource", True), ("not_resources", "NotResource", True),
    ):
        values = _strings_of(block.get(attribute))
        if values:
            statement[element] = _one_or_many(_policy_variables(values) if variables else values)
    for attribute, element in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        principal_blocks = nested_blocks(block, attribute, problems)
        if principal_blocks:
            statement[element] = _principals(principal_blocks)
    conditions: Dict[str, Dict[str, List[str]]] = {}
    duplicates: List[str] = []
    for condition in nested_blocks(block, "condition", problems):
        test, variable = unwrap(condition.get("test")), unwrap(condition.get("variable"))
        if not isinstance(test, str) or not isinstance(variable, str):
            continue
        if _is_empty_value(condition.get("values")):
            empty.append(("values", "values"))
        values = _policy_variables(_strings_of(condition.get("values")))
        keys = conditions.setdefault(test, {})
        if variable in keys:
            duplicates.append(f"{test} {variable}")
        keys.setdefault(variable, []).extend(values)
    if conditions:
        statement["Condition"] = {
            test: {variable: _one_or_many(values) for variable, values in keys.items()}
            for test, keys in conditions.items()
        }
    if duplicates:
        statement[DUPLICATE_CONDITIONS_KEY] = duplicates
    return statement


def _plan_configuration(path: str) -> Optional[Mapping[str, Any]]:
    """The ``configuration`` part of a plan JSON file (read once per file), or None for anything else."""
    from vpce_checks.adapters.terraform.plan_source import plan_document

    plan = plan_document(path)
    return plan["configuration"] if plan is not None else None


def _plan_expressions(configuration: Mapping[str, Any], address: str) -> Optional[Mapping[str, Any]]:
    """The configuration expressions of one block of a plan (module calls followed by their names)."""
    module = configuration.get("root_module")
    parts = address.split(".")
    while len(parts) > 2 and parts[0] == "module" and isinstance(module, Mapping):
        call = (module.get("module_calls") or {}).get(strip_index(parts[1]))
        module = call.get("module") if isinstance(call, Mapping) else None
        parts = parts[2:]
    if not isinstance(module, Mapping):
        return None
    wanted = strip_index(".".join(parts))
    for resource in module.get("resources") or []:
        if isinstance(resource, Mapping) and resource.get("address") == wanted:
            expressions = resource.get("expressions")
            return expressions if isinstance(expressions, Mapping) else None
    return None


def _plan_references_only(node: Mapping[str, Any]) -> List[str]:
    """In a plan, which attributes of a policy document's statements Terraform kept only as references (their value
    is unknown until apply): Checkov hands them on as the bare reference, dropping text such as "/*"."""
    path = node.get("file_path_")
    address = node.get("__address__") or node.get("id_")
    if not isinstance(path, str) or not isinstance(address, str):
        return []
    configuration = _plan_configuration(path)
    expressions = _plan_expressions(configuration, address) if configuration else None
    statements = expressions.get("statement") if expressions else None
    lossy: List[str] = []
    for index, statement in enumerate(statements if isinstance(statements, list) else []):
        if not isinstance(statement, Mapping):
            continue
        fields = [(name, statement.get(name)) for name in ("actions", "not_actions", "resources", "not_resources")]
        # Condition values are left out: a reference there is an endpoint, VPC or account ID as a whole, which the
        # engine reads as one specific value anyway.
        for nested, leaf in (("principals", "identifiers"), ("not_principals", "identifiers")):
            for position, block in enumerate(statement.get(nested) or []):
                if isinstance(block, Mapping):
                    fields.append((f"{nested}[{position}].{leaf}", block.get(leaf)))
        for name, expression in fields:
            if isinstance(expression, Mapping) and "references" in expression and "constant_value" not in expression:
                lossy.append(f"statement[{index}].{name}")
    return lossy


def _document_statements(document: Mapping[str, Any]) -> List[Any]:
    statements = next((v for k, v in document.items() if isinstance(k, str) and k.lower() == "statement"), None)
    if statements is None:
        return []
    return list(statements) if isinstance(statements, list) else [statements]


def _merge(merged: Dict[str, Any], document: Mapping[str, Any]) -> None:
    """The provider's IAMPolicyDoc.Merge: same non-empty Sid replaces, others append; Id and Version carry over."""
    policy_id = document.get("Id")
    if policy_id:
        merged["Id"] = policy_id
    version = document.get("Version")
    if isinstance(version, str) and version > merged.get("Version", ""):
        merged["Version"] = version
    statements: List[Any] = merged.setdefault("Statement", [])
    for statement in _document_statements(document):
        sid = statement.get("Sid") if isinstance(statement, Mapping) else None
        if sid:
            for position, existing in enumerate(statements):
                if isinstance(existing, Mapping) and existing.get("Sid") == sid:
                    statements[position] = statement
                    break
            else:
                statements.append(statement)
        else:
            statements.append(statement)


def _render_data_document(
    node: Mapping[str, Any], context: Context, origin: str, depth: int, seen: frozenset
) -> _Resolved:
    """data "aws_iam_policy_document" rendered as the provider does (policy_document_data_source.go)."""
    problems: List[str] = []
    merged: Dict[str, Any] = {}
    source_sids: Set[str] = set()
    for position, source in enumerate(_document_list(node.get("source_policy_documents"))):
        resolved = resolve_policy(source, context, f"source_policy_documents[{position}] of {origin}", depth + 1,
                                   seen)
        if resolved.problem is not None:
            return _Resolved(problem=resolved.problem, origin=origin)
        for statement in _document_statements(resolved.document):
            sid = statement.get("Sid") if isinstance(statement, Mapping) else None
            if sid and sid in source_sids:
                return _Resolved(problem=f"{origin}: duplicate Sid {sid!r} in source_policy_documents; the provider "
                                         "rejects it: remove the Sid or make Sids unique", origin=origin)
            if sid:
                source_sids.add(sid)
        _merge(merged, resolved.document)

    version = unwrap(node.get("version"))
    current: Dict[str, Any] = {"Version": version if isinstance(version, str) and version else "2012-10-17"}
    policy_id = unwrap(node.get("policy_id"))
    if isinstance(policy_id, str) and policy_id:
        current["Id"] = policy_id
    lossy = _plan_references_only(node)
    if lossy:
        verb = "is" if len(lossy) == 1 else "are"
        return _Resolved(problem=(f"{origin}: in the plan, {', '.join(lossy)} {verb} unknown until apply and Terraform "
                                  "keeps only the references of the expression, not the text around them (a "
                                  "\"${...arn}/*\" reads as the bare ARN): scan the Terraform configuration for "
                                  "this policy"), origin=origin)
    empty: List[Tuple[str, str]] = []
    statements = [_statement_from_block(block, problems, empty) for block in nested_blocks(node, "statement", problems)]
    unset = unset_list_variables(empty, node, context.index)
    if unset is not None:
        return _Resolved(problem=f"{origin}: {unset}", origin=origin)
    sids = [s["Sid"] for s in statements if "Sid" in s]
    duplicate = next((sid for sid in sids if sids.count(sid) > 1), None)
    if duplicate is not None:
        return _Resolved(problem=f"{origin}: duplicate Sid {duplicate!r}; the provider rejects it: make Sids unique",
                         origin=origin)
    current["Statement"] = statements
    _merge(merged, current)

    for position, override in enumerate(_document_list(node.get("override_policy_documents"))):
        resolved = resolve_policy(override, context, f"override_policy_documents[{position}] of {origin}",
                                   depth + 1, seen)
        if resolved.problem is not None:
            return _Resolved(problem=resolved.problem, origin=origin)
        _merge(merged, resolved.document)
    if problems:
        return _Resolved(problem=f"{origin}: {problems[0]}", origin=origin)
    document = {"Version": merged.get("Version", "2012-10-17")}
    if merged.get("Id"):
        document["Id"] = merged["Id"]
    document["Statement"] = merged.get("Statement", [])
    return _Resolved(document=document, origin=origin)


def _document_list(value: Any) -> List[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        if len(value) == 1 and isinstance(value[0], list):
            value = value[0]
        return [v for v in value if v is not None and v != ""]
    return [value]


# --------------------------------------------------------------------------------------------------------------
# List variables without a default: Checkov renders them as [] (or "[]"), losing the reference
# --------------------------------------------------------------------------------------------------------------


def _is_empty_value(value: Any) -> bool:
    return value == [] or value == "[]" or value == {} or value == [[]]


def _empty_elements(document: Any) -> List[Tuple[str, str]]:
    """(path, key) of every empty list in a statement element, a Principal or a condition key."""
    out: List[Tuple[str, str]] = []
    statements = document.get("Statement") if isinstance(document, dict) else None
    for position, statement in enumerate(statements if isinstance(statements, list) else [statements]):
        if not isinstance(statement, dict):
            continue
        for key, value in statement.items():
            where = f"Statement[{position}].{key}"
            if _is_empty_value(value):
                out.append((where, key))
            elif isinstance(value, dict):
                for inner, inner_value in value.items():
                    if _is_empty_value(inner_value):
                        out.append((f"{where}.{inner}", inner))
                    elif isinstance(inner_value, dict):
                        out.extend((f"{where}.{inner}.{k}", k) for k, v in inner_value.items() if _is_empty_value(v))
    return out


_SOURCE_CACHE: Dict[str, List[str]] = {}


def node_lines(node: Optional[Mapping[str, Any]]) -> List[str]:
    """The lines of the block a graph node was parsed from (best effort: empty when unknown)."""
    if not node:
        return []
    path, start, end = node.get("file_path_"), node.get("__start_line__"), node.get("__end_line__")
    if not isinstance(path, str) or not isinstance(start, int) or not isinstance(end, int):
        return []
    lines = _SOURCE_CACHE.get(path)
    if lines is None:
        try:
            if os.path.getsize(path) > _MAX_FILE_BYTES:
                return []
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            return []
        _SOURCE_CACHE.clear()  # one file at a time is enough: checks run resource by resource
        _SOURCE_CACHE[path] = lines
    return lines[max(start - 1, 0): end]


def unset_list_variables(
    empty: List[Tuple[str, str]], node: Optional[Mapping[str, Any]], index: Optional[GraphIndex]
) -> Optional[str]:
    """A problem naming the variables behind empty lists, when the block assigns such keys from unset variables."""
    if not empty or index is None or not index.unset_variables:
        return None
    text = "\n".join(node_lines(node))
    found: List[str] = []
    for _, key in empty:
        pattern = rf"(?:^|[\s{{,(\[])\"?{re.escape(key)}\"?\s*[=:]\s*\[?\s*var\.({IDENT})"
        for match in re.finditer(pattern, text, re.MULTILINE):
            name = match.group(1)
            if name in index.unset_variables and f"var.{name}" not in found:
                found.append(f"var.{name}")
    if not found:
        return None
    where = ", ".join(path for path, _ in empty)
    names = " and ".join(found)
    verb = "comes" if len(empty) == 1 else "come"
    return (f"{where} {verb} from {names}, a variable without a default (Checkov renders it as an empty list): "
            "give the variable a default, pass its value with a .tfvars file (checkov --var-file), or set "
            "VPCE_CHECKS_UNRESOLVED=skip")


# --------------------------------------------------------------------------------------------------------------
# Normalising strings inside the document
# --------------------------------------------------------------------------------------------------------------


def _normalise(value: Any, context: Context) -> Any:
    """Plain JSON types; ``${expr}`` references; own ARN/name and caller context substituted; HCL escapes undone."""
    if isinstance(value, Mapping):
        return {
            normalise_string(k, context) if isinstance(k, str) else str(k): _normalise(v, context)
            for k, v in value.items()
            if not (isinstance(k, str) and ((k.startswith("__") and k != DUPLICATE_CONDITIONS_KEY)
                                            or k in _STATEMENT_METADATA))
        }
    if isinstance(value, (list, tuple)):
        return [_normalise(v, context) for v in value]
    if isinstance(value, str):
        return normalise_string(value, context)
    return value


def normalise_string(text: str, context: Context) -> str:
    """One string of the document: unevaluated expressions, stray quotes, ``$${`` escapes, ``${}`` and bare refs."""
    if context.evaluated:
        return _evaluated_string(text, context)
    if text[:1].isalpha() or text[:1] in "[{":
        stripped = text.strip()
        if rx(UNEVALUATED).match(stripped) and stripped.count("(") == stripped.count(")"):
            return "${" + stripped + "}"
    if '"' in text:
        text = rx(_STRAY_QUOTES).sub(r"\1", text)
    out: List[str] = []
    position, literal_start = 0, 0
    while position < len(text):
        if text.startswith("$${", position):  # HCL escape of a literal ${...} (IAM policy variables): keep as is
            out.append(_bare_references(text[literal_start:position], context))
            end = text.find("}", position + 3)
            out.append("${" + (text[position + 3: end + 1] if end >= 0 else ""))
            position = end + 1 if end >= 0 else position + 3
            literal_start = position
            continue
        if text.startswith("${", position):
            end = closing_brace(text, position + 1, QUOTES)
            if end < 0:
                break
            out.append(_bare_references(text[literal_start:position], context))
            expression = text[position + 2: end]
            out.append(_interpolation(expression, context))
            position = end + 1
            literal_start = position
            continue
        position += 1
    out.append(_bare_references(text[literal_start:], context))
    return "".join(out)


def _evaluated_string(text: str, context: Context) -> str:
    """A string the evaluator produced: each ``${expr}`` is a symbol (or an IAM policy variable) to resolve."""
    if "${" not in text:
        return text
    out: List[str] = []
    position = 0
    while True:
        start = text.find("${", position)
        end = closing_brace(text, start + 1, QUOTES) if start >= 0 else -1
        if start < 0 or end < 0:
            out.append(text[position:])
            return "".join(out)
        out.append(text[position:start])
        out.append(_interpolation(text[start + 2: end], context))
        position = end + 1


def _condition_booleans(document: Any) -> None:
    """Checkov renders the HCL string "true" inside jsonencode as 'True': IAM's spelling is lowercase."""
    if not isinstance(document, dict):
        return
    statements = document.get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        condition = statement.get("Condition") if isinstance(statement, dict) else None
        for keys in condition.values() if isinstance(condition, dict) else ():
            for key, values in keys.items() if isinstance(keys, dict) else ():
                if values in ("True", "False"):
                    keys[key] = values.lower()
                elif isinstance(values, list):
                    keys[key] = [v.lower() if v in ("True", "False") else v for v in values]


def _interpolation(expression: str, context: Context) -> str:
    stripped = expression.strip()
    if rx(_POLICY_VARIABLE).fullmatch(stripped):
        return "${" + expression + "}"
    if stripped.startswith("caller.") and context.caller_self:
        prefix = re.match(r"^(?:caller\.)+", stripped).group(0)  # type: ignore[union-attr]
        ref = parse_reference(stripped[len(prefix):])
        own = _OWN_ATTRIBUTES.get(context.service, {}).get(ref.attribute) if ref is not None else None
        if ref is not None and ref.kind == "resource" and own is not None and any(
                base.startswith(prefix) and not base[len(prefix):].startswith("caller.")
                and same_instance(ref.base, base[len(prefix):]) for base in context.caller_self):
            return PROFILES[context.service].resource_arn(context.target) if own == "arn" else context.target.name
        return "${" + expression + "}"
    ref = parse_reference(stripped)
    resolved = context.resolve(ref) if ref is not None else None
    return resolved if resolved is not None else "${" + expression + "}"


def _bare_references(segment: str, context: Context) -> str:
    """References Checkov left bare inside a literal become ``${expr}`` (or their value when known)."""
    if not segment or not any(c == "." for c in segment):
        return segment

    def replace(match: re.Match) -> str:
        ref = parse_reference(match.group(0))
        if ref is None or not plausible_bare(ref, context.index):
            return match.group(0)
        resolved = context.resolve(ref)
        return resolved if resolved is not None else "${" + match.group(0) + "}"

    return rx(BARE_REFERENCE).sub(replace, segment)
