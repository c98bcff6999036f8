"""The API Gateway adapter against what Checkov really delivers.

One real ``checkov`` CLI run (terraform + cloudformation) over a tree written to a temporary directory; external
checks generated next to it call the adapter's four public functions for every aws_api_gateway_rest_api,
AWS::ApiGateway::RestApi and AWS::Serverless::Api, and write what they return (and the raw ``conf`` for SAM) to a
JSON-lines file. The CLI runs in a subprocess so the generated checks never land in this process's registries.
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

from vpce_checks.adapters.apigateway import (
    EndpointType,
    api_policy_for_cloudformation,
    api_policy_for_terraform,
    endpoint_type_for_cloudformation,
    endpoint_type_for_terraform,
)
from vpce_checks.engine.model import THIS_ACCOUNT, THIS_REGION, parse_policy

VPCE = "${aws_vpc_endpoint.api.id}"
EXEC_ARN = f"arn:aws:execute-api:{THIS_REGION}:{THIS_ACCOUNT}"

MAIN_TF = r'''
variable "types_default" { default = ["PRIVATE"] }
variable "types_nodefault" {}
variable "type_str" {}
variable "stage" {}

data "aws_caller_identity" "me" {}
data "aws_region" "here" {}

resource "aws_vpc_endpoint" "api" {
  vpc_id       = "vpc-0123456789abcdef0"
  service_name = "com.amazonaws.eu-west-1.execute-api"
}

# inline jsonencode policy naming the API itself; methods, resources and stages linked by rest_api_id
resource "aws_api_gateway_rest_api" "orders" {
  name = "orders"
  endpoint_configuration {
    types            = ["PRIVATE"]
    vpc_endpoint_ids = [aws_vpc_endpoint.api.id]
  }
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Deny", Principal = "*", Action = "execute-api:Invoke",
      Resource = "${aws_api_gateway_rest_api.orders.execution_arn}/*"
      Condition = { StringNotEquals = {
        "aws:SourceVpce" = aws_vpc_endpoint.api.id, "aws:SourceAccount" = data.aws_caller_identity.me.account_id } }
    }, {
      Effect = "Allow", Principal = "*", Action = "execute-api:Invoke", Resource = "execute-api:/*"
    }]
  })
}
resource "aws_api_gateway_resource" "orders" {
  rest_api_id = aws_api_gateway_rest_api.orders.id
  parent_id   = aws_api_gateway_rest_api.orders.root_resource_id
  path_part   = "orders"
}
resource "aws_api_gateway_resource" "order" {
  rest_api_id = aws_api_gateway_rest_api.orders.id
  parent_id   = aws_api_gateway_resource.orders.id
  path_part   = "{id}"
}
resource "aws_api_gateway_method" "get_order" {
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  resource_id   = aws_api_gateway_resource.order.id
  http_method   = "GET"
  authorization = "NONE"
}
resource "aws_api_gateway_method" "root_any" {
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  resource_id   = aws_api_gateway_rest_api.orders.root_resource_id
  http_method   = "ANY"
  authorization = "AWS_IAM"
}
resource "aws_api_gateway_deployment" "orders" {
  rest_api_id = aws_api_gateway_rest_api.orders.id
  stage_name  = "beta"
}
resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  deployment_id = aws_api_gateway_deployment.orders.id
  stage_name    = "prod"
}

# endpoint types from variables, the EDGE default, two types
resource "aws_api_gateway_rest_api" "vardef" {
  name = "vardef"
  endpoint_configuration { types = var.types_default }
}
resource "aws_api_gateway_rest_api" "varnodef" {
  name = "varnodef"
  endpoint_configuration { types = var.types_nodefault }
}
resource "aws_api_gateway_rest_api" "varstr" {
  name = "varstr"
  endpoint_configuration { types = [var.type_str] }
}
resource "aws_api_gateway_rest_api" "edge" {
  name   = "edge"
  policy = "{}"
}
resource "aws_api_gateway_rest_api" "regional_private" {
  name = "regional_private"
  endpoint_configuration { types = ["REGIONAL", "PRIVATE"] }
}

# a separate aws_api_gateway_rest_api_policy with a data "aws_iam_policy_document"; a stage from a variable
resource "aws_api_gateway_rest_api" "sep" {
  name = "sep"
  endpoint_configuration { types = ["PRIVATE"] }
}
data "aws_iam_policy_document" "sep" {
  statement {
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["execute-api:Invoke"]
    resources = ["${aws_api_gateway_rest_api.sep.execution_arn}/*"]
    condition {
      test     = "StringNotEquals"
      variable = "aws:SourceVpc"
      values   = ["vpc-0123456789abcdef0"]
    }
  }
}
resource "aws_api_gateway_rest_api_policy" "sep" {
  rest_api_id = aws_api_gateway_rest_api.sep.id
  policy      = data.aws_iam_policy_document.sep.json
}
resource "aws_api_gateway_method" "sep" {
  rest_api_id   = aws_api_gateway_rest_api.sep.id
  resource_id   = aws_api_gateway_rest_api.sep.root_resource_id
  http_method   = "POST"
  authorization = "CUSTOM"
}
resource "aws_api_gateway_stage" "sep" {
  rest_api_id   = aws_api_gateway_rest_api.sep.id
  deployment_id = "d-1"
  stage_name    = var.stage
}

# both an inline policy and a separate one: they overwrite each other
resource "aws_api_gateway_rest_api" "both" {
  name   = "both"
  policy = jsonencode({ Version = "2012-10-17", Statement = [] })
  endpoint_configuration { types = ["PRIVATE"] }
}
resource "aws_api_gateway_rest_api_policy" "both" {
  rest_api_id = aws_api_gateway_rest_api.both.id
  policy      = jsonencode({ Version = "2012-10-17", Statement = [] })
}

# OpenAPI body written with jsonencode: paths, security schemes, the policy and endpoint extensions
resource "aws_api_gateway_rest_api" "bodyjson" {
  name = "bodyjson"
  endpoint_configuration { types = ["PRIVATE"] }
  body = jsonencode({
    openapi = "3.0.1"
    components = { securitySchemes = { sigv4 = {
      type = "apiKey", name = "Authorization", in = "header", "x-amazon-apigateway-authtype" = "awsSigv4" } } }
    servers = [{ url = "/",
      "x-amazon-apigateway-endpoint-configuration" = { vpcEndpointIds = [aws_vpc_endpoint.api.id] } }]
    paths = {
      "/pets" = {
        get                              = { security = [{ sigv4 = [] }] }
        "x-amazon-apigateway-any-method" = {}
      }
    }
    "x-amazon-apigateway-policy" = {
      Version = "2012-10-17"
      Statement = [{ Effect = "Deny", Principal = "*", Action = "execute-api:Invoke",
        Resource = "${aws_api_gateway_rest_api.bodyjson.execution_arn}/*",
        Condition = { StringNotEquals = { "aws:SourceVpc" = "vpc-0123456789abcdef0" } } }]
    }
  })
}

# OpenAPI YAML in a heredoc: Checkov drops its line breaks
resource "aws_api_gateway_rest_api" "bodyheredoc" {
  name = "bodyheredoc"
  endpoint_configuration { types = ["PRIVATE"] }
  body = <<-EOT
    openapi: "3.0.1"
    x-amazon-apigateway-endpoint-configuration:
      vpcEndpointIds: [vpce-0a1b2c3d4e5f60718]
    paths:
      /a:
        post:
          x-amazon-apigateway-auth: {type: AWS_IAM}
    x-amazon-apigateway-policy:
      Version: 2012-10-17
      Statement:
        - Effect: Allow
          Principal: "*"
          Action: execute-api:Invoke
          Resource: execute-api:/*
  EOT
}

# body from files: file(), templatefile(), jsonencode(yamldecode(file()))
resource "aws_api_gateway_rest_api" "bodyfile" {
  name = "bodyfile"
  endpoint_configuration { types = ["PRIVATE"] }
  body = file("${path.module}/openapi.yaml")
}
resource "aws_api_gateway_rest_api" "bodytpl" {
  name = "bodytpl"
  endpoint_configuration { types = ["PRIVATE"] }
  body = templatefile("${path.module}/openapi.tpl.json", { vpce = "vpce-0123456789abcdef0" })
}
resource "aws_api_gateway_rest_api" "bodyyd" {
  name = "bodyyd"
  endpoint_configuration { types = ["PRIVATE"] }
  body = jsonencode(yamldecode(file("${path.module}/openapi.yaml")))
}

# the policy argument overrides the body's x-amazon-apigateway-policy
resource "aws_api_gateway_rest_api" "override" {
  name = "override"
  endpoint_configuration { types = ["PRIVATE"] }
  policy = <<EOF
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
 "Resource": "execute-api:/*"}]}
EOF
  body = file("${path.module}/openapi.yaml")
}

# a body the scan cannot read, and a private API without any policy
resource "aws_api_gateway_rest_api" "bodyunknown" {
  name = "bodyunknown"
  endpoint_configuration { types = ["PRIVATE"] }
  body = data.http.spec.response_body
}
resource "aws_api_gateway_rest_api" "nopolicy" {
  name = "nopolicy"
  endpoint_configuration { types = ["PRIVATE"] }
}
'''

OPENAPI_YAML = """
openapi: "3.0.1"
paths:
  /x:
    get:
      security: []
    put: {}
