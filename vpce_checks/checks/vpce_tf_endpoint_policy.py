"""CKV_VPCE_8 for Terraform (HCL and plan JSON): the VPC endpoint policy is not full access."""

from typing import Any

from vpce_checks.check_bases import TerraformCheck
from vpce_checks.checkov_glue import ENDPOINT_POLICY
from vpce_checks.finders import endpoint_for_terraform


class EndpointPolicyNotFullAccessTerraform(TerraformCheck):
    check_id = "CKV_VPCE_8"
    resources = ("aws_vpc_endpoint", "aws_vpc_endpoint_policy")

    def find(self, conf: dict) -> Any:
        return self.shared(ENDPOINT_POLICY, endpoint_for_terraform,
                           conf, self.entity_type, self.graph_or_none, self.file)


check = EndpointPolicyNotFullAccessTerraform()
