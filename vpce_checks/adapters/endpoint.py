"""VPC endpoint policies (CKV_VPCE_8): Terraform, CloudFormation and raw JSON -> ``EndpointPolicySource``.

The policy text is resolved by the Terraform and CloudFormation readers' own machinery
(``terraform.resolution.judge_policy_value`` for ``jsonencode``, heredocs, ``data "aws_iam_policy_document"``,
``file()``...; ``cloudformation.intrinsics.Renderer`` for intrinsics and JSON-string documents); this module only
finds which policy belongs to which endpoint.

- Terraform: the result is reported on ``aws_vpc_endpoint``. Its ``policy`` argument, or else an
  ``aws_vpc_endpoint_policy`` whose ``vpc_endpoint_id`` refers to it (found through Checkov's graph, in the same
  directory and module); neither means AWS attaches the default full-access policy. An
  ``aws_vpc_endpoint_policy`` gives its own result only when its endpoint is not declared in the scanned files
  (a literal ``vpce-...`` ID, a data source, a variable).
- CloudFormation: ``AWS::EC2::VPCEndpoint`` ``PolicyDocument`` (an object or a JSON string).
- Raw JSON: a file whose path matches ``VPCE_CHECKS_ENDPOINT_POLICY_GLOB`` (see ``matches_endpoint_glob``).

Endpoints of a type other than Gateway or Interface give no result: "Endpoint policies are supported only for
gateway and interface endpoints" (AWS CloudFormation, AWS::EC2::VPCEndpoint, ``PolicyDocument``). A missing type is
Gateway (the EC2 CreateVpcEndpoint default; the hashicorp/aws 5.100.0 provider plans "Gateway").
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from vpce_checks.adapters.bindings import CFN_ENDPOINT_RESOURCES, TERRAFORM_ENDPOINT_RESOURCES
from vpce_checks.adapters.cloudformation import intrinsics as cfn_intrinsics
from vpce_checks.adapters.cloudformation import resources as cfn
from vpce_checks.adapters.cloudformation import template as cfn_template
from vpce_checks.adapters.terraform import graph as tf_graph
from vpce_checks.adapters.terraform import resolution as tf_resolution
from vpce_checks.adapters.terraform import resources as tf_resources
from vpce_checks.engine.services import Target, namespace_of_service_name

TERRAFORM_ENDPOINT, TERRAFORM_ENDPOINT_POLICY = TERRAFORM_ENDPOINT_RESOURCES
(CFN_ENDPOINT,) = CFN_ENDPOINT_RESOURCES
POLICY_TYPES = ("Gateway", "Interface")
GLOB_SETTING = "VPCE_CHECKS_ENDPOINT_POLICY_GLOB"
# terraform.Context needs a service its tables know; with no protected resource (no self references) the choice
# changes nothing: an endpoint policy guards no resource of its own.
_CONTEXT_SERVICE = "s3"


@dataclass
class EndpointPolicySource:
    """One endpoint's policy as found in a file.

    ``document is None and problem is None``: the endpoint has no policy (AWS attaches the default full-access
    one). ``problem``: a policy exists but cannot be read (the message names the expression).
    """

    endpoint: str  # how messages name the endpoint: "aws_vpc_endpoint.s3", "AWS::EC2::VPCEndpoint S3Endpoint"
    kind: str  # "terraform" | "cloudformation" | "json"
    syntax: str  # the file's syntax for fixes: "hcl", "yaml", "json"
    service_name: Optional[str] = None  # as written (references kept)
    endpoint_type: Optional[str] = None  # as written, when it is a literal
    document: Optional[Any] = None
    problem: Optional[str] = None
    origin: str = ""  # "policy of aws_vpc_endpoint_policy.s3", "data.aws_iam_policy_document.x via ..."
    data_source: bool = False  # the policy is a data "aws_iam_policy_document" (the fix is a statement block)
    separate: bool = False  # Terraform: the policy is a separate aws_vpc_endpoint_policy resource
    notes: List[str] = field(default_factory=list)
    evaluated_keys: List[str] = field(default_factory=list)
    reading: str = ""  # which way the template's undecided conditions go, when it has several readings

    @property
    def missing(self) -> bool:
        return self.document is None and self.problem is None

    @property
    def namespace(self) -> Optional[str]:
        return namespace_of_service_name(self.service_name)


def _takes_policy(endpoint_type: Any) -> Tuple[bool, Optional[str]]:
    """Whether an endpoint of this type takes a policy, and the type when it is a literal (None: unresolved)."""
    if endpoint_type is None or endpoint_type == "":
        return True, "Gateway"
    if not isinstance(endpoint_type, str) or "${" in endpoint_type or "." in endpoint_type:
        return True, None  # a reference: judged (fail closed rather than skip silently)
    return endpoint_type.strip() in POLICY_TYPES, endpoint_type.strip()


def _type_note(endpoint_type: Optional[str], written: Any) -> List[str]:
    if endpoint_type is None:
        return [f"The endpoint type {written!r} is not resolved here; the endpoint is judged as a Gateway or "
                "Interface endpoint (only those take endpoint policies)."]
    return []


# --------------------------------------------------------------------------------------------------------------
# Terraform
# --------------------------------------------------------------------------------------------------------------


class _Endpoints:
    """Per graph: aws_vpc_endpoint nodes and the aws_vpc_endpoint_policy nodes pointing at them, per directory.

    Keyed by directory as well as module scope: Checkov's graph index collapses root modules of different
    directories that use the same names, and a policy must never be credited to another directory's endpoint.
    """

    __slots__ = ("endpoints", "policies", "dirs")

    def __init__(self) -> None:
        # (dir, scope, endpoint id without index) -> [(policy address, policy attrs, policy scope)]
        self.policies: Dict[Tuple[str, str, str], List[Tuple[str, Dict[str, Any], str]]] = {}
        # (scope, endpoint id without index) -> {dir: attrs}
        self.endpoints: Dict[Tuple[str, str], Dict[str, Dict[str, Any]]] = {}
        self.dirs: Dict[str, str] = {}


_ENDPOINT_CACHE: List[Tuple[object, int, _Endpoints]] = []


def _dir_of(attrs: Mapping[str, Any]) -> str:
    path = attrs.get("file_path_")
    return os.path.dirname(os.path.abspath(path)) if isinstance(path, str) and path else ""


def _endpoints_of(graph: object, index: Any) -> _Endpoints:
    return tf_graph.per_graph(_ENDPOINT_CACHE, graph, lambda: _collect_endpoints(graph, index))


def _collect_endpoints(graph: object, index: Any) -> _Endpoints:
    found = _Endpoints()
    pending: List[Tuple[str, str, Dict[str, Any]]] = []
    for payload in tf_graph.graph_payloads(graph):
        attrs = tf_graph.attrs_of(payload)
        if not attrs:
            continue
        block = attrs.get("block_type_")
        block = getattr(block, "value", block)
        ident = attrs.get("id_")
        if block != "resource" or not isinstance(ident, str):
            continue
        resource_type = ident.split(".", 1)[0]
        if resource_type not in (TERRAFORM_ENDPOINT, TERRAFORM_ENDPOINT_POLICY):
            continue
        address = attrs.get("__address__") if isinstance(attrs.get("__address__"), str) else ident
        scope = tf_graph.scope_of(address, ident)
        if resource_type == TERRAFORM_ENDPOINT:
            key = (scope, tf_graph.strip_index(tf_graph.normalise_index(ident)))
            found.endpoints.setdefault(key, {})[_dir_of(attrs)] = attrs
        else:
            pending.append((address, scope, attrs))
    for address, scope, attrs in pending:
        ref = _pointer(attrs)
        if ref is None:
            continue
        found_scope = tf_graph.lookup_up(index, "resource", scope, ref.base)[0]
        target_scope = scope if found_scope is None else found_scope
        key = (_dir_of(attrs), target_scope, tf_graph.strip_index(ref.base))
        found.policies.setdefault(key, []).append((address, attrs, scope))
    return found


def _pointer(attrs: Mapping[str, Any]) -> Any:
    """The aws_vpc_endpoint an aws_vpc_endpoint_policy's vpc_endpoint_id refers to (a terraform.graph.Ref), or None."""
    pointer = tf_graph.unwrap(attrs.get("vpc_endpoint_id"))
    if not isinstance(pointer, str) or not pointer.strip():
        return None
    text = pointer.strip()
    ref = tf_graph.parse_reference(tf_resolution.whole_interpolation(text) or text)
    if ref is not None and ref.kind == "each" and ref.base == "each.value":
        ref = tf_resources.for_each_reference(attrs)
    if ref is None or ref.kind != "resource" or ref.resource_type != TERRAFORM_ENDPOINT:
        return None
    return ref


