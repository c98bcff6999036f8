"""CKV_VPCE_7 for CloudFormation: aws:SourceIp is not used to confine traffic to a VPC."""

from typing import Any

from vpce_checks.adapters.bindings import cloudformation_policy_holders
from vpce_checks.check_bases import CloudFormationCheck
from vpce_checks.checkov_glue import POLICY
from vpce_checks.finders import policy_for_cloudformation


class SourceIpNotVpcPerimeterCloudFormation(CloudFormationCheck):
    check_id = "CKV_VPCE_7"
    resources = cloudformation_policy_holders()

    def find(self, conf: dict) -> Any:
        return self.shared(POLICY, policy_for_cloudformation, conf, self.entity_type, self.file, self.resource_name)


check = SourceIpNotVpcPerimeterCloudFormation()
