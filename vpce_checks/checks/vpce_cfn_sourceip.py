"""CKV_VPCE_7 for CloudFormation: aws:SourceIp is not used to confine traffic to a VPC."""

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from vpce_checks.adapters.policies import cloudformation_policy_holders, policy_for_cloudformation
from vpce_checks.checkov_glue import MEDIUM, entity_name, run_check, scanned_file
from vpce_checks.judge import judge_source_ip


class SourceIpNotVpcPerimeterCloudFormation(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="aws:SourceIp is not used to confine traffic to a VPC",
            id="CKV_VPCE_7",
            categories=[CheckCategories.IAM],
            supported_resources=cloudformation_policy_holders(),
        )
        self.severity = MEDIUM

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: policy_for_cloudformation(
            conf, self.entity_type, scanned_file(self), entity_name(self)), decide=judge_source_ip)


check = SourceIpNotVpcPerimeterCloudFormation()