def _pick_dir(candidates: Mapping[str, Any], file_path: str) -> Optional[str]:
    """The directory of the scanned file among those declaring the endpoint (Checkov gives a relative path)."""
    if len(candidates) == 1:
        return next(iter(candidates))
    relative = os.path.dirname(file_path.replace("\\", "/").lstrip("/"))
    absolute = os.path.dirname(os.path.abspath(file_path)) if file_path else ""
    matching = [d for d in candidates if d == absolute or (relative and d.replace("\\", "/").endswith("/" + relative))]
    if not relative:  # a file at the scan root
        matching = matching or [d for d in candidates if d == os.path.abspath(os.getcwd())]
    return matching[0] if len(matching) == 1 else None


def _context(address: str, scope: str, index: Any, attrs: Optional[Mapping[str, Any]], file_path: str) -> Any:
    module_dir = tf_resources.module_dir_of(attrs, file_path)
    context = tf_resolution.Context(_CONTEXT_SERVICE, Target(service=_CONTEXT_SERVICE, name=address), address, scope,
                                    index, module_dir, tf_graph.root_dir_of(attrs, module_dir))
    context.node = attrs
    return context


def _resolve_terraform(value: Any, context: Any, origin: str) -> Tuple[Optional[Any], Optional[str], str]:
    """(document, problem, origin) through the Terraform adapter's own resolution."""
    found = tf_resolution.judge_policy_value(value, context, origin)
    return found.document, found.problem, found.origin


