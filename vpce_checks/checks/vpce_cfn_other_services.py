"""CKV_VPCE_9 for CloudFormation: KMS, Secrets Manager, ECR, DynamoDB and EFS resource policies enforce the VPC
endpoint perimeter."""

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from vpce_checks.adapters.cloudformation import CFN_OWNER_RESOURCES, CFN_POLICY_RESOURCES, source_for_cloudformation
from vpce_checks.checkov_glue import HIGH, OTHER_SERVICES, entity_name, run_check, scanned_file


class OtherResourcePoliciesPerimeterCloudFormation(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="KMS key, Secrets Manager secret, ECR repository, DynamoDB table and EFS file system policies deny "
                 "requests that do not come through the allowed VPC endpoints",
            id="CKV_VPCE_9",
            categories=[CheckCategories.IAM],
            supported_resources=sorted(kind for kind, service in {**CFN_POLICY_RESOURCES,
                                                                  **CFN_OWNER_RESOURCES}.items()
                                       if service in OTHER_SERVICES),
        )
        self.severity = HIGH

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: source_for_cloudformation(
            conf, self.entity_type, scanned_file(self), entity_name(self)))


check = OtherResourcePoliciesPerimeterCloudFormation()
