"""CKV_VPCE_10 for Terraform (HCL and plan JSON): a resource control policy (aws_organizations_policy of type
RESOURCE_CONTROL_POLICY) denies requests from outside the VPC endpoint perimeter, per service it covers."""

from typing import Any

from vpce_checks.adapters.bindings import TERRAFORM_ORG_POLICY_RESOURCES
from vpce_checks.check_bases import TerraformCheck
from vpce_checks.finders import org_policy_for_terraform


class ResourceControlPolicyPerimeterTerraform(TerraformCheck):
    check_id = "CKV_VPCE_10"
    resources = TERRAFORM_ORG_POLICY_RESOURCES

    def find(self, conf: dict) -> Any:
        return org_policy_for_terraform(conf, self.entity_type, self.graph_or_none, self.file)


check = ResourceControlPolicyPerimeterTerraform()