def endpoint_for_terraform(conf: dict, entity_type: str, graph: object | None,
                           file_path: str) -> Optional[EndpointPolicySource]:
    """The endpoint policy to judge for one Terraform resource; None when this resource gives no result. Never
    raises: anything unreadable becomes ``problem``."""
    if entity_type not in (TERRAFORM_ENDPOINT, TERRAFORM_ENDPOINT_POLICY):
        return None
    address = entity_type
    try:
        conf = conf if isinstance(conf, Mapping) else {}
        address = tf_resources.address_of(conf, entity_type)
        if entity_type == TERRAFORM_ENDPOINT:
            return _terraform_endpoint(conf, graph, file_path, address)
        return _terraform_policy(conf, graph, file_path, address)
    except RecursionError:
        return EndpointPolicySource(endpoint=address, kind="terraform", syntax="hcl", evaluated_keys=["policy"],
                                    problem=f"the policy of {address} is nested too deeply to read")
    except Exception as error:  # noqa: BLE001 - a check must never raise (SPEC 4)
        return EndpointPolicySource(endpoint=address, kind="terraform", syntax="hcl", evaluated_keys=["policy"],
                                    problem=f"could not read the policy of {address} ({type(error).__name__}: "
                                    f"{error}); please report this with the resource's Terraform code")


