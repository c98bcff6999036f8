"""CKV_VPCE_2 for CloudFormation: the SQS queue's policy enforces the VPC endpoint perimeter."""

from typing import Any

from vpce_checks.check_bases import CloudFormationCheck
from vpce_checks.checkov_glue import POLICY
from vpce_checks.finders import source_for_cloudformation


class SqsQueuePolicyPerimeterCloudFormation(CloudFormationCheck):
    check_id = "CKV_VPCE_2"
    resources = ("AWS::SQS::QueuePolicy", "AWS::SQS::QueueInlinePolicy", "AWS::SQS::Queue")

    def find(self, conf: dict) -> Any:
        return self.shared(POLICY, source_for_cloudformation, conf, self.entity_type, self.file, self.resource_name)


check = SqsQueuePolicyPerimeterCloudFormation()
