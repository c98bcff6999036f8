"""CKV_VPCE_1 for CloudFormation: the S3 bucket's policy enforces the VPC endpoint perimeter."""

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from vpce_checks.adapters.cloudformation import source_for_cloudformation
from vpce_checks.checkov_glue import HIGH, entity_name, run_check, scanned_file


class S3BucketPolicyPerimeterCloudFormation(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="S3 bucket bucket policy denies requests that do not come through the allowed VPC endpoints",
            id="CKV_VPCE_1",
            categories=[CheckCategories.IAM],
            supported_resources=["AWS::S3::BucketPolicy", "AWS::S3::Bucket"],
        )
        self.severity = HIGH

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: source_for_cloudformation(
            conf, self.entity_type, scanned_file(self), entity_name(self)))


check = S3BucketPolicyPerimeterCloudFormation()
