"""CKV_VPCE_7 for Terraform (HCL and plan JSON): aws:SourceIp is not used to confine traffic to a VPC."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from vpce_checks.adapters.terraform import TERRAFORM_OWNER_RESOURCES, TERRAFORM_POLICY_RESOURCES, source_for_terraform
from vpce_checks.checkov_glue import MEDIUM, run_check, scanned_file
from vpce_checks.judge import judge_source_ip


class SourceIpNotVpcPerimeterTerraform(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="aws:SourceIp is not used to confine traffic to a VPC",
            id="CKV_VPCE_7",
            categories=[CheckCategories.IAM],
            supported_resources=sorted({**TERRAFORM_POLICY_RESOURCES, **TERRAFORM_OWNER_RESOURCES}),
        )
        self.severity = MEDIUM

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: source_for_terraform(
            conf, self.entity_type, getattr(self, "graph", None), scanned_file(self)), decide=judge_source_ip)


check = SourceIpNotVpcPerimeterTerraform()
