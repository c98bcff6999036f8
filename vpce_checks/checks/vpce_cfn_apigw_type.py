"""CKV_VPCE_4 for CloudFormation and SAM: a REST API's endpoint type is exactly PRIVATE."""

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from vpce_checks.adapters.apigateway import endpoint_type_for_cloudformation
from vpce_checks.checkov_glue import HIGH, entity_name, run_check, scanned_file
from vpce_checks.judge import judge_endpoint_type


class RestApiPrivateCloudFormation(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="REST API endpoint type is exactly PRIVATE",
            id="CKV_VPCE_4",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["AWS::ApiGateway::RestApi", "AWS::Serverless::Api"],
        )
        self.severity = HIGH

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: endpoint_type_for_cloudformation(
            conf, self.entity_type, scanned_file(self), entity_name(self)), decide=judge_endpoint_type)


check = RestApiPrivateCloudFormation()