def _terraform_endpoint(conf: Mapping[str, Any], graph: object | None, file_path: str,
                        address: str) -> Optional[EndpointPolicySource]:
    written_type = tf_graph.unwrap(conf.get("vpc_endpoint_type"))
    takes, endpoint_type = _takes_policy(written_type)
    if not takes:
        return None
    written_name = tf_graph.unwrap(conf.get("service_name"))
    service_name = written_name if isinstance(written_name, str) and written_name else None
    source = EndpointPolicySource(endpoint=address, kind="terraform", syntax="hcl", service_name=service_name,
                                  endpoint_type=endpoint_type, evaluated_keys=["policy"],
                                  notes=_type_note(endpoint_type, written_type))
    index = tf_graph.graph_index(graph, file_path, address)
    clash = tf_resources.ambiguous_reference(index, conf, address)
    if clash:
        source.problem = (f"{clash} is declared in several directories scanned together, so which one {address} "
                          "means is ambiguous in Checkov's graph: scan each root module on its own or give the "
                          "blocks distinct names")
        return source
    ident = tf_resources.strip_scope(address)
    attrs: Optional[Dict[str, Any]] = None
    separate: List[Tuple[str, Dict[str, Any], str]] = []
    scope = ""
    if graph is not None and index is not None:
        endpoints = _endpoints_of(graph, tf_graph.graph_index(graph))
        scope = tf_resources.scope_for(address, TERRAFORM_ENDPOINT, None)
        base = tf_graph.strip_index(tf_graph.normalise_index(ident))
        candidates = endpoints.endpoints.get((scope, base), {})
        directory = _pick_dir(candidates, file_path)
        if directory is None and len(candidates) > 1:
            source.problem = (f"{address} is declared in several directories scanned together "
                              f"({', '.join(sorted(candidates))}) and the scanned file cannot be told apart: scan "
                              "each root module on its own or give the blocks distinct names")
            return source
        attrs = candidates.get(directory) if directory is not None else None
        separate = endpoints.policies.get((directory or "", scope, base), [])
    inline = conf.get("policy")
    if separate:
        policy_address, policy_attrs, policy_scope = separate[0]
        if len(separate) > 1:
            others = ", ".join(a for a, _, _ in separate[1:])
            source.notes.append(f"{len(separate)} aws_vpc_endpoint_policy resources point at {address} ({others} "
                                "too): each overwrites the other; judged: the first")
        if not tf_resources.is_empty(inline):
            source.notes.append(f"{address} also sets policy; it and {policy_address} overwrite each other on every "
                                "apply: keep one. Judged: the separate resource")
        clash = tf_resources.ambiguous_reference(index, policy_attrs, policy_address)
        if clash:
            source.problem = (f"{clash} is declared in several directories scanned together, so the policy of "
                              f"{policy_address} is ambiguous in Checkov's graph: scan each root module on its own")
            return source
        context = _context(policy_address, policy_scope, index, policy_attrs, file_path)
        origin = f"policy of {policy_address}"
        source.separate = True
        source.document, source.problem, source.origin = _resolve_terraform(policy_attrs.get("policy"), context,
                                                                             origin)
    elif not tf_resources.is_empty(inline):
        context = _context(address, scope, index, attrs, file_path)
        source.document, source.problem, source.origin = _resolve_terraform(inline, context, f"policy of {address}")
    source.data_source = "aws_iam_policy_document" in source.origin
    return source


