"""CKV_VPCE_8 for Terraform (HCL and plan JSON): the VPC endpoint policy is not full access."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from vpce_checks.adapters.endpoint import endpoint_for_terraform
from vpce_checks.checkov_glue import MEDIUM, run_check, scanned_file
from vpce_checks.judge import judge_endpoint_policy


class EndpointPolicyNotFullAccessTerraform(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="VPC endpoint policy is not full access",
            id="CKV_VPCE_8",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_vpc_endpoint", "aws_vpc_endpoint_policy"],
        )
        self.severity = MEDIUM

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: endpoint_for_terraform(
            conf, self.entity_type, getattr(self, "graph", None), scanned_file(self)), decide=judge_endpoint_policy)


check = EndpointPolicyNotFullAccessTerraform()
