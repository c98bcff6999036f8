"""CKV_VPCE_3 for Terraform (HCL and plan JSON): the SNS topic's policy enforces the VPC endpoint perimeter."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from vpce_checks.adapters.terraform import source_for_terraform
from vpce_checks.checkov_glue import HIGH, run_check, scanned_file


class SnsTopicPolicyPerimeterTerraform(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="SNS topic topic policy denies requests that do not come through the allowed VPC endpoints",
            id="CKV_VPCE_3",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_sns_topic_policy", "aws_sns_topic"],
        )
        self.severity = HIGH

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: source_for_terraform(
            conf, self.entity_type, getattr(self, "graph", None), scanned_file(self)))


check = SnsTopicPolicyPerimeterTerraform()
