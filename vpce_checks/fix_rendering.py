"""The fix in the file's own syntax: HCL for Terraform (jsonencode object or data-source block), YAML or JSON for
CloudFormation, JSON for raw policies. The engine builds the statements as data (engine/remediation.py)."""

from __future__ import annotations

import json
import re
from typing import List, Optional, Sequence, Tuple

from vpce_checks.engine.log_delivery import ELB_ACCOUNT_TOKEN
from vpce_checks.engine.model import THIS_ACCOUNT, THIS_REGION, Policy, references_in
from vpce_checks.engine.remediation import fix_statements
from vpce_checks.engine.services import ServiceProfile, Target

# What a fix says where the user must fill in their endpoint IDs, per syntax.
PLACEHOLDERS = {"hcl": "var.allowed_vpce_ids", "yaml": "AllowedVpceIds", "json": "vpce-REPLACE-WITH-YOUR-ENDPOINT-ID"}


# R's literal ARN and the file's own expression for it ("arn:aws:s3:::uploads", "aws_s3_bucket.uploads.arn").
OwnArn = Optional[Tuple[str, str]]


def _interpolated(text: str, profile: ServiceProfile, own: OwnArn = None) -> str:
    """A policy string with Terraform interpolations: R's ARN as the file names it, this account and Region as
    the caller-identity and region data sources."""
    if own and (text == own[0] or text.startswith(own[0] + "/")):
        text = "${" + own[1] + "}" + text[len(own[0]):]
    name_ref = re.search(r"\$\{([A-Za-z0-9_.\-\[\]\"]+)\.(bucket|name|id)\}", text)
    if name_ref and text.startswith("arn:"):
        arn = profile.resource_arn(Target(profile.prefix, name_ref.group(0)))
        if text.startswith(arn):
            text = "${" + name_ref.group(1) + ".arn}" + text[len(arn):]
    text = text.replace(THIS_ACCOUNT, "${data.aws_caller_identity.current.account_id}")
    text = text.replace(THIS_REGION, "${data.aws_region.current.name}")
    return text.replace(ELB_ACCOUNT_TOKEN, "${data.aws_elb_service_account.current.id}")


def _hcl_string(text: str, profile: ServiceProfile, own: OwnArn = None) -> str:
    """A policy string as an HCL expression: references become Terraform references."""
    text = _interpolated(text, profile, own)
    whole = re.fullmatch(r"\$\{([^{}]+)\}", text)
    if whole:
        return whole.group(1)
    return json.dumps(text)


def hcl_value(value, profile: ServiceProfile, indent: int, own: OwnArn = None) -> str:
    pad = "  " * indent
    if isinstance(value, dict):
        width = max(len(_hcl_key(k)) for k in value)
        lines = [f"{pad}  {_hcl_key(k).ljust(width)} = {hcl_value(v, profile, indent + 1, own).lstrip()}"
                 for k, v in value.items()]
        return "{\n" + "\n".join(lines) + f"\n{pad}}}"
    if isinstance(value, list):
        if len(value) == 1 and value[0] == PLACEHOLDERS["hcl"]:
            return PLACEHOLDERS["hcl"]
        return "[" + ", ".join(hcl_value(v, profile, indent, own) for v in value) + "]"
    if value == PLACEHOLDERS["hcl"]:
        return value
    return _hcl_string(str(value), profile, own)


def _hcl_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else json.dumps(key)


def hcl_data_statement(statement: dict, profile: ServiceProfile, own: OwnArn = None) -> str:
    """The statement as a ``data "aws_iam_policy_document"`` block."""
    def listed(value) -> str:
        values = value if isinstance(value, list) else [value]
        return hcl_value(values, profile, 2, own)

    lines = ["statement {", f'  sid       = "{statement["Sid"]}"', f'  effect    = "{statement["Effect"]}"']
    if "NotAction" in statement:
        lines.append(f"  not_actions = {listed(statement['NotAction'])}")
    else:
        lines.append(f"  actions   = {listed(statement['Action'])}")
    if "Resource" in statement:
        lines.append(f"  resources = {listed(statement['Resource'])}")
    lines += ["  principals {", '    type        = "*"', '    identifiers = ["*"]', "  }"]
    for test, keys in statement.get("Condition", {}).items():
        for variable, values in keys.items():
            lines += ["  condition {", f'    test     = "{test}"', f'    variable = "{variable}"',
                      f"    values   = {listed(values)}", "  }"]
    return "\n".join(lines + ["}"])


def _cfn_string(text: str, profile: ServiceProfile):
    """A policy string as a CloudFormation value: tokens become !Sub references."""
    tokens = references_in(text)
    if not tokens and THIS_ACCOUNT not in text and THIS_REGION not in text:
        return text
    for token in tokens:
        name = token[2:-1]
        if name.startswith("Ref."):
            name = name[4:]
        attribute = {"sqs": ".QueueName", "sns": ".TopicName"}.get(profile.prefix, "")
        if "." not in name:
            text = text.replace(token, "${" + name + attribute + "}")
    return {"Fn::Sub": text}


