"""CKV_VPCE_9 for Terraform (HCL and plan JSON): KMS, Secrets Manager, ECR, DynamoDB and EFS resource policies
enforce the VPC endpoint perimeter."""

from typing import Any

from vpce_checks.adapters.bindings import TERRAFORM_OWNER_RESOURCES, TERRAFORM_POLICY_RESOURCES
from vpce_checks.check_bases import TerraformCheck
from vpce_checks.checkov_glue import OTHER_SERVICES, POLICY
from vpce_checks.finders import source_for_terraform


class OtherResourcePoliciesPerimeterTerraform(TerraformCheck):
    check_id = "CKV_VPCE_9"
    resources = sorted(kind for kind, service in {**TERRAFORM_POLICY_RESOURCES, **TERRAFORM_OWNER_RESOURCES}.items()
                       if service in OTHER_SERVICES)

    def find(self, conf: dict) -> Any:
        return self.shared(POLICY, source_for_terraform, conf, self.entity_type, self.graph_or_none, self.file)


check = OtherResourcePoliciesPerimeterTerraform()