x-amazon-apigateway-policy:
  Version: 2012-10-17
  Statement:
    - Effect: Deny
      Principal: "*"
      Action: execute-api:Invoke
      Resource: execute-api:/*
      Condition:
        StringNotEquals:
          aws:SourceVpce: vpce-0a1b2c3d4e5f60718
"""

OPENAPI_TEMPLATE = """
{"swagger": "2.0", "paths": {"/t": {"delete": {}}},
 "x-amazon-apigateway-policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
   "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
   "Condition": {"StringNotEquals": {"aws:SourceVpce": "${vpce}"}}}]}}
"""

STACK_YAML = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Vpce: {Type: String}
  TypeNoDefault: {Type: String}
  TypeAllowed: {Type: String, AllowedValues: [PRIVATE]}
  Stage: {Type: String, Default: v1}
  NoDefaultStage: {Type: String}
Resources:
  PrivateApi:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: private
      EndpointConfiguration:
        Types: [PRIVATE]
        VpcEndpointIds: [!Ref Vpce]
      Policy:
        Version: "2012-10-17"
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: execute-api:Invoke
            Resource: !Sub "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:*/*"
            Condition:
              StringNotEquals:
                aws:SourceVpce: !Ref Vpce
          - Effect: Allow
            Principal: "*"
            Action: execute-api:Invoke
            Resource: execute-api:/*
  OrdersResource:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref PrivateApi
      ParentId: !GetAtt PrivateApi.RootResourceId
      PathPart: orders
  OrderResource:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref PrivateApi
      ParentId: !Ref OrdersResource
      PathPart: "{id}"
  GetOrder:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref PrivateApi
      ResourceId: !Ref OrderResource
      HttpMethod: GET
      AuthorizationType: AWS_IAM
  PostRoot:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref PrivateApi
      ResourceId: !GetAtt PrivateApi.RootResourceId
      HttpMethod: POST
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref PrivateApi
  ProdStage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref PrivateApi
      DeploymentId: !Ref Deployment
      StageName: !Ref Stage
  OtherStage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref PrivateApi
      DeploymentId: !Ref Deployment
      StageName: !Ref NoDefaultStage

  StringPolicyApi:
    Type: AWS::ApiGateway::RestApi
    Properties:
      EndpointConfiguration: {Types: [!Ref TypeAllowed]}
      Policy: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}'
  BodyApi:
    Type: AWS::ApiGateway::RestApi
    Properties:
      EndpointConfiguration: {Types: [PRIVATE]}
      Body:
        swagger: "2.0"
        x-amazon-apigateway-endpoint-configuration:
          vpcEndpointIds: [vpce-0a1b2c3d4e5f60718]
        securityDefinitions:
          lambda:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authorizer: {type: token}
        paths:
          /pets:
            get:
              security: [{lambda: []}]
            x-amazon-apigateway-any-method: {}
        x-amazon-apigateway-policy:
          Version: "2012-10-17"
          Statement:
            - Effect: Deny
              Principal: "*"
              Action: execute-api:Invoke
              Resource: !Sub "execute-api:/${Stage}/*"
              Condition:
                StringNotEquals:
                  aws:SourceVpce: vpce-0a1b2c3d4e5f60718
  BodyApiStage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref BodyApi
      StageName: live
  S3Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      EndpointConfiguration: {Types: [PRIVATE]}
      BodyS3Location: {Bucket: specs, Key: api.yaml}
  S3ApiWithPolicy:
    Type: AWS::ApiGateway::RestApi
    Properties:
      EndpointConfiguration: {Types: [PRIVATE]}
      BodyS3Location: {Bucket: specs, Key: api.yaml}
      Policy: {Version: "2012-10-17", Statement: []}
  UnresolvedType:
    Type: AWS::ApiGateway::RestApi
    Properties:
      EndpointConfiguration: {Types: [!Ref TypeNoDefault]}
  ParametersOnly:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Parameters: {endpointConfigurationTypes: PRIVATE}
      Body: {swagger: "2.0", paths: {}}
  RegionalApi:
    Type: AWS::ApiGateway::RestApi
    Properties:
      EndpointConfiguration: {Types: [REGIONAL]}
      Policy: {Version: "2012-10-17", Statement: []}
  NoPolicyApi:
    Type: AWS::ApiGateway::RestApi
    Properties:
      EndpointConfiguration: {Types: [PRIVATE]}
  StringBodyApi:
    Type: AWS::ApiGateway::RestApi
    Properties:
      EndpointConfiguration: {Types: [PRIVATE]}
      Body: '{"swagger": "2.0", "paths": {"/s": {"patch": {}}},
        "x-amazon-apigateway-policy": {"Version": "2012-10-17", "Statement": []}}'
  IncludeApi:
    Type: AWS::ApiGateway::RestApi
    Properties:
      EndpointConfiguration: {Types: [PRIVATE]}
      Body:
        Fn::Transform:
          Name: AWS::Include
          Parameters: {Location: s3://specs/api.yaml}
"""

STACK_JSON = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "JsonApi": {
            "Type": "AWS::ApiGateway::RestApi",
            "Properties": {
                "EndpointConfiguration": {"Types": ["PRIVATE"], "VpcEndpointIds": ["vpce-0a1b2c3d4e5f60718"]},
                "Body": {"openapi": "3.0.1", "paths": {"/": {"get": {}}}},
                "Policy": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
                    "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}}}]},
            },
        },
        "JsonStringPolicy": {
            "Type": "AWS::ApiGateway::RestApi",
            "Properties": {
                "EndpointConfiguration": {"Types": ["PRIVATE"]},
                "Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
                    "Resource": "execute-api:/*"}]}),
            },
        },
        "JsonEdge": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "edge"}},
    },
}

# Globals apply to every AWS::Serverless::Api of a template: this file holds only OrdersApi.
SAM_GLOBALS_YAML = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Vpce: {Type: String, Default: vpce-0123456789abcdef0}
  Stage: {Type: String, Default: prod}
Globals:
  Api:
    EndpointConfiguration: PRIVATE
    Auth:
      ResourcePolicy:
        IntrinsicVpceWhitelist: [!Ref Vpce]
Resources:
  OrdersApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
      Cors: "'*'"
      Auth:
        DefaultAuthorizer: AWS_IAM
        AddDefaultAuthorizerToCorsPreflight: false
        ResourcePolicy:
          SourceVpcWhitelist: [vpc-0123456789abcdef0, VPC-NOT-A-VPC]
          CustomStatements:
            - Effect: Allow
              Principal: "*"
              Action: execute-api:Invoke
              Resource: execute-api:/*
  OrdersFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): return {}"
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref OrdersApi, Path: "/orders/{id}", Method: get}
        Any:
          Type: Api
          Properties:
            RestApiId: !Ref OrdersApi
            Path: "/items/{proxy+}"
            Method: any
            Auth:
              Authorizer: NONE
              ResourcePolicy:
                IpRangeBlacklist: [198.51.100.0/24]
        Implicit:
          Type: Api
          Properties: {Path: /implicit, Method: get}
"""

SAM_YAML = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  BlackApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: live
      OpenApiVersion: "3.0.1"
      EndpointConfiguration: {Type: PRIVATE, VPCEndpointIds: [vpce-0a1b2c3d4e5f60718]}
      Auth:
        Authorizers:
          Pool: {UserPoolArn: arn:aws:cognito-idp:eu-west-1:111122223333:userpool/x}
        DefaultAuthorizer: Pool
        ResourcePolicy:
          SourceVpcBlacklist: [vpc-0123456789abcdef0]
          AwsAccountWhitelist: ["111122223333"]
          IpRangeWhitelist: [203.0.113.0/24]
      DefinitionBody:
        openapi: "3.0.1"
        paths:
          /pets:
            get: {security: []}
            post: {security: [{NONE: []}]}
        x-amazon-apigateway-policy:
          Version: "2012-10-17"
          Statement:
            - Effect: Deny
              Principal: "*"
              Action: execute-api:Invoke
              Resource: execute-api:/*
              Condition: {StringNotEquals: {aws:SourceVpce: vpce-0a1b2c3d4e5f60718}}
  UriApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      EndpointConfiguration: PRIVATE
      DefinitionUri: openapi-sam.yaml
  S3UriApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      EndpointConfiguration: PRIVATE
      DefinitionUri: s3://specs/api.yaml
  NoPolicySam:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      EndpointConfiguration: {Type: PRIVATE}
  TypoWhitelist:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      EndpointConfiguration: PRIVATE
      Auth:
        ResourcePolicy:
          SourceVpcWhitelist: [VPCE-0123456789ABCDEF0]
  EdgeSam:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
  TypoFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "x"
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref TypoWhitelist, Path: /, Method: get}
"""

SAM_DEFINITION = """
swagger: "2.0"
paths:
  /u: {post: {}}
x-amazon-apigateway-policy:
  Version: "2012-10-17"
  Statement:
    - {Effect: Allow, Principal: "*", Action: execute-api:Invoke, Resource: execute-api:/*}
"""

DUMP_CHECKS = '''
import dataclasses
import json
import os

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck as CfnCheck
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck as TfCheck

from vpce_checks.adapters.apigateway import (
    api_policy_for_cloudformation, api_policy_for_terraform, endpoint_type_for_cloudformation,
    endpoint_type_for_terraform,
)
from vpce_checks.adapters.cloudformation import split_entity_path


def record(key, entity_type, endpoint, source, conf):
    with open(os.environ["VPCE_APIGW_ADAPTER_DUMP"], "a", encoding="utf-8") as out:
        out.write(json.dumps({
            "key": key, "entity_type": entity_type, "endpoint": dataclasses.asdict(endpoint),
            "private": endpoint.private, "source": None if source is None else dataclasses.asdict(source),
            "conf": conf}, default=repr) + "\\n")


class DumpTerraform(TfCheck):
    def __init__(self):
        super().__init__(name="test: dump the API Gateway adapter (Terraform)", id="CKV_VPCETEST_APIGW_TF",
                         categories=[CheckCategories.GENERAL_SECURITY],
                         supported_resources=["aws_api_gateway_rest_api"])

    def scan_resource_conf(self, conf):
        file_path = self.entity_path.split(":", 1)[0]
        address = f"{self.entity_type}.{self.entity_path.rsplit(':', 1)[-1]}"
        endpoint = endpoint_type_for_terraform(conf, self.graph, file_path)
        source = api_policy_for_terraform(conf, self.graph, file_path, address)
        record(address, self.entity_type, endpoint, source, None)
        return CheckResult.PASSED


class DumpCloudFormation(CfnCheck):
    def __init__(self):
        super().__init__(name="test: dump the API Gateway adapter (CloudFormation)", id="CKV_VPCETEST_APIGW_CFN",
                         categories=[CheckCategories.GENERAL_SECURITY],
                         supported_resources=["AWS::ApiGateway::RestApi", "AWS::Serverless::Api",
                                              "AWS::Serverless::Function"])

    def scan_resource_conf(self, conf):
        file_path, logical_id = split_entity_path(self.entity_path, self.entity_type)
        if self.entity_type == "AWS::Serverless::Function":
            with open(os.environ["VPCE_APIGW_ADAPTER_DUMP"], "a", encoding="utf-8") as out:
                out.write(json.dumps({"key": f"{file_path}:{logical_id}", "entity_type": self.entity_type}) + "\\n")
            return CheckResult.PASSED
        endpoint = endpoint_type_for_cloudformation(conf, self.entity_type, file_path, logical_id)
        source = api_policy_for_cloudformation(conf, self.entity_type, file_path, logical_id)
        record(f"{file_path}:{logical_id}", self.entity_type, endpoint, source,
               conf if self.entity_type == "AWS::Serverless::Api" else None)
        return CheckResult.PASSED


terraform_check = DumpTerraform()
cloudformation_check = DumpCloudFormation()
'''


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def _checkov_command() -> list:
    script = Path(sys.executable).with_name("checkov")
    return [str(script)] if script.exists() else [shutil.which("checkov") or "checkov"]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Dict[str, Any]]:
    """Scan the tree once; map "address" (Terraform) or "/file:LogicalId" (CloudFormation) to what was dumped."""
    root = tmp_path_factory.mktemp("apigw_adapter")
    scan, checks, dump = root / "scan", root / "checks", root / "dump.jsonl"
    _write(scan / "main.tf", MAIN_TF)
    _write(scan / "openapi.yaml", OPENAPI_YAML)
    _write(scan / "openapi.tpl.json", OPENAPI_TEMPLATE)
    _write(scan / "cfn" / "stack.yaml", STACK_YAML)
    (scan / "cfn" / "stack.json").write_text(json.dumps(STACK_JSON, indent=2), encoding="utf-8")
    _write(scan / "sam" / "globals.yaml", SAM_GLOBALS_YAML)
    _write(scan / "sam" / "sam.yaml", SAM_YAML)
    _write(scan / "sam" / "openapi-sam.yaml", SAM_DEFINITION)
    _write(checks / "__init__.py", "")
    _write(checks / "vpce_test_apigw_adapter_dump.py", DUMP_CHECKS)
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", VPCE_APIGW_ADAPTER_DUMP=str(dump))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent.parent),
                                                      env.get("PYTHONPATH")]))
    completed = subprocess.run(
        [*_checkov_command(), "-d", str(scan), "--framework", "terraform", "cloudformation",
         "--external-checks-dir", str(checks), "--check", "CKV_VPCETEST_APIGW_TF,CKV_VPCETEST_APIGW_CFN",
         "--skip-download", "--quiet", "-o", "json"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    out: Dict[str, Dict[str, Any]] = {}
    for line in dump.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        out[record["key"]] = record
    return out


def _record(results: Dict[str, Dict[str, Any]], key: str) -> Dict[str, Any]:
    assert key in results, f"{key} not scanned; scanned: {sorted(results)}"
    return results[key]


def _endpoint(results: Dict[str, Dict[str, Any]], key: str) -> Dict[str, Any]:
    return _record(results, key)["endpoint"]


def _source(results: Dict[str, Dict[str, Any]], key: str) -> Optional[Dict[str, Any]]:
    return _record(results, key)["source"]


def _document(results: Dict[str, Dict[str, Any]], key: str) -> Dict[str, Any]:
    source = _source(results, key)
    assert source is not None
    assert source["problem"] is None, source["problem"]
    parse_policy(source["document"])  # the engine reads it
    return source["document"]


# --- Terraform: endpoint type --------------------------------------------------------------------------------------


def test_terraform_endpoint_types(results: Dict[str, Dict[str, Any]]) -> None:
    orders = _endpoint(results, "aws_api_gateway_rest_api.orders")
    assert orders == {"types": ["PRIVATE"], "problem": None, "vpc_endpoint_ids": [VPCE], "syntax": "hcl",
                      "origin": "endpoint_configuration.types of aws_api_gateway_rest_api.orders"}
    assert _record(results, "aws_api_gateway_rest_api.orders")["private"] is True
    assert _endpoint(results, "aws_api_gateway_rest_api.vardef")["types"] == ["PRIVATE"]  # variable default
    edge = _endpoint(results, "aws_api_gateway_rest_api.edge")
    assert edge["types"] == ["EDGE"] and edge["problem"] is None and "AWS's default is EDGE" in edge["origin"]
    both = _record(results, "aws_api_gateway_rest_api.regional_private")
    assert sorted(both["endpoint"]["types"]) == ["PRIVATE", "REGIONAL"] and both["private"] is False


@pytest.mark.parametrize("address, expression", [("varnodef", "var.types_nodefault"), ("varstr", "var.type_str")])
def test_terraform_unresolved_type_names_the_variable(results: Dict[str, Dict[str, Any]], address: str,
                                                      expression: str) -> None:
    endpoint = _endpoint(results, f"aws_api_gateway_rest_api.{address}")
    assert endpoint["types"] is None
    assert expression in endpoint["problem"] and "give the variable a default" in endpoint["problem"]
    assert "--var-file" in endpoint["problem"]


def test_terraform_body_endpoint_extension_gives_the_ids(results: Dict[str, Dict[str, Any]]) -> None:
    assert _endpoint(results, "aws_api_gateway_rest_api.bodyjson")["vpc_endpoint_ids"] == [VPCE]  # OpenAPI 3 servers
    assert _endpoint(results, "aws_api_gateway_rest_api.bodyheredoc")["vpc_endpoint_ids"] == ["vpce-0a1b2c3d4e5f60718"]


# --- Terraform: the policy -----------------------------------------------------------------------------------------


def test_terraform_not_private_gives_no_policy(results: Dict[str, Dict[str, Any]]) -> None:
    assert _source(results, "aws_api_gateway_rest_api.edge") is None
    assert _source(results, "aws_api_gateway_rest_api.regional_private") is None


def test_terraform_inline_policy_with_own_references(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, "aws_api_gateway_rest_api.orders")
    name = "${aws_api_gateway_rest_api.orders.id}"
    assert source["target"]["service"] == "execute-api" and source["target"]["name"] == name
    assert source["origin"] == "policy of aws_api_gateway_rest_api.orders"
    assert source["evaluated_keys"] == ["policy"] and source["syntax"] == "hcl"
    assert _document(results, "aws_api_gateway_rest_api.orders")["Statement"][0] == {
        "Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": f"{EXEC_ARN}:{name}/*",
        "Condition": {"StringNotEquals": {"aws:SourceVpce": VPCE, "aws:SourceAccount": THIS_ACCOUNT}},
    }


def test_terraform_routes_and_authorization(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, "aws_api_gateway_rest_api.orders")
    assert sorted(source["target"]["routes"]) == sorted(
        f"{stage}/{route}" for stage in ("prod", "beta") for route in ("GET/orders/{id}", "*/"))
    assert source["authorization"] == {"GET /orders/{id}": "NONE", "ANY /": "AWS_IAM"}


