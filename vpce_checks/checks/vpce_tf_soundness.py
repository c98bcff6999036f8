"""CKV_VPCE_6 for Terraform (HCL and plan JSON): the named endpoints and VPCs are real and none is locked out."""

from typing import Any

from vpce_checks.adapters.bindings import terraform_policy_holders
from vpce_checks.check_bases import TerraformCheck
from vpce_checks.checkov_glue import POLICY
from vpce_checks.finders import policy_for_terraform


class MultiVpcePerimeterSoundTerraform(TerraformCheck):
    check_id = "CKV_VPCE_6"
    resources = terraform_policy_holders()

    def find(self, conf: dict) -> Any:
        return self.shared(POLICY, policy_for_terraform,
                           conf, self.entity_type, self.graph_or_none, self.file, self.resource_name)


check = MultiVpcePerimeterSoundTerraform()