def _terraform_policy(conf: Mapping[str, Any], graph: object | None, file_path: str,
                      address: str) -> Optional[EndpointPolicySource]:
    """An aws_vpc_endpoint_policy: judged here only when its endpoint is not a scanned aws_vpc_endpoint."""
    index = tf_graph.graph_index(graph, file_path, address)
    ref = _pointer(conf)
    scope = tf_resources.scope_for(address, TERRAFORM_ENDPOINT_POLICY, None)
    attrs = index.by_address.get(address) if index is not None else None
    if ref is not None and graph is not None and index is not None:
        endpoints = _endpoints_of(graph, tf_graph.graph_index(graph))
        found_scope = tf_graph.lookup_up(index, "resource", scope, ref.base)[0]
        target_scope = scope if found_scope is None else found_scope
        base = tf_graph.strip_index(ref.base)
        mine = {d: items for (d, s, b), items in endpoints.policies.items()
                if s == target_scope and b == base and any(a == address for a, _, _ in items)}
        directory = _pick_dir(mine, file_path) if mine else None
        if directory is not None:
            attrs = next(a for item_address, a, _ in mine[directory] if item_address == address)
            if directory in endpoints.endpoints.get((target_scope, base), {}):
                return None  # judged on the aws_vpc_endpoint it points at
    pointer = tf_graph.unwrap(conf.get("vpc_endpoint_id"))
    shown = pointer if isinstance(pointer, str) and pointer else "an endpoint not declared here"
    source = EndpointPolicySource(endpoint=f"{address} (for {shown})", kind="terraform", syntax="hcl",
                                  evaluated_keys=["policy"], separate=True)
    clash = tf_resources.ambiguous_reference(index, conf, address)
    if clash:
        source.problem = (f"{clash} is declared in several directories scanned together, so the policy of {address} "
                          "is ambiguous in Checkov's graph: scan each root module on its own")
        return source
    context = _context(address, scope, index, attrs, file_path)
    value = conf.get("policy")
    if tf_resources.is_empty(value):
        source.problem = f"{address} has no policy argument"
        return source
    source.document, source.problem, source.origin = _resolve_terraform(value, context, f"policy of {address}")
    source.data_source = "aws_iam_policy_document" in source.origin
    return source


# --------------------------------------------------------------------------------------------------------------
# CloudFormation
# --------------------------------------------------------------------------------------------------------------


def endpoint_for_cloudformation(conf: dict, entity_type: str, file_path: str, logical_id: Optional[str] = None
                                ) -> Union[None, EndpointPolicySource, List[EndpointPolicySource]]:
    """The PolicyDocument of an AWS::EC2::VPCEndpoint, rendered from the template; never raises."""
    if entity_type != CFN_ENDPOINT:
        return None
    label = f"{entity_type} {logical_id or '(unknown logical ID)'}"
    syntax = "yaml"
    try:
        path = cfn_template.template_path(conf, file_path)
        syntax = cfn_template.template_syntax(path or file_path or "")
        template = cfn_template.load_template(path) if path else None
        if logical_id is None and template is not None:
            logical_id = cfn.guess_logical_id(template, conf, entity_type)
            label = f"{entity_type} {logical_id or '(unknown logical ID)'}"
        return _cfn_source(conf, entity_type, logical_id, template, label, syntax)
    except Exception as error:  # noqa: BLE001 - a check must never raise
        return EndpointPolicySource(endpoint=label, kind="cloudformation", syntax=syntax,
                                    evaluated_keys=["Properties/PolicyDocument"],
                                    problem=f"{label}: could not read the resource ({type(error).__name__}: {error})")


def _cfn_source(conf: Any, entity_type: str, logical_id: Optional[str], template: Any, label: str,
                syntax: str) -> Union[None, EndpointPolicySource, List[EndpointPolicySource]]:
    if template is not None and logical_id and template.resource_type(logical_id) == entity_type:
        props: Any = template.properties(logical_id)
    else:
        props = conf.get("Properties") if isinstance(conf, Mapping) else None
    props = props if isinstance(props, Mapping) else {}
    renderer = cfn_intrinsics.Renderer(template, _CONTEXT_SERVICE)
    source = EndpointPolicySource(endpoint=label, kind="cloudformation", syntax=syntax,
                                  evaluated_keys=["Properties/PolicyDocument"])

    def literal(name: str) -> Tuple[Any, Optional[str]]:
        raw = props.get(name)
        if raw is None:
            return None, None
        try:
            value = renderer.render(raw)
        except cfn_intrinsics.Unresolvable:
            return raw, None
        if isinstance(value, str) and "${" not in value:
            return raw, value
        return raw, None

    written_type, endpoint_type = literal("VpcEndpointType")
    if written_type is None or endpoint_type is not None:
        takes, endpoint_type = _takes_policy(endpoint_type)
        if not takes:
            return None
    source.endpoint_type = endpoint_type
    source.notes = _type_note(endpoint_type, written_type)
    try:
        rendered_name = renderer.render(props.get("ServiceName"))
    except cfn_intrinsics.Unresolvable:
        rendered_name = None
    source.service_name = rendered_name if isinstance(rendered_name, str) else None
    raw = props.get("PolicyDocument")
    if raw is None:
        return source
    origin = f"PolicyDocument of {label}"
    source.origin = origin
    # One reading per way an undecided Fn::If can go (each judged; the endpoint passes only when all do): here the
    # Allow statements are what is judged, so a choice inside one matters too.
    target = Target(_CONTEXT_SERVICE, label)
    readings = cfn.rendered_sources(raw, lambda: cfn_intrinsics.Renderer(template, _CONTEXT_SERVICE), target,
                                    origin, source.evaluated_keys, syntax, "PolicyDocument", allows_matter=True)
    found = [dataclasses.replace(source, document=r.document, problem=r.problem, reading=r.reading,
                                 notes=list(source.notes)) for r in readings]
    return found[0] if len(found) == 1 else found