def test_terraform_separate_policy_resource_through_the_graph(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, "aws_api_gateway_rest_api.sep")
    assert source["origin"] == "data.aws_iam_policy_document.sep via aws_api_gateway_rest_api_policy.sep"
    assert _document(results, "aws_api_gateway_rest_api.sep")["Statement"] == [{
        "Effect": "Deny", "Action": "execute-api:Invoke", "Principal": "*",
        "Resource": f"{EXEC_ARN}:${{aws_api_gateway_rest_api.sep.id}}/*",
        "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-0123456789abcdef0"}},
    }]
    # a stage from a variable without a default stays that (one) unknown stage
    assert source["target"]["routes"] == ["${var.stage}/POST/"]
    assert source["authorization"] == {"POST /": "CUSTOM"}


def test_terraform_inline_and_separate_policy_conflict(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, "aws_api_gateway_rest_api.both")
    assert source["document"] is None
    assert "aws_api_gateway_rest_api_policy.both" in source["problem"] and "overwrite" in source["problem"]


def test_terraform_jsonencode_body(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, "aws_api_gateway_rest_api.bodyjson")
    assert source["origin"] == "body x-amazon-apigateway-policy of aws_api_gateway_rest_api.bodyjson"
    assert source["evaluated_keys"] == ["body"]
    document = _document(results, "aws_api_gateway_rest_api.bodyjson")
    assert document["Statement"][0]["Resource"] == f"{EXEC_ARN}:${{aws_api_gateway_rest_api.bodyjson.id}}/*"
    assert source["target"]["routes"] == ["*/GET/pets", "*/*/pets"]  # no stage declared: any stage
    assert source["authorization"] == {"GET /pets": "AWS_IAM", "ANY /pets": "NONE"}


