"""CKV_VPCE_6 for Terraform (HCL and plan JSON): the named endpoints and VPCs are real and none is locked out."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from vpce_checks.adapters.terraform import TERRAFORM_OWNER_RESOURCES, TERRAFORM_POLICY_RESOURCES, source_for_terraform
from vpce_checks.checkov_glue import HIGH, run_check, scanned_file
from vpce_checks.judge import judge_soundness


class MultiVpcePerimeterSoundTerraform(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Multi-VPCE / aws:SourceVpc perimeter is sound: every named endpoint can get in, and only those",
            id="CKV_VPCE_6",
            categories=[CheckCategories.IAM],
            supported_resources=sorted({**TERRAFORM_POLICY_RESOURCES, **TERRAFORM_OWNER_RESOURCES}),
        )
        self.severity = HIGH

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: source_for_terraform(
            conf, self.entity_type, getattr(self, "graph", None), scanned_file(self)), decide=judge_soundness)


check = MultiVpcePerimeterSoundTerraform()