def yaml_value(value, indent: int) -> List[str]:
    pad = "  " * indent
    lines: List[str] = []
    if isinstance(value, dict) and "Fn::Sub" in value and len(value) == 1:
        return [f"{pad}!Sub {json.dumps(value['Fn::Sub'])}"]
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and not (isinstance(item, dict) and ("Fn::Sub" in item or "Ref" in item)):
                lines.append(f"{pad}{key}:")
                lines.extend(yaml_value(item, indent + 1))
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(item)}")
        return lines
    if isinstance(value, list):
        for item in value:
            lines.append(f"{pad}- {_yaml_scalar(item)}")
        return lines
    return [pad + _yaml_scalar(value)]


def _yaml_scalar(value) -> str:
    if isinstance(value, dict) and "Fn::Sub" in value:
        return f"!Sub {json.dumps(value['Fn::Sub'])}"
    if isinstance(value, dict) and "Ref" in value:
        return f"!Ref {value['Ref']}"
    return json.dumps(value)


def _json_text(value, profile: ServiceProfile, own: OwnArn):
    """A statement for a policy written as JSON text in a .tf file (heredoc or string): JSON, with references as
    Terraform interpolations (the placeholder list as the variable's jsonencode)."""
    if isinstance(value, dict):
        return {k: _json_text(v, profile, own) for k, v in value.items()}
    if isinstance(value, list):
        if value == [PLACEHOLDERS["hcl"]]:
            return "${jsonencode(" + PLACEHOLDERS["hcl"] + ")}"
        return [_json_text(v, profile, own) for v in value]
    return _interpolated(str(value), profile, own) if isinstance(value, str) else value


def render_fix(statement: dict, syntax: str, profile: ServiceProfile, data_source: bool = False,
               own: OwnArn = None) -> str:
    """The statement to add, ready to paste: HCL for Terraform (an object, a data-source block, or JSON text with
    interpolations for a heredoc policy), YAML or JSON for CloudFormation, raw JSON."""
    if syntax == "hcl-json":
        text = json.dumps(_json_text(statement, profile, own), indent=2)
        # the placeholder list is one interpolation producing a JSON list
        return text.replace('"${jsonencode(' + PLACEHOLDERS["hcl"] + ')}"', "${jsonencode(" + PLACEHOLDERS["hcl"]
                            + ")}")
    if "Condition" not in statement:
        if syntax == "hcl" and not data_source:
            return hcl_value(statement, profile, 0, own)
        if syntax == "yaml":
            return "- " + "\n".join(yaml_value(statement, 1)).lstrip()
        if syntax != "hcl":
            return json.dumps(statement, indent=2)
    if syntax == "hcl":
        if data_source:
            return hcl_data_statement(statement, profile, own)
        return hcl_value(statement, profile, 0, own)
    if syntax in ("yaml", "cfn-json"):
        converted = json.loads(json.dumps(statement))
        if "Resource" in converted:
            resources = converted["Resource"] if isinstance(converted["Resource"], list) else [converted["Resource"]]
            converted["Resource"] = [_cfn_string(r, profile) for r in resources]
        listed = converted.get("Condition", {}).get("StringNotEquals", {})
        endpoints = listed.get("aws:SourceVpce")
        if endpoints == [PLACEHOLDERS["yaml"]]:
            listed["aws:SourceVpce"] = {"Ref": PLACEHOLDERS["yaml"]}
        elif endpoints is not None:  # a fix may admit VPCs only (aws:SourceVpc)
            listed["aws:SourceVpce"] = [_cfn_string(e, profile) for e in endpoints]
        if syntax == "yaml":
            body = yaml_value(converted, 1)
            return "- " + "\n".join(body).lstrip()
        return json.dumps(converted, indent=2)
    return json.dumps(statement, indent=2)


def fix_for(policy: Policy, profile: ServiceProfile, target: Target, syntax: str, data_source: bool = False,
            endpoints: Optional[Sequence[str]] = None, own_arn_expression: str = "") -> str:
    """The statements to add to ``policy``: the Deny, reusing the endpoint IDs it already names (and for a
    private API without any Allow, the Allow it needs). ``own_arn_expression``: how the Terraform file names R's
    ARN; the fix writes it where it writes R's literal ARN."""
    placeholder = PLACEHOLDERS["yaml" if syntax in ("yaml", "cfn-json") else "hcl" if syntax.startswith("hcl")
                               else "json"]
    statements = fix_statements(policy, profile, target, placeholder, endpoints)
    own = (profile.resource_arn(target), own_arn_expression) if own_arn_expression else None
    separator = "\n" if syntax == "yaml" or data_source else ",\n"
    return separator.join(render_fix(statement, syntax, profile, data_source, own) for statement in statements)
