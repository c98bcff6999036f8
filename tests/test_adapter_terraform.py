"""The Terraform adapter against what Checkov really delivers.

One real ``checkov`` CLI run per module (terraform + terraform_plan) over a tree written to a temporary directory;
an external check generated next to it calls ``source_for_terraform`` for every bucket, queue, topic and policy
resource and writes the PolicySource (and the raw ``conf['policy']`` Checkov gave it) to a JSON-lines file. The CLI
runs in a subprocess so the generated check never lands in this process's Checkov registries.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from vpce_checks.adapters.terraform import TERRAFORM_OWNER_RESOURCES, TERRAFORM_POLICY_RESOURCES
from vpce_checks.adapters.terraform.resolution import DUPLICATE_CONDITIONS_KEY
from vpce_checks.adapters.terraform.resources import source_for_terraform
from vpce_checks.engine.model import THIS_ACCOUNT, THIS_REGION

VPCE = "${aws_vpc_endpoint.s3.id}"

MAIN_TF = r'''
variable "vpce_default" { default = "vpce-0a1b2c3d4e5f60718" }
variable "nodefault" {}
variable "policy_json" {}
variable "vpce_list" { default = ["vpce-11111111", "vpce-22222222"] }
variable "strict" { default = true }
variable "denied_actions" { type = list(string) }
variable "allowed_vpces" { type = list(string) }

data "aws_caller_identity" "me" {}
data "aws_region" "here" {}
data "aws_partition" "p" {}

resource "aws_vpc_endpoint" "s3" {
  vpc_id       = "vpc-0123456789abcdef0"
  service_name = "com.amazonaws.eu-west-1.s3"
}

# jsonencode that Checkov cannot evaluate: arrives as the string ${jsonencode({...})}
resource "aws_s3_bucket" "logs" {
  bucket = "logs"
}
resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyOutsideVpce"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource = [
        aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*",
        "arn:aws:s3:::${aws_s3_bucket.logs.bucket}/home/$${aws:username}/*",
      ]
      Condition = {
        StringNotEquals = { "aws:SourceVpce" = [
          aws_vpc_endpoint.s3.id, var.vpce_default, var.nodefault, "${data.aws_caller_identity.me.account_id}",
        ] }
      }
    }]
  })
}

# jsonencode that Checkov evaluates: a dict, with unresolved references left bare, even inside strings
resource "aws_s3_bucket" "data_bucket" {
  bucket = "data-bucket"
}
resource "aws_s3_bucket_policy" "data_bucket" {
  bucket = aws_s3_bucket.data_bucket.bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "s3:*",
      Resource = [aws_s3_bucket.data_bucket.arn, "arn:aws:s3:::${aws_s3_bucket.data_bucket.bucket}/*"]
      Condition = { StringNotEquals = { "aws:SourceAccount" = data.aws_caller_identity.me.account_id } } }]
  })
}

# a value with quotes: Checkov wraps the string form in a list repr and escapes it one level too deep
resource "aws_s3_bucket" "quoted" {
  bucket = "quoted"
}
resource "aws_s3_bucket_policy" "quoted" {
  bucket = aws_s3_bucket.quoted.bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "s3:*",
      Resource = [aws_s3_bucket.quoted.arn, "${aws_s3_bucket.quoted.arn}/*"]
      Condition = { StringNotEquals = {
        "aws:SourceAccount" = data.aws_caller_identity.me.account_id, "aws:SourceVpce" = var.vpce_list,
        "s3:x-amz-meta-note" = "it's \"quoted\""
      } } }]
  })
}

# HCL expressions Checkov leaves unevaluated as plain strings; here it also computes Version = 2012 - 10 - 17
locals {
  endpoint_ids = [aws_vpc_endpoint.s3.id, var.nodefault]
}
resource "aws_s3_bucket_policy" "unevaluated" {
  bucket = "unevaluated"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "s3:*", Resource = ["arn:aws:s3:::unevaluated/*"],
      Condition = { StringNotEquals = {
        "aws:SourceVpce" = concat(local.endpoint_ids, ["vpce-12345678"]),
        "aws:VpceOrgID"  = lower(var.nodefault),
        "aws:VpceAccount" = var.strict ? var.nodefault : "111122223333",
      } } }]
  })
}
resource "aws_s3_bucket_policy" "for_expression" {
  bucket = "for-expression"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "s3:*", Resource = ["arn:aws:s3:::for-expression/*"],
      Condition = { StringNotEquals = { "aws:SourceVpce" = [for e in [aws_vpc_endpoint.s3] : e.id] } } }]
  })
}

resource "aws_s3_bucket_policy" "heredoc" {
  bucket = "heredoc-bucket"
  policy = <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": "s3:*",
    "Resource": ["arn:aws:s3:::heredoc-bucket", "arn:aws:s3:::heredoc-bucket/$${aws:username}/*"],
    "Condition": {"StringNotEquals": {"aws:SourceVpce": ["${aws_vpc_endpoint.s3.id}", "${var.vpce_default}"]}}
  }]
}
POLICY
}

resource "aws_sqs_queue" "orders" {
  name = "orders"
}
resource "aws_sqs_queue_policy" "orders" {
  queue_url = aws_sqs_queue.orders.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Sid = "DenyOutside", Effect = "Deny", Principal = { AWS = "*" }, Action = "sqs:*",
      Resource = [
        aws_sqs_queue.orders.arn,
        "arn:${data.aws_partition.p.partition}:sqs:${data.aws_region.here.name}:${data.aws_caller_identity.me.account_id}:orders",
      ]
      Condition = { StringNotEquals = { "aws:SourceVpce" = aws_vpc_endpoint.s3.id } } }]
  })
}

resource "aws_sqs_queue" "inline" {
  name = "inline"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "sqs:*",
      Resource = "arn:aws:sqs:${data.aws_region.here.region}:${data.aws_caller_identity.me.account_id}:inline"
      Condition = { Bool = { "aws:SecureTransport" = "false" } } }]
  })
}

resource "aws_sns_topic" "alerts" {
  name = "alerts"
}
resource "aws_sns_topic_policy" "alerts" {
  arn = aws_sns_topic.alerts.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "sns:Publish",
      Resource = [aws_sns_topic.alerts.arn, aws_sns_topic.alerts.id]
      Condition = { StringNotEquals = { "aws:SourceVpce" = [aws_vpc_endpoint.s3.id, var.nodefault] } } }]
  })
}

# a reference repeated: Checkov gives "jsonencode({...})" without ${} and the second copy as ''aws_sns_topic.twice.arn''
resource "aws_sns_topic" "twice" {
  name = "twice"
}
resource "aws_sns_topic_policy" "twice" {
  arn = aws_sns_topic.twice.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "A", Effect = "Deny", Principal = { AWS = "*" }, Action = "sns:*", Resource = aws_sns_topic.twice.arn,
        Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-9d1ed30a6fe9bad57" } } },
      { Sid = "B", Effect = "Deny", Principal = { AWS = "*" }, Action = "sns:*", Resource = aws_sns_topic.twice.arn,
        Condition = { Bool = { "aws:SecureTransport" = "false" } } },
    ]
  })
}

resource "aws_s3_bucket" "lonely" {
  bucket = "lonely"
}
resource "aws_sns_topic" "quiet" {
  name = "quiet"
}
resource "aws_sqs_queue" "empty_policy" {
  name   = "empty-policy"
  policy = ""
}
resource "aws_s3_bucket" "literal_target" {
  bucket = "literal-target"
}
resource "aws_s3_bucket_policy" "literal_target" {
  bucket = "literal-target"
  policy = jsonencode({ Statement = [{ Effect = "Deny", Principal = "*", Action = "s3:*", Resource = "*" }] })
}

resource "aws_s3_bucket" "many" {
  for_each = toset(["a", "b"])
  bucket   = "many-${each.key}"
}
resource "aws_s3_bucket_policy" "many" {
  for_each = aws_s3_bucket.many
  bucket   = each.value.id
  policy = jsonencode({
    Statement = [{ Effect = "Deny", Principal = "*", Action = "s3:*", Resource = "${each.value.arn}/*" }]
  })
}

resource "aws_s3_bucket" "pref" {
  bucket_prefix = "pref-"
}
resource "aws_s3_bucket_policy" "pref" {
  bucket = aws_s3_bucket.pref.id
  policy = jsonencode({
    Statement = [{ Effect = "Deny", Principal = "*", Action = "s3:*", Resource = aws_s3_bucket.pref.arn }]
  })
}

# data "aws_iam_policy_document", with source and override documents
data "aws_iam_policy_document" "base" {
  statement {
    sid       = "Home"
    actions   = ["s3:GetObject"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
  statement {
    sid       = "BaseOnly"
    actions   = ["s3:ListBucket"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
  }
}
data "aws_iam_policy_document" "override" {
  statement {
    sid       = "BaseOnly"
    effect    = "Deny"
    actions   = ["s3:DeleteBucket"]
    resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}
data "aws_iam_policy_document" "perimeter" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [data.aws_iam_policy_document.override.json]
  statement {
    sid         = "DenyOutside"
    effect      = "Deny"
    not_actions = ["s3:GetBucketLocation"]
    resources   = [aws_s3_bucket.docs.arn, "${aws_s3_bucket.docs.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "aws:SourceVpce"
      values   = [aws_vpc_endpoint.s3.id]
    }
    condition {
      test     = "StringNotEquals"
      variable = "aws:SourceVpce"
      values   = ["vpce-33333333"]
    }
    condition {
      test     = "BoolIfExists"
      variable = "aws:ViaAWSService"
      values   = ["false"]
    }
  }
  statement {
    actions       = ["s3:GetObject"]
    not_resources = ["arn:aws:s3:::docs/private/*"]
    not_principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.me.account_id}:root"]
    }
  }
  statement {
    sid       = "Home"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::docs/home/&{aws:username}/*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}
resource "aws_s3_bucket" "docs" {
  bucket = "docs"
}
resource "aws_s3_bucket_policy" "docs" {
  bucket = aws_s3_bucket.docs.id
  policy = data.aws_iam_policy_document.perimeter.json
}
resource "aws_s3_bucket_policy" "docs_interpolated" {
  bucket = "docs-mirror"
  policy = "${data.aws_iam_policy_document.perimeter.json}"
}

data "aws_iam_policy_document" "dyn" {
  dynamic "statement" {
    for_each = var.vpce_list
    content {
      sid       = "Deny${statement.key}"
      effect    = "Deny"
      actions   = ["s3:*"]
      resources = ["*"]
      principals {
        type        = "*"
        identifiers = ["*"]
      }
      condition {
        test     = "StringNotEquals"
        variable = "aws:SourceVpce"
        values   = [statement.value]
      }
    }
  }
}
resource "aws_s3_bucket_policy" "dyn" {
  bucket = "dyn-bucket"
  policy = data.aws_iam_policy_document.dyn.json
}
data "aws_iam_policy_document" "dyn_unknown" {
  dynamic "statement" {
    for_each = var.nodefault
    content {
      effect    = "Deny"
      actions   = ["s3:*"]
      resources = ["*"]
    }
  }
}
resource "aws_s3_bucket_policy" "dyn_unknown" {
  bucket = "dyn-unknown"
  policy = data.aws_iam_policy_document.dyn_unknown.json
}
data "aws_iam_policy_document" "bad_source" {
  source_policy_documents = [var.policy_json]
  statement {
    actions   = ["s3:*"]
    resources = ["*"]
  }
}
resource "aws_s3_bucket_policy" "bad_source" {
  bucket = "bad-source"
  policy = data.aws_iam_policy_document.bad_source.json
}
# typed list variables without a default: Checkov substitutes [] and the reference is gone
resource "aws_s3_bucket_policy" "unset_list" {
  bucket = "unset-list"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = var.denied_actions, Resource = "*",
      Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0a1b2c3d4e5f60718" } } }]
  })
}
data "aws_iam_policy_document" "unset_list" {
  statement {
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["*"]
    condition {
      test     = "StringNotEquals"
      variable = "aws:SourceVpce"
      values   = var.allowed_vpces
    }
  }
}
resource "aws_s3_bucket_policy" "unset_list_data" {
  bucket = "unset-list-data"
  policy = data.aws_iam_policy_document.unset_list.json
}
resource "aws_s3_bucket_policy" "no_such_data" {
  bucket = "no-such-data"
  policy = data.aws_iam_policy_document.missing.json
}

# file() and templatefile()
resource "aws_sns_topic" "files" {
  name = "files"
}
resource "aws_sns_topic_policy" "files" {
  arn    = aws_sns_topic.files.arn
  policy = file("${path.module}/policies/topic.json")
}
resource "aws_sqs_queue" "tpl" {
  name = "tpl"
}
resource "aws_sqs_queue_policy" "tpl" {
  queue_url = aws_sqs_queue.tpl.url
  policy = templatefile("${path.module}/policies/queue.json.tpl", {
    vpce    = aws_vpc_endpoint.s3.id
    vpces   = var.vpce_list
    account = data.aws_caller_identity.me.account_id
    name    = "tpl"
  })
}
resource "aws_sqs_queue_policy" "missing_file" {
  queue_url = "https://sqs.eu-west-1.amazonaws.com/111122223333/literal-queue"
  policy    = file("${path.module}/policies/nope.json")
}
resource "aws_sns_topic_policy" "dynamic_path" {
  arn    = "arn:aws:sns:us-east-1:111122223333:dynamic-path"
  policy = file("${path.module}/policies/${var.nodefault}.json")
}
resource "aws_sns_topic_policy" "template_missing_var" {
  arn    = "arn:aws:sns:us-east-1:111122223333:tmv"
  policy = templatefile("${path.module}/policies/queue.json.tpl", { name = "x" })
}
resource "aws_sns_topic_policy" "template_directive" {
  arn    = "arn:aws:sns:us-east-1:111122223333:directive"
  policy = templatefile("${path.module}/policies/loop.json.tpl", { vpces = var.vpce_list })
}
resource "aws_sqs_queue_policy" "from_variable" {
  queue_url = aws_sqs_queue.orders.url
  policy    = var.policy_json
}

module "mod" {
  source = "./modules/bucket"
  name   = "modbucket"
  arn    = "arn:aws:s3:::modbucket"
  vpce   = aws_vpc_endpoint.s3.id
}
resource "aws_s3_bucket" "attached" {
  bucket = "attached"
}
module "attach" {
  source     = "./modules/attach"
  bucket_id  = aws_s3_bucket.attached.id
  bucket_arn = aws_s3_bucket.attached.arn
}
module "files" {
  source = "./modules/files"
}
'''

MODULE_BUCKET_TF = r'''
variable "name" {}
variable "arn" {}
variable "vpce" {}
resource "aws_s3_bucket" "this" {
  bucket = var.name
}
resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "s3:*", Resource = [var.arn, "${var.arn}/*"]
      Condition = { StringNotEquals = { "aws:SourceVpce" = var.vpce } } }]
  })
}
'''

MODULE_ATTACH_TF = r'''
variable "bucket_id" {}
variable "bucket_arn" {}
resource "aws_s3_bucket_policy" "this" {
  bucket = var.bucket_id
  policy = jsonencode({
    Statement = [{ Effect = "Deny", Principal = "*", Action = "s3:*",
                   Resource = [var.bucket_arn, "${var.bucket_arn}/*"] }]
  })
}
'''

MODULE_FILES_TF = r'''
resource "aws_sns_topic_policy" "module_relative" {
  arn    = "arn:aws:sns:us-east-1:111122223333:module-relative"
  policy = file("${path.module}/own.json")
}
resource "aws_sns_topic_policy" "root_relative" {
  arn    = "arn:aws:sns:us-east-1:111122223333:root-relative"
  policy = file("policies/topic.json")
}
'''

OWN_JSON = """{"Statement": [{"Sid": "FromModuleDirectory", "Effect": "Deny", "Principal": "*", "Action": "sns:*",
  "Resource": "*"}]}
