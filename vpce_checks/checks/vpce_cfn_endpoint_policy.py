"""CKV_VPCE_8 for CloudFormation: the VPC endpoint policy (PolicyDocument) is not full access."""

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from vpce_checks.adapters.endpoint import endpoint_for_cloudformation
from vpce_checks.checkov_glue import MEDIUM, entity_name, run_check, scanned_file
from vpce_checks.judge import judge_endpoint_policy


class EndpointPolicyNotFullAccessCloudFormation(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="VPC endpoint policy is not full access",
            id="CKV_VPCE_8",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["AWS::EC2::VPCEndpoint"],
        )
        self.severity = MEDIUM

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: endpoint_for_cloudformation(
            conf, self.entity_type, scanned_file(self), entity_name(self)), decide=judge_endpoint_policy)


check = EndpointPolicyNotFullAccessCloudFormation()
