"""CKV_VPCE_7 for Terraform (HCL and plan JSON): aws:SourceIp is not used to confine traffic to a VPC."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from vpce_checks.adapters.policies import policy_for_terraform, terraform_policy_holders
from vpce_checks.checkov_glue import MEDIUM, entity_name, run_check, scanned_file
from vpce_checks.judge import judge_source_ip


class SourceIpNotVpcPerimeterTerraform(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="aws:SourceIp is not used to confine traffic to a VPC",
            id="CKV_VPCE_7",
            categories=[CheckCategories.IAM],
            supported_resources=terraform_policy_holders(),
        )
        self.severity = MEDIUM

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        graph = getattr(self, "graph", None)
        return run_check(self, conf, lambda: policy_for_terraform(
            conf, self.entity_type, graph, scanned_file(self), entity_name(self)), decide=judge_source_ip)


check = SourceIpNotVpcPerimeterTerraform()
