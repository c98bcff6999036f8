"""CKV_VPCE_9 for raw IAM policy JSON: a KMS key, Secrets Manager secret, ECR repository, DynamoDB table or EFS file
system resource policy enforces the VPC endpoint perimeter."""

from typing import Any

from vpce_checks.check_bases import JsonDocumentCheck
from vpce_checks.checkov_glue import JSON_SOURCES, OTHER_SERVICES, first_of_services
from vpce_checks.finders import sources_for_json


class OtherResourcePoliciesPerimeterJson(JsonDocumentCheck):
    check_id = "CKV_VPCE_9"

    def find(self, conf: dict) -> Any:
        return first_of_services(self.shared(JSON_SOURCES, sources_for_json, conf, self.file), OTHER_SERVICES)


check = OtherResourcePoliciesPerimeterJson()
