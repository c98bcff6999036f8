"""CKV_VPCE_9 for CloudFormation: KMS, Secrets Manager, ECR, DynamoDB and EFS resource policies enforce the VPC
endpoint perimeter."""

from typing import Any

from vpce_checks.adapters.bindings import CFN_OWNER_RESOURCES, CFN_POLICY_RESOURCES
from vpce_checks.check_bases import CloudFormationCheck
from vpce_checks.checkov_glue import OTHER_SERVICES, POLICY
from vpce_checks.finders import source_for_cloudformation


class OtherResourcePoliciesPerimeterCloudFormation(CloudFormationCheck):
    check_id = "CKV_VPCE_9"
    resources = sorted(kind for kind, service in {**CFN_POLICY_RESOURCES, **CFN_OWNER_RESOURCES}.items()
                       if service in OTHER_SERVICES)

    def find(self, conf: dict) -> Any:
        return self.shared(POLICY, source_for_cloudformation, conf, self.entity_type, self.file, self.resource_name)


check = OtherResourcePoliciesPerimeterCloudFormation()
