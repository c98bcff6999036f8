"""CKV_VPCE_1 for raw IAM policy JSON: an S3 bucket resource policy enforces the VPC endpoint perimeter."""

from typing import Any

from vpce_checks.check_bases import JsonDocumentCheck
from vpce_checks.checkov_glue import JSON_SOURCES, pick_service
from vpce_checks.finders import sources_for_json


class S3BucketPolicyPerimeterJson(JsonDocumentCheck):
    check_id = "CKV_VPCE_1"

    def find(self, conf: dict) -> Any:
        return pick_service(self.shared(JSON_SOURCES, sources_for_json, conf, self.file), "s3")


check = S3BucketPolicyPerimeterJson()