def test_terraform_yaml_heredoc_body_is_reread_from_source(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, "aws_api_gateway_rest_api.bodyheredoc")
    assert _document(results, "aws_api_gateway_rest_api.bodyheredoc") == {
        "Version": "2012-10-17",  # an unquoted YAML date becomes the string again
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
                       "Resource": "execute-api:/*"}]}
    assert source["target"]["routes"] == ["*/POST/a"]
    assert source["authorization"] == {"POST /a": "AWS_IAM"}


@pytest.mark.parametrize("address, vpce, routes", [
    ("bodyfile", "vpce-0a1b2c3d4e5f60718", ["*/GET/x", "*/PUT/x"]),
    ("bodyyd", "vpce-0a1b2c3d4e5f60718", ["*/GET/x", "*/PUT/x"]),
    ("bodytpl", "vpce-0123456789abcdef0", ["*/DELETE/t"]),
])
def test_terraform_body_from_files(results: Dict[str, Dict[str, Any]], address: str, vpce: str, routes: list) -> None:
    source = _source(results, f"aws_api_gateway_rest_api.{address}")
    document = _document(results, f"aws_api_gateway_rest_api.{address}")
    assert document["Statement"][0]["Condition"] == {"StringNotEquals": {"aws:SourceVpce": vpce}}
    assert source["target"]["routes"] == routes


