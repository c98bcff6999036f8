"""CKV_VPCE_7 for CloudFormation: aws:SourceIp is not used to confine traffic to a VPC."""

from typing import Any

from vpce_checks.adapters.policies import cloudformation_policy_holders, policy_for_cloudformation
from vpce_checks.check_bases import CloudFormationCheck
from vpce_checks.checkov_glue import POLICY


class SourceIpNotVpcPerimeterCloudFormation(CloudFormationCheck):
    check_id = "CKV_VPCE_7"
    resources = cloudformation_policy_holders()

    def find(self, conf: dict) -> Any:
        return self.shared(POLICY, policy_for_cloudformation, conf, self.entity_type, self.file, self.resource_name)


check = SourceIpNotVpcPerimeterCloudFormation()
