"""CKV_VPCE_5 for Terraform: a private REST API's resource policy enforces the VPC endpoint perimeter."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from vpce_checks.adapters.apigateway import api_policy_for_terraform
from vpce_checks.checkov_glue import HIGH, entity_name, run_check, scanned_file


class RestApiPolicyPerimeterTerraform(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Private REST API resource policy denies invocations that do not come through the allowed VPC "
                 "endpoints",
            id="CKV_VPCE_5",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_api_gateway_rest_api"],
        )
        self.severity = HIGH

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: api_policy_for_terraform(
            conf, getattr(self, "graph", None), scanned_file(self), f"{self.entity_type}.{entity_name(self)}"))


check = RestApiPolicyPerimeterTerraform()
