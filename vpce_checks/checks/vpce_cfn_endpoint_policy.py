"""CKV_VPCE_8 for CloudFormation: the VPC endpoint policy (PolicyDocument) is not full access."""

from typing import Any

from vpce_checks.check_bases import CloudFormationCheck
from vpce_checks.checkov_glue import ENDPOINT_POLICY
from vpce_checks.finders import endpoint_for_cloudformation


class EndpointPolicyNotFullAccessCloudFormation(CloudFormationCheck):
    check_id = "CKV_VPCE_8"
    resources = ("AWS::EC2::VPCEndpoint",)

    def find(self, conf: dict) -> Any:
        return self.shared(ENDPOINT_POLICY, endpoint_for_cloudformation,
                           conf, self.entity_type, self.file, self.resource_name)


check = EndpointPolicyNotFullAccessCloudFormation()
