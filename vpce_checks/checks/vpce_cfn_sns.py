"""CKV_VPCE_3 for CloudFormation: the SNS topic's policy enforces the VPC endpoint perimeter."""

from typing import Any

from vpce_checks.check_bases import CloudFormationCheck
from vpce_checks.checkov_glue import POLICY
from vpce_checks.finders import source_for_cloudformation


class SnsTopicPolicyPerimeterCloudFormation(CloudFormationCheck):
    check_id = "CKV_VPCE_3"
    resources = ("AWS::SNS::TopicPolicy", "AWS::SNS::TopicInlinePolicy", "AWS::SNS::Topic")

    def find(self, conf: dict) -> Any:
        return self.shared(POLICY, source_for_cloudformation, conf, self.entity_type, self.file, self.resource_name)


check = SnsTopicPolicyPerimeterCloudFormation()
