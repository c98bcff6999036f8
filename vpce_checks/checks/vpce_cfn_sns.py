"""CKV_VPCE_3 for CloudFormation: the SNS topic's policy enforces the VPC endpoint perimeter."""

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from vpce_checks.adapters.cloudformation import source_for_cloudformation
from vpce_checks.checkov_glue import HIGH, entity_name, run_check, scanned_file


class SnsTopicPolicyPerimeterCloudFormation(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="SNS topic topic policy denies requests that do not come through the allowed VPC endpoints",
            id="CKV_VPCE_3",
            categories=[CheckCategories.IAM],
            supported_resources=["AWS::SNS::TopicPolicy", "AWS::SNS::TopicInlinePolicy", "AWS::SNS::Topic"],
        )
        self.severity = HIGH

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: source_for_cloudformation(
            conf, self.entity_type, scanned_file(self), entity_name(self)))


check = SnsTopicPolicyPerimeterCloudFormation()
