"""CKV_VPCE_1 for Terraform (HCL and plan JSON): the S3 bucket's policy enforces the VPC endpoint perimeter."""

from typing import Any

from vpce_checks.check_bases import TerraformCheck
from vpce_checks.checkov_glue import POLICY
from vpce_checks.finders import source_for_terraform


class S3BucketPolicyPerimeterTerraform(TerraformCheck):
    check_id = "CKV_VPCE_1"
    resources = ("aws_s3_bucket_policy", "aws_s3_bucket")

    def find(self, conf: dict) -> Any:
        return self.shared(POLICY, source_for_terraform, conf, self.entity_type, self.graph_or_none, self.file)


check = S3BucketPolicyPerimeterTerraform()
