"""CKV_VPCE_10 for CloudFormation: a resource control policy (AWS::Organizations::Policy of Type
RESOURCE_CONTROL_POLICY) denies requests from outside the VPC endpoint perimeter, per service it covers."""

from typing import Any

from vpce_checks.adapters.bindings import CFN_ORG_POLICY_RESOURCES
from vpce_checks.check_bases import CloudFormationCheck
from vpce_checks.finders import org_policy_for_cloudformation


class ResourceControlPolicyPerimeterCloudFormation(CloudFormationCheck):
    check_id = "CKV_VPCE_10"
    resources = CFN_ORG_POLICY_RESOURCES

    def find(self, conf: dict) -> Any:
        return org_policy_for_cloudformation(conf, self.entity_type, self.file, self.resource_name)


check = ResourceControlPolicyPerimeterCloudFormation()
