"""CKV_VPCE_5 for Terraform: a private REST API's resource policy enforces the VPC endpoint perimeter."""

from typing import Any

from vpce_checks.check_bases import TerraformCheck
from vpce_checks.checkov_glue import POLICY
from vpce_checks.finders import api_policy_for_terraform


class RestApiPolicyPerimeterTerraform(TerraformCheck):
    check_id = "CKV_VPCE_5"
    resources = ("aws_api_gateway_rest_api",)

    def find(self, conf: dict) -> Any:
        return self.shared(POLICY, api_policy_for_terraform,
                           conf, self.graph_or_none, self.file, f"{self.entity_type}.{self.resource_name}")


check = RestApiPolicyPerimeterTerraform()
