"""CKV_VPCE_5 for CloudFormation and SAM: a private REST API's resource policy enforces the perimeter."""

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from vpce_checks.adapters.apigateway import api_policy_for_cloudformation
from vpce_checks.checkov_glue import HIGH, entity_name, run_check, scanned_file


class RestApiPolicyPerimeterCloudFormation(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Private REST API resource policy denies invocations that do not come through the allowed VPC "
                 "endpoints",
            id="CKV_VPCE_5",
            categories=[CheckCategories.IAM],
            supported_resources=["AWS::ApiGateway::RestApi", "AWS::Serverless::Api"],
        )
        self.severity = HIGH

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: api_policy_for_cloudformation(
            conf, self.entity_type, scanned_file(self), entity_name(self)))


check = RestApiPolicyPerimeterCloudFormation()