def test_terraform_policy_argument_overrides_the_body(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, "aws_api_gateway_rest_api.override")
    assert source["origin"] == ("policy of aws_api_gateway_rest_api.override (it replaces the body's "
                                "x-amazon-apigateway-policy)")
    assert _document(results, "aws_api_gateway_rest_api.override")["Statement"][0]["Effect"] == "Allow"


def test_terraform_unreadable_body_and_no_policy(results: Dict[str, Dict[str, Any]]) -> None:
    unknown = _source(results, "aws_api_gateway_rest_api.bodyunknown")
    assert unknown["document"] is None and "data.http.spec.response_body" in unknown["problem"]
    assert unknown["target"]["routes"] == []  # the paths are unknown too
    missing = _source(results, "aws_api_gateway_rest_api.nopolicy")
    assert missing["document"] is None and missing["problem"] is None
    assert missing["target"]["name"] == "${aws_api_gateway_rest_api.nopolicy.id}"
    # an API whose type is unknown gets no policy result: CKV_VPCE_4 fails it closed, once
    assert _source(results, "aws_api_gateway_rest_api.varnodef") is None


# --- CloudFormation --------------------------------------------------------------------------------------------------

YAML_FILE = "/cfn/stack.yaml"
JSON_FILE = "/cfn/stack.json"