"""

TOPIC_JSON = """{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sns:*",
  "Resource": "arn:aws:sns:*:*:files", "Condition": {"StringNotLike": {"aws:PrincipalArn": "${aws:username}"}}}]}
"""

QUEUE_TEMPLATE = """{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*",
  "Resource": "arn:aws:sqs:*:${account}:${name}",
  "Condition": {"StringNotEquals": {"aws:SourceVpce": ${jsonencode(vpces)}, "aws:SourceVpc": "${vpce}"},
                "StringNotLike": {"aws:userid": "$${aws:username}"}}}]}
"""

LOOP_TEMPLATE = """{"Statement": [%{ for v in vpces }{"Effect": "Deny"}%{ endfor }]}"""

# The shape `terraform show -json` gives for a new bucket whose policy comes from a data source that depends on
# the bucket's ARN: the policy is unknown at plan time, so Checkov falls back to the configuration reference.
PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.6.6",
    "planned_values": {"root_module": {"resources": [
        {"address": "aws_s3_bucket.plan", "mode": "managed", "type": "aws_s3_bucket", "name": "plan",
         "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
         "values": {"bucket": "plan-bucket", "force_destroy": False, "tags": None}, "sensitive_values": {}},
        {"address": "aws_s3_bucket_policy.plan", "mode": "managed", "type": "aws_s3_bucket_policy", "name": "plan",
         "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0, "sensitive_values": {}},
        {"address": "aws_s3_bucket_policy.known", "mode": "managed", "type": "aws_s3_bucket_policy",
         "name": "known", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
         "values": {"bucket": "known-bucket", "policy": json.dumps({
             "Version": "2012-10-17", "Statement": [{
                 "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": ["arn:aws:s3:::known-bucket", "arn:aws:s3:::known-bucket/*"],
                 "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}}}]})},
         "sensitive_values": {}},
        {"address": "aws_vpc_endpoint.s3", "mode": "managed", "type": "aws_vpc_endpoint", "name": "s3",
         "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
         "values": {"service_name": "com.amazonaws.eu-west-1.s3", "vpc_id": "vpc-0123456789abcdef0"},
         "sensitive_values": {}},
        {"address": "aws_sns_topic.existing", "mode": "managed", "type": "aws_sns_topic", "name": "existing",
         "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
         "values": {"name": "existing", "arn": "arn:aws:sns:eu-west-1:111122223333:existing",
                    "policy": json.dumps({"Version": "2012-10-17", "Statement": [{
                        "Effect": "Deny", "Principal": "*", "Action": "sns:*",
                        "Resource": "arn:aws:sns:eu-west-1:111122223333:existing",
                        "Condition": {"StringNotLike": {"aws:userid": "${aws:username}"}}}]})},
         "sensitive_values": {}},
        {"address": "data.aws_iam_policy_document.plan", "mode": "data", "type": "aws_iam_policy_document",
         "name": "plan", "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
         "values": {"override_policy_documents": None, "policy_id": None, "source_policy_documents": None,
                    "statement": [{"actions": ["s3:*"],
                                   "condition": [{"test": "StringNotEquals", "values": [None],
                                                  "variable": "aws:SourceVpce"}],
                                   "effect": "Deny", "not_actions": None, "not_principals": [],
                                   "not_resources": None, "principals": [{"identifiers": ["*"], "type": "*"}],
                                   "resources": [None, None], "sid": "DenyOutside"}],
                    "version": "2012-10-17"},
         "sensitive_values": {}},
    ]}},
    "resource_changes": [
        {"address": "aws_s3_bucket.plan", "mode": "managed", "type": "aws_s3_bucket", "name": "plan",
         "provider_name": "registry.terraform.io/hashicorp/aws",
         "change": {"actions": ["create"], "before": None, "after": {"bucket": "plan-bucket"},
                    "after_unknown": {"arn": True, "id": True}}},
        {"address": "aws_s3_bucket_policy.plan", "mode": "managed", "type": "aws_s3_bucket_policy", "name": "plan",
         "provider_name": "registry.terraform.io/hashicorp/aws",
         "change": {"actions": ["create"], "before": None, "after": {},
                    "after_unknown": {"bucket": True, "id": True, "policy": True}}},
        {"address": "aws_s3_bucket_policy.known", "mode": "managed", "type": "aws_s3_bucket_policy",
         "name": "known", "provider_name": "registry.terraform.io/hashicorp/aws",
         "change": {"actions": ["create"], "before": None, "after": {"bucket": "known-bucket"},
                    "after_unknown": {"id": True}}},
        {"address": "data.aws_iam_policy_document.plan", "mode": "data", "type": "aws_iam_policy_document",
         "name": "plan", "provider_name": "registry.terraform.io/hashicorp/aws",
         "change": {"actions": ["read"], "before": None, "after": {"version": "2012-10-17"},
                    "after_unknown": {"id": True, "json": True, "minified_json": True}},
         "action_reason": "read_because_dependency_pending"},
    ],
    "configuration": {
        "provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}},
        "root_module": {"resources": [
            {"address": "aws_s3_bucket.plan", "mode": "managed", "type": "aws_s3_bucket", "name": "plan",
             "provider_config_key": "aws", "expressions": {"bucket": {"constant_value": "plan-bucket"}},
             "schema_version": 0},
            {"address": "aws_s3_bucket_policy.plan", "mode": "managed", "type": "aws_s3_bucket_policy",
             "name": "plan", "provider_config_key": "aws", "schema_version": 0,
             "expressions": {"bucket": {"references": ["aws_s3_bucket.plan.id", "aws_s3_bucket.plan"]},
                             "policy": {"references": ["data.aws_iam_policy_document.plan.json",
                                                       "data.aws_iam_policy_document.plan"]}}},
            {"address": "aws_s3_bucket_policy.known", "mode": "managed", "type": "aws_s3_bucket_policy",
             "name": "known", "provider_config_key": "aws", "schema_version": 0,
             "expressions": {"bucket": {"constant_value": "known-bucket"}, "policy": {}}},
            {"address": "aws_vpc_endpoint.s3", "mode": "managed", "type": "aws_vpc_endpoint", "name": "s3",
             "provider_config_key": "aws", "schema_version": 0,
             "expressions": {"service_name": {"constant_value": "com.amazonaws.eu-west-1.s3"}}},
            {"address": "data.aws_iam_policy_document.plan", "mode": "data", "type": "aws_iam_policy_document",
             "name": "plan", "provider_config_key": "aws", "schema_version": 0,
             "expressions": {"statement": [{
                 "actions": {"constant_value": ["s3:*"]},
                 "condition": [{"test": {"constant_value": "StringNotEquals"},
                                "values": {"references": ["aws_vpc_endpoint.s3.id", "aws_vpc_endpoint.s3"]},
                                "variable": {"constant_value": "aws:SourceVpce"}}],
                 "effect": {"constant_value": "Deny"},
                 "principals": [{"identifiers": {"constant_value": ["*"]}, "type": {"constant_value": "*"}}],
                 "resources": {"references": ["aws_s3_bucket.plan.arn", "aws_s3_bucket.plan"]},
                 "sid": {"constant_value": "DenyOutside"}}]}},
        ]},
    },
}

DUMP_CHECK = '''
import dataclasses
import json
import os

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from vpce_checks.adapters.terraform import TERRAFORM_OWNER_RESOURCES, TERRAFORM_POLICY_RESOURCES
from vpce_checks.adapters.terraform.resources import source_for_terraform


class DumpPolicySource(BaseResourceCheck):
    def __init__(self):
        super().__init__(name="test: dump the Terraform adapter's PolicySource", id="CKV_VPCETEST_TF_1",
                         categories=[CheckCategories.GENERAL_SECURITY],
                         supported_resources=[*TERRAFORM_POLICY_RESOURCES, *TERRAFORM_OWNER_RESOURCES])

    def scan_resource_conf(self, conf):
        file_path = self.entity_path.split(":", 1)[0]
        source = source_for_terraform(conf, self.entity_type, self.graph, file_path)
        with open(os.environ["VPCE_TF_ADAPTER_DUMP"], "a", encoding="utf-8") as out:
            out.write(json.dumps({"file": file_path, "address": conf.get("__address__"), "raw": conf.get("policy"),
                                  "source": None if source is None else dataclasses.asdict(source)},
                                 default=repr) + "\\n")
        return CheckResult.PASSED


check = DumpPolicySource()
'''


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def _checkov_command() -> list:
    script = Path(sys.executable).with_name("checkov")
    return [str(script)] if script.exists() else [shutil.which("checkov") or "checkov"]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Dict[str, Any]]:
    """Scan the tree once; map "file:address" (file as Checkov reports it, e.g. /main.tf) to what was dumped."""
    root = tmp_path_factory.mktemp("tf_adapter")
    scan, checks, dump = root / "scan", root / "checks", root / "dump.jsonl"
    _write(scan / "main.tf", MAIN_TF)
    _write(scan / "modules" / "bucket" / "main.tf", MODULE_BUCKET_TF)
    _write(scan / "modules" / "attach" / "main.tf", MODULE_ATTACH_TF)
    _write(scan / "modules" / "files" / "main.tf", MODULE_FILES_TF)
    _write(scan / "modules" / "files" / "own.json", OWN_JSON)
    _write(scan / "policies" / "topic.json", TOPIC_JSON)
    _write(scan / "policies" / "queue.json.tpl", QUEUE_TEMPLATE)
    _write(scan / "policies" / "loop.json.tpl", LOOP_TEMPLATE)
    (scan / "tfplan.json").write_text(json.dumps(PLAN), encoding="utf-8")
    _write(checks / "__init__.py", "")
    _write(checks / "vpce_test_tf_adapter_dump.py", DUMP_CHECK)
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", VPCE_TF_ADAPTER_DUMP=str(dump))
    completed = subprocess.run(
        [*_checkov_command(), "-d", str(scan), "--framework", "terraform", "terraform_plan",
         "--external-checks-dir", str(checks), "--check", "CKV_VPCETEST_TF_1", "--skip-download", "--quiet",
         "-o", "json"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    out: Dict[str, Dict[str, Any]] = {}
    for line in dump.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        out[f"{record['file']}:{record['address']}"] = record
    return out


def _source(results: Dict[str, Dict[str, Any]], address: str, file: str = "/main.tf") -> Optional[Dict[str, Any]]:
    key = f"{file}:{address}"
    assert key in results, f"{key} not scanned; scanned: {sorted(results)}"
    return results[key]["source"]


def _document(results: Dict[str, Dict[str, Any]], address: str, file: str = "/main.tf") -> Dict[str, Any]:
    source = _source(results, address, file)
    assert source is not None
    assert source["problem"] is None, source["problem"]
    assert source["evaluated_keys"] == ["policy"]
    assert source["syntax"] == "hcl"
    return source["document"]


def _raw(results: Dict[str, Dict[str, Any]], address: str, file: str = "/main.tf") -> Any:
    """conf["policy"] exactly as Checkov handed it to the check."""
    return results[f"{file}:{address}"]["raw"]


def _target(source: Dict[str, Any]) -> tuple:
    target = source["target"]
    return target["service"], target["name"], target["account"], target["region"]


# --- point 1: what a policy resource protects --------------------------------------------------------------------


def test_policy_resource_targets(results: Dict[str, Dict[str, Any]]) -> None:
    assert _target(_source(results, "aws_s3_bucket_policy.logs")) == ("s3", "logs", THIS_ACCOUNT, THIS_REGION)
    assert _target(_source(results, "aws_s3_bucket_policy.heredoc"))[1] == "heredoc-bucket"
    assert _target(_source(results, "aws_sqs_queue_policy.orders")) == ("sqs", "orders", THIS_ACCOUNT, THIS_REGION)
    assert _target(_source(results, "aws_sns_topic_policy.alerts")) == ("sns", "alerts", THIS_ACCOUNT, THIS_REGION)
    # a bucket without a literal name stays a reference token
    assert _target(_source(results, "aws_s3_bucket_policy.pref"))[1] == "${aws_s3_bucket.pref.bucket}"
    # literal queue URL and topic ARN carry account and region
    assert _target(_source(results, "aws_sqs_queue_policy.missing_file")) == (
        "sqs", "literal-queue", "111122223333", "eu-west-1")
    assert _target(_source(results, "aws_sns_topic_policy.dynamic_path")) == (
        "sns", "dynamic-path", "111122223333", "us-east-1")


def test_checkov_delivers_pointers_as_bare_references(results: Dict[str, Dict[str, Any]]) -> None:
    """The Checkov fact behind point 1: references arrive without ${}, resolvable ones as literals."""
    conf_bucket = results["/main.tf:aws_s3_bucket_policy.logs"]
    assert conf_bucket["source"]["target"]["name"] == "logs"
    assert _raw(results, "aws_s3_bucket_policy.docs") == ["data.aws_iam_policy_document.perimeter.json"]
    assert _raw(results, "aws_s3_bucket_policy.docs_interpolated") == ["data.aws_iam_policy_document.perimeter.json"]


# --- point 2: owner resources ------------------------------------------------------------------------------------


def test_owner_with_separate_policy_is_judged_there(results: Dict[str, Dict[str, Any]]) -> None:
    for address in ("aws_s3_bucket.logs", "aws_s3_bucket.data_bucket", "aws_sqs_queue.orders", "aws_sns_topic.alerts",
                    "aws_s3_bucket.literal_target", "aws_s3_bucket.pref", "aws_s3_bucket.docs",
                    'aws_s3_bucket.many["a"]', 'aws_s3_bucket.many["b"]', "aws_sqs_queue.tpl", "aws_sns_topic.files",
                    "aws_s3_bucket.attached", "aws_sns_topic.twice"):
        assert _source(results, address) is None, address
    assert _source(results, "module.mod.aws_s3_bucket.this", "/modules/bucket/main.tf") is None


def test_owner_without_policy_is_missing(results: Dict[str, Dict[str, Any]]) -> None:
    for address, service, name in (("aws_s3_bucket.lonely", "s3", "lonely"), ("aws_sns_topic.quiet", "sns", "quiet"),
                                   ("aws_sqs_queue.empty_policy", "sqs", "empty-policy")):
        source = _source(results, address)
        assert source is not None
        assert source["document"] is None and source["problem"] is None, address
        assert _target(source)[:2] == (service, name)


def test_owner_inline_policy_is_judged_on_the_owner(results: Dict[str, Dict[str, Any]]) -> None:
    document = _document(results, "aws_sqs_queue.inline")
    statement = document["Statement"][0]
    assert statement["Resource"] == f"arn:aws:sqs:{THIS_REGION}:{THIS_ACCOUNT}:inline"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert _source(results, "aws_sqs_queue.inline")["origin"] == "policy of aws_sqs_queue.inline"


def test_for_each_policy_over_owner_resource(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, "aws_s3_bucket_policy.many")
    assert source["target"]["name"] == "${aws_s3_bucket.many.bucket}"
    assert source["document"]["Statement"][0]["Resource"] == "arn:aws:s3:::${aws_s3_bucket.many.bucket}/*"


# --- point 3: every form the policy arrives in -------------------------------------------------------------------


def test_jsonencode_string_form(results: Dict[str, Dict[str, Any]]) -> None:
    assert _raw(results, "aws_s3_bucket_policy.logs")[0].startswith("${jsonencode({'Version': '2012-10-17'")
    document = _document(results, "aws_s3_bucket_policy.logs")
    assert document == {"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyOutsideVpce", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*", "arn:aws:s3:::logs/home/${aws:username}/*"],
        "Condition": {"StringNotEquals": {"aws:SourceVpce": [
            VPCE, "vpce-0a1b2c3d4e5f60718", "${var.nodefault}", THIS_ACCOUNT]}},
    }]}
    assert _source(results, "aws_s3_bucket_policy.logs")["origin"] == "policy of aws_s3_bucket_policy.logs"


def test_dict_form_with_bare_references(results: Dict[str, Dict[str, Any]]) -> None:
    raw = _raw(results, "aws_s3_bucket_policy.data_bucket")[0]
    assert raw["Statement"][0]["Resource"] == ["aws_s3_bucket.data_bucket.arn",
                                               "arn:aws:s3:::aws_s3_bucket.data_bucket.bucket/*"]
    document = _document(results, "aws_s3_bucket_policy.data_bucket")
    assert document["Statement"][0]["Resource"] == ["arn:aws:s3:::data-bucket", "arn:aws:s3:::data-bucket/*"]
    assert document["Statement"][0]["Condition"] == {"StringNotEquals": {"aws:SourceAccount": THIS_ACCOUNT}}


def test_list_wrapped_string_form_with_quotes(results: Dict[str, Dict[str, Any]]) -> None:
    assert _raw(results, "aws_s3_bucket_policy.quoted")[0].startswith("['${jsonencode({\\'Version")
    document = _document(results, "aws_s3_bucket_policy.quoted")
    assert document["Statement"][0]["Resource"] == ["arn:aws:s3:::quoted", "arn:aws:s3:::quoted/*"]
    condition = document["Statement"][0]["Condition"]["StringNotEquals"]
    assert condition["aws:SourceVpce"] == ["vpce-11111111", "vpce-22222222"]
    assert condition["aws:SourceAccount"] == THIS_ACCOUNT


def test_unwrapped_jsonencode_with_doubled_quotes(results: Dict[str, Dict[str, Any]]) -> None:
    raw = _raw(results, "aws_sns_topic_policy.twice")[0]
    assert raw.startswith("jsonencode({") and "''aws_sns_topic.twice.arn''" in raw and "'False'" in raw
    document = _document(results, "aws_sns_topic_policy.twice")
    own = f"arn:aws:sns:{THIS_REGION}:{THIS_ACCOUNT}:twice"
    assert [s["Resource"] for s in document["Statement"]] == [own, own]
    assert document["Statement"][1]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}  # not 'False'


def test_unevaluated_expressions_become_references(results: Dict[str, Dict[str, Any]]) -> None:
    # Checkov leaves these HCL expressions as text; the pack evaluates them from the source (tf_expressions)
    raw = _raw(results, "aws_s3_bucket_policy.unevaluated")[0]
    assert raw["Version"] == 1985  # Checkov computed 2012 - 10 - 17
    assert raw["Statement"][0]["Condition"]["StringNotEquals"]["aws:SourceVpce"] == (
        "concat(local.endpoint_ids,['vpce-12345678'])")
    document = _document(results, "aws_s3_bucket_policy.unevaluated")
    assert document["Version"] == "2012-10-17"
    assert document["Statement"][0]["Condition"] == {"StringNotEquals": {
        "aws:SourceVpce": [VPCE, "${var.nodefault}", "vpce-12345678"],
        "aws:VpceOrgID": "${lower(var.nodefault)}",
        "aws:VpceAccount": "${var.nodefault}",  # var.strict's default picks the branch
    }}
    assert _raw(results, "aws_s3_bucket_policy.for_expression")[0]["Statement"][0]["Condition"] == {
        "StringNotEquals": {"aws:SourceVpce": "[for e in ['aws_vpc_endpoint.s3'] : e.id]"}}
    document = _document(results, "aws_s3_bucket_policy.for_expression")
    assert document["Statement"][0]["Condition"] == {"StringNotEquals": {"aws:SourceVpce": [VPCE]}}


def test_heredoc(results: Dict[str, Dict[str, Any]]) -> None:
    document = _document(results, "aws_s3_bucket_policy.heredoc")
    statement = document["Statement"][0]
    assert statement["Resource"] == ["arn:aws:s3:::heredoc-bucket", "arn:aws:s3:::heredoc-bucket/${aws:username}/*"]
    assert statement["Condition"]["StringNotEquals"]["aws:SourceVpce"] == [VPCE, "vpce-0a1b2c3d4e5f60718"]


def test_module_variable_with_stray_quotes(results: Dict[str, Dict[str, Any]]) -> None:
    file = "/modules/bucket/main.tf"
    raw = _raw(results, "module.mod.aws_s3_bucket_policy.this", file)[0]
    assert raw["Statement"][0]["Resource"] == ["arn:aws:s3:::modbucket", '"arn:aws:s3:::modbucket"/*']
    source = _source(results, "module.mod.aws_s3_bucket_policy.this", file)
    assert source["target"]["name"] == "modbucket"
    statement = source["document"]["Statement"][0]
    assert statement["Resource"] == ["arn:aws:s3:::modbucket", "arn:aws:s3:::modbucket/*"]
    # the module input is the caller's aws_vpc_endpoint.s3: named so it never reads as a module resource
    assert statement["Condition"] == {"StringNotEquals": {"aws:SourceVpce": "${caller.aws_vpc_endpoint.s3.id}"}}


def test_module_policy_on_a_root_bucket(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, "module.attach.aws_s3_bucket_policy.this", "/modules/attach/main.tf")
    assert source["target"]["name"] == "attached"
    assert source["document"]["Statement"][0]["Resource"] == ["arn:aws:s3:::attached", "arn:aws:s3:::attached/*"]


def test_policy_document_data_source(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, "aws_s3_bucket_policy.docs")
    assert source["origin"] == "data.aws_iam_policy_document.perimeter via aws_s3_bucket_policy.docs"
    document = _document(results, "aws_s3_bucket_policy.docs")
    assert document["Version"] == "2012-10-17"
    by_sid = {s.get("Sid"): s for s in document["Statement"]}
    # source statements first; the current document's "Home" replaced the source's; the override replaced BaseOnly
    assert [s.get("Sid") for s in document["Statement"]] == ["Home", "BaseOnly", "DenyOutside", None]
    assert by_sid["Home"] == {"Sid": "Home", "Effect": "Deny", "Action": "s3:PutObject",
                              "Resource": "arn:aws:s3:::docs/home/${aws:username}/*", "Principal": {"AWS": "*"}}
    assert by_sid["BaseOnly"] == {"Sid": "BaseOnly", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*",
                                  "Principal": "*"}
    deny = by_sid["DenyOutside"]
    assert deny["NotAction"] == "s3:GetBucketLocation"
    assert deny["Resource"] == ["arn:aws:s3:::docs", "arn:aws:s3:::docs/*"]
    assert deny["Principal"] == "*"
    assert deny["Condition"] == {"StringNotEquals": {"aws:SourceVpce": [VPCE, "vpce-33333333"]},
                                 "BoolIfExists": {"aws:ViaAWSService": "false"}}
    assert deny[DUPLICATE_CONDITIONS_KEY] == ["StringNotEquals aws:SourceVpce"]
    allow = by_sid[None]
    assert allow["Effect"] == "Allow"  # no effect: Allow
    assert allow["NotResource"] == "arn:aws:s3:::docs/private/*"
    assert allow["NotPrincipal"] == {"AWS": f"arn:aws:iam::{THIS_ACCOUNT}:root"}


def test_policy_document_through_interpolation_and_literal_bucket(results: Dict[str, Dict[str, Any]]) -> None:
    document = _document(results, "aws_s3_bucket_policy.docs_interpolated")
    deny = next(s for s in document["Statement"] if s.get("Sid") == "DenyOutside")
    # another bucket of the module, named literally: its ARN follows from its name (never the protected one's)
    assert deny["Resource"] == ["arn:aws:s3:::docs", "arn:aws:s3:::docs/*"]
    assert _source(results, "aws_s3_bucket_policy.docs_interpolated")["target"]["name"] == "docs-mirror"


def test_dynamic_statement_blocks(results: Dict[str, Dict[str, Any]]) -> None:
    document = _document(results, "aws_s3_bucket_policy.dyn")
    assert [(s["Sid"], s["Condition"]["StringNotEquals"]["aws:SourceVpce"]) for s in document["Statement"]] == [
        ("Deny0", "vpce-11111111"), ("Deny1", "vpce-22222222")]


def test_file(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, "aws_sns_topic_policy.files")
    assert source["origin"] == 'file("${path.module}/policies/topic.json") via aws_sns_topic_policy.files'
    document = _document(results, "aws_sns_topic_policy.files")
    assert document["Statement"][0]["Condition"] == {"StringNotLike": {"aws:PrincipalArn": "${aws:username}"}}


def test_file_paths_in_a_module(results: Dict[str, Dict[str, Any]]) -> None:
    file = "/modules/files/main.tf"
    own = _document(results, "module.files.aws_sns_topic_policy.module_relative", file)
    assert own["Statement"][0]["Sid"] == "FromModuleDirectory"  # ${path.module}: the module's directory
    root = _document(results, "module.files.aws_sns_topic_policy.root_relative", file)
    assert root["Statement"][0]["Resource"] == "arn:aws:sns:*:*:files"  # a bare relative path: the root module


def test_templatefile(results: Dict[str, Dict[str, Any]]) -> None:
    document = _document(results, "aws_sqs_queue_policy.tpl")
    statement = document["Statement"][0]
    assert statement["Resource"] == f"arn:aws:sqs:*:{THIS_ACCOUNT}:tpl"
    assert statement["Condition"] == {
        "StringNotEquals": {"aws:SourceVpce": ["vpce-11111111", "vpce-22222222"], "aws:SourceVpc": VPCE},
        "StringNotLike": {"aws:userid": "${aws:username}"},
    }
    assert _source(results, "aws_sqs_queue_policy.tpl")["target"]["name"] == "tpl"


@pytest.mark.parametrize("address, expected", [
    ("aws_sqs_queue_policy.missing_file", "policies/nope.json does not exist"),
    ("aws_sns_topic_policy.dynamic_path", "depends on ${var.nodefault}"),
    ("aws_sns_topic_policy.template_missing_var", "the template uses ${account}"),
    ("aws_sqs_queue_policy.from_variable", "policy of aws_sqs_queue_policy.from_variable is var.policy_json"),
    ("aws_s3_bucket_policy.no_such_data", "data.aws_iam_policy_document.missing is not in the scanned files"),
    ("aws_s3_bucket_policy.dyn_unknown", 'dynamic "statement" iterates over'),
    ("aws_s3_bucket_policy.bad_source", "source_policy_documents[0] of data.aws_iam_policy_document.bad_source via "
                                        "aws_s3_bucket_policy.bad_source is var.policy_json, which has no value"),
])
def test_unreadable_policies_name_the_expression(results: Dict[str, Dict[str, Any]], address: str,
                                                 expected: str) -> None:
    source = _source(results, address)
    assert source is not None and source["document"] is None
    assert expected in source["problem"]
    assert "\n" not in source["problem"]
    assert source["evaluated_keys"] == ["policy"]


def test_checkov_renders_unset_list_variables_as_empty_lists(results: Dict[str, Dict[str, Any]]) -> None:
    assert _raw(results, "aws_s3_bucket_policy.unset_list")[0]["Statement"][0]["Action"] == []


def test_plan_json(results: Dict[str, Dict[str, Any]]) -> None:
    assert _raw(results, "aws_s3_bucket_policy.plan", "/tfplan.json") == ["data.aws_iam_policy_document.plan.json"]
    source = _source(results, "aws_s3_bucket_policy.plan", "/tfplan.json")
    assert source["target"]["name"] == "plan-bucket"
    assert source["origin"] == "data.aws_iam_policy_document.plan via aws_s3_bucket_policy.plan"
    # the document is unknown until apply and the plan keeps only the references of `resources`: whether the
    # expression was the bare ARN or "${ARN}/*" is lost, so the adapter fails closed instead of guessing
    assert source["document"] is None
    assert "statement[0].resources is unknown until apply" in source["problem"], source["problem"]
    known = _document(results, "aws_s3_bucket_policy.known", "/tfplan.json")
    assert known["Statement"][0]["Resource"] == ["arn:aws:s3:::known-bucket", "arn:aws:s3:::known-bucket/*"]
    assert _source(results, "aws_s3_bucket.plan", "/tfplan.json") is None
    # an existing topic: its ARN is known, so account and region are too; its inline policy is a JSON string
    existing = _source(results, "aws_sns_topic.existing", "/tfplan.json")
    assert _target(existing) == ("sns", "existing", "111122223333", "eu-west-1")
    assert _raw(results, "aws_sns_topic.existing", "/tfplan.json")[0].startswith('{"Version": "2012-10-17"')
    assert existing["document"]["Statement"][0]["Condition"] == {"StringNotLike": {"aws:userid": "${aws:username}"}}


# --- point 4: normalising strings --------------------------------------------------------------------------------


def test_own_references_and_caller_context(results: Dict[str, Dict[str, Any]]) -> None:
    queue = _document(results, "aws_sqs_queue_policy.orders")["Statement"][0]
    own_queue = f"arn:aws:sqs:{THIS_REGION}:{THIS_ACCOUNT}:orders"
    assert queue["Resource"] == [own_queue, own_queue]  # .arn, and partition/region/account data sources
    assert queue["Condition"] == {"StringNotEquals": {"aws:SourceVpce": VPCE}}
    assert queue["Principal"] == {"AWS": "*"}
    topic = _document(results, "aws_sns_topic_policy.alerts")["Statement"][0]
    own_topic = f"arn:aws:sns:{THIS_REGION}:{THIS_ACCOUNT}:alerts"
    assert topic["Resource"] == [own_topic, own_topic]  # .arn and .id
    assert topic["Condition"]["StringNotEquals"]["aws:SourceVpce"] == [VPCE, "${var.nodefault}"]
    assert _document(results, "aws_s3_bucket_policy.pref")["Statement"][0]["Resource"] == (
        "arn:aws:s3:::${aws_s3_bucket.pref.bucket}")


# --- never raise -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("conf", [
    {},
    {"policy": [None]},
    {"policy": [["a", "b"]], "bucket": [{"x": 1}]},
    {"policy": ["${jsonencode({'Statement': [}"], "bucket": ["b"]},
    {"policy": ["['${jsonencode("], "bucket": ["b"]},
    {"policy": ["${templatefile(\"x.tpl\")}"], "bucket": ["b"]},
    {"policy": [12], "__address__": 5},
    {"policy": ["{\"Statement\": " + "[" * 3000 + "]" * 3000 + "}"]},
])
def test_odd_shapes_become_problems(conf: Dict[str, Any]) -> None:
    for entity_type in TERRAFORM_POLICY_RESOURCES:
        source = source_for_terraform(conf, entity_type, None, "")
        assert source is not None
        assert source.problem, (entity_type, conf)
        assert source.document is None


def test_unknown_entity_type_and_missing_graph() -> None:
    assert source_for_terraform({"policy": ["{}"]}, "aws_iam_role", None, "") is None
    # no graph: an owner without inline policy cannot see separate policies, so it is reported as missing
    source = source_for_terraform({"bucket": ["b"], "__address__": "aws_s3_bucket.b"}, "aws_s3_bucket", None, "")
    assert source is not None and source.missing
    assert set(TERRAFORM_OWNER_RESOURCES.values()) >= {"s3", "sqs", "sns"}


def test_templatefile_directives_are_rendered(results: Dict[str, Dict[str, Any]]) -> None:
    # %{ for } over var.vpce_list (two elements) repeats the statement text twice, without a comma: not JSON
    source = _source(results, "aws_sns_topic_policy.template_directive")
    assert source is not None and source["document"] is None
    assert 'neither JSON nor an expression the scan can evaluate: {"Statement": [{"Effect": "Deny"}{"Effect": ' \
           '"Deny"}]}' in source["problem"]


def test_list_variables_without_default_stay_symbols(results: Dict[str, Dict[str, Any]]) -> None:
    # Checkov renders them as []; the evaluator keeps the variable, which the engine treats as unresolved (Action)
    # or as one specific endpoint (a perimeter value), SPEC section 4
    assert _raw(results, "aws_s3_bucket_policy.unset_list")[0]["Statement"][0]["Action"] == []
    assert _document(results, "aws_s3_bucket_policy.unset_list")["Statement"][0]["Action"] == "${var.denied_actions}"
    statement = _document(results, "aws_s3_bucket_policy.unset_list_data")["Statement"][0]
    assert statement["Condition"] == {"StringNotEquals": {"aws:SourceVpce": "${var.allowed_vpces}"}}
