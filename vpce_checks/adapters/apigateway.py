"""API Gateway REST APIs: the endpoint type (CKV_VPCE_4) and a private API's resource policy (CKV_VPCE_5).

Built on the Terraform and CloudFormation adapters: policies, references, files and intrinsics are read by their
functions; this module adds where an API keeps its policy, its declared routes and its methods' authorization.

What Checkov 3.3.30 hands a check (measured; see tests/test_adapter_apigateway.py):

- Terraform ``aws_api_gateway_rest_api``: ``endpoint_configuration`` list-wrapped (``[{"types": [["PRIVATE"]]}]``);
  a variable with a default is substituted (``["PRIVATE"]``), one without stays a bare string
  (``["var.types"]`` or ``[["var.type"]]``). ``body`` = ``jsonencode({...})`` arrives as a dict (or the
  ``${jsonencode(...)}`` string when a reference is unresolved); ``file()``/``templatefile()`` stay unevaluated
  (``${file("${path.module}/openapi.yaml")}``); a YAML heredoc arrives with its line breaks removed, so it is read
  again from the block's source lines. Related resources (``aws_api_gateway_rest_api_policy``, ``_method``,
  ``_resource``, ``_stage``, ``_deployment``) are found in ``self.graph`` by their bare ``rest_api_id`` reference
  (``"aws_api_gateway_rest_api.orders.id"``).
- CloudFormation ``AWS::ApiGateway::RestApi``: as for other resources (intrinsics as dicts, parameter defaults
  substituted); the template's own resource is preferred (intrinsics intact) and read once per file.
- SAM ``AWS::Serverless::Api`` is delivered to a check registered for that type *untransformed*: Checkov does not
  run the SAM translator, creates no ``AWS::ApiGateway::RestApi`` for it (nor for the implicit
  ``ServerlessRestApi`` of function events), but merges the template's ``Globals.Api`` into its ``Properties``
  (maps merged, lists concatenated global-first, the resource winning on scalars) and substitutes parameter
  defaults. So the policy SAM would write is rebuilt here from ``Auth.ResourcePolicy``, as SAM's translator does it
  (samtranslator/swagger/swagger.py ``add_resource_policy``), over the paths of ``DefinitionBody`` and of the
  template's ``AWS::Serverless::Function``/``StateMachine`` ``Api`` events that name this API.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from vpce_checks.adapters.base import PolicySource
from vpce_checks.adapters.bounded_documents import DocumentTooLarge, check_tree_bounds, load_json, load_yaml
from vpce_checks.adapters.cloudformation import intrinsics as cfn_intrinsics
from vpce_checks.adapters.cloudformation import resources as _cfn
from vpce_checks.adapters.cloudformation import template as cfn_template
from vpce_checks.adapters.cloudformation.template import Readings
from vpce_checks.adapters.terraform import graph as tf_graph
from vpce_checks.adapters.terraform import resolution as tf_resolution
from vpce_checks.adapters.terraform import resources as tf_resources
from vpce_checks.adapters.terraform.expressions import EvaluationProblem, read_bounded
from vpce_checks.engine.services import PROFILES, Target

SERVICE = "execute-api"
TERRAFORM_API = "aws_api_gateway_rest_api"
CFN_API = "AWS::ApiGateway::RestApi"
SAM_API = "AWS::Serverless::Api"

_ANY_METHOD = "x-amazon-apigateway-any-method"
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_POLICY_EXTENSION = "x-amazon-apigateway-policy"
_ENDPOINT_EXTENSION = "x-amazon-apigateway-endpoint-configuration"
_EDGE_DEFAULT = ("EDGE",)
_FIX_TYPES = "set the endpoint type to PRIVATE"
_UNRESOLVED_HOW = ("give the variable a default, pass its value with a .tfvars file (checkov --var-file), or set "
                   "VPCE_CHECKS_UNRESOLVED=skip")
# SAM turns path parameters ({id}, {proxy+}, {greedy+}) into "*" in the resources it writes
# (SwaggerEditor.get_path_without_trailing_slash).
_SAM_PATH_PARAMETER = r"{([a-zA-Z0-9._-]+|[a-zA-Z0-9._-]+\+|proxy\+)}"


@dataclass
class EndpointType:
    """A REST API's endpoint types as configured: CKV_VPCE_4 passes only on exactly ("PRIVATE",).

    ``types`` is None when the configuration cannot be read (``problem`` says why and how to resolve it); no
    configuration at all is AWS's default, EDGE, which has a public endpoint.
    """

    types: Optional[Tuple[str, ...]]
    problem: Optional[str] = None
    vpc_endpoint_ids: Tuple[str, ...] = ()
    origin: str = ""
    syntax: str = "hcl"

    @property
    def private(self) -> bool:
        """Only ["PRIVATE"] removes the public endpoint; ["REGIONAL", "PRIVATE"] keeps one."""
        return self.types == ("PRIVATE",)


# --------------------------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------------------------


def endpoint_type_for_terraform(conf: dict, graph: object | None, file_path: str) -> EndpointType:
    """The endpoint types of one aws_api_gateway_rest_api; never raises (a raising check is a silent UNKNOWN)."""
    address = TERRAFORM_API
    try:
        address = tf_resources.address_of(conf if isinstance(conf, Mapping) else {}, TERRAFORM_API)
        return _TerraformApi(conf, graph, file_path, address).endpoint_type()
    except Exception as error:  # noqa: BLE001 - a check must never raise (SPEC 4)
        return EndpointType(None, problem=_crash(address, error), origin=address)


def endpoint_type_for_cloudformation(conf: dict, entity_type: str, file_path: str,
                                     logical_id: str | None) -> EndpointType:
    """The endpoint types of an AWS::ApiGateway::RestApi or AWS::Serverless::Api; never raises."""
    label = f"{entity_type} {logical_id or '(unknown logical ID)'}"
    try:
        return _CloudFormationApi(conf, entity_type, file_path, logical_id).endpoint_type()
    except Exception as error:  # noqa: BLE001 - a check must never raise (SPEC 4)
        return EndpointType(None, problem=_crash(label, error), origin=label, syntax=_guess_syntax(file_path))


def api_policy_for_terraform(conf: dict, graph: object | None, file_path: str, address: str) -> PolicySource | None:
    """The resource policy of a private REST API (None when the API is not private: CKV_VPCE_4 reports that).

    The policy may be the API's ``policy``, a separate aws_api_gateway_rest_api_policy whose ``rest_api_id`` names
    the API, or the OpenAPI ``body``'s x-amazon-apigateway-policy; ``document`` is None when there is none at all.
    """
    try:
        return _TerraformApi(conf, graph, file_path, address or TERRAFORM_API).policy()
    except Exception as error:  # noqa: BLE001 - a check must never raise (SPEC 4)
        return PolicySource(target=Target(SERVICE, f"${{{tf_resources.strip_scope(address or TERRAFORM_API)}.id}}"),
                            problem=_crash(address, error), evaluated_keys=["policy"], syntax="hcl")


def api_policy_for_cloudformation(conf: dict, entity_type: str, file_path: str, logical_id: str | None) -> Readings:
    """The resource policy of a private AWS::ApiGateway::RestApi (``Policy``, ``Body``) or AWS::Serverless::Api
    (the policy SAM generates from ``Auth.ResourcePolicy`` plus ``DefinitionBody``'s); None when not private; a
    list of readings when an undecided Fn::If changes it."""
    label = f"{entity_type} {logical_id or '(unknown logical ID)'}"
    try:
        return _CloudFormationApi(conf, entity_type, file_path, logical_id).policy()
    except Exception as error:  # noqa: BLE001 - a check must never raise (SPEC 4)
        return PolicySource(target=Target(SERVICE, "${" + (logical_id or "unknown") + "}"), origin=label,
                            problem=_crash(label, error), syntax=_guess_syntax(file_path))


def _crash(where: str, error: Exception) -> str:
    return (f"could not read {where} ({type(error).__name__}: {error}); please report this with the resource's "
            "code")


def _guess_syntax(file_path: str) -> str:
    return "json" if (file_path or "").lower().endswith(".json") else "yaml"


# --------------------------------------------------------------------------------------------------------------
# OpenAPI documents (Terraform body, CloudFormation Body, SAM DefinitionBody)
# --------------------------------------------------------------------------------------------------------------


def parse_openapi_text(text: str) -> Any:
    """JSON, else YAML (OpenAPI files are often YAML); dates and numeric keys become strings. Bounded in size,
    nodes (YAML aliases expanded) and depth: past a limit, DocumentTooLarge (a ValueError) names it."""
    try:
        return load_json(text)
    except DocumentTooLarge:
        raise
    except ValueError:
        pass
    import yaml  # lazy: module import must stay cheap (checkov ships PyYAML)

    try:
        return _plain_yaml(load_yaml(text), 0)
    except yaml.YAMLError as error:
        raise ValueError(f"neither JSON nor YAML ({' '.join(str(error).split())[:160]})") from error


def _bounded_body(body: Tuple[Any, Optional[str]], origin: str) -> Tuple[Any, Optional[str]]:
    """The body as read, unless it is past the document bounds (an inline body Checkov parsed, YAML aliases
    shared, is as much a bomb as a file): then no document and a problem naming the limit (fail closed)."""
    document, problem = body
    if document is None:
        return body
    try:
        check_tree_bounds(document)
    except DocumentTooLarge as error:
        return None, f"{origin}: {error}"
    return document, problem


def _read_bounded_text(path: str, origin: str) -> Tuple[Optional[str], Optional[str]]:
    """(text, problem) of a file an OpenAPI body comes from: a regular file of at most 1 MiB, UTF-8, read as
    Terraform's file() is (terraform.expressions.read_bounded); anything else is a problem."""
    try:
        return read_bounded(path), None
    except EvaluationProblem as error:
        return None, f"{origin}: {error}"


def _plain_yaml(value: Any, depth: int) -> Any:
    if depth > 200:
        raise ValueError("nested too deeply")
    if isinstance(value, Mapping):
        return {str(k): _plain_yaml(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_yaml(v, depth + 1) for v in value]
    if hasattr(value, "isoformat") and not isinstance(value, str):  # Version: 2012-10-17 unquoted is a date
        return value.isoformat()
    return value


def _operations(body: Any) -> Optional[List[Tuple[str, str, Any]]]:
    """(METHOD, path, operation) of every method the document declares (ANY for the any-method extension);
    None when the paths cannot be read completely."""
    if not isinstance(body, Mapping):
        return []
    paths = body.get("paths")
    if paths is None:
        return []
    if not isinstance(paths, Mapping):
        return None
    out: List[Tuple[str, str, Any]] = []
    for path, item in paths.items():
        if not isinstance(path, str):
            return None
        if path.startswith("__"):
            continue
        for branch in _branches(item):
            if branch is None:
                return None
            for key, operation in branch.items():
                method = _method_name(key)
                if method is not None:
                    out.append((method, path, operation))
    return out


def _branches(item: Any) -> List[Optional[Mapping[str, Any]]]:
    """A path item, or both branches of a CloudFormation Fn::If around it (every route either may declare)."""
    call = cfn_intrinsics.intrinsic(item)
    if call is not None:
        if call[0] == "Fn::If" and isinstance(call[1], list) and len(call[1]) == 3:
            return [b for b in call[1][1:] if isinstance(b, Mapping) and cfn_intrinsics.intrinsic(b) is None] or []
        return [None]
    return [item] if isinstance(item, Mapping) else [None]


def _method_name(key: Any) -> Optional[str]:
    if not isinstance(key, str):
        return None
    lower = key.lower()
    if lower in (_ANY_METHOD, "any"):
        return "ANY"
    return lower.upper() if lower in _HTTP_METHODS else None


def _operation_authorization(operation: Any, body: Any) -> Optional[str]:
    """The authorization API Gateway gives an imported method, or None when the document says nothing.

    ``x-amazon-apigateway-auth`` wins; otherwise the operation's (or the document's) ``security`` names schemes:
    ``x-amazon-apigateway-authtype: awsSigv4`` is AWS_IAM, Cognito is COGNITO_USER_POOLS, a Lambda authorizer is
    CUSTOM, and an API key alone is no authorization (NONE).
    """
    if not isinstance(operation, Mapping):
        return None
    declared = operation.get("x-amazon-apigateway-auth")
    if isinstance(declared, Mapping) and isinstance(declared.get("type"), str):
        return declared["type"].upper()
    if "security" in operation:
        security = operation.get("security")
    elif isinstance(body, Mapping) and "security" in body:
        security = body.get("security")
    else:
        return None
    if not isinstance(security, list):
        return None
    schemes: Any = body.get("securityDefinitions") if isinstance(body, Mapping) else None
    if not isinstance(schemes, Mapping) and isinstance(body, Mapping):
        components = body.get("components")
        schemes = components.get("securitySchemes") if isinstance(components, Mapping) else None
    schemes = schemes if isinstance(schemes, Mapping) else {}
    for requirement in security:
        for name in requirement if isinstance(requirement, Mapping) else ():
            if name == "AWS_IAM" and name not in schemes:
                return "AWS_IAM"
            scheme = schemes.get(name)
            if not isinstance(scheme, Mapping):
                continue
            kind = str(scheme.get("x-amazon-apigateway-authtype", "")).lower()
            authorizer = scheme.get("x-amazon-apigateway-authorizer")
            authorizer_type = str(authorizer.get("type", "")).lower() if isinstance(authorizer, Mapping) else ""
            if kind == "awssigv4":
                return "AWS_IAM"
            if "cognito_user_pools" in (kind, authorizer_type):
                return "COGNITO_USER_POOLS"
            if authorizer is not None or kind == "custom":
                return "CUSTOM"
    return "NONE"


def _body_endpoint_ids(body: Any) -> List[Any]:
    """x-amazon-apigateway-endpoint-configuration.vpcEndpointIds: top level (Swagger 2) or per server (OpenAPI 3)."""
    if not isinstance(body, Mapping):
        return []
    servers = body.get("servers")
    holders = [body] + ([s for s in servers if isinstance(s, Mapping)] if isinstance(servers, list) else [])
    out: List[Any] = []
    for holder in holders:
        extension = holder.get(_ENDPOINT_EXTENSION)
        ids = extension.get("vpcEndpointIds") if isinstance(extension, Mapping) else None
        out.extend(ids if isinstance(ids, list) else [ids] if ids is not None else [])
    return out


def _routes(stages: List[str], methods: List[Tuple[str, str]]) -> Tuple[str, ...]:
    """"STAGE/METHOD/path" for every stage and declared method (path without its leading slash; ANY is "*")."""
    out: List[str] = []
    for stage in stages or ["*"]:
        for method, path in methods:
            route = f"{stage}/{'*' if method == 'ANY' else method}/{path.lstrip('/')}"
            if route not in out:
                out.append(route)
    return tuple(out)


def _routes_needing_allow(routes: Tuple[str, ...], authorization: Mapping[str, str]) -> Tuple[str, ...]:
    """The routes whose method has authorization NONE (a request there needs an explicit Allow; the engine
    leaves out such a route that no Allow names). A method whose authorization is unknown is not one of them."""
    out = []
    for route in routes:
        stage_method, _, path = route.partition("/")[2].partition("/")
        method = "ANY" if stage_method == "*" else stage_method
        if authorization.get(_method_key(method, path), "").upper() == "NONE":
            out.append(route)
    return tuple(out)


def _method_key(method: str, path: str) -> str:
    return f"{method} {path if path.startswith('/') else '/' + path}"


def _flatten(value: Any, depth: int = 0) -> List[Any]:
    if isinstance(value, (list, tuple)) and depth < 8:
        out: List[Any] = []
        for item in value:
            out.extend(_flatten(item, depth + 1))
        return out
    return [] if value is None else [value]


# --------------------------------------------------------------------------------------------------------------
# Terraform
# --------------------------------------------------------------------------------------------------------------


class _ApiContext(tf_resolution.Context):
    """The Terraform adapter's normalising context, for an API: its own references become its ARN or ID."""

    __slots__ = ()

    def resolve(self, ref: Any) -> Optional[str]:
        if ref.kind == "data":
            return tf_resolution.Context.resolve(self, ref)  # caller identity, region, partition
        if ref.kind != "resource" or not any(tf_graph.same_instance(ref.base, own) for own in self.self_bases):
            return None
        target = self.target
        if ref.attribute == "execution_arn":
            return PROFILES[SERVICE].resource_arn(target)
        if ref.attribute == "id":
            return target.name
        if ref.attribute == "arn":  # the management ARN: no invocation is ever made on it
            return f"arn:{target.partition}:apigateway:{target.region}::/restapis/{target.name}"
        return None


class _ApiNodes:
    """The graph's API Gateway resources, grouped once per graph: (address, module scope, attributes)."""

    __slots__ = ("policies", "methods", "stages")

    def __init__(self) -> None:
        self.policies: List[Tuple[str, str, Mapping[str, Any]]] = []
        self.methods: List[Tuple[str, str, Mapping[str, Any]]] = []
        self.stages: List[Tuple[str, str, Mapping[str, Any]]] = []


_NODE_CACHE: List[Tuple[object, _ApiNodes]] = []


def _api_nodes(index: Any) -> _ApiNodes:
    for cached, nodes in _NODE_CACHE:
        if cached is index:
            return nodes
    nodes = _ApiNodes()
    for address, attrs in index.by_address.items():
        ident = attrs.get("id_")
        if not isinstance(ident, str):
            continue
        kind = ident.split(".", 1)[0]
        entry = (address, tf_graph.scope_of(address, ident), attrs)
        if kind == "aws_api_gateway_rest_api_policy":
            nodes.policies.append(entry)
        elif kind == "aws_api_gateway_method":
            nodes.methods.append(entry)
        elif kind in ("aws_api_gateway_stage", "aws_api_gateway_deployment"):
            nodes.stages.append(entry)
    _NODE_CACHE.insert(0, (index, nodes))
    del _NODE_CACHE[2:]
    return nodes


def _tf_reference(value: Any) -> Any:
    value = tf_graph.unwrap(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    return tf_graph.parse_reference(tf_resolution.whole_interpolation(text) or text)


class _TerraformApi:
    """One aws_api_gateway_rest_api and what the graph says about it."""

    def __init__(self, conf: Any, graph: object | None, file_path: str, address: str) -> None:
        self.conf: Mapping[str, Any] = conf if isinstance(conf, Mapping) else {}
        self.address = address
        self.file_path = file_path
        self.index = tf_graph.graph_index(graph, file_path, address)
        self.node = self.index.by_address.get(address) if self.index is not None else None
        self.scope = tf_resources.scope_for(address, TERRAFORM_API, self.node)
        self.api_id = tf_resources.strip_scope(address)
        self.name = f"${{{self.api_id}.id}}"
        self.module_dir = tf_resources.module_dir_of(self.node, file_path)
        self.root_dir = tf_graph.root_dir_of(self.node, self.module_dir)
        self.context = self._context(address, self.scope, self.node, Target(SERVICE, self.name))
        self._body: Optional[Tuple[Any, Optional[str]]] = None

    def _context(self, address: str, scope: str, node: Optional[Mapping[str, Any]], target: Target) -> _ApiContext:
        module_dir = tf_resources.module_dir_of(node, self.file_path) if node is not self.node else self.module_dir
        root_dir = tf_graph.root_dir_of(node, module_dir) if node is not self.node else self.root_dir
        context = _ApiContext(SERVICE, target, address, scope, self.index, module_dir, root_dir)
        context.self_bases = (self.api_id,)
        context.node = node
        return context

    # -- endpoint type -----------------------------------------------------------------------------------------
    def endpoint_type(self) -> EndpointType:
        problems: List[str] = []
        blocks = tf_resolution.nested_blocks(self.conf, "endpoint_configuration", problems)
        if problems:
            return EndpointType(None, problem=f"endpoint_configuration of {self.address}: {problems[0]}",
                                origin=f"endpoint_configuration of {self.address}")
        if not blocks:
            return EndpointType(_EDGE_DEFAULT, vpc_endpoint_ids=self._ids(_body_endpoint_ids(self.body()[0])),
                                origin=f"{self.address} (no endpoint_configuration block: AWS's default is EDGE)")
        block = blocks[0]
        origin = f"endpoint_configuration.types of {self.address}"
        ids = self._ids(_flatten(block.get("vpc_endpoint_ids")))
        if not ids:  # the argument, when set, overrides the body's extension (provider documentation)
            ids = self._ids(_body_endpoint_ids(self.body()[0]))
        items = _flatten(block.get("types"))
        if not items:
            unset = tf_resolution.unset_list_variables([("types", "types")], self.node, self.index)
            problem = f"{origin}: {unset}" if unset else f"{origin} is empty: {_FIX_TYPES}"
            return EndpointType(None, problem=problem, vpc_endpoint_ids=ids, origin=origin)
        types: List[str] = []
        for item in items:
            text = str(item).strip()
            expression = tf_resolution.whole_interpolation(text) or text
            ref = tf_graph.parse_reference(expression)
            unevaluated = tf_graph.rx(tf_resolution.UNEVALUATED).match(expression) or "${" in expression
            if ref is not None or unevaluated:
                how = _UNRESOLVED_HOW if expression.startswith("var.") else \
                    "write the types literally (types = [\"PRIVATE\"]) or set VPCE_CHECKS_UNRESOLVED=skip"
                return EndpointType(None, problem=f"{origin} is {expression}, which has no value the scan can read: "
                                    f"{how}", vpc_endpoint_ids=ids, origin=origin)
            types.append(text.upper())
        return EndpointType(tuple(types), vpc_endpoint_ids=ids, origin=origin)

    def _ids(self, values: List[Any]) -> Tuple[str, ...]:
        return tuple(tf_resolution.normalise_string(str(v), self.context) for v in values if v not in (None, ""))

    # -- the OpenAPI body ----------------------------------------------------------------------------------------
    def body(self) -> Tuple[Any, Optional[str]]:
        """(document, problem) of ``body``; (None, None) when there is none."""
        if self._body is None:
            self._body = _bounded_body(self._read_body(), f"body of {self.address}")
        return self._body

    def _read_body(self) -> Tuple[Any, Optional[str]]:
        raw = tf_graph.unwrap(self.conf.get("body"))
        origin = f"body of {self.address}"
        if tf_resources.is_empty(raw):
            return None, None
        if isinstance(raw, Mapping):
            return raw, None
        if not isinstance(raw, str):
            return None, f"{origin} is {tf_resolution.shorten(repr(raw))}, not an OpenAPI document"
        text = raw.strip()
        expression = tf_resolution.whole_interpolation(text)
        if expression is None and (re.fullmatch(r"[A-Za-z_][\w-]*(?:\.[\w*-]+|\[[^\]]*\])+", text)
                                   or re.match(r"^[a-z][a-z0-9_]*\(", text)):
            expression = text  # a reference (data.http.x.body) or call Checkov left bare
        if expression is not None:
            return self._body_expression(expression, origin)
        if text[:1] in "{[":
            try:
                parsed = tf_resolution.parse_json_or_literal(text)
            except DocumentTooLarge as error:
                return None, f"{origin} is not read: {error}"
            if isinstance(parsed, Mapping):
                return parsed, None
            return None, f"{origin} is not a JSON object the scan can read: {tf_resolution.shorten(text)}"
        heredoc = self._heredoc("body")
        if heredoc is None:
            return None, (f"{origin} is YAML that Checkov hands over without its line breaks, and the block's source "
                          "could not be read again: write it with jsonencode({...}) or file(\"...yaml\")")
        return self._document(heredoc, origin)

    def _body_expression(self, expression: str, origin: str) -> Tuple[Any, Optional[str]]:
        decoded = re.match(r"^jsonencode\s*\(\s*yamldecode\s*\((.*)\)\s*\)$", expression, re.DOTALL)
        inner = decoded.group(1).strip() if decoded else expression
        call = re.match(r"^(file|templatefile)\s*\((.*)\)$", inner, re.DOTALL)
        if call:
            text, problem = self._read_text(call.group(1), call.group(2), origin)
            return (None, problem) if problem is not None else self._document(text, origin)
        if expression.startswith("jsonencode"):
            resolved = tf_resolution.resolve_policy("${" + expression + "}", self.context, origin, 0, frozenset())
            if resolved.problem is None and isinstance(resolved.document, Mapping):
                return resolved.document, None
            return None, f"{origin} is {tf_resolution.shorten(expression)}, which the scan cannot read as a document"
        return None, (f"{origin} is {tf_resolution.shorten(expression)}, which the scan cannot evaluate: write the "
                      "OpenAPI document inline (jsonencode({...}) or a heredoc) or read it with file()/templatefile() "
                      "from a literal path, or set VPCE_CHECKS_UNRESOLVED=skip")

    @staticmethod
    def _document(text: str, origin: str) -> Tuple[Any, Optional[str]]:
        try:
            document = parse_openapi_text(text)
        except ValueError as error:
            return None, f"{origin}: {error}"
        if not isinstance(document, Mapping):
            return None, f"{origin} is not an OpenAPI object"
        return document, None

    def _read_text(self, function: str, arguments: str, origin: str) -> Tuple[str, Optional[str]]:
        """file()/templatefile() text with a literal path, resolved as the Terraform adapter's _read_file does
        (JSON or YAML here: OpenAPI files are often YAML)."""
        written = tf_resolution.shorten(f"{function}({arguments.strip()})")
        parts = tf_resolution.split_arguments(arguments)
        if not parts or len(parts) != (2 if function == "templatefile" else 1):
            return "", f"{origin}: cannot read the arguments of {written}"
        literal = parts[0]
        if not (len(literal) >= 2 and literal[0] == literal[-1] == '"'):
            return "", f"{origin}: the path of {written} is computed ({literal}); use a literal path"
        relative = re.sub(r"\$\{\s*path\.module\s*\}", lambda _: self.module_dir.replace("\\", "/"), literal[1:-1])
        relative = re.sub(r"\$\{\s*path\.(?:root|cwd)\s*\}", lambda _: self.root_dir.replace("\\", "/"), relative)
        if "${" in relative:
            return "", f"{origin}: the path of {written} depends on a value the scan cannot resolve"
        path = os.path.normpath(os.path.join(self.root_dir, relative))
        content, problem = _read_bounded_text(path, origin)
        if content is None:
            return "", problem
        if function == "templatefile":
            try:
                variables = tf_resolution.parse_literal(parts[1])
            except ValueError:
                variables = None
            if not isinstance(variables, Mapping):
                return "", f"{origin}: the template variables of {written} are not an object the scan can read"
            content, problem = tf_resolution.render_file_template(content, variables)
            if problem is not None:
                return "", f"{origin}: {problem}"
        return content, None

    def _heredoc(self, attribute: str) -> Optional[str]:
        """A heredoc argument re-read from the block's source (Checkov drops its line breaks)."""
        lines = tf_resolution.node_lines(self.node)
        for position, line in enumerate(lines):
            opening = re.match(rf"^\s*{attribute}\s*=\s*<<(-?)([A-Za-z_][A-Za-z0-9_]*)\s*$", line)
            if not opening:
                continue
            body: List[str] = []
            for inner in lines[position + 1:]:
                if inner.strip() == opening.group(2):
                    if opening.group(1):
                        indent = min((len(x) - len(x.lstrip()) for x in body if x.strip()), default=0)
                        body = [x[indent:] for x in body]
                    return "\n".join(body).replace("$${", "${")
                body.append(inner)
            return None
        return None

    # -- routes and authorization -----------------------------------------------------------------------------
    def _points_here(self, value: Any, scope: str) -> bool:
        ref = _tf_reference(value)
        return (ref is not None and ref.kind == "resource" and ref.resource_type == TERRAFORM_API
                and ref.attribute == "id" and scope == self.scope and tf_graph.same_instance(ref.base, self.api_id))

    def _resource_path(self, value: Any, depth: int = 0) -> Optional[str]:
        ref = _tf_reference(value)
        if ref is None or ref.kind != "resource" or depth > 64:
            return None
        if ref.resource_type == TERRAFORM_API and ref.attribute == "root_resource_id":
            return "/" if tf_graph.same_instance(ref.base, self.api_id) else None
        if ref.resource_type != "aws_api_gateway_resource" or ref.attribute != "id":
            return None
        node = tf_graph.lookup_node(self.index, "resource", self.scope, ref.base)
        part = tf_graph.literal_name(node.get("path_part")) if node else None
        parent = self._resource_path(node.get("parent_id"), depth + 1) if node and part is not None else None
        return None if parent is None else parent.rstrip("/") + "/" + part

    def routes(self) -> Tuple[Tuple[str, ...], Dict[str, str]]:
        """Declared routes (empty when any method's path is unknown) and each method's authorization."""
        methods: List[Tuple[str, str]] = []
        authorization: Dict[str, str] = {}
        complete = True
        body, body_problem = self.body()
        operations = _operations(body)
        if operations is None or body_problem is not None:
            complete = False
        for method, path, operation in operations or []:
            methods.append((method, path))
            authorization[_method_key(method, path)] = _operation_authorization(operation, body) or "NONE"
        stages: List[str] = []
        if self.index is not None:
            nodes = _api_nodes(self.index)
            for _, scope, attrs in nodes.methods:
                if not self._points_here(attrs.get("rest_api_id"), scope):
                    continue
                verb = tf_graph.literal_name(attrs.get("http_method"))
                path = self._resource_path(attrs.get("resource_id"))
                if verb is None or path is None:
                    complete = False
                    continue
                verb = verb.upper()
                methods.append((verb, path))
                authorization[_method_key(verb, path)] = self._authorization(attrs.get("authorization"))
            for _, scope, attrs in nodes.stages:
                name = tf_graph.unwrap(attrs.get("stage_name"))
                if not self._points_here(attrs.get("rest_api_id"), scope) or tf_resources.is_empty(name):
                    continue
                stage = tf_resolution.normalise_string(str(name), self.context)
                if stage not in stages:
                    stages.append(stage)
        return (_routes(stages, methods) if complete else ()), authorization

    def _authorization(self, value: Any) -> str:
        """aws_api_gateway_method.authorization: NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS (or a reference)."""
        value = tf_graph.unwrap(value)
        if not isinstance(value, str) or not value.strip():
            return "UNKNOWN"
        literal = tf_graph.literal_name(value)
        return literal.upper() if literal is not None else tf_resolution.normalise_string(value, self.context)

    # -- the policy ---------------------------------------------------------------------------------------------
    def policy(self) -> Optional[PolicySource]:
        endpoint = self.endpoint_type()
        if not endpoint.private:
            return None  # not private, or not known to be: CKV_VPCE_4 reports it, once
        routes, authorization = self.routes()
        target = Target(SERVICE, self.name, routes=routes,
                        routes_needing_allow=_routes_needing_allow(routes, authorization))
        self.context.target = target
        separate = []
        if self.index is not None:
            separate = [(a, s, n) for a, s, n in _api_nodes(self.index).policies
                        if self._points_here(n.get("rest_api_id"), s)]
        inline = self.conf.get("policy")
        has_inline = not tf_resources.is_empty(inline)
        body, body_problem = self.body()
        body_policy = body.get(_POLICY_EXTENSION) if isinstance(body, Mapping) else None

        def problem(message: str, keys: List[str]) -> PolicySource:
            return PolicySource(target=target, origin=self.address, problem=message, evaluated_keys=keys,
                                syntax="hcl", authorization=authorization)

        if len(separate) > 1:
            names = ", ".join(a for a, _, _ in separate)
            return problem(f"{len(separate)} aws_api_gateway_rest_api_policy resources ({names}) set the policy of "
                           f"{self.address}; each apply overwrites the other: keep one", [])
        if separate and has_inline:
            return problem(f"both the policy argument of {self.address} and {separate[0][0]} set its policy; they "
                           "overwrite each other on every apply: keep one", ["policy"])
        overrides = " (it replaces the body's x-amazon-apigateway-policy)" if body_policy is not None else ""
        if separate:
            address, scope, node = separate[0]
            context = self._context(address, scope, node, target)
            source = tf_resolution.judge_policy_value(node.get("policy"), context, f"policy of {address}")
            keys: List[str] = []
        elif has_inline:
            source = tf_resolution.judge_policy_value(inline, self.context, f"policy of {self.address}")
            keys = ["policy"]
        elif body_policy is not None:
            origin = f"body x-amazon-apigateway-policy of {self.address}"
            source = tf_resolution.judge_policy_value(body_policy, self.context, origin)
            keys, overrides = ["body"], ""
        elif body_problem is not None:
            return problem(f"{body_problem} (it may hold the API's x-amazon-apigateway-policy)", ["body"])
        else:
            return PolicySource(target=target, document=None, origin=f"{self.address} (no policy argument, no "
                                "aws_api_gateway_rest_api_policy and no x-amazon-apigateway-policy in its body)",
                                evaluated_keys=["policy"], syntax="hcl", authorization=authorization)
        return replace(source, target=target, origin=source.origin + overrides, evaluated_keys=keys,
                       authorization=authorization)


# --------------------------------------------------------------------------------------------------------------
# CloudFormation and SAM
# --------------------------------------------------------------------------------------------------------------


class _ApiRenderer(cfn_intrinsics.Renderer):
    """The CloudFormation renderer, for an API: Ref to the API itself is its ID (the target's name)."""

    def __init__(self, template: Any, api_id: str, target: Target) -> None:
        super().__init__(template, SERVICE, None, target)
        self.api_id = api_id

    def ref(self, name: str) -> Any:
        if name == self.api_id and self.target is not None:
            return self.target.name
        return super().ref(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id == self.api_id and self.target is not None and attribute == "RestApiId":
            return self.target.name
        return super().get_att(logical_id, attribute)


def _plain_properties(props: Any) -> Dict[str, Any]:
    if not isinstance(props, Mapping):
        return {}
    return {k: v for k, v in props.items() if isinstance(k, str) and not k.startswith("__") and k != "resource_type"}


def _refers_to(value: Any, logical_id: str, attributes: Tuple[str, ...] = ()) -> bool:
    """Is ``value`` a Ref to ``logical_id`` (or a GetAtt of one of ``attributes``)?"""
    call = cfn_intrinsics.intrinsic(value)
    if call is None:
        return False
    name, argument = call
    if name == "Ref":
        return argument == logical_id and not attributes
    if name == "Fn::GetAtt":
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        return (isinstance(argument, list) and len(argument) == 2 and argument[0] == logical_id
                and argument[1] in attributes)
    return False


class _CloudFormationApi:
    """One AWS::ApiGateway::RestApi or AWS::Serverless::Api, with its template."""

    def __init__(self, conf: Any, entity_type: str, file_path: str, logical_id: Optional[str]) -> None:
        self.conf: Mapping[str, Any] = conf if isinstance(conf, Mapping) else {}
        self.entity_type = entity_type
        self.sam = entity_type == SAM_API
        path = cfn_template.template_path(self.conf, file_path)
        self.path = path or file_path or ""
        self.syntax = cfn_template.template_syntax(self.path)
        self.template = cfn_template.load_template(path) if path else None
        if not logical_id and self.template is not None:
            logical_id = _cfn.guess_logical_id(self.template, self.conf, entity_type)
        self.logical_id = logical_id or ""
        self.label = f"{entity_type} {logical_id or '(unknown logical ID)'}"
        self.name = "${" + (logical_id or "unknown") + "}"
        template_props = None
        if self.template is not None and logical_id and self.template.resource_type(logical_id) == entity_type:
            template_props = self.template.properties(logical_id)
        if self.sam or template_props is None:
            # SAM: Checkov's conf carries Globals.Api merged in (the raw template does not).
            self.props = _plain_properties(self.conf.get("Properties"))
        else:
            self.props = _plain_properties(template_props)
        self.target = Target(SERVICE, self.name)
        self._body: Optional[Tuple[Any, Optional[str]]] = None

    def renderer(self, target: Optional[Target] = None) -> _ApiRenderer:
        return _ApiRenderer(self.template, self.logical_id, target or self.target)

    def _render(self, value: Any) -> Any:
        return self.renderer().render(value)

    # -- endpoint type -----------------------------------------------------------------------------------------
    def endpoint_type(self) -> EndpointType:
        props = self.props
        raw = props.get("EndpointConfiguration")
        origin = f"EndpointConfiguration of {self.label}"
        if raw is None:
            body_ids = self._strings(_body_endpoint_ids(self.body()[0]))
            if not self.sam and isinstance(props.get("Parameters"), Mapping) \
                    and "endpointConfigurationTypes" in props["Parameters"]:
                return EndpointType(None, problem=(
                    f"{self.label} gives its endpoint type only as Parameters.endpointConfigurationTypes, an import "
                    "option that does not set the type of an API CloudFormation creates: set EndpointConfiguration: "
                    "{Types: [PRIVATE]}"), vpc_endpoint_ids=body_ids, origin=origin, syntax=self.syntax)
            return EndpointType(_EDGE_DEFAULT, vpc_endpoint_ids=body_ids, syntax=self.syntax,
                                origin=f"{self.label} (no EndpointConfiguration: AWS's default is EDGE)")
        try:
            rendered = self._render(raw)
        except cfn_intrinsics.Unresolvable as error:
            return EndpointType(None, problem=f"{origin}: {error}", origin=origin, syntax=self.syntax)
        if self.sam:  # a string ("PRIVATE") or {Type, VPCEndpointIds}
            if isinstance(rendered, Mapping):
                types_value, ids_value = rendered.get("Type"), rendered.get("VPCEndpointIds")
            else:
                types_value, ids_value = rendered, None
        elif isinstance(rendered, Mapping):
            types_value, ids_value = rendered.get("Types"), rendered.get("VpcEndpointIds")
        else:
            return EndpointType(None, problem=f"{origin} is {cfn_intrinsics.short(raw)}, not an object", origin=origin,
                                syntax=self.syntax)
        ids = self._strings(_flatten(ids_value)) or self._strings(_body_endpoint_ids(self.body()[0]))
        if isinstance(types_value, str) and "," in types_value and not self.sam:
            types_value = [t.strip() for t in types_value.split(",")]  # a CommaDelimitedList default
        types: List[str] = []
        for item in _flatten(types_value):
            text = str(item).strip()
            if cfn_intrinsics.TOKEN.search(text):
                resolved = self._allowed_value(text)
                if resolved is None:
                    return EndpointType(None, problem=self._unresolved_type(origin, text), vpc_endpoint_ids=ids,
                                        origin=origin, syntax=self.syntax)
                text = resolved
            types.append(text.upper())
        if not types:
            return EndpointType(None, problem=f"{origin} names no endpoint type: {_FIX_TYPES}", vpc_endpoint_ids=ids,
                                origin=origin, syntax=self.syntax)
        return EndpointType(tuple(types), vpc_endpoint_ids=ids, origin=origin, syntax=self.syntax)

    def _parameter_of(self, token: str) -> Optional[Mapping[str, Any]]:
        match = re.fullmatch(r"\$\{Ref\.([^}]*)\}", token)
        parameters = self.template.parameters if self.template is not None else {}
        found = parameters.get(match.group(1)) if match else None
        return found if isinstance(found, Mapping) else None

    def _allowed_value(self, token: str) -> Optional[str]:
        """A parameter without a Default whose AllowedValues admit one value has that value."""
        parameter = self._parameter_of(token)
        allowed = parameter.get("AllowedValues") if parameter else None
        return str(allowed[0]) if isinstance(allowed, list) and len(allowed) == 1 else None

    def _unresolved_type(self, origin: str, token: str) -> str:
        if self._parameter_of(token) is not None:
            name = token[len("${Ref."):-1]
            return (f"{origin} comes from parameter {name}, which has no Default: give it a Default (or AllowedValues "
                    "[PRIVATE]), or set VPCE_CHECKS_UNRESOLVED=skip")
        return (f"{origin} is {token}, a value the scan cannot resolve: write the type literally, or set "
                "VPCE_CHECKS_UNRESOLVED=skip")

    def _strings(self, values: List[Any]) -> Tuple[str, ...]:
        out: List[str] = []
        for value in values:
            try:
                rendered = self._render(value)
            except cfn_intrinsics.Unresolvable:
                rendered = cfn_intrinsics.unresolved_token("If", cfn_intrinsics.digest(value))
            for item in _flatten(rendered):
                if isinstance(item, (str, int)) and str(item):
                    out.append(str(item))
        return tuple(out)

    # -- the OpenAPI body ----------------------------------------------------------------------------------------
    def body(self) -> Tuple[Any, Optional[str]]:
        """(document, problem) of Body / DefinitionBody (or a local DefinitionUri file); (None, None) when none."""
        if self._body is None:
            name = "DefinitionBody" if self.sam else "Body"
            self._body = _bounded_body(self._read_body(), f"{name} of {self.label}")
        return self._body

    def _read_body(self) -> Tuple[Any, Optional[str]]:
        name = "DefinitionBody" if self.sam else "Body"
        raw = self.props.get(name)
        origin = f"{name} of {self.label}"
        if raw is None:
            return self._definition_uri() if self.sam else (None, None)
        call = cfn_intrinsics.intrinsic(raw)
        if call is not None:
            if call[0] == "Fn::Transform":
                return None, (f"{origin} comes from Fn::Transform ({cfn_intrinsics.short(call[1])}), which the scan "
                              "cannot read: inline the definition, or set VPCE_CHECKS_UNRESOLVED=skip")
            try:
                raw = self._render(raw)
            except cfn_intrinsics.Unresolvable as error:
                return None, f"{origin}: {error}"
        if isinstance(raw, str):
            if cfn_intrinsics.TOKEN.fullmatch(raw.strip()):
                return None, f"{origin} is {raw}, a value the scan cannot resolve"
            try:
                raw = parse_openapi_text(raw)
            except ValueError as error:
                return None, f"{origin}: {error}"
        if not isinstance(raw, Mapping):
            return None, f"{origin} is not an OpenAPI object"
        return raw, None

    def _definition_uri(self) -> Tuple[Any, Optional[str]]:
        """SAM DefinitionUri: a local file is read (sam package uploads it); S3 cannot be."""
        raw = self.props.get("DefinitionUri")
        origin = f"DefinitionUri of {self.label}"
        if raw is None:
            return None, None
        if not isinstance(raw, str) or raw.startswith("s3://") or cfn_intrinsics.TOKEN.search(raw):
            return None, (f"{origin} is {cfn_intrinsics.short(raw)}, a definition the scan cannot read: inline it as "
                          "DefinitionBody, or set VPCE_CHECKS_UNRESOLVED=skip")
        path = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(self.path)), raw))
        text, problem = _read_bounded_text(path, origin)
        if text is None:
            return None, problem
        try:
            document = parse_openapi_text(text)
        except DocumentTooLarge as error:
            return None, f"{origin}: {path}: {error}"
        except ValueError as error:
            return None, f"{origin}: the file {path} cannot be read ({type(error).__name__}: {error})"
        if not isinstance(document, Mapping):
            return None, f"{origin}: {path} is not an OpenAPI object"
        return document, None

    # -- policies --------------------------------------------------------------------------------------------------
    def policy(self) -> Readings:
        endpoint = self.endpoint_type()
        if not endpoint.private:
            return None  # not private, or not known to be: CKV_VPCE_4 reports it, once
        return self._sam_policy() if self.sam else self._rest_api_policy()

    def _source(self, target: Target, raw: Any, origin: str, keys: List[str],
                authorization: Dict[str, str]) -> Union[PolicySource, List[PolicySource]]:
        """The policy rendered as the CloudFormation reader renders PolicyDocument: one reading per way an undecided
        Fn::If can go (each judged; the API passes only when all do). An Fn::If inside an Allow matters too when a
        method has authorization NONE (its route needs the Allow: docs/semantics.md)."""
        readings = _cfn.rendered_sources(raw, lambda: self.renderer(target), target, origin, keys, self.syntax,
                                         "the policy", allows_matter=bool(target.routes_needing_allow))
        for reading in readings:
            reading.authorization = authorization
        return readings[0] if len(readings) == 1 else readings

    def _rest_api_policy(self) -> Readings:
        routes, authorization = self._rest_api_routes()
        target = Target(SERVICE, self.name, routes=routes,
                        routes_needing_allow=_routes_needing_allow(routes, authorization))
        body, body_problem = self.body()
        body_policy = body.get(_POLICY_EXTENSION) if isinstance(body, Mapping) else None
        if self.props.get("Policy") is not None:
            origin = f"Policy of {self.label}"
            if body_policy is not None:
                origin += " (it replaces the Body's x-amazon-apigateway-policy)"
            return self._source(target, self.props["Policy"], origin, ["Properties/Policy"], authorization)
        if body_policy is not None:
            return self._source(target, body_policy, f"Body x-amazon-apigateway-policy of {self.label}",
                                ["Properties/Body"], authorization)
        problem = None
        if body_problem is not None:
            problem = f"{body_problem} (it may hold the API's x-amazon-apigateway-policy)"
        elif self.props.get("BodyS3Location") is not None:
            location = cfn_intrinsics.short(self.props["BodyS3Location"])
            problem = (f"{self.label} keeps its definition in BodyS3Location ({location}), which the scan cannot "
                       "read, and has no Policy property: set Policy in the template, or set "
                       "VPCE_CHECKS_UNRESOLVED=skip")
        if problem is not None:
            return PolicySource(target=target, origin=self.label, problem=problem, evaluated_keys=["Properties"],
                                syntax=self.syntax, authorization=authorization)
        return PolicySource(target=target, document=None, syntax=self.syntax, authorization=authorization,
                            origin=f"{self.label} (no Policy and no x-amazon-apigateway-policy in its Body)",
                            evaluated_keys=["Properties/Policy"])

    def _stage_value(self, raw: Any) -> Optional[str]:
        try:
            rendered = self._render(raw)
        except cfn_intrinsics.Unresolvable:
            return None
        return str(rendered) if isinstance(rendered, (str, int)) and str(rendered) else None

    def _rest_api_routes(self) -> Tuple[Tuple[str, ...], Dict[str, str]]:
        methods: List[Tuple[str, str]] = []
        authorization: Dict[str, str] = {}
        body, body_problem = self.body()
        operations = _operations(body)
        complete = operations is not None and body_problem is None and self.template is not None
        for method, path, operation in operations or []:
            methods.append((method, path))
            authorization[_method_key(method, path)] = _operation_authorization(operation, body) or "NONE"
        stages: List[str] = []
        template = self.template
        for logical_id in template.resources if template is not None else ():
            kind = template.resource_type(logical_id)
            props = template.properties(logical_id)
            if kind not in ("AWS::ApiGateway::Method", "AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment"):
                continue
            if not (_refers_to(props.get("RestApiId"), self.logical_id)
                    or _refers_to(props.get("RestApiId"), self.logical_id, ("RestApiId",))):
                continue
            if kind != "AWS::ApiGateway::Method":
                stage = self._stage_value(props.get("StageName")) if props.get("StageName") is not None else None
                if stage is not None and stage not in stages:
                    stages.append(stage)
                continue
            verb = self._stage_value(props.get("HttpMethod"))
            path = self._cfn_resource_path(props.get("ResourceId"))
            if verb is None or path is None or cfn_intrinsics.TOKEN.search(verb):
                complete = False
                continue
            verb = verb.upper()
            methods.append((verb, path))
            kind_value = props.get("AuthorizationType")  # CloudFormation's default is NONE
            auth = self._stage_value(kind_value) if kind_value is not None else "NONE"
            if auth is None:
                auth = "UNKNOWN"
            authorization[_method_key(verb, path)] = auth if cfn_intrinsics.TOKEN.search(auth) else auth.upper()
        return (_routes(stages, methods) if complete else ()), authorization

    def _cfn_resource_path(self, value: Any, depth: int = 0) -> Optional[str]:
        if depth > 64 or self.template is None:
            return None
        if _refers_to(value, self.logical_id, ("RootResourceId",)):
            return "/"
        call = cfn_intrinsics.intrinsic(value)
        if call is None or call[0] != "Ref" or not isinstance(call[1], str):
            return None
        if self.template.resource_type(call[1]) != "AWS::ApiGateway::Resource":
            return None
        props = self.template.properties(call[1])
        part = self._stage_value(props.get("PathPart"))
        if part is None or cfn_intrinsics.TOKEN.search(part):
            return None
        parent = self._cfn_resource_path(props.get("ParentId"), depth + 1)
        return None if parent is None else parent.rstrip("/") + "/" + part

    # -- SAM ---------------------------------------------------------------------------------------------------
    def _sam_policy(self) -> Readings:
        """The x-amazon-apigateway-policy SAM writes: DefinitionBody's, plus Auth.ResourcePolicy statements for every
        route (samtranslator SwaggerEditor.add_resource_policy), event-level ones first (functions are translated
        before APIs), then the API's own, then CustomStatements."""
        props = self.props
        auth = props.get("Auth") if isinstance(props.get("Auth"), Mapping) else {}
        resource_policy = auth.get("ResourcePolicy")
        placeholder = Target(SERVICE, self.name)

        def problem(message: str, keys: List[str], target: Target = placeholder,
                    authorization: Optional[Dict[str, str]] = None) -> PolicySource:
            return PolicySource(target=target, origin=self.label, problem=message, evaluated_keys=keys,
                                syntax=self.syntax, authorization=authorization or {})

        if props.get("DefinitionUri") is not None and props.get("Auth") is not None:
            return problem(f"{self.label} sets Auth together with DefinitionUri; SAM applies Auth only to an inline "
                           "DefinitionBody and rejects the template ('Auth works only with inline Swagger'): inline "
                           "the definition, or put x-amazon-apigateway-policy in the definition file and drop Auth",
                           ["Properties/Auth"])
        body, body_problem = self.body()
        if body_problem is not None:
            return problem(f"{body_problem} (it may hold the API's x-amazon-apigateway-policy)",
                           ["Properties/DefinitionBody"])
        stage_raw = props.get("StageName")
        stage = self._stage_value(stage_raw) if stage_raw is not None else None
        if stage is None:
            return problem(f"{self.label} has no StageName the scan can read (SAM requires one)",
                           ["Properties/StageName"])
        stages = [stage] if props.get("OpenApiVersion") else [stage, "Stage"]  # SAM's extra "Stage" stage

        paths: Dict[str, Dict[str, Any]] = {}
        authorization: Dict[str, str] = {}
        defaults = _SamAuth(auth)
        complete = True
        body_paths = body.get("paths") if isinstance(body, Mapping) else None
        if isinstance(body_paths, Mapping):
            for path, item in body_paths.items():
                if not isinstance(path, str) or path.startswith("__"):
                    continue
                merged: Dict[str, Any] = {}
                for branch in _branches(item):
                    if branch is None:
                        complete = False
                        continue
                    merged.update({k: v for k, v in branch.items() if isinstance(k, str) and not k.startswith("__")})
                paths[path] = merged
                for key, operation in merged.items():
                    method = _method_name(key)
                    if method is not None:
                        authorization[_method_key(method, path)] = defaults.of_operation(method, operation, body)
        elif body_paths is not None:
            complete = False

        document: Dict[str, Any] = {}
        existing = body.get(_POLICY_EXTENSION) if isinstance(body, Mapping) else None
        if isinstance(existing, Mapping):
            document = copy.deepcopy({k: v for k, v in existing.items() if not str(k).startswith("__")})
        elif existing is not None:
            return problem(f"the x-amazon-apigateway-policy of {self.label}'s definition is not an object",
                           ["Properties/DefinitionBody"])
        writer = _SamPolicyWriter(document, stage)
        event_sources: List[str] = []
        events, events_complete = self._sam_events()
        complete = complete and events_complete
        for event_name, path, method_key, event_auth in events:
            paths.setdefault(path, {})[method_key] = {}
            method = _method_name(method_key) or method_key.upper()
            authorization[_method_key(method, path)] = defaults.of_event(event_auth)
            event_policy = event_auth.get("ResourcePolicy") if isinstance(event_auth, Mapping) else None
            if event_policy:
                error = writer.add(event_policy, path, list(paths[path]))
                if error:
                    return problem(f"Auth.ResourcePolicy of event {event_name}: {error}", [])
                writer.add_custom(event_policy)
                event_sources.append(event_name)
        if props.get("Cors") is not None:  # SAM adds an OPTIONS method to every path before applying Auth
            for path, item in paths.items():
                if "options" not in item:
                    item["options"] = {}
                    authorization[_method_key("OPTIONS", path)] = defaults.preflight()
        if resource_policy:
            if not isinstance(resource_policy, Mapping):
                return problem(f"Auth.ResourcePolicy of {self.label} must be a map (SAM rejects the template)",
                               ["Properties/Auth/ResourcePolicy"])
            for path, item in paths.items():
                error = writer.add(resource_policy, path, list(item))
                if error:
                    return problem(f"Auth.ResourcePolicy of {self.label}: {error}",
                                   ["Properties/Auth/ResourcePolicy"])
            writer.add_custom(resource_policy)

        methods = [(m, p) for p, item in paths.items() for m in (_method_name(k) for k in item) if m is not None]
        routes = _routes(stages, methods) if complete else ()
        target = Target(SERVICE, self.name, routes=routes,
                        routes_needing_allow=_routes_needing_allow(routes, authorization))
        parts = []
        if existing is not None:
            where = "DefinitionBody" if props.get("DefinitionBody") is not None else "DefinitionUri file"
            parts.append(f"{where} x-amazon-apigateway-policy")
        if resource_policy:
            parts.append("SAM Auth.ResourcePolicy")
        if event_sources:
            parts.append("SAM Auth.ResourcePolicy of events " + ", ".join(event_sources))
        keys = ["Properties/Auth/ResourcePolicy"] if resource_policy else \
            ["Properties/DefinitionBody"] if props.get("DefinitionBody") is not None else []
        if not document.get("Statement"):
            why = ("its Auth.ResourcePolicy generates no statement" if resource_policy or event_sources else
                   "no Auth.ResourcePolicy and no x-amazon-apigateway-policy in its DefinitionBody")
            if resource_policy and not paths:
                why += " (SAM writes them per route, and the API declares none)"
            return PolicySource(target=target, document=None, origin=f"{self.label} ({why})", evaluated_keys=keys,
                                syntax=self.syntax, authorization=authorization)
        origin = " + ".join(parts) + f" of {self.label}"
        return self._source(target, document, origin, keys, authorization)

    def _sam_events(self) -> Tuple[List[Tuple[str, str, str, Mapping[str, Any]]], bool]:
        """(event, path, method key, event Auth) of every Api event of a SAM function or state machine naming this
        API, in template order, and whether all of them could be read (not without the template, nor an event
        whose Path or Method is not a literal)."""
        template = self.template
        if template is None:
            return [], False
        out: List[Tuple[str, str, str, Mapping[str, Any]]] = []
        complete = True
        for logical_id in template.resources:
            if template.resource_type(logical_id) not in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
                continue
            events = template.properties(logical_id).get("Events")
            for event_name, event in events.items() if isinstance(events, Mapping) else ():
                if not isinstance(event, Mapping) or event.get("Type") != "Api":
                    continue
                event_props = event.get("Properties") if isinstance(event.get("Properties"), Mapping) else {}
                if not _refers_to(event_props.get("RestApiId"), self.logical_id):
                    continue
                path, method = event_props.get("Path"), event_props.get("Method")
                if not isinstance(path, str) or not isinstance(method, str):
                    complete = False
                    continue
                key = _ANY_METHOD if method.lower() == "any" else method.lower()
                event_auth = event_props.get("Auth") if isinstance(event_props.get("Auth"), Mapping) else {}
                out.append((f"{logical_id}.{event_name}", str(path), key, event_auth))
        return out, complete


class _SamAuth:
    """SAM's method authorization: the event's Auth.Authorizer, else Auth.DefaultAuthorizer, else NONE."""

    def __init__(self, auth: Mapping[str, Any]) -> None:
        self.auth = auth
        authorizers = auth.get("Authorizers")
        # Checkov stamps __file__/__startline__ on every mapping, even one-line ones: they are no authorizers
        self.authorizers = {k: v for k, v in authorizers.items() if isinstance(k, str) and not k.startswith("__")} \
            if isinstance(authorizers, Mapping) else {}

    def kind(self, name: Any) -> str:
        if not isinstance(name, str):
            return "UNKNOWN"
        if name.upper() in ("NONE", "AWS_IAM"):
            return name.upper()
        authorizer = self.authorizers.get(name)
        if isinstance(authorizer, Mapping) and "UserPoolArn" in authorizer:
            return "COGNITO_USER_POOLS"
        return "CUSTOM"

    def default(self) -> str:
        name = self.auth.get("DefaultAuthorizer")
        return "NONE" if name is None else self.kind(name)

    def of_operation(self, method: str, operation: Any, body: Any) -> str:
        """A DefinitionBody method (SwaggerEditor.set_path_default_authorizer): a security entry naming AWS_IAM or
        one of Auth.Authorizers keeps it; a NONE entry opts out; otherwise the DefaultAuthorizer is added (even over
        ``security: []``); without one, the document's own security decides."""
        security = operation.get("security") if isinstance(operation, Mapping) else None
        names = {"AWS_IAM", *self.authorizers}
        entries = [[k for k in e if isinstance(k, str) and not k.startswith("__")]
                   for e in (security if isinstance(security, list) else []) if isinstance(e, Mapping)]
        for entry in entries:
            named = next((k for k in entry if k in names), None)
            if named is not None:
                return self.kind(named)
        if any("NONE" in entry for entry in entries):
            return "NONE"
        preflight_excluded = method == "OPTIONS" and self.preflight() == "NONE"
        if self.auth.get("DefaultAuthorizer") is not None and not preflight_excluded:
            return self.default()
        return _operation_authorization(operation, body) or "NONE"

    def of_event(self, event_auth: Mapping[str, Any]) -> str:
        if "Authorizer" in event_auth:
            return self.kind(event_auth.get("Authorizer"))
        return self.default()

    def preflight(self) -> str:
        return self.default() if self.auth.get("AddDefaultAuthorizerToCorsPreflight", True) is not False else "NONE"


class _SamPolicyWriter:
    """SAM's SwaggerEditor.add_resource_policy / add_custom_statements, on a raw (unrendered) document."""

    def __init__(self, document: Dict[str, Any], stage: str) -> None:
        self.document = document
        self.stage = stage

    def _statements(self) -> List[Any]:
        statements = self.document.get("Statement")
        if statements is None:
            return []
        return statements if isinstance(statements, list) else [statements]

    def _append(self, new: List[Dict[str, Any]], dedupe: bool) -> None:
        self.document["Version"] = "2012-10-17"
        statements = self._statements()
        for statement in new:
            if not dedupe or statement not in statements:
                statements.append(statement)
        self.document["Statement"] = statements

    def _resources(self, path: str, methods: List[str]) -> List[str]:
        """execute-api:/STAGE/METHOD/path per method key of the path (SwaggerEditor._get_method_path_uri_list)."""
        sub = re.sub(_SAM_PATH_PARAMETER, "*", path)
        return [f"execute-api:/{self.stage}/{'*' if m.lower() in (_ANY_METHOD, 'any') else m.upper()}{sub}"
                for m in methods]

    def add(self, policy: Any, path: str, methods: List[str]) -> Optional[str]:
        if not isinstance(policy, Mapping):
            return "ResourcePolicy must be a map"
        resources = self._resources(path, methods)

        def principal_list(value: Any) -> List[Any]:
            return value if isinstance(value, list) else [value]

        for option, effect in (("AwsAccountWhitelist", "Allow"), ("AwsAccountBlacklist", "Deny")):
            accounts = policy.get(option)
            if accounts:
                self._append([{"Effect": effect, "Action": "execute-api:Invoke", "Resource": resources,
                               "Principal": {"AWS": principal_list(accounts)}}], dedupe=False)
        for option, operator in (("IpRangeWhitelist", "NotIpAddress"), ("IpRangeBlacklist", "IpAddress")):
            ranges = policy.get(option)
            if ranges:
                self._allow_and_deny(resources, {operator: {"aws:SourceIp": principal_list(ranges)}})
        for suffix, operator in (("Blacklist", "StringEquals"), ("Whitelist", "StringNotEquals")):
            literal = policy.get("SourceVpc" + suffix)
            if literal is not None and (not isinstance(literal, list)
                                        or not all(isinstance(v, str) for v in literal)):
                return (f"SourceVpc{suffix} must be a list of strings (SAM rejects intrinsic functions there: use "
                        f"IntrinsicVpc{suffix} / IntrinsicVpce{suffix})")
            condition: Dict[str, List[Any]] = {}
            if literal is not None:
                # SAM keeps only values that start with vpc- / vpce- and drops any other silently.
                vpcs = [v for v in literal if re.match(r"^vpc-", v)]
                vpces = [v for v in literal if re.match(r"^vpce-", v)]
                if vpcs:
                    condition.setdefault("aws:SourceVpc", []).extend(vpcs)
                if vpces:
                    condition.setdefault("aws:SourceVpce", []).extend(vpces)
            for option, key in ((f"IntrinsicVpc{suffix}", "aws:SourceVpc"),
                                (f"IntrinsicVpce{suffix}", "aws:SourceVpce")):
                values = policy.get(option)
                if values is None:
                    continue
                if not isinstance(values, list):
                    return (f"{option} is {cfn_intrinsics.short(values)}, not a list (SAM extends the condition with "
                            "it item by item): write a list")
                condition.setdefault(key, []).extend(values)
            if condition.get("aws:SourceVpc") or condition.get("aws:SourceVpce"):
                self._allow_and_deny(resources, {operator: condition})
        return None

    def _allow_and_deny(self, resources: List[str], condition: Dict[str, Any]) -> None:
        allow = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resources, "Principal": "*"}
        deny = {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": resources, "Principal": "*",
                "Condition": condition}
        self._append([allow, deny], dedupe=True)

    def add_custom(self, policy: Any) -> None:
        custom = policy.get("CustomStatements") if isinstance(policy, Mapping) else None
        if not custom:
            return
        self._append(custom if isinstance(custom, list) else [custom], dedupe=True)