def test_cloudformation_endpoint_types(results: Dict[str, Dict[str, Any]]) -> None:
    private = _endpoint(results, f"{YAML_FILE}:PrivateApi")
    assert private == {"types": ["PRIVATE"], "problem": None, "vpc_endpoint_ids": ["${Ref.Vpce}"], "syntax": "yaml",
                       "origin": "EndpointConfiguration of AWS::ApiGateway::RestApi PrivateApi"}
    assert _endpoint(results, f"{YAML_FILE}:StringPolicyApi")["types"] == ["PRIVATE"]  # AllowedValues: [PRIVATE]
    unresolved = _endpoint(results, f"{YAML_FILE}:UnresolvedType")
    assert unresolved["types"] is None and "parameter TypeNoDefault, which has no Default" in unresolved["problem"]
    params_only = _endpoint(results, f"{YAML_FILE}:ParametersOnly")
    assert params_only["types"] is None and "endpointConfigurationTypes" in params_only["problem"]
    assert _endpoint(results, f"{YAML_FILE}:BodyApi")["vpc_endpoint_ids"] == ["vpce-0a1b2c3d4e5f60718"]
    edge = _endpoint(results, f"{JSON_FILE}:JsonEdge")
    assert edge["types"] == ["EDGE"] and edge["syntax"] == "json"
    assert _endpoint(results, f"{JSON_FILE}:JsonApi")["syntax"] == "json"


def test_cloudformation_policy_object_with_routes(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, f"{YAML_FILE}:PrivateApi")
    assert source["target"]["name"] == "${PrivateApi}"
    assert source["origin"] == "Policy of AWS::ApiGateway::RestApi PrivateApi"
    assert source["evaluated_keys"] == ["Properties/Policy"]
    assert _document(results, f"{YAML_FILE}:PrivateApi")["Statement"][0] == {
        "Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": f"{EXEC_ARN}:*/*",
        "Condition": {"StringNotEquals": {"aws:SourceVpce": "${Ref.Vpce}"}},
    }
    # Stage names: a parameter default, and a parameter without one (its token: one specific unknown stage)
    assert sorted(source["target"]["routes"]) == sorted(
        f"{stage}/{route}" for stage in ("v1", "${Ref.NoDefaultStage}") for route in ("GET/orders/{id}", "POST/"))
    assert source["authorization"] == {"GET /orders/{id}": "AWS_IAM", "POST /": "NONE"}


def test_cloudformation_policy_as_json_string(results: Dict[str, Dict[str, Any]]) -> None:
    for key in (f"{YAML_FILE}:StringPolicyApi", f"{JSON_FILE}:JsonStringPolicy"):
        assert _document(results, key)["Statement"][0]["Effect"] == "Allow"
        assert _source(results, key)["target"]["routes"] == []  # no methods declared


def test_cloudformation_body_policy(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, f"{YAML_FILE}:BodyApi")
    assert source["origin"] == "Body x-amazon-apigateway-policy of AWS::ApiGateway::RestApi BodyApi"
    assert source["evaluated_keys"] == ["Properties/Body"]
    assert _document(results, f"{YAML_FILE}:BodyApi")["Statement"][0]["Resource"] == "execute-api:/v1/*"
    assert source["target"]["routes"] == ["live/GET/pets", "live/*/pets"]
    assert source["authorization"] == {"GET /pets": "CUSTOM", "ANY /pets": "NONE"}


def test_cloudformation_body_as_string_and_include(results: Dict[str, Dict[str, Any]]) -> None:
    string_body = _source(results, f"{YAML_FILE}:StringBodyApi")
    assert _document(results, f"{YAML_FILE}:StringBodyApi") == {"Version": "2012-10-17", "Statement": []}
    assert string_body["target"]["routes"] == ["*/PATCH/s"]
    included = _source(results, f"{YAML_FILE}:IncludeApi")
    assert included["document"] is None and "Fn::Transform" in included["problem"]
    assert "AWS::Include" in included["problem"] and included["target"]["routes"] == []


def test_cloudformation_json_template(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, f"{JSON_FILE}:JsonApi")
    assert source["syntax"] == "json" and source["origin"].startswith("Policy of AWS::ApiGateway::RestApi JsonApi")
    assert _document(results, f"{JSON_FILE}:JsonApi")["Statement"][0]["Effect"] == "Deny"
    assert source["target"]["routes"] == ["*/GET/"]


def test_cloudformation_body_s3_location(results: Dict[str, Dict[str, Any]]) -> None:
    s3 = _source(results, f"{YAML_FILE}:S3Api")
    assert s3["document"] is None and "BodyS3Location" in s3["problem"] and "cannot read" in s3["problem"]
    with_policy = _source(results, f"{YAML_FILE}:S3ApiWithPolicy")  # a Policy elsewhere: no problem
    assert with_policy["problem"] is None and with_policy["document"] == {"Version": "2012-10-17", "Statement": []}


