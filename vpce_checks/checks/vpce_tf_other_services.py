"""CKV_VPCE_9 for Terraform (HCL and plan JSON): KMS, Secrets Manager, ECR, DynamoDB and EFS resource policies
enforce the VPC endpoint perimeter."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from vpce_checks.adapters.terraform import TERRAFORM_OWNER_RESOURCES, TERRAFORM_POLICY_RESOURCES, source_for_terraform
from vpce_checks.checkov_glue import HIGH, OTHER_SERVICES, run_check, scanned_file


class OtherResourcePoliciesPerimeterTerraform(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="KMS key, Secrets Manager secret, ECR repository, DynamoDB table and EFS file system policies deny "
                 "requests that do not come through the allowed VPC endpoints",
            id="CKV_VPCE_9",
            categories=[CheckCategories.IAM],
            supported_resources=sorted(kind for kind, service in {**TERRAFORM_POLICY_RESOURCES,
                                                                  **TERRAFORM_OWNER_RESOURCES}.items()
                                       if service in OTHER_SERVICES),
        )
        self.severity = HIGH

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: source_for_terraform(
            conf, self.entity_type, getattr(self, "graph", None), scanned_file(self)))


check = OtherResourcePoliciesPerimeterTerraform()