# --------------------------------------------------------------------------------------------------------------
# Raw JSON
# --------------------------------------------------------------------------------------------------------------


def _patterns(glob_setting: Optional[str]) -> List[str]:
    return [p.strip() for p in (glob_setting or "").split(",") if p.strip()]


def matches_endpoint_glob(file_path: str, glob_setting: Optional[str]) -> bool:
    """Whether a JSON file is a VPC endpoint policy by the setting: a comma-separated list of ``fnmatch`` patterns
    (case-sensitive; ``*`` also crosses ``/``), each tried on the path as Checkov opened it, on its absolute path
    and on its path relative to the working directory, all with ``/`` separators and no leading ``./``."""
    patterns = _patterns(glob_setting)
    if not patterns or not file_path:
        return False
    absolute = os.path.abspath(file_path)
    candidates = {file_path, absolute}
    try:
        candidates.add(os.path.relpath(absolute))
    except ValueError:  # another drive (Windows)
        pass
    normalised = set()
    for candidate in candidates:
        text = candidate.replace("\\", "/")
        while text.startswith("./"):
            text = text[2:]
        normalised.add(text)
    return any(fnmatch.fnmatchcase(text, pattern) for text in normalised for pattern in patterns)


def _glob_setting() -> Optional[str]:
    from vpce_checks.settings import SettingsError, load_settings

    try:
        return load_settings().endpoint_policy_glob
    except SettingsError:
        return None  # every pack check reports the settings error; nothing is an endpoint policy meanwhile


def is_endpoint_policy_file(file_path: str) -> bool:
    """True when the setting names this file as a VPC endpoint policy (then no resource-policy check reads it)."""
    try:
        return matches_endpoint_glob(file_path, _glob_setting())
    except Exception:  # noqa: BLE001 - never raise from a check
        return False


def endpoint_for_json(document: object, file_path: str) -> Optional[EndpointPolicySource]:
    """A raw JSON file matched by VPCE_CHECKS_ENDPOINT_POLICY_GLOB, as an endpoint policy; None when the setting is
    unset, the file does not match, or the document has no top-level Statement (not a policy document)."""
    try:
        if not is_endpoint_policy_file(file_path) or not isinstance(document, Mapping):
            return None
        key = next((k for k in document if isinstance(k, str) and k.lower() == "statement"), None)
        if key is None:
            return None
        from vpce_checks.adapters.rawjson import plain_document

        name = os.path.basename(file_path) if file_path else "policy.json"
        return EndpointPolicySource(endpoint=f"file {name}", kind="json", syntax="json",
                                    document=plain_document(document), origin=f"file {name}", evaluated_keys=[key])
    except Exception as error:  # noqa: BLE001 - never raise from a check
        return EndpointPolicySource(endpoint=f"file {file_path}", kind="json", syntax="json",
                                    problem=f"could not read {file_path} ({type(error).__name__}: {error})")