def test_cloudformation_not_private_and_missing(results: Dict[str, Dict[str, Any]]) -> None:
    assert _source(results, f"{YAML_FILE}:RegionalApi") is None
    assert _source(results, f"{JSON_FILE}:JsonEdge") is None
    missing = _source(results, f"{YAML_FILE}:NoPolicyApi")
    assert missing["document"] is None and missing["problem"] is None and "no Policy" in missing["origin"]


# --- SAM -----------------------------------------------------------------------------------------------------------

GLOBALS_FILE = "/sam/globals.yaml"
SAM_FILE = "/sam/sam.yaml"


def test_checkov_delivers_sam_untransformed_with_globals_merged(results: Dict[str, Dict[str, Any]]) -> None:
    """Checkov runs no SAM transform: the AWS::Serverless::Api reaches the check as written, with Globals.Api merged
    into its Properties and parameter defaults substituted; no AWS::ApiGateway::RestApi appears for it or for the
    implicit API of function events."""
    record = _record(results, f"{GLOBALS_FILE}:OrdersApi")
    assert record["entity_type"] == "AWS::Serverless::Api"
    props = record["conf"]["Properties"]
    assert props["EndpointConfiguration"] == "PRIVATE"  # from Globals
    policy = props["Auth"]["ResourcePolicy"]
    assert policy["IntrinsicVpceWhitelist"] == ["vpce-0123456789abcdef0"]  # Globals, Ref default substituted
    assert policy["SourceVpcWhitelist"] == ["vpc-0123456789abcdef0", "VPC-NOT-A-VPC"]
    assert props["StageName"] == "prod"
    assert "Body" not in props and "DefinitionBody" not in props
    scanned = {(key.split(":")[0], r["entity_type"]) for key, r in results.items() if key.startswith("/sam/")}
    assert scanned == {(GLOBALS_FILE, "AWS::Serverless::Api"), (GLOBALS_FILE, "AWS::Serverless::Function"),
                       (SAM_FILE, "AWS::Serverless::Api"), (SAM_FILE, "AWS::Serverless::Function")}


def test_sam_endpoint_types(results: Dict[str, Dict[str, Any]]) -> None:
    orders = _endpoint(results, f"{GLOBALS_FILE}:OrdersApi")
    assert orders["types"] == ["PRIVATE"]
    assert orders["origin"] == "EndpointConfiguration of AWS::Serverless::Api OrdersApi"
    black = _endpoint(results, f"{SAM_FILE}:BlackApi")
    assert black["types"] == ["PRIVATE"] and black["vpc_endpoint_ids"] == ["vpce-0a1b2c3d4e5f60718"]
    edge = _endpoint(results, f"{SAM_FILE}:EdgeSam")
    assert edge["types"] == ["EDGE"] and "Serverless" in edge["origin"]
    assert _source(results, f"{SAM_FILE}:EdgeSam") is None


def _sam_statement(effect: str, resources: list, condition: Optional[dict] = None, principal: Any = "*") -> dict:
    statement = {"Effect": effect, "Action": "execute-api:Invoke", "Resource": resources, "Principal": principal}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def test_sam_resource_policy_whitelist_as_sam_writes_it(results: Dict[str, Dict[str, Any]]) -> None:
    """Event-level policies first (functions are translated before APIs), then per path the API's Allow + Deny
    (StringNotEquals over aws:SourceVpc and aws:SourceVpce in one condition), then CustomStatements; path
    parameters become "*", values not starting with vpc-/vpce- are dropped, Cors adds OPTIONS first."""
    source = _source(results, f"{GLOBALS_FILE}:OrdersApi")
    assert source["origin"] == ("SAM Auth.ResourcePolicy + SAM Auth.ResourcePolicy of events OrdersFn.Any of "
                                "AWS::Serverless::Api OrdersApi")
    assert source["evaluated_keys"] == ["Properties/Auth/ResourcePolicy"]
    whitelist = {"StringNotEquals": {"aws:SourceVpc": ["vpc-0123456789abcdef0"],
                                     "aws:SourceVpce": ["vpce-0123456789abcdef0"]}}
    items, orders = "execute-api:/prod/*/items/*", "execute-api:/prod/GET/orders/*"
    assert _document(results, f"{GLOBALS_FILE}:OrdersApi") == {"Version": "2012-10-17", "Statement": [
        _sam_statement("Allow", [items]),
        _sam_statement("Deny", [items], {"IpAddress": {"aws:SourceIp": ["198.51.100.0/24"]}}),
        _sam_statement("Allow", [orders, "execute-api:/prod/OPTIONS/orders/*"]),
        _sam_statement("Deny", [orders, "execute-api:/prod/OPTIONS/orders/*"], whitelist),
        _sam_statement("Allow", [items, "execute-api:/prod/OPTIONS/items/*"]),
        _sam_statement("Deny", [items, "execute-api:/prod/OPTIONS/items/*"], whitelist),
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
    ]}
    # SAM's extra stage "Stage" (no OpenApiVersion) is a route too, and no generated statement names it
    assert sorted(source["target"]["routes"]) == sorted(
        f"{stage}/{route}" for stage in ("prod", "Stage")
        for route in ("GET/orders/{id}", "*/items/{proxy+}", "OPTIONS/orders/{id}", "OPTIONS/items/{proxy+}"))
    assert source["authorization"] == {"GET /orders/{id}": "AWS_IAM", "ANY /items/{proxy+}": "NONE",
                                       "OPTIONS /orders/{id}": "NONE", "OPTIONS /items/{proxy+}": "NONE"}


