"""CKV_VPCE_3 for Terraform (HCL and plan JSON): the SNS topic's policy enforces the VPC endpoint perimeter."""

from typing import Any

from vpce_checks.check_bases import TerraformCheck
from vpce_checks.checkov_glue import POLICY
from vpce_checks.finders import source_for_terraform


class SnsTopicPolicyPerimeterTerraform(TerraformCheck):
    check_id = "CKV_VPCE_3"
    resources = ("aws_sns_topic_policy", "aws_sns_topic")

    def find(self, conf: dict) -> Any:
        return self.shared(POLICY, source_for_terraform, conf, self.entity_type, self.graph_or_none, self.file)


check = SnsTopicPolicyPerimeterTerraform()
