"""CKV_VPCE_1 for CloudFormation: the S3 bucket's policy enforces the VPC endpoint perimeter."""

from typing import Any

from vpce_checks.check_bases import CloudFormationCheck
from vpce_checks.checkov_glue import POLICY
from vpce_checks.finders import source_for_cloudformation


class S3BucketPolicyPerimeterCloudFormation(CloudFormationCheck):
    check_id = "CKV_VPCE_1"
    resources = ("AWS::S3::BucketPolicy", "AWS::S3::Bucket")

    def find(self, conf: dict) -> Any:
        return self.shared(POLICY, source_for_cloudformation, conf, self.entity_type, self.file, self.resource_name)


check = S3BucketPolicyPerimeterCloudFormation()