def test_sam_blacklist_accounts_ip_and_definition_body(results: Dict[str, Dict[str, Any]]) -> None:
    source = _source(results, f"{SAM_FILE}:BlackApi")
    assert source["origin"] == ("DefinitionBody x-amazon-apigateway-policy + SAM Auth.ResourcePolicy of "
                                "AWS::Serverless::Api BlackApi")
    pets = ["execute-api:/live/GET/pets", "execute-api:/live/POST/pets"]
    assert _document(results, f"{SAM_FILE}:BlackApi")["Statement"] == [
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}}},
        _sam_statement("Allow", pets, principal={"AWS": ["111122223333"]}),
        _sam_statement("Allow", pets),
        _sam_statement("Deny", pets, {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}),
        _sam_statement("Deny", pets, {"StringEquals": {"aws:SourceVpc": ["vpc-0123456789abcdef0"]}}),
    ]
    assert source["target"]["routes"] == ["live/GET/pets", "live/POST/pets"]  # OpenApiVersion: no "Stage" stage
    # SAM adds the DefaultAuthorizer even over `security: []`; only a NONE entry opts out
    assert source["authorization"] == {"GET /pets": "COGNITO_USER_POOLS", "POST /pets": "NONE"}


def test_sam_definition_uri(results: Dict[str, Dict[str, Any]]) -> None:
    local = _source(results, f"{SAM_FILE}:UriApi")
    assert local["origin"] == "DefinitionUri file x-amazon-apigateway-policy of AWS::Serverless::Api UriApi"
    assert _document(results, f"{SAM_FILE}:UriApi")["Statement"][0]["Effect"] == "Allow"
    assert sorted(local["target"]["routes"]) == ["Stage/POST/u", "prod/POST/u"]
    s3 = _source(results, f"{SAM_FILE}:S3UriApi")
    assert s3["document"] is None and "s3://specs/api.yaml" in s3["problem"]


def test_sam_without_statements_has_no_policy(results: Dict[str, Dict[str, Any]]) -> None:
    none = _source(results, f"{SAM_FILE}:NoPolicySam")
    assert none["document"] is None and none["problem"] is None
    typo = _source(results, f"{SAM_FILE}:TypoWhitelist")  # SAM drops values that do not start with vpc-/vpce-
    assert typo["document"] is None and typo["problem"] is None
    assert "generates no statement" in typo["origin"]
    assert sorted(typo["target"]["routes"]) == ["Stage/GET/", "prod/GET/"]


# --- never raises -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("conf", [None, {}, {"endpoint_configuration": "PRIVATE"}, {"body": [42]},
                                  {"endpoint_configuration": [{"types": [[]]}]}, {"policy": [[1, 2]]}])
def test_odd_terraform_shapes_never_raise(conf: Any) -> None:
    endpoint = endpoint_type_for_terraform(conf, None, "main.tf")
    assert isinstance(endpoint, EndpointType)
    source = api_policy_for_terraform(conf, None, "main.tf", "aws_api_gateway_rest_api.x")
    assert source is None or source.problem or source.document is None or isinstance(source.document, dict)


@pytest.mark.parametrize("entity_type", ["AWS::ApiGateway::RestApi", "AWS::Serverless::Api"])
@pytest.mark.parametrize("props", [None, {"EndpointConfiguration": 7}, {"EndpointConfiguration": {"Types": "PRIVATE"},
                                                                         "Policy": "not json", "Body": "::"},
                                   {"EndpointConfiguration": "PRIVATE", "StageName": "p",
                                    "Auth": {"ResourcePolicy": {"IntrinsicVpceWhitelist": "vpce-1"}}}])
def test_odd_cloudformation_shapes_never_raise(entity_type: str, props: Any) -> None:
    conf = {"Type": entity_type, "Properties": props}
    endpoint = endpoint_type_for_cloudformation(conf, entity_type, "/nowhere.yaml", "Api")
    assert isinstance(endpoint, EndpointType)
    source = api_policy_for_cloudformation(conf, entity_type, "/nowhere.yaml", "Api")
    assert source is None or source.problem or source.document is None or isinstance(source.document, dict)


# --- Methods with authorization NONE (docs/semantics.md): a route no Allow names receives no request -------------

def _stage_policy(allow_resources: Any, allow_key: str = "Resource") -> Dict[str, Any]:
    return {"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", allow_key: allow_resources},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/prod/*",
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}}},
    ]}


def _stage_verdict(policy: Dict[str, Any], needing_allow: bool, name: str = "abc123defg"):
    from vpce_checks.engine.perimeter import perimeter_of
    from vpce_checks.engine.services import Target

    routes = ("prod/GET/shifts", "Stage/GET/shifts")
    target = Target("execute-api", name, account="111122223333", region="eu-west-1", routes=routes,
                    routes_needing_allow=routes if needing_allow else ())
    return perimeter_of(parse_policy(policy), target)


def test_none_authorization_route_without_allow_is_left_out_and_named():
    verdict = _stage_verdict(_stage_policy(["execute-api:/prod/GET/shifts"]), needing_allow=True)
    assert verdict.status == "pass", verdict.reason
    assert any("Stage/GET/shifts" in line and "authorization NONE" in line for line in verdict.excused)


def test_iam_authorization_route_stays_and_fails():
    verdict = _stage_verdict(_stage_policy(["execute-api:/prod/GET/shifts"]), needing_allow=False)
    assert verdict.status == "fail"
    assert "/Stage/GET/shifts" in verdict.counterexample.resource


@pytest.mark.parametrize("resources, key", [
    (["execute-api:/*"], "Resource"),  # the Allow names the Stage route too
    (["execute-api:/${aws:username}/GET/shifts"], "Resource"),  # a policy variable: not certain
    (["execute-api:/prod/GET/shifts"], "NotResource"),  # NotResource: left to the search
])
def test_route_stays_when_an_allow_may_name_it(resources, key):
    verdict = _stage_verdict(_stage_policy(resources, key), needing_allow=True)
    assert verdict.status == "fail", verdict.reason


def test_route_stays_when_a_foreign_pattern_may_name_an_unresolved_api():
    policy = _stage_policy(["arn:aws:execute-api:eu-west-1:111122223333:abc123defg/prod/GET/shifts"])
    assert _stage_verdict(policy, needing_allow=True, name="abc123defg").status == "pass"
    assert _stage_verdict(policy, needing_allow=True, name="${aws_api_gateway_rest_api.api.id}").status == "fail"
