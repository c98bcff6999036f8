"""CKV_VPCE_4 for Terraform: a REST API's endpoint type is exactly PRIVATE."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from vpce_checks.adapters.apigateway import endpoint_type_for_terraform
from vpce_checks.checkov_glue import HIGH, run_check, scanned_file
from vpce_checks.judge import judge_endpoint_type


class RestApiPrivateTerraform(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="REST API endpoint type is exactly PRIVATE",
            id="CKV_VPCE_4",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_api_gateway_rest_api"],
        )
        self.severity = HIGH

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: endpoint_type_for_terraform(
            conf, getattr(self, "graph", None), scanned_file(self)), decide=judge_endpoint_type)


check = RestApiPrivateTerraform()
