"""Benchmark (not a test): what the pack costs on top of Checkov, how fast the engine is, how its cost grows.

    python benchmarks/bench.py [--sizes 500,2000,8000] [--repeat 3] [--long 240] [--keep DIR] [--no-full]
                               [--profile-size 2000] [--unique-names] [--skip-scans] [--skip-engine]

In one run it prints:
  1. for each size N, a synthetic repository of N resources generated into a temporary directory (Terraform
     modules, CloudFormation YAML templates and raw policy JSON files; S3, SQS, SNS and private API Gateway; about
     two sound policies for every broken one, and a few buckets without a policy), scanned offline by
       (a) `checkov -d DIR --framework terraform cloudformation json --check CKV_AWS_70` (one built-in check),
       (b) (a) with an external checks dir holding one trivial JSON check (Checkov's json framework runs only
           when an external checks dir is given: this isolates what that framework costs),
       (c) (a) with the pack: `--external-checks-dir "$(vpce-checks path)" --check CKV_AWS_70,CKV_VPCE_*`,
       (d) all of Checkov's built-in checks and (e) the same with the pack (skip both with --no-full),
     as wall and CPU time (median of --repeat runs, interleaved; a size whose first run of (a) takes longer than
     --long seconds is measured once) and ratios; each size's pack results are compared with the verdicts the
     generator intended (by default a team's Terraform modules reuse resource names, as real repositories do;
     --unique-names avoids that). At N = --profile-size the pack's extra time is attributed: the json framework,
     the pack's own code measured from inside every Checkov runner process, and py-spy by pack module;
  2. engine verdicts per second (perimeter_of, no Checkov) on policies of 1 to 10 statements, sound and broken;
  3. the cost of one policy as statements grow (1 to 1,000) and as endpoints grow (1 to 200, in one Deny and
     split across Deny statements), the growth exponent between sizes, and what happens at and past the bounds;
  4. the import cost the pack adds to each Checkov runner process (fresh interpreters, median of several runs),
     with the pack compiled from source (PYTHONDONTWRITEBYTECODE=1, as this machine is set up) and from a warm
     bytecode cache (what pip install gives users).

Every Checkov run is offline (BC_SKIP_MAPPING=TRUE, --skip-download) and uses a private bytecode cache
(PYTHONPYCACHEPREFIX, warmed before timing), so nothing is written into the repository. Exit code 0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vpce_checks.cli import checks_path  # noqa: E402

BUILTIN_CHECK = "CKV_AWS_70"  # "Ensure S3 bucket does not allow an action with any Principal" (Terraform only)
FRAMEWORKS = ("terraform", "cloudformation", "json")
TRIVIAL_CHECK_ID = "CKV_BENCH_1"
IMPORT_LOG = "VPCE_BENCH_IMPORT_LOG"

# --------------------------------------------------------------------------------------------------------------
# Policies: statements built from opaque values (a renderer knows how to write references in its syntax).
# --------------------------------------------------------------------------------------------------------------


class Expr(str):
    """A Terraform expression written bare (aws_s3_bucket.logs.arn, var.allowed_vpce_ids)."""


class Tag:
    """A CloudFormation short-form intrinsic (!Ref X, !GetAtt X.Arn, !Sub "...")."""

    def __init__(self, tag: str, value: str) -> None:
        self.tag, self.value = tag, value


ACTION_ALL = {"s3": "s3:*", "sqs": "sqs:*", "sns": "sns:*", "execute-api": "execute-api:Invoke"}
ACTION_SOME = {"s3": ["s3:GetObject", "s3:PutObject"], "sqs": ["sqs:SendMessage", "sqs:ReceiveMessage"],
               "sns": ["sns:Publish"], "execute-api": ["execute-api:Invoke"]}
SOUND = ("deny_all", "deny_all_with_allow", "deny_source_vpc", "deny_ifexists_service", "secure_transport_separate")
BROKEN = ("partial_actions", "allow_only", "notlike_wildcard", "secure_transport_anded", "foranyvalue",
          "objects_only")
API_SOUND = ("deny_all", "deny_all_with_allow")
API_BROKEN = ("allow_only", "stage_scoped")


def vpce_id(rng: random.Random) -> str:
    return "vpce-" + "".join(rng.choice("0123456789abcdef") for _ in range(17))


def vpc_id(rng: random.Random) -> str:
    return "vpc-" + "".join(rng.choice("0123456789abcdef") for _ in range(17))


def account_id(rng: random.Random) -> str:
    return str(rng.randrange(10 ** 11, 10 ** 12))


def pick_variant(rng: random.Random, service: str) -> Tuple[str, bool]:
    """About two sound policies for every broken one."""
    sound = rng.random() < 0.67
    if service == "execute-api":
        return rng.choice(API_SOUND if sound else API_BROKEN), sound
    pool = SOUND if sound else tuple(v for v in BROKEN if v != "objects_only" or service == "s3")
    return rng.choice(pool), sound


def statements(variant: str, service: str, resources: List[Any], objects: List[Any], vpces: Any,
               rng: random.Random) -> List[Dict[str, Any]]:
    """The Statement list of one resource policy; ``resources`` name R (and ``objects`` its S3 objects)."""
    everything = resources + objects
    api = service == "execute-api"
    target = ["execute-api:/*"] if api else everything
    deny = {"Sid": "DenyOutsideVpce", "Effect": "Deny", "Principal": "*", "Action": ACTION_ALL[service],
            "Resource": target, "Condition": {"StringNotEquals": {"aws:SourceVpce": vpces}}}
    allow_principal: Any = "*" if api else {"AWS": f"arn:aws:iam::{account_id(rng)}:role/app-runtime"}
    allow = {"Sid": "AllowApplication", "Effect": "Allow", "Principal": allow_principal,
             "Action": ACTION_SOME[service], "Resource": target if api else (objects or resources)}
    if variant == "deny_all":
        return [allow, deny] if api else [deny]
    if variant == "deny_all_with_allow":
        return [allow, deny]
    if variant == "deny_source_vpc":
        return [dict(deny, Condition={"StringNotEquals": {"aws:SourceVpc": vpc_id(rng)}})]
    if variant == "deny_ifexists_service":
        return [allow, dict(deny, Condition={"StringNotEqualsIfExists": {"aws:SourceVpce": vpces},
                                             "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}})]
    if variant == "secure_transport_separate":
        tls = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": ACTION_ALL[service],
               "Resource": everything, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        return [tls, deny]
    if variant == "partial_actions":
        return [allow, dict(deny, Action=ACTION_SOME[service])]
    if variant == "allow_only":
        return [dict(allow, Principal="*", Condition={"StringEquals": {"aws:SourceVpce": vpces}})]
    if variant == "notlike_wildcard":
        return [dict(deny, Condition={"StringNotLike": {"aws:SourceVpce": "vpce-*"}})]
    if variant == "secure_transport_anded":
        return [dict(deny, Condition={"StringNotEquals": {"aws:SourceVpce": vpces},
                                      "Bool": {"aws:SecureTransport": "false"}})]
    if variant == "foranyvalue":
        return [dict(deny, Condition={"ForAnyValue:StringNotEquals": {"aws:SourceVpce": vpces}})]
    if variant == "objects_only":
        return [dict(deny, Resource=objects)]
    if variant == "stage_scoped":
        return [allow, dict(deny, Resource="execute-api:/prod/*")]
    raise ValueError(variant)


def policy(variant: str, service: str, resources: List[Any], objects: List[Any], vpces: Any,
           rng: random.Random) -> Dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements(variant, service, resources, objects, vpces, rng)}


# --------------------------------------------------------------------------------------------------------------
# Renderers
# --------------------------------------------------------------------------------------------------------------

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def hcl(value: Any, indent: int = 0) -> str:
    """A value inside jsonencode(): objects with `key = value` lines, bare expressions, quoted strings."""
    pad = "  " * indent
    if isinstance(value, Expr):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        if any(isinstance(v, dict) for v in value):
            return "[\n" + "".join(f"{pad}  {hcl(v, indent + 1)},\n" for v in value) + f"{pad}]"
        return "[" + ", ".join(hcl(v, indent) for v in value) + "]"
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            name = key if _IDENT.match(key) else json.dumps(key)
            lines.append(f"{pad}  {name} = {hcl(item, indent + 1)}")
        return "{\n" + "\n".join(lines) + f"\n{pad}}}"
    raise TypeError(type(value))


def hcl_policy_document(name: str, document: Dict[str, Any]) -> str:
    """The same policy as a data "aws_iam_policy_document" block."""
    out = [f'data "aws_iam_policy_document" "{name}" {{']
    for statement in document["Statement"]:
        out.append("  statement {")
        out.append(f'    sid    = "{statement["Sid"]}"')
        out.append(f'    effect = "{statement["Effect"]}"')
        principal = statement["Principal"]
        kind, ids = ("*", ["*"]) if principal == "*" else next(iter(principal.items()))
        ids = ids if isinstance(ids, list) else [ids]
        out.append(f'    principals {{\n      type        = "{kind}"\n      identifiers = {hcl(ids)}\n    }}')
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        out.append(f"    actions   = {hcl(actions)}")
        res = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        out.append(f"    resources = {hcl(res)}")
        for test, keys in statement.get("Condition", {}).items():
            for variable, values in keys.items():
                values = values if isinstance(values, list) else [values]
                out.append(f'    condition {{\n      test     = "{test}"\n      variable = "{variable}"\n'
                           f"      values   = {hcl(values)}\n    }}")
        out.append("  }")
    out.append("}")
    return "\n".join(out)


def yaml_scalar(value: Any) -> str:
    if isinstance(value, Tag):
        return f"{value.tag} {json.dumps(value.value) if value.tag == '!Sub' else value.value}"
    if isinstance(value, str):
        plain = _IDENT.match(value) and value.lower() not in ("true", "false", "yes", "no", "null")
        return value if plain else json.dumps(value)
    raise TypeError(type(value))


def yaml(value: Any, indent: int = 0) -> List[str]:
    """Block-style YAML lines with CloudFormation short-form tags (keys such as aws:SourceVpce stay plain)."""
    pad = "  " * indent
    lines: List[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(yaml(item, indent + 1))
            else:
                lines.append(f"{pad}{key}: {'[]' if isinstance(item, list) else yaml_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                inner = yaml(item, indent + 1)
                inner[0] = f"{pad}- " + inner[0].lstrip()
                lines.extend(inner)
            else:
                lines.append(f"{pad}- {yaml_scalar(item)}")
    else:
        raise TypeError(type(value))
    return lines


# --------------------------------------------------------------------------------------------------------------
# The synthetic repository
# --------------------------------------------------------------------------------------------------------------

TEAMS = ("payments", "ledger", "search", "orders", "identity", "reports", "billing", "catalog", "shipping", "audit")


class Repo:
    """Writes files and remembers the verdict each generated resource should get from the pack."""

    def __init__(self, root: Path, seed: int, unique_names: bool = False) -> None:
        self.root = root
        self.unique_names = unique_names
        self.rng = random.Random(seed)
        self.resources = 0
        self.files = Counter()
        self.kinds = Counter()
        self.expected = Counter()  # (check_id, "PASSED"|"FAILED") -> count
        self.policies = Counter()  # "sound" | "broken" | "missing"
        self.shares = Counter()  # resources per input kind
        self.intended: Dict[Tuple[str, str, str], Tuple[str, str]] = {}  # (file, entity, check) -> (result, why)
        self.current_file = ""
        self.modules = 0

    def expect(self, check_id: str, passed: bool, entity: str, variant: str) -> None:
        self.expected[(check_id, "PASSED" if passed else "FAILED")] += 1
        self.intended[(self.current_file, entity, check_id)] = ("PASSED" if passed else "FAILED", variant)

    def write(self, relative: str, text: str, kind: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.files[kind] += 1

    # -- Terraform -------------------------------------------------------------------------------------------
    def terraform_module(self, index: int) -> None:
        rng = self.rng
        team = TEAMS[index % len(TEAMS)]
        bundles = rng.sample(["s3", "s3", "sqs", "sns", "api"], rng.choice((1, 2, 2, 3)))
        self.current_file = f"terraform/{team}/module-{index}/main.tf"
        self.modules += 1
        blocks: List[str] = []
        uses_var = rng.random() < 0.3
        vpces: Any = Expr("var.allowed_vpce_ids") if uses_var else [vpce_id(rng) for _ in range(rng.choice((1, 2)))]
        variables = ""
        if uses_var:
            ids = ", ".join(json.dumps(vpce_id(rng)) for _ in range(2))
            variables = ('variable "allowed_vpce_ids" {\n  description = "Endpoints allowed to reach this module\'s '
                         f'resources"\n  type        = list(string)\n  default     = [{ids}]\n}}\n')
        for number, bundle in enumerate(bundles):
            # Modules of one team reuse resource names, as real repositories reuse "this" or "main".
            name = f"{team}{index if self.unique_names else ''}_{bundle}_{number}"
            real = f"{team}-{index}-{bundle}-{number}".replace("_", "-")
            if bundle == "s3":
                blocks.append(self._tf_s3(name, real, vpces))
            elif bundle == "sqs":
                blocks.append(self._tf_sqs(name, real, vpces))
            elif bundle == "sns":
                blocks.append(self._tf_sns(name, real, vpces))
            else:
                blocks.append(self._tf_api(name, real))
        header = ('terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
                  '      version = "~> 5.0"\n    }\n  }\n}\n')
        self.write(self.current_file, header + "\n" + "\n\n".join(blocks) + "\n", "tf")
        if variables:
            self.write(f"terraform/{team}/module-{index}/variables.tf", variables, "tf")

    def _tf_s3(self, name: str, real: str, vpces: Any) -> str:
        rng = self.rng
        bucket = f'resource "aws_s3_bucket" "{name}" {{\n  bucket = "northwind-{real}"\n  tags = {{\n' \
                 f'    team = "{real.split("-")[0]}"\n  }}\n}}'
        pab = (f'resource "aws_s3_bucket_public_access_block" "{name}" {{\n  bucket                  = '
               f'aws_s3_bucket.{name}.id\n  block_public_acls       = true\n  block_public_policy     = true\n'
               f'  ignore_public_acls      = true\n  restrict_public_buckets = true\n}}')
        self.resources += 2
        self.kinds["aws_s3_bucket"] += 1
        self.kinds["aws_s3_bucket_public_access_block"] += 1
        if rng.random() < 0.08:  # a bucket nobody wrote a policy for
            self.expect("CKV_VPCE_1", False, f"aws_s3_bucket.{name}", "no policy")
            self.policies["missing"] += 1
            return bucket + "\n\n" + pab
        variant, sound = pick_variant(rng, "s3")
        self.policies["sound" if sound else "broken"] += 1
        document = policy(variant, "s3", [Expr(f"aws_s3_bucket.{name}.arn")],
                          [f"${{aws_s3_bucket.{name}.arn}}/*"], vpces, rng)
        self.resources += 1
        self.kinds["aws_s3_bucket_policy"] += 1
        self.expect("CKV_VPCE_1", sound, f"aws_s3_bucket_policy.{name}", variant)
        attached = (f'resource "aws_s3_bucket_policy" "{name}" {{\n  bucket = aws_s3_bucket.{name}.id\n'
                    f'  policy = jsonencode({hcl(document, 1)})\n}}')
        return "\n\n".join((bucket, pab, attached))

    def _tf_sqs(self, name: str, real: str, vpces: Any) -> str:
        rng = self.rng
        queue = (f'resource "aws_sqs_queue" "{name}" {{\n  name                      = "northwind-{real}"\n'
                 f'  message_retention_seconds = 345600\n  sqs_managed_sse_enabled   = true\n}}')
        variant, sound = pick_variant(rng, "sqs")
        self.policies["sound" if sound else "broken"] += 1
        document = policy(variant, "sqs", [Expr(f"aws_sqs_queue.{name}.arn")], [], vpces, rng)
        self.resources += 2
        self.kinds["aws_sqs_queue"] += 1
        self.kinds["aws_sqs_queue_policy"] += 1
        self.expect("CKV_VPCE_2", sound, f"aws_sqs_queue_policy.{name}", variant)
        attached = (f'resource "aws_sqs_queue_policy" "{name}" {{\n  queue_url = aws_sqs_queue.{name}.id\n'
                    f'  policy    = jsonencode({hcl(document, 1)})\n}}')
        return queue + "\n\n" + attached

    def _tf_sns(self, name: str, real: str, vpces: Any) -> str:
        rng = self.rng
        topic = f'resource "aws_sns_topic" "{name}" {{\n  name = "northwind-{real}"\n}}'
        variant, sound = pick_variant(rng, "sns")
        self.policies["sound" if sound else "broken"] += 1
        document = policy(variant, "sns", [Expr(f"aws_sns_topic.{name}.arn")], [], vpces, rng)
        self.resources += 2
        self.kinds["aws_sns_topic"] += 1
        self.kinds["aws_sns_topic_policy"] += 1
        self.expect("CKV_VPCE_3", sound, f"aws_sns_topic_policy.{name}", variant)
        if rng.random() < 0.5:
            data = hcl_policy_document(name, document)
            attached = (f'resource "aws_sns_topic_policy" "{name}" {{\n  arn    = aws_sns_topic.{name}.arn\n'
                        f"  policy = data.aws_iam_policy_document.{name}.json\n}}")
            return "\n\n".join((topic, data, attached))
        attached = (f'resource "aws_sns_topic_policy" "{name}" {{\n  arn    = aws_sns_topic.{name}.arn\n'
                    f'  policy = jsonencode({hcl(document, 1)})\n}}')
        return topic + "\n\n" + attached

    def _tf_api(self, name: str, real: str) -> str:
        rng = self.rng
        endpoint = (f'resource "aws_vpc_endpoint" "{name}" {{\n  vpc_id              = "{vpc_id(rng)}"\n'
                    f'  service_name        = "com.amazonaws.eu-west-1.execute-api"\n'
                    f'  vpc_endpoint_type   = "Interface"\n  private_dns_enabled = true\n}}')
        variant, sound = pick_variant(rng, "execute-api")
        self.policies["sound" if sound else "broken"] += 1
        document = policy(variant, "execute-api", [], [], Expr(f"aws_vpc_endpoint.{name}.id"), rng)
        self.resources += 2
        self.kinds["aws_vpc_endpoint"] += 1
        self.kinds["aws_api_gateway_rest_api"] += 1
        self.expect("CKV_VPCE_4", True, f"aws_api_gateway_rest_api.{name}", "PRIVATE")
        self.expect("CKV_VPCE_5", sound, f"aws_api_gateway_rest_api.{name}", variant)
        api = (f'resource "aws_api_gateway_rest_api" "{name}" {{\n  name        = "northwind-{real}"\n'
               f'  description = "Internal API of {real}"\n\n  endpoint_configuration {{\n'
               f'    types            = ["PRIVATE"]\n    vpc_endpoint_ids = [aws_vpc_endpoint.{name}.id]\n  }}\n\n'
               f'  policy = jsonencode({hcl(document, 1)})\n}}')
        return endpoint + "\n\n" + api

    # -- CloudFormation --------------------------------------------------------------------------------------
    def cloudformation_template(self, index: int) -> None:
        rng = self.rng
        team = TEAMS[index % len(TEAMS)]
        bundles = rng.sample(["s3", "s3", "sqs", "sns", "api"], rng.choice((2, 2, 3)))
        self.current_file = f"cloudformation/{team}/stack-{index}.yaml"
        resources: Dict[str, Any] = {}
        parameters: Dict[str, Any] = {}
        vpces: Any = [vpce_id(rng) for _ in range(rng.choice((1, 2)))]
        if rng.random() < 0.3:
            parameters["AllowedVpceId"] = {"Type": "String", "Default": vpce_id(rng),
                                           "Description": "S3 and SQS interface endpoint of the workload VPC"}
            vpces = [Tag("!Ref", "AllowedVpceId")]
        for number, bundle in enumerate(bundles):
            logical = f"{team.title()}{bundle.title()}{number}"
            real = f"northwind-{team}-{index}-{bundle}-{number}"
            if bundle == "s3":
                resources[logical] = {"Type": "AWS::S3::Bucket", "Properties": {
                    "BucketName": real, "VersioningConfiguration": {"Status": "Enabled"}}}
                self.resources += 1
                self.kinds["AWS::S3::Bucket"] += 1
                if rng.random() < 0.08:
                    self.expect("CKV_VPCE_1", False, f"AWS::S3::Bucket.{logical}", "no policy")
                    self.policies["missing"] += 1
                    continue
                variant, sound = pick_variant(rng, "s3")
                document = policy(variant, "s3", [Tag("!GetAtt", f"{logical}.Arn")],
                                  [Tag("!Sub", f"arn:${{AWS::Partition}}:s3:::${{{logical}}}/*")], vpces, rng)
                resources[logical + "Policy"] = {"Type": "AWS::S3::BucketPolicy", "Properties": {
                    "Bucket": Tag("!Ref", logical), "PolicyDocument": document}}
                self._cfn_counted("AWS::S3::BucketPolicy", logical + "Policy", "CKV_VPCE_1", sound, variant)
            elif bundle == "sqs":
                resources[logical] = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": real}}
                self.resources += 1
                self.kinds["AWS::SQS::Queue"] += 1
                variant, sound = pick_variant(rng, "sqs")
                document = policy(variant, "sqs", [Tag("!GetAtt", f"{logical}.Arn")], [], vpces, rng)
                resources[logical + "Policy"] = {"Type": "AWS::SQS::QueuePolicy", "Properties": {
                    "Queues": [Tag("!Ref", logical)], "PolicyDocument": document}}
                self._cfn_counted("AWS::SQS::QueuePolicy", logical + "Policy", "CKV_VPCE_2", sound, variant)
            elif bundle == "sns":
                resources[logical] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": real}}
                self.resources += 1
                self.kinds["AWS::SNS::Topic"] += 1
                variant, sound = pick_variant(rng, "sns")
                document = policy(variant, "sns", [Tag("!Ref", logical)], [], vpces, rng)
                resources[logical + "Policy"] = {"Type": "AWS::SNS::TopicPolicy", "Properties": {
                    "Topics": [Tag("!Ref", logical)], "PolicyDocument": document}}
                self._cfn_counted("AWS::SNS::TopicPolicy", logical + "Policy", "CKV_VPCE_3", sound, variant)
            else:
                variant, sound = pick_variant(rng, "execute-api")
                endpoint = vpce_id(rng)
                document = policy(variant, "execute-api", [], [], [endpoint], rng)
                resources[logical] = {"Type": "AWS::ApiGateway::RestApi", "Properties": {
                    "Name": real, "EndpointConfiguration": {"Types": ["PRIVATE"], "VpcEndpointIds": [endpoint]},
                    "Policy": document}}
                self.expect("CKV_VPCE_4", True, f"AWS::ApiGateway::RestApi.{logical}", "PRIVATE")
                self._cfn_counted("AWS::ApiGateway::RestApi", logical, "CKV_VPCE_5", sound, variant)
        template: Dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09",
                                    "Description": f"{team} workload resources behind the VPC endpoint perimeter"}
        if parameters:
            template["Parameters"] = parameters
        template["Resources"] = resources
        self.write(self.current_file, "\n".join(yaml(template)) + "\n", "yaml")

    def _cfn_counted(self, kind: str, logical: str, check_id: str, sound: bool, variant: str) -> None:
        self.resources += 1
        self.kinds[kind] += 1
        self.policies["sound" if sound else "broken"] += 1
        self.expect(check_id, sound, f"{kind}.{logical}", variant)

    # -- raw JSON --------------------------------------------------------------------------------------------
    def raw_policy(self, index: int) -> None:
        rng = self.rng
        team = TEAMS[index % len(TEAMS)]
        service = rng.choice(("s3", "s3", "sqs", "sns", "execute-api"))
        name = f"northwind-{team}-raw-{index}"
        vpces = [vpce_id(rng) for _ in range(rng.choice((1, 2)))]
        account, region = account_id(rng), "eu-west-1"
        variant, sound = pick_variant(rng, service)
        if service == "s3":
            arn = f"arn:aws:s3:::{name}"
            document = policy(variant, service, [arn], [arn + "/*"], vpces, rng)
        elif service == "execute-api":
            arn = f"arn:aws:execute-api:{region}:{account}:{rng.randrange(16 ** 10):010x}"
            document = policy(variant, service, [], [], vpces, rng)
            for statement in document["Statement"]:  # raw files write the full ARN, not the shorthand
                resources = statement["Resource"]
                statement["Resource"] = ([arn + r[len("execute-api:"):] for r in resources]
                                         if isinstance(resources, list) else arn + resources[len("execute-api:"):])
        else:
            arn = f"arn:aws:{service}:{region}:{account}:{name}"
            document = policy(variant, service, [arn], [], vpces, rng)
        check = {"s3": "CKV_VPCE_1", "sqs": "CKV_VPCE_2", "sns": "CKV_VPCE_3", "execute-api": "CKV_VPCE_5"}[service]
        self.current_file = f"policies/{team}/{service.replace('-', '_')}-{index}.json"
        self.expect(check, sound, "", variant)
        self.policies["sound" if sound else "broken"] += 1
        self.resources += 1
        self.kinds[f"raw {service} policy"] += 1
        self.write(self.current_file, json.dumps(document, indent=2) + "\n",
                   "json")


def generate(root: Path, size: int, seed: int = 7, unique_names: bool = False) -> Repo:
    """Half of the resources in Terraform modules, 30% in CloudFormation templates, 20% as raw policy files."""
    repo = Repo(root, seed, unique_names)
    shares = {"terraform": 0.5, "cloudformation": 0.3, "raw": 0.2}
    made = Counter()
    index = 0
    while repo.resources < size:
        index += 1
        kind = max(shares, key=lambda k: shares[k] * size - made[k])
        if size - repo.resources <= 8:
            kind = "raw"  # fill up exactly
        before = repo.resources
        {"terraform": repo.terraform_module, "cloudformation": repo.cloudformation_template,
         "raw": repo.raw_policy}[kind](index)
        made[kind] += repo.resources - before
    repo.shares = made
    return repo


TRIVIAL_CHECK = textwrap.dedent(f'''\
    """A trivial JSON check: makes Checkov's json framework run, as any external checks dir does."""
    import os

    from checkov.common.models.enums import CheckCategories, CheckResult
    from checkov.json_doc.base_json_check import BaseJsonCheck
    from checkov.json_doc.enums import BlockType

    if os.environ.get("{IMPORT_LOG}"):
        with open(os.environ["{IMPORT_LOG}"], "a") as log:
            log.write(f"{{os.getpid()}}\\n")


    class Trivial(BaseJsonCheck):
        def __init__(self):
            super().__init__(name="trivial", id="{TRIVIAL_CHECK_ID}", categories=[CheckCategories.GENERAL_SECURITY],
                             supported_entities=["*"], block_type=BlockType.DOCUMENT)

        def scan_entity_conf(self, conf, entity_type):
            return CheckResult.PASSED


    check = Trivial()
    ''')


# The pack loaded through a wrapper that measures it from inside each Checkov runner process: the CPU time of
# every check call (run_check: adapter, engine, explanation) and of the first import. Used once, for attribution.
TIMED_PACK = textwrap.dedent('''\
    import atexit, importlib.util, os, sys, time
    from multiprocessing import util

    LOG, PACK = os.environ["VPCE_BENCH_TIMING_LOG"], os.environ["VPCE_BENCH_PACK_DIR"]
    start = time.process_time()
    import vpce_checks.checkov_glue as glue

    if not getattr(glue, "_bench_totals", None):
        original = glue.run_check
        totals = glue._bench_totals = {"calls": 0, "cpu": 0.0, "import": 0.0, "loads": 0}

        def run_check(*args, **kwargs):
            begin = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                totals["cpu"] += time.process_time() - begin
                totals["calls"] += 1

        glue.run_check = run_check

        def write(totals=totals, pid=os.getpid()):
            if os.getpid() == pid and not totals.get("written"):
                totals["written"] = True
                line = f"{pid} {totals['calls']} {totals['cpu']:.6f} {totals['import']:.6f} {totals['loads']}"
                with open(LOG, "a") as log:
                    log.write(line + "\\n")

        atexit.register(write)
        util.Finalize(None, write, exitpriority=100)  # forked runner processes leave through os._exit
    totals = glue._bench_totals
    sys.path.insert(1, PACK)
    for name in sorted(os.listdir(PACK)):
        if name.endswith(".py") and not name.startswith("__"):
            spec = importlib.util.spec_from_file_location(name[:-3], os.path.join(PACK, name))
            module = importlib.util.module_from_spec(spec)
            sys.modules[name[:-3]] = module
            spec.loader.exec_module(module)
    totals["import"] += time.process_time() - start
    totals["loads"] += 1
    ''')


# --------------------------------------------------------------------------------------------------------------
# Timing Checkov
# --------------------------------------------------------------------------------------------------------------


def checkov_executable() -> List[str]:
    script = Path(sys.executable).parent / "checkov"
    return [str(script)] if script.exists() else [sys.executable, "-m", "checkov.main"]


def checkov_env(pycache: Path) -> Dict[str, str]:
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", PYTHONPYCACHEPREFIX=str(pycache))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop(IMPORT_LOG, None)
    for name in list(env):
        if name.startswith("VPCE_CHECKS_"):
            env.pop(name)  # default settings
    return env


def run_timed(command: List[str], env: Dict[str, str], out: Path) -> Tuple[float, float, int]:
    """Wall and CPU seconds (the process and every child it waited for) of one run; its exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(out, "wb") as stdout:
        code = subprocess.run(command, env=env, stdout=stdout, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, code


def results_of(out: Path) -> Dict[Tuple[str, str, str], str]:
    """(file relative to the scanned dir, entity, check_id) -> PASSED/FAILED/SKIPPED, from Checkov's -o json.
    Raw JSON documents have no entity name here ("")."""
    found: Dict[Tuple[str, str, str], str] = {}
    try:
        data = json.loads(out.read_text(encoding="utf-8") or "[]")
    except ValueError:
        return found
    reports = data if isinstance(data, list) else [data]
    for report in reports:
        if not isinstance(report, dict):
            continue
        results = report.get("results", {})
        raw = report.get("check_type") == "json"
        for kind, label in (("passed_checks", "PASSED"), ("failed_checks", "FAILED"), ("skipped_checks", "SKIPPED")):
            for record in results.get(kind, []):
                entity = "" if raw else str(record.get("resource"))
                found[(str(record.get("file_path", "")).lstrip("/"), entity, str(record.get("check_id")))] = label
    return found


def tally(found: Dict[Tuple[str, str, str], str]) -> Counter:
    return Counter((check, label) for (_, _, check), label in found.items())


CONFIGS = (
    ("a", "checkov, 1 built-in check"),
    ("b", "(a) + ext. dir with 1 trivial JSON check"),
    ("c", "(a) + the pack"),
    ("d", "checkov, all built-in checks"),
    ("e", "(d) + the pack"),
)


def scan_commands(directory: Path, trivial: Path, full: bool) -> List[Tuple[str, str, List[str]]]:
    base = checkov_executable() + ["-d", str(directory), "--framework", *FRAMEWORKS, "--skip-download",
                                   "-o", "json"]
    pack = ["--external-checks-dir", checks_path()]
    commands = {
        "a": base + ["--check", BUILTIN_CHECK],
        "b": base + ["--external-checks-dir", str(trivial), "--check", f"{BUILTIN_CHECK},{TRIVIAL_CHECK_ID}"],
        "c": base + pack + ["--check", f"{BUILTIN_CHECK},CKV_VPCE_*"],
        "d": base,
        "e": base + pack,
    }
    return [(key, label, commands[key]) for key, label in CONFIGS if full or key in "abc"]


def bench_scans(sizes: Sequence[int], repeat: int, long_run: float, work: Path, keep: Optional[Path],
                profile_size: int, full: bool, unique_names: bool) -> Optional[Tuple[int, int]]:
    """Returns how often a run loaded the external check files, and in how many processes."""
    trivial = work / "trivial_checks"
    trivial.mkdir()
    (trivial / "__init__.py").write_text("", encoding="utf-8")
    (trivial / "bench_trivial_json.py").write_text(TRIVIAL_CHECK, encoding="utf-8")
    env = checkov_env(work / "pycache")
    out = work / "out.json"

    print("== 1. Checkov with and without the pack over a synthetic repository")
    print(f"   every run: checkov -d DIR --framework {' '.join(FRAMEWORKS)} --skip-download -o json (stdout to a "
          "file), BC_SKIP_MAPPING=TRUE, default settings")
    print(f"     (a) --check {BUILTIN_CHECK}   [built-in \"S3 bucket does not allow an action with any Principal\"; "
          "Terraform aws_s3_bucket/aws_s3_bucket_policy only: CloudFormation templates are parsed but get no check]")
    print(f"     (b) --external-checks-dir <one trivial JSON check> --check {BUILTIN_CHECK},{TRIVIAL_CHECK_ID}   "
          "[Checkov's json framework runs only when an external checks dir is given]")
    print(f'     (c) --external-checks-dir "$(vpce-checks path)" --check {BUILTIN_CHECK},CKV_VPCE_*')
    if full:
        print("     (d) no --check: all of Checkov's built-in checks     (e) (d) with "
              '--external-checks-dir "$(vpce-checks path)" (the README\'s command)')
    warm = work / "warmup"
    generate(warm, 40, seed=1)
    start = time.perf_counter()
    for _, _, command in scan_commands(warm, trivial, full):
        run_timed(command, env, out)
    print(f"   bytecode cache warmed in {time.perf_counter() - start:.1f} s (PYTHONPYCACHEPREFIX, a 40-resource "
          "tree, every configuration once); runs interleaved a, b, c, ... per round")

    table = []
    loads: Optional[Tuple[int, int]] = None
    for size in sizes:
        tree = (keep / f"repo-{size}") if keep else (work / f"repo-{size}")
        if tree.exists():
            shutil.rmtree(tree)
        start = time.perf_counter()
        repo = generate(tree, size, unique_names=unique_names)
        made = time.perf_counter() - start
        print(f"\n-- N = {size:,}: {repo.resources:,} resources in {sum(repo.files.values()):,} files "
              f"({repo.files['tf']:,} .tf in {repo.modules:,} modules, {repo.files['yaml']:,} CloudFormation YAML, "
              f"{repo.files['json']:,} raw policy JSON), generated in {made:.1f} s")
        print(f"   by input kind: Terraform {repo.shares['terraform']:,}, CloudFormation "
              f"{repo.shares['cloudformation']:,}, raw JSON {repo.shares['raw']:,} resources; Terraform resource names "
              + ("unique across modules" if unique_names else "reused across a team's modules (as in real repos)"))
        print("   resources: " + ", ".join(f"{kind} {count:,}" for kind, count in sorted(repo.kinds.items())))
        print(f"   policies: {repo.policies['sound']:,} sound, {repo.policies['broken']:,} broken, "
              f"{repo.policies['missing']:,} buckets without a policy")
        commands = scan_commands(tree, trivial, full)
        runs: Dict[str, List[Tuple[float, float]]] = {key: [] for key, _, _ in commands}
        results: Dict[str, Dict[Tuple[str, str, str], str]] = {}
        rounds, round_number = repeat, 0
        while round_number < rounds:
            round_number += 1
            for key, label, command in commands:
                import_log = work / "imports.log"
                if import_log.exists():
                    import_log.unlink()
                run_env = dict(env, **({IMPORT_LOG: str(import_log)} if key == "b" else {}))
                wall, cpu, code = run_timed(command, run_env, out)
                runs[key].append((wall, cpu))
                if round_number == 1:
                    results[key] = results_of(out)
                extra = ""
                if key == "b" and import_log.exists():
                    pids = import_log.read_text().split()
                    loads = (len(pids), len(set(pids)))
                    extra = f"; external check files executed {len(pids)} times in {len(set(pids))} processes"
                print(f"   run {round_number}/{rounds}  ({key}) {label:<42} wall {wall:7.1f} s  cpu {cpu:7.1f} s  "
                      f"exit {code}{extra}", flush=True)
                if round_number == 1 and key == "a" and wall > long_run and rounds > 1:
                    rounds = 1
                    print(f"   (run (a) took over {long_run:.0f} s: this size is measured once)")
        medians = {key: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
                   for key, values in runs.items()}
        print(f"   load average after this size: {load_average()}")
        table.append((size, rounds, medians))
        report_results(repo, results)
        if size == profile_size:
            bench_attribution(tree, size, trivial, env, work, medians)

    print("\n   Summary: median wall and CPU seconds (CPU: the checkov process and every child it waited for)")
    header = f"   {'N':>6} {'runs':>4}"
    for key, _, _ in scan_commands(Path("."), Path("."), full):
        header += f" | ({key}) {'wall':>5} {'cpu':>6}"
    print(header)
    for size, rounds, medians in table:
        line = f"   {size:>6,} {rounds:>4}"
        for wall, cpu in medians.values():
            line += f" | {wall:>9.1f} {cpu:>6.1f}"
        print(line)
    print(f"\n   {'N':>6} | {'c/a wall':>8} {'cpu':>5} | {'b/a wall':>8} {'cpu':>5} | {'json share':>10}"
          + (f" | {'e/d wall':>8} {'cpu':>5}" if full else ""))
    for size, _, medians in table:
        (aw, ac), (bw, bc), (cw, cc) = medians["a"], medians["b"], medians["c"]
        share = (bw - aw) / (cw - aw) if cw > aw else float("nan")
        line = f"   {size:>6,} | {cw / aw:>8.3f} {cc / ac:>5.2f} | {bw / aw:>8.3f} {bc / ac:>5.2f} | {share:>10.0%}"
        if full:
            (dw, dc), (ew, ec) = medians["d"], medians["e"]
            line += f" | {ew / dw:>8.3f} {ec / dc:>5.2f}"
        print(line)
    print("   pack overhead = c/a - 1; json share = (b - a) / (c - a): the part of the pack's extra wall time that an "
          "external checks dir holding one trivial JSON check costs too (the json framework parsing every *.json)")
    for size, _, medians in table:
        if size == 2000:
            overhead = medians["c"][0] / medians["a"][0] - 1
            verdict = "met" if overhead <= 0.05 else "NOT met"
            print(f"   target: pack overhead at most 5% of checkov's wall time at N = 2,000: {overhead:.1%}, {verdict}")
            if full:
                print(f"   (against all of Checkov's built-in checks, (e)/(d) - 1: "
                      f"{medians['e'][0] / medians['d'][0] - 1:.1%})")
    return loads


def report_results(repo: Repo, results: Dict[str, Dict[Tuple[str, str, str], str]]) -> None:
    builtin, trivial = tally(results.get("a", {})), tally(results.get("b", {}))
    found = results.get("c", {})
    got = tally(found)
    print(f"   results of round 1: (a) {BUILTIN_CHECK} {builtin[(BUILTIN_CHECK, 'PASSED')]:,} passed, "
          f"{builtin[(BUILTIN_CHECK, 'FAILED')]:,} failed; (b) {TRIVIAL_CHECK_ID} "
          f"{trivial[(TRIVIAL_CHECK_ID, 'PASSED')]:,} JSON documents; (c) {BUILTIN_CHECK} "
          f"{got[(BUILTIN_CHECK, 'PASSED')]:,}/{got[(BUILTIN_CHECK, 'FAILED')]:,}")
    for key in ("d", "e"):
        if key in results:
            counts = tally(results[key])
            ours = sum(n for (check, _), n in counts.items() if check.startswith("CKV_VPCE"))
            print(f"   ({key}) {sum(counts.values()):,} results ({ours:,} of them CKV_VPCE_*)")
    intended_checks = sorted({c for c, _ in repo.expected})
    parts = []
    for check in sorted({c for c, _ in got if c.startswith("CKV_VPCE")} | set(intended_checks)):
        p, f, s = got[(check, "PASSED")], got[(check, "FAILED")], got[(check, "SKIPPED")]
        text = f"{check} {p:,}/{f:,}" + (f" +{s} skipped" if s else "")
        if check in intended_checks:
            ep, ef = repo.expected[(check, "PASSED")], repo.expected[(check, "FAILED")]
            text += f" (intended {ep:,}/{ef:,})" if (p, f, s) != (ep, ef, 0) else " (as intended)"
        else:
            text += " (no intended verdict)"
        parts.append(text)
    print("   (c) pack results, passed/failed: " + "; ".join(parts))
    mismatches = []
    for (file, entity, check), (wanted, why) in sorted(repo.intended.items()):
        actual = found.get((file, entity, check), "no result")
        if actual != wanted:
            mismatches.append(f"{file} {entity or '(document)'} {check}: {actual}, intended {wanted} ({why})")
    intended_keys = set(repo.intended)
    for key in sorted(k for k in found if k[2] in intended_checks and k not in intended_keys):
        mismatches.append(f"{key[0]} {key[1] or '(document)'} {key[2]}: {found[key]}, not intended")
    if not mismatches:
        print(f"   every one of the {len(repo.intended):,} intended pack results came out as intended")
        return
    kinds = Counter(re.sub(r"\S+ \S+ (CKV_VPCE_\d+): ", r"\1 ", m).split(" (")[0] for m in mismatches)
    print(f"   {len(mismatches)} of {len(repo.intended):,} pack results differ from the generator's intent: "
          + "; ".join(f"{what} x{n}" for what, n in kinds.most_common()))
    for line in mismatches[:6]:
        print(f"     e.g. {line}")


PACK_FRAME = re.compile(r"\((?:[^()]*/)?(vpce_checks/[^:()]+\.py):\d+\)$")


def pack_modules(raw: Path) -> Tuple[Counter, int, int]:
    """py-spy --format raw (one line per distinct stack and its sample count): the pack's samples by innermost pack
    module, the pack's samples, all samples."""
    modules: Counter = Counter()
    total = pack = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith("process ")]
        total += int(count)
        found = [m.group(1) for m in map(PACK_FRAME.search, frames) if m]
        if found:
            pack += int(count)
            modules[found[-1].replace("vpce_checks/", "")] += int(count)
    return modules, pack, total


def bench_attribution(tree: Path, size: int, trivial: Path, env: Dict[str, str], work: Path,
                      medians: Dict[str, Tuple[float, float]]) -> None:
    """Where (c)'s extra time goes: the json framework (b - a), the pack's own code measured from inside every runner
    process, and the rest (Checkov handling the pack's check calls and results); py-spy for the pack's modules."""
    print(f"\n   Where the extra time goes at N = {size:,}")
    log = work / "timing.log"
    wrapper = work / "timed_pack"
    wrapper.mkdir(exist_ok=True)
    (wrapper / "__init__.py").write_text("", encoding="utf-8")
    (wrapper / "bench_timed_pack.py").write_text(TIMED_PACK, encoding="utf-8")
    command = [part if part != checks_path() else str(wrapper) for part in scan_commands(tree, trivial, False)[2][2]]
    if log.exists():
        log.unlink()
    out = work / "timed-out.json"
    wall, cpu, _ = run_timed(command, dict(env, VPCE_BENCH_TIMING_LOG=str(log), VPCE_BENCH_PACK_DIR=checks_path()),
                             out)
    same = tally(results_of(out))
    rows = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    calls = sum(int(r[1]) for r in rows)
    check_cpu = sum(float(r[2]) for r in rows)
    import_cpu = sum(float(r[3]) for r in rows)
    (aw, ac), (bw, bc), (cw, cc) = medians["a"], medians["b"], medians["c"]
    print(f"   the pack measured from inside Checkov (a wrapper around vpce_checks.checkov_glue.run_check, one run: "
          f"wall {wall:.1f} s, cpu {cpu:.1f} s): {calls:,} check calls in {len(rows)} processes, "
          f"{check_cpu:.2f} s CPU ({check_cpu / max(calls, 1) * 1000:.2f} ms a call), first import "
          f"{import_cpu:.2f} s CPU; {sum(n for (c, _), n in same.items() if c.startswith('CKV_VPCE')):,} pack results")
    rest = (cc - ac) - (bc - ac) - check_cpu - import_cpu
    print(f"   extra CPU of (c) over (a), medians: {cc - ac:+.2f} s = json framework (b - a) {bc - ac:+.2f} s "
          f"+ the pack's check calls {check_cpu:.2f} s + its import {import_cpu:.2f} s + the rest {rest:+.2f} s "
          "(Checkov calling the checks and building, pickling and writing their results; runs vary)")
    print(f"   extra wall time of (c) over (a): {cw - aw:+.2f} s ({cw / aw - 1:.0%}); json framework alone "
          f"{bw - aw:+.2f} s ({bw / aw - 1:.0%})")
    command = list(scan_commands(tree, trivial, False)[1][2])
    at = command.index("--framework") + 1
    command[at:at + len(FRAMEWORKS)] = [f for f in FRAMEWORKS if f != "json"]
    samples = [run_timed(command, env, out)[:2] for _ in range(3)]
    nw, nc = statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples)
    print(f"   check: (b) without the json framework (--framework terraform cloudformation, median of 3): wall "
          f"{nw:.1f} s, cpu {nc:.1f} s, against (a) {aw:.1f} s, {ac:.1f} s: the json framework accounts for "
          f"{(bw - nw) / (bw - aw):.0%} of (b) - (a) in wall time, {(bc - nc) / (bc - ac):.0%} in CPU")
    spy = Path(sys.executable).parent / "py-spy"
    spy_path = str(spy) if spy.exists() else shutil.which("py-spy")
    if not spy_path:
        print("   (py-spy not found: no breakdown by module)")
        return
    raw = work / "profile.txt"
    spy_command = [spy_path, "record", "--subprocesses", "--format", "raw", "--rate", "100", "-o", str(raw), "--",
                   *scan_commands(tree, trivial, False)[2][2]]
    subprocess.run(spy_command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    if not raw.exists():
        print("   (py-spy produced no profile)")
        return
    modules, pack, total = pack_modules(raw)
    print(f"   py-spy (record --subprocesses, 100 Hz) on (c): {pack:,} of {total:,} samples in the pack's code; "
          "by innermost pack module: "
          + ", ".join(f"{module} {count / max(pack, 1):.0%}" for module, count in modules.most_common(8)))


def per_call(function: Callable[[], Any], min_seconds: float = 0.3, max_calls: int = 100_000) -> Tuple[float, int]:
    """Median seconds per call over 5 batches sized to last about ``min_seconds`` in all."""
    start = time.perf_counter()
    function()
    first = time.perf_counter() - start
    if first * 3 > min_seconds:
        samples = [first]
        for _ in range(2):
            start = time.perf_counter()
            function()
            samples.append(time.perf_counter() - start)
        return statistics.median(samples), 3
    batch = max(1, min(max_calls, int(min_seconds / 5 / max(first, 1e-7))))
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(batch):
            function()
        samples.append((time.perf_counter() - start) / batch)
    return statistics.median(samples), batch * 5 + 1


def engine_corpus(count: int, seed: int = 11) -> List[Tuple[Dict[str, Any], Any, bool, int]]:
    """Literal policies of 1 to 10 statements for the four services: (document, target, intended pass, size)."""
    from vpce_checks.engine.services import Target

    rng = random.Random(seed)
    out = []
    while len(out) < count:
        service = rng.choice(("s3", "s3", "sqs", "sns", "execute-api"))
        name = f"northwind-engine-{len(out)}"
        account = account_id(rng)
        vpces = [vpce_id(rng) for _ in range(rng.choice((1, 2, 3)))]
        variant, sound = pick_variant(rng, service)
        if service == "s3":
            arn = f"arn:aws:s3:::{name}"
            document = policy(variant, service, [arn], [arn + "/*"], vpces, rng)
            target = Target("s3", name)
        elif service == "execute-api":
            document = policy(variant, service, [], [], vpces, rng)
            target = Target("execute-api", f"{rng.randrange(16 ** 10):010x}", account=account, region="eu-west-1")
        else:
            arn = f"arn:aws:{service}:eu-west-1:{account}:{name}"
            document = policy(variant, service, [arn], [], vpces, rng)
            target = Target(service, name, account=account, region="eu-west-1")
        wanted = rng.randint(1, 10)
        extra = document["Statement"]
        resources = extra[-1]["Resource"]
        while len(extra) < wanted:  # realistic padding: grants to roles of other accounts, and a TLS Deny
            if rng.random() < 0.8:
                extra.insert(0, {"Sid": f"AllowPartner{len(extra)}", "Effect": "Allow",
                                 "Principal": {"AWS": f"arn:aws:iam::{account_id(rng)}:role/partner-{len(extra)}"},
                                 "Action": rng.sample(ACTION_SOME[service] * 2, 1), "Resource": resources})
            else:
                extra.insert(0, {"Sid": f"DenyInsecure{len(extra)}", "Effect": "Deny", "Principal": "*",
                                 "Action": ACTION_ALL[service], "Resource": resources,
                                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
        if len(extra) > 10:
            continue
        out.append((document, target, sound, len(extra)))
    return out


def bench_engine() -> None:
    from vpce_checks.adapters.base import PolicySource
    from vpce_checks.engine.model import parse_policy
    from vpce_checks.engine.perimeter import perimeter_of
    from vpce_checks.judge import judge
    from vpce_checks.settings import load_settings

    print("\n== 2. Engine verdicts per second (perimeter_of, no Checkov, one process)")
    corpus = engine_corpus(600)
    parsed = [(parse_policy(doc), target) for doc, target, _, _ in corpus]
    verdicts = [perimeter_of(p, t) for p, t in parsed]
    agree = sum((v.status == "pass") == sound for v, (_, _, sound, _) in zip(verdicts, corpus))
    statuses = Counter(v.status for v in verdicts)
    sizes = Counter(n for *_, n in corpus)
    print(f"   corpus: {len(corpus)} policies, {min(sizes)}-{max(sizes)} statements (mean "
          f"{statistics.mean(n for *_, n in corpus):.1f}), S3/SQS/SNS/execute-api; verdicts: "
          f"{statuses['pass']} pass, {statuses['fail']} fail, {statuses['unresolved']} unresolved; "
          f"{agree}/{len(corpus)} as the generator intended")

    def rate(items: List[Tuple[Any, Any]], function: Callable[[Any, Any], Any]) -> float:
        best = []
        for _ in range(5):
            start = time.perf_counter()
            for first, second in items:
                function(first, second)
            best.append(time.perf_counter() - start)
        return len(items) / statistics.median(best)

    overall = rate(parsed, perimeter_of)
    print(f"   perimeter_of on parsed policies:          {overall:>9,.0f} verdicts/s (median of 5 passes over the "
          "corpus)")
    for low, high in ((1, 3), (4, 6), (7, 10)):
        subset = [pt for pt, (*_, n) in zip(parsed, corpus) if low <= n <= high]
        speed = rate(subset, perimeter_of)
        print(f"     {low:>2}-{high:<2} statements ({len(subset):>3} policies):       {speed:>9,.0f} verdicts/s")
    for label, wanted in (("passing", "pass"), ("failing", "fail")):
        subset = [pt for pt, v in zip(parsed, verdicts) if v.status == wanted]
        print(f"     {label} only ({len(subset):>3} policies):          {rate(subset, perimeter_of):>9,.0f} "
              "verdicts/s")
    documents = [(doc, target) for doc, target, _, _ in corpus]
    with_parse = rate(documents, lambda doc, target: perimeter_of(parse_policy(doc), target))
    print(f"   parse_policy + perimeter_of on documents:  {with_parse:>9,.0f} verdicts/s")
    settings = load_settings({})
    sources = [(PolicySource(target=target, document=doc, origin="benchmark", syntax="json"), settings)
               for doc, target, _, _ in corpus]
    print(f"   judge (parse, verdict, explanation, fix):  {rate(sources, judge):>9,.0f} results/s")
    print(f"   target: at least 5,000 verdicts/s for policies of up to 10 statements: {overall:,.0f}/s, "
          f"{'met' if overall >= 5000 else 'NOT met'}")
    where_verdict_time_goes(parsed)


def where_verdict_time_goes(parsed: List[Tuple[Any, Any]]) -> None:
    """cProfile over one (warm) pass of the corpus: which stage of perimeter_of takes the time (shares, not speeds)."""
    import cProfile
    import pstats

    from vpce_checks.engine import perimeter

    for policy_, target in parsed:  # warm the matcher's caches, as the timed passes above are
        perimeter.perimeter_of(policy_, target)
    profiler = cProfile.Profile()
    profiler.enable()
    for policy_, target in parsed:
        perimeter.perimeter_of(policy_, target)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def cumulative(function: Any) -> Tuple[float, int]:
        code = getattr(function, "__code__", None)
        if code is None:
            return 0.0, 0
        for (file, line, name), (_, calls, _, cum, _) in stats.items():
            if file == code.co_filename and line == code.co_firstlineno and name == code.co_name:
                return cum, calls
        return 0.0, 0

    total, verdicts = cumulative(perimeter.perimeter_of)
    if not total:
        return
    search = getattr(perimeter, "_Search", None)
    stages = [
        ("building the request space (RequestSpace.__init__)", [getattr(perimeter.RequestSpace, "__init__", None)]),
        ("per caller and network: value domains, truth tables (_Search.__init__)",
         [getattr(search, "__init__", None)]),
        ("the depth-first search itself (_Search.run)", [getattr(search, "run", None)]),
        ("re-evaluating the counterexample (evaluate)", [getattr(perimeter, "evaluate", None)]),
        ("explaining it (element_failure, describe_request)",
         [getattr(perimeter, "element_failure", None), getattr(perimeter, "describe_request", None)]),
    ]
    print(f"   where a verdict's time goes (cProfile, one pass, {verdicts} verdicts; profiling inflates small calls):")
    shown = 0.0
    for name, functions in stages:
        seconds = sum(cumulative(f)[0] for f in functions)
        shown += seconds
        print(f"     {name:<72} {seconds / total:>5.0%}")
    print(f"     {'the rest (bounds, references, allowed origins, Verdict)':<72} {(total - shown) / total:>5.0%}")
    searches = cumulative(getattr(search, "__init__", None))[1]
    if searches and verdicts:
        print(f"     {searches / verdicts:.1f} searches per verdict (one per caller class and network), each "
              "recomputing the value domains of every condition key")


def growth_rows(label: str, sizes: Sequence[int], build: Callable[[int], Tuple[Dict[str, Any], Any]],
                options: Any = None) -> None:
    from vpce_checks.engine.model import parse_policy
    from vpce_checks.engine.perimeter import AnalysisOptions, perimeter_of

    options = options or AnalysisOptions()
    previous: Optional[Tuple[int, float]] = None
    print(f"   {label}")
    for size in sizes:
        document, target = build(size)
        parsed = parse_policy(document)
        verdict = perimeter_of(parsed, target, options)
        seconds, calls = per_call(lambda parsed=parsed, target=target: perimeter_of(parsed, target, options))
        exponent = ""
        if previous:
            exponent = f"{math.log(seconds / previous[1]) / math.log(size / previous[0]):+.2f}"
        previous = (size, seconds)
        print(f"     {size:>5,} -> {seconds * 1000:>10.3f} ms/verdict  growth exponent {exponent:>6}  "
              f"[{verdict.status}; {calls} calls]")


def bench_growth() -> None:
    from vpce_checks.engine.model import parse_policy
    from vpce_checks.engine.perimeter import AnalysisOptions, perimeter_of
    from vpce_checks.engine.services import Target

    print("\n== 3. Cost of one policy as it grows (perimeter_of; growth exponent = log(t2/t1) / log(n2/n1) between "
          "consecutive sizes: 1 linear, 2 quadratic)")
    bucket = "northwind-growth"
    arn = f"arn:aws:s3:::{bucket}"
    target = Target("s3", bucket)
    rng = random.Random(5)
    ids = [vpce_id(rng) for _ in range(1001)]
    actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketPolicy",
               "s3:PutBucketPolicy", "s3:GetObjectVersion", "s3:PutObjectAcl", "s3:RestoreObject"]

    def deny(i: int, **change: Any) -> Dict[str, Any]:
        statement = {"Sid": f"Deny{i}", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                     "Resource": [arn, arn + "/*"], "Condition": {"StringNotEquals": {"aws:SourceVpce": ids[0]}}}
        statement.update(change)
        return statement

    def allow(i: int) -> Dict[str, Any]:
        return {"Sid": f"Allow{i}", "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{100000000000 + i}:role/reader-{i}"},
                "Action": [actions[i % len(actions)]], "Resource": arn + f"/team-{i}/*"}

    statement_sizes = (1, 10, 100, 1000)
    growth_rows("statements: n-1 Allow statements (one role each) + one sound Deny [passes]", statement_sizes,
                lambda n: ({"Statement": [allow(i) for i in range(n - 1)] + [deny(n)]}, target))
    growth_rows("statements: n Deny statements, each on its own action, prefix and endpoint [fails: s3:* not "
                "covered]", statement_sizes,
                lambda n: ({"Statement": [deny(i, Action=actions[i % len(actions)],
                                               Resource=[arn, f"{arn}/p{i}/*"],
                                               Condition={"StringNotEquals": {"aws:SourceVpce": ids[i]}})
                                          for i in range(n)]}, target))
    growth_rows("statements: n Deny statements, each its own condition key (aws:RequestTag/k<i>) [passes]",
                statement_sizes,
                lambda n: ({"Statement": [deny(0)] + [
                    deny(i, Condition={"StringNotEquals": {"aws:SourceVpce": ids[0]},
                                       "StringEquals": {f"aws:RequestTag/k{i}": f"v{i}"}}) for i in range(1, n)]},
                           target))
    endpoint_sizes = (1, 10, 50, 200)
    growth_rows("endpoints: n endpoint IDs in one Deny (StringNotEquals aws:SourceVpce [n IDs]) [passes]",
                endpoint_sizes, lambda n: ({"Statement": [deny(0, Condition={"StringNotEquals": {
                    "aws:SourceVpce": ids[:n]}})]}, target))
    growth_rows("endpoints: one Deny per endpoint ID, n Deny statements [coverage passes; a lockout, "
                "CKV_VPCE_6's concern]", endpoint_sizes,
                lambda n: ({"Statement": [deny(i, Condition={"StringNotEquals": {"aws:SourceVpce": ids[i]}})
                                          for i in range(n)]}, target))

    print("   bounds (AnalysisOptions: max_statements, max_patterns checked before any work; max_steps during the "
          "search): the check fails closed")
    options = AnalysisOptions()
    cases = [
        (f"{options.max_statements:,} Deny statements (at the bound)",
         {"Statement": [deny(i) for i in range(options.max_statements)]}),
        (f"{options.max_statements + 1:,} Deny statements (one past it)",
         {"Statement": [deny(i) for i in range(options.max_statements + 1)]}),
        (f"{options.max_patterns + 1:,} action/resource patterns in 3 statements",
         {"Statement": [deny(i, Action=[f"s3:Get{j}Thing{i}" for j in range(options.max_patterns // 3)])
                        for i in range(3)]}),
        ("10,000 Deny statements (SPEC robustness size)", {"Statement": [deny(i) for i in range(10_000)]}),
        # issue 11's bounds: patterns that multiply automaton states, and many condition values under one key
        ("5 Deny statements whose Resource repeats *a twenty times",
         {"Statement": [deny(i, Resource=[arn, f"{arn}/" + "*a" * 20 + f"{i}*"]) for i in range(5)]}),
        ("5 Deny statements, StringNotLike aws:SourceVpce with 20 wildcards each",
         {"Statement": [deny(i, Condition={"StringNotLike": {"aws:SourceVpce": "vpce-" + "*a" * 20 + str(i)}})
                        for i in range(5)]}),
        ("4,000 endpoint IDs in one Deny", {"Statement": [deny(0, Condition={"StringNotEquals": {
            "aws:SourceVpce": [f"vpce-{i:017x}" for i in range(4_000)]}})]}),
        ("4,000 endpoint ID patterns (StringNotLike, vpce-<hex>*) in one Deny", {"Statement": [deny(0, Condition={
            "StringNotLike": {"aws:SourceVpce": [f"vpce-{i:08x}*" for i in range(4_000)]}})]}),
        ("50,000 endpoint IDs in one Deny", {"Statement": [deny(0, Condition={"StringNotEquals": {
            "aws:SourceVpce": [f"vpce-{i:017x}" for i in range(50_000)]}})]}),
    ]
    for label, document in cases:
        start = time.perf_counter()
        parsed = parse_policy(document)
        parse_seconds = time.perf_counter() - start
        start = time.perf_counter()
        verdict = perimeter_of(parsed, target, options)
        seconds = time.perf_counter() - start
        print(f"     {label:<52} parse {parse_seconds * 1000:>8.1f} ms, verdict {seconds * 1000:>9.1f} ms: "
              f"{verdict.status}: {verdict.reason[:110]}")
    # The step bound. Deciding whether Deny statements cover every request is a DNF tautology problem (coNP), so
    # a compact policy can force an exponential search: the pigeonhole principle written as Deny statements over
    # request tags (n+1 pigeons, n holes; tag p<i>h<j> = "in" puts pigeon i in hole j). Every request is denied
    # (some pigeon has no hole, or two share one), but a depth-first search needs exponentially many steps to see
    # it. Padding statements (each one more tag) make every step dearer.
    def pigeonhole(holes: int, padding: int) -> Dict[str, Any]:
        perimeter = {"StringNotEquals": {"aws:SourceVpce": ids[0]}}

        def tag(i: int, j: int) -> str:
            return f"aws:RequestTag/p{i}h{j}"

        out = [deny(i, Condition=dict(perimeter, StringNotEqualsIfExists={tag(i, j): "in" for j in range(holes)}))
               for i in range(holes + 1)]
        out += [deny(j, Condition=dict(perimeter, StringEquals={tag(a, j): "in", tag(b, j): "in"}))
                for j in range(holes) for a in range(holes + 1) for b in range(a + 1, holes + 1)]
        out += [deny(k, Condition=dict(perimeter, StringEquals={f"aws:RequestTag/z{k}": "in"})) for k in range(padding)]
        return {"Statement": out}

    print(f"   the step bound (max_steps = {options.max_steps:,}) on an adversarial policy: the pigeonhole principle "
          "as Deny statements over request tags (sound, but only an exhaustive search can tell)")
    for holes, padding in ((2, 0), (3, 0), (4, 0), (6, 0), (6, 867)):
        parsed = parse_policy(pigeonhole(holes, padding))
        start = time.perf_counter()
        verdict = perimeter_of(parsed, target, options)
        seconds = time.perf_counter() - start
        label = f"{holes} holes, {len(parsed.statements):,} statements" + (f" ({padding} padding)" if padding else "")
        print(f"     {label:<52} verdict {seconds * 1000:>10.1f} ms: {verdict.status}: {verdict.reason[:80]}",
              flush=True)


# --------------------------------------------------------------------------------------------------------------
# Import cost in a Checkov runner process
# --------------------------------------------------------------------------------------------------------------

IMPORT_PROBE = textwrap.dedent('''\
    import importlib.util, json, os, sys, time
    start = time.perf_counter()
    from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck  # noqa
    from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck as C  # noqa
    from checkov.json_doc.base_json_check import BaseJsonCheck  # noqa
    base = time.perf_counter() - start
    directory = sys.argv[1]
    before = set(sys.modules)
    sys.path.insert(1, directory)  # as Checkov's registry does
    files = sorted(f for f in os.listdir(directory) if f.endswith(".py") and not f.startswith("__"))

    def load():
        for name in files:  # as BaseCheckRegistry._exec_check_from_disk does
            spec = importlib.util.spec_from_file_location(name[:-3], os.path.join(directory, name))
            module = importlib.util.module_from_spec(spec)
            sys.modules[name[:-3]] = module
            spec.loader.exec_module(module)

    start = time.perf_counter()
    load()
    first = time.perf_counter() - start
    start = time.perf_counter()
    load()
    again = time.perf_counter() - start
    new = set(sys.modules) - before - {f[:-3] for f in files}
    print(json.dumps({"base": base, "first": first, "again": again, "files": len(files),
                      "pack": sorted(m for m in new if m.startswith("vpce_checks")),
                      "other": sorted(m for m in new if not m.startswith("vpce_checks"))}))
    ''')


def bench_imports(work: Path, loads: Optional[Tuple[int, int]], runs: int = 7) -> None:
    print("\n== 4. Import cost the pack adds to each Checkov runner process (fresh interpreter per run, after the "
          "Checkov base classes of the three frameworks are imported; median of "
          f"{runs} runs)")
    probe = work / "import_probe.py"
    probe.write_text(IMPORT_PROBE, encoding="utf-8")
    in_repo = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "vpce_checks").rglob("__pycache__"))
    cold_env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    cold_env.pop("PYTHONPYCACHEPREFIX", None)
    warm_cache = work / "import_pycache"
    warm_env = dict(os.environ, PYTHONPYCACHEPREFIX=str(warm_cache))
    warm_env.pop("PYTHONDONTWRITEBYTECODE", None)
    modes = [
        ("PYTHONDONTWRITEBYTECODE=1 (this machine): the pack compiled from source", cold_env),
        ("warm bytecode cache (pip-installed, or any run after the first)", warm_env),
    ]
    subprocess.run([sys.executable, str(probe), checks_path()], env=warm_env, capture_output=True, check=False)
    detail = None
    costs = []
    for label, env in modes:
        samples = []
        for _ in range(runs):
            done = subprocess.run([sys.executable, str(probe), checks_path()], env=env, capture_output=True,
                                  text=True, check=False)
            try:
                samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
            except (ValueError, IndexError):
                print(f"   probe failed: {done.stderr.strip()[-300:]}")
                break
        if not samples:
            continue
        detail = samples[-1]
        base = statistics.median(s["base"] for s in samples)
        first = statistics.median(s["first"] for s in samples)
        again = statistics.median(s["again"] for s in samples)
        costs.append((label.split(" (")[0].split(":")[0], first, again))
        print(f"   {label}:")
        print(f"     Checkov base classes {base * 1000:7.1f} ms | the pack's {detail['files']} check files, first "
              f"load {first * 1000:7.1f} ms | each further load (another registry) {again * 1000:6.1f} ms")
    if detail:
        print(f"   the first load imports {len(detail['pack'])} vpce_checks modules and {len(detail['other'])} other "
              f"modules: {', '.join(detail['other'][:12]) or 'none'}{' ...' if len(detail['other']) > 12 else ''}")
    print(f"   __pycache__ folders inside vpce_checks/ when measured: {', '.join(in_repo) or 'none'}")
    if loads and costs:
        execs, processes = loads
        print(f"   per Checkov run with --framework {' '.join(FRAMEWORKS)}: the check files are loaded {execs} times "
              f"in {processes} processes (measured in (b)), so the pack's imports cost about "
              + "; ".join(f"{(processes * first + (execs - processes) * again) * 1000:.0f} ms CPU with {name}"
                          for name, first, again in costs))


# --------------------------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------------------------
# The issue's table: `checkov -d DIR` against the README's command, paired and interleaved
# --------------------------------------------------------------------------------------------------------------

# Small trees measured besides the public modules. Not this repository's fixtures/: they hold hostile inputs (an
# OpenAPI file that is a YAML alias bomb) on which Checkov's own openapi runner never finishes, with or without the
# pack (plain `checkov -d fixtures/CKV_VPCE_5/terraform/openapi_file_alias_bomb_fail` past 60 s and 4 GB).
SMALL_TREES: Tuple[Tuple[str, Path], ...] = ()
MODULE_COPIES = Path("/tmp/mods")  # where copies of public modules are looked for (--modules to change)


def generate_kind(root: Path, kind: str, size: int, seed: int = 7) -> Repo:
    """A tree of one input kind only (``terraform``, ``cloudformation`` or ``raw``), ``size`` resources or more."""
    repo = Repo(root, seed)
    make = {"terraform": repo.terraform_module, "cloudformation": repo.cloudformation_template,
            "raw": repo.raw_policy}[kind]
    index = 0
    while repo.resources < size:
        index += 1
        make(index)
    repo.shares = Counter({kind: repo.resources})
    return repo


def paired_runs(plain: List[str], with_pack: List[str], env: Dict[str, str], pairs: int,
                out: Path) -> Dict[str, Any]:
    """``pairs`` pairs of runs, interleaved (plain first in even pairs, the pack first in odd ones, so drift in the
    machine's load falls on both sides); ratios per pair, their medians."""
    rows = []
    for index in range(pairs):
        order = (("plain", plain), ("pack", with_pack)) if index % 2 == 0 else (("pack", with_pack), ("plain", plain))
        timed: Dict[str, Tuple[float, float, int]] = {}
        for name, command in order:
            timed[name] = run_timed(command, env, out if name == "pack" else out.with_suffix(".plain.json"))
        rows.append(timed)
    cpu = [r["pack"][1] / r["plain"][1] for r in rows]
    wall = [r["pack"][0] / r["plain"][0] for r in rows]
    return {"cpu_ratio": statistics.median(cpu), "wall_ratio": statistics.median(wall),
            "cpu_ratios": cpu, "wall_ratios": wall,
            "added_cpu": statistics.median(r["pack"][1] - r["plain"][1] for r in rows),
            "plain_cpu": statistics.median(r["plain"][1] for r in rows),
            "plain_wall": statistics.median(r["plain"][0] for r in rows),
            "codes": sorted({r[n][2] for r in rows for n in r})}


def analysis_counts(command: List[str], env: Dict[str, str], work: Path) -> Counter:
    """One more (untimed) run of the pack with its analysis log (vpce_checks/analysis_cache.py): what it computed."""
    log = work / "analysis.log"
    if log.exists():
        log.unlink()
    run_timed(command, dict(env, VPCE_CHECKS_ANALYSIS_LOG=str(log)), work / "counts.json")
    per_key: Counter = Counter()
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            pid, kind, resource = line.split("\t", 2)
            per_key[(pid, kind, resource)] += 1
    totals: Counter = Counter()
    for (_, kind, _), count in per_key.items():
        totals[kind] += count
        totals[kind + " (most for one resource)"] = max(totals[kind + " (most for one resource)"], count)
    return totals


def bench_table(work: Path, pairs: int, modules: Path, sizes: Dict[str, int]) -> List[Tuple[str, Dict[str, Any]]]:
    """The issue's table: each tree scanned by `checkov -d DIR` and by the README's command (the same plus
    `--external-checks-dir "$(vpce-checks path)"`), offline, all of Checkov's frameworks and built-in checks."""
    env = checkov_env(work / "pycache")
    out = work / "out.json"
    base = checkov_executable() + ["--skip-download", "-o", "json"]
    pack = ["--external-checks-dir", checks_path()]
    print("== 1. The README's command against `checkov -d DIR` with the same other flags (paired, interleaved runs)")
    print("   plain: checkov -d DIR --skip-download -o json (stdout to a file), BC_SKIP_MAPPING=TRUE, default settings;"
          " pack: the same plus --external-checks-dir \"$(vpce-checks path)\"")
    print(f"   {pairs} pairs per tree, the order alternating within pairs; ratio = pack / plain per pair, median of "
          "the pairs; CPU = the checkov process and every child it waited for (RUSAGE_CHILDREN)")
    warm = work / "warmup"
    generate(warm, 40, seed=1)
    start = time.perf_counter()
    for command in (base + ["-d", str(warm)], base + ["-d", str(warm)] + pack):
        run_timed(command, env, out)
    print(f"   bytecode cache warmed in {time.perf_counter() - start:.1f} s (PYTHONPYCACHEPREFIX, a 40-resource tree)")
    trees: List[Tuple[str, Path, Optional[Repo]]] = []
    for kind, label in (("terraform", "Terraform, policy-dense"), ("cloudformation", "CloudFormation YAML"),
                        ("raw", "raw JSON policies")):
        if sizes.get(kind):
            tree = work / f"tree-{kind}"
            repo = generate_kind(tree, kind, sizes[kind])
            unit = "policies" if kind == "raw" else "resources"
            trees.append((f"{label}, {repo.resources:,} {unit} in {sum(repo.files.values()):,} files", tree, repo))
    for name in ("terraform-aws-modules+terraform-aws-s3-bucket", "cloudposse+terraform-aws-s3-bucket"):
        if (modules / name).is_dir():
            trees.append((f"{name.replace('+', '/')} (a copy at {modules / name})", modules / name, None))
        else:
            print(f"   (no copy of {name} under {modules}: row left out)")
    trees.extend((label, path, None) for label, path in SMALL_TREES)
    table = []
    for label, tree, repo in trees:
        plain, with_pack = base + ["-d", str(tree)], base + ["-d", str(tree)] + pack
        started = time.perf_counter()
        figures = paired_runs(plain, with_pack, env, pairs, out)
        figures["seconds"] = time.perf_counter() - started
        figures["counts"] = analysis_counts(with_pack, env, work)
        table.append((label, figures))
        print(f"\n-- {label}")
        cpu_pairs = ", ".join(f"{r:.2f}" for r in figures["cpu_ratios"])
        wall_pairs = ", ".join(f"{r:.2f}" for r in figures["wall_ratios"])
        print(f"   CPU ratio {figures['cpu_ratio']:.2f} (pairs: {cpu_pairs}); "
              f"wall ratio {figures['wall_ratio']:.2f} (pairs: {wall_pairs})")
        print(f"   CPU added per run {figures['added_cpu']:.2f} s (median of the pairs' differences) on "
              f"{figures['plain_cpu']:.1f} s of plain Checkov CPU ({figures['plain_wall']:.1f} s wall); exit codes "
              f"{figures['codes']}; {figures['seconds']:.0f} s for the pairs")
        counts = figures["counts"]
        print("   the pack computed (one extra run with VPCE_CHECKS_ANALYSIS_LOG): "
              + ", ".join(f"{counts[k]:,} {k} (at most {counts[k + ' (most for one resource)']} per resource)"
                          for k in ("adapted", "parsed", "request_space", "verdict", "soundness") if counts[k]))
        if repo is not None:
            report_results(repo, {"c": results_of(out)})
    print("\n   Summary (ratios: the README's command / `checkov -d DIR`, medians of paired runs)")
    print(f"   {'tree':<78} {'CPU ratio':>9} {'wall ratio':>10} {'CPU s added':>11}")
    for label, figures in table:
        print(f"   {label[:78]:<78} {figures['cpu_ratio']:>9.2f} {figures['wall_ratio']:>10.2f} "
              f"{figures['added_cpu']:>11.2f}")
    return table


def engine_policies(count: int, seed: int) -> List[Tuple[Dict[str, Any], Any, bool, int]]:
    """``count`` distinct policies of 1 to 10 statements (engine_corpus: no two alike, every name and ID fresh)."""
    corpus = engine_corpus(count, seed=seed)
    distinct = {json.dumps(document, sort_keys=True) for document, *_ in corpus}
    assert len(distinct) == len(corpus), "the engine corpus repeats a policy"
    return corpus


def cold_caches() -> None:
    """Empty every memory that holds something derived from a policy (glob regexes, witnesses); what is built from
    constants only (the shapes of endpoint IDs and keys, the action table) stays."""
    from vpce_checks.engine import matching

    for name in dir(matching):
        function = getattr(matching, name)
        if hasattr(function, "cache_clear"):
            function.cache_clear()


def judge_all(corpus: Sequence[Tuple[Dict[str, Any], Any, bool, int]], tag: str, cold: bool) -> List[Tuple[Any, ...]]:
    """Every check of each policy together, as in a scan: perimeter (CKV_VPCE_1/2/3/5/9), soundness (CKV_VPCE_6)
    and aws:SourceIp (CKV_VPCE_7), sharing one parse and one request space per policy."""
    from vpce_checks.adapters.base import PolicySource
    from vpce_checks.judge import judge, judge_soundness, judge_source_ip
    from vpce_checks.settings import load_settings

    settings = load_settings({})
    out = []
    for index, (document, target, _, _) in enumerate(corpus):
        if cold:
            cold_caches()
        source = PolicySource(target=target, document=document, origin="benchmark", syntax="json",
                              resource_key=f"{tag}-{index}")
        out.append((judge(source, settings), judge_soundness(source, settings), judge_source_ip(source, settings)))
    return out


def bench_engine_throughput(count: int) -> Dict[str, float]:
    print("\n== 2. Engine throughput: distinct generated policies of 1 to 10 statements, every check of each policy "
          "together (judge, judge_soundness, judge_source_ip), one process")
    corpus = engine_policies(count, seed=23)
    judge_all(engine_policies(50, seed=3), "warm", cold=False)  # imports, the action table, the shapes
    rates = {}
    for label, cold in (("caches cold per policy (regex and glob memories emptied before each)", True),
                        ("caches as a scan leaves them (shared between policies)", False)):
        cpu, wall = [], []
        for attempt in range(3):
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            results = judge_all(corpus, f"{attempt}-{cold}", cold)
            cpu.append(time.process_time() - start_cpu)
            wall.append(time.perf_counter() - start_wall)
        rates[label] = len(corpus) / statistics.median(cpu)
        statuses = Counter(r[0].result for r in results)
        print(f"   {label}: {len(corpus) / statistics.median(cpu):,.0f} policies per CPU second "
              f"({len(corpus) / statistics.median(wall):,.0f} per wall second; median of 3 passes; "
              f"{statistics.median(cpu) / len(corpus) * 1000:.3f} ms CPU per policy); perimeter results "
              + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    target = 10_000
    best = max(rates.values())
    print(f"   target: at least {target:,} policies a second: {best:,.0f}/s, {best / target:.2f} of it "
          f"({'met' if best >= target else 'NOT met'})")
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    judge_all(corpus[: min(len(corpus), 600)], "profile", cold=True)
    profile.disable()
    stats = pstats.Stats(profile)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    from vpce_checks import fix_rendering, judge
    from vpce_checks.engine import model, perimeter, witnesses

    stages = (("parsing the policy (model.parse_policy)", model.parse_policy),
              ("building the request space (perimeter.RequestSpace.__init__)", perimeter.RequestSpace.__init__),
              ("  of which the witness search (witnesses.distinguishing_values)", witnesses.distinguishing_values),
              ("the coverage search (perimeter.find_counterexample)", perimeter.find_counterexample),
              ("the lockout searches (perimeter.lockouts, CKV_VPCE_6)", perimeter.lockouts),
              ("fixes for failing policies (fix_rendering.fix_for)", fix_rendering.fix_for),
              ("the aws:SourceIp check (judge.judge_source_ip)", judge.judge_source_ip))
    print(f"   where a policy's time goes (cProfile, share of one cold pass over {min(len(corpus), 600)} policies, "
          "each stage with what it "
          "calls; profiling inflates small calls):")
    for label, function in stages:
        code = function.__code__
        cumulative = sum(row[3] for (path, line, name), row in stats.stats.items()  # type: ignore[attr-defined]
                         if path == code.co_filename and line == code.co_firstlineno and name == code.co_name)
        print(f"     {label:<84} {cumulative / total if total else 0.0:>5.0%}")
    return rates


def shaped_policy(statements_wanted: int, seed: int, sound: bool = True) -> Tuple[Dict[str, Any], Any]:
    """A policy of the engine benchmark's shape (an S3 perimeter Deny, an Allow, padded with partner Allows and TLS
    Denies as engine_corpus pads) with ``statements_wanted`` statements."""
    from vpce_checks.engine.services import Target

    rng = random.Random(seed)
    name = f"northwind-growth-{seed}"
    arn = f"arn:aws:s3:::{name}"
    document = policy("deny_all_with_allow" if sound else "partial_actions", "s3", [arn], [arn + "/*"],
                      [vpce_id(rng) for _ in range(2)], rng)
    extra = document["Statement"]
    resources = extra[-1]["Resource"]
    while len(extra) < statements_wanted:
        if rng.random() < 0.8:
            extra.insert(0, {"Sid": f"AllowPartner{len(extra)}", "Effect": "Allow",
                             "Principal": {"AWS": f"arn:aws:iam::{account_id(rng)}:role/partner-{len(extra)}"},
                             "Action": rng.sample(ACTION_SOME["s3"] * 2, 1), "Resource": resources})
        else:
            extra.insert(0, {"Sid": f"DenyInsecure{len(extra)}", "Effect": "Deny", "Principal": "*",
                             "Action": ACTION_ALL["s3"], "Resource": resources,
                             "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    return document, Target("s3", name)


def bench_engine_growth(sizes: Sequence[int] = (10, 100, 1000)) -> None:
    print("\n== 3. Policies of the engine benchmark's shape as they grow: every check together, caches cold; growth "
          "exponent = log(t2/t1) / log(n2/n1) (1 linear, 2 quadratic)")
    for sound in (True, False):
        previous: Optional[Tuple[int, float]] = None
        for size in sizes:
            runs = 5 if size <= 100 else 2
            times, results = [], None
            for attempt in range(runs):
                document, target = shaped_policy(size, 1000 * size + attempt, sound)
                start = time.process_time()
                results = judge_all([(document, target, sound, size)], f"grow-{size}-{attempt}-{sound}", cold=True)[0]
                times.append(time.process_time() - start)
            seconds = statistics.median(times)
            exponent = (f"{math.log(seconds / previous[1]) / math.log(size / previous[0]):+.2f}"
                        if previous else "     ")
            previous = (size, seconds)
            assert results is not None
            print(f"   {'sound' if sound else 'broken (partial actions)':<26} {size:>5,} statements: "
                  f"{seconds * 1000:9.1f} ms CPU (median of {runs})  exponent {exponent}  results "
                  f"{results[0].result}/{results[1].result}/{results[2].result}: {results[0].reason[:70]}")


def describe_machine() -> None:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        from importlib.metadata import version

        checkov_version = version("checkov")
        pack_version = version("vpce-checks")
    except Exception:  # noqa: BLE001
        checkov_version = pack_version = "unknown"
    print(f"machine: {os.cpu_count()} CPUs ({model}), {memory} RAM, {platform.system()} {platform.release()}; "
          f"Python {platform.python_version()}, checkov {checkov_version}, vpce-checks {pack_version}")
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=False).stdout.strip()
        changed = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "vpce_checks"],
                                 capture_output=True, text=True, check=False).stdout.splitlines()
    except OSError:
        head, changed = "unknown", []
    checks = sorted(p.name for p in Path(checks_path()).glob("*.py") if not p.name.startswith("__"))
    print(f"pack: commit {head}, {len(changed)} uncommitted change(s) under vpce_checks/, {len(checks)} check files "
          f"in {checks_path()}")
    print(f"load average before: {load_average()}")


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="paired runs per tree in section 1 (median of ratios)")
    parser.add_argument("--terraform", type=int, default=2000, help="resources of the Terraform tree (0: none)")
    parser.add_argument("--cloudformation", type=int, default=1200, help="resources of the CloudFormation tree")
    parser.add_argument("--raw", type=int, default=400, help="raw JSON policies of the JSON tree")
    parser.add_argument("--modules", default=str(MODULE_COPIES),
                        help="folder holding copies of public modules (owner+name), e.g. the s3-bucket modules")
    parser.add_argument("--policies", type=int, default=2000, help="distinct policies of the engine throughput")
    parser.add_argument("--skip-table", action="store_true", help="leave out section 1 (the Checkov runs)")
    parser.add_argument("--skip-engine", action="store_true", help="leave out sections 2 and 3")
    parser.add_argument("--sizes", default="",
                        help="also the earlier mixed-tree scans (a)-(e) at these sizes, e.g. 500,2000 (slow)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration of the mixed-tree scans")
    parser.add_argument("--long", type=float, default=240.0,
                        help="a mixed tree whose first run takes longer than this many seconds is measured once")
    parser.add_argument("--keep", help="write the mixed repositories here instead of a temporary directory")
    parser.add_argument("--profile-size", type=int, default=0,
                        help="attribute the pack's extra time at this mixed-tree size (0: never)")
    parser.add_argument("--unique-names", action="store_true",
                        help="mixed trees: give every Terraform module its own resource names")
    parser.add_argument("--no-full", action="store_true", help="mixed trees: skip (d) and (e)")
    parser.add_argument("--legacy-engine", action="store_true",
                        help="also the earlier engine sections (perimeter_of alone, growth shapes, bounds, imports)")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    started = time.perf_counter()
    describe_machine()
    print("(The machine is shared: other processes ran during the measurements, so every figure is a ratio of paired, "
          "interleaved runs or a median, never a single timing.)")
    loads = None
    with tempfile.TemporaryDirectory(prefix="vpce-bench-") as temp:
        work = Path(temp)
        if not args.skip_table:
            bench_table(work, max(1, args.pairs), Path(args.modules),
                        {"terraform": args.terraform, "cloudformation": args.cloudformation, "raw": args.raw})
        if not args.skip_engine:
            bench_engine_throughput(args.policies)
            bench_engine_growth()
        if sizes:
            keep = Path(args.keep).resolve() if args.keep else None
            loads = bench_scans(sizes, max(1, args.repeat), args.long, work, keep, args.profile_size,
                                not args.no_full, args.unique_names)
        if args.legacy_engine:
            bench_engine()
            bench_growth()
            bench_imports(work, loads)
    print(f"\nload average after: {load_average()}; total benchmark time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
