"""CKV_VPCE_2 for CloudFormation: the SQS queue's policy enforces the VPC endpoint perimeter."""

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from vpce_checks.adapters.cloudformation import source_for_cloudformation
from vpce_checks.checkov_glue import HIGH, entity_name, run_check, scanned_file


class SqsQueuePolicyPerimeterCloudFormation(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="SQS queue queue policy denies requests that do not come through the allowed VPC endpoints",
            id="CKV_VPCE_2",
            categories=[CheckCategories.IAM],
            supported_resources=["AWS::SQS::QueuePolicy", "AWS::SQS::QueueInlinePolicy", "AWS::SQS::Queue"],
        )
        self.severity = HIGH

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: source_for_cloudformation(
            conf, self.entity_type, scanned_file(self), entity_name(self)))


check = SqsQueuePolicyPerimeterCloudFormation()
