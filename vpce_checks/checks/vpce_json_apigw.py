"""CKV_VPCE_5 for raw IAM policy JSON: a REST API (execute-api) resource policy enforces the VPC endpoint perimeter."""

from typing import Any

from vpce_checks.check_bases import JsonDocumentCheck
from vpce_checks.checkov_glue import JSON_SOURCES, pick_service
from vpce_checks.finders import sources_for_json


class RestApiPolicyPerimeterJson(JsonDocumentCheck):
    check_id = "CKV_VPCE_5"

    def find(self, conf: dict) -> Any:
        return pick_service(self.shared(JSON_SOURCES, sources_for_json, conf, self.file), "execute-api")


check = RestApiPolicyPerimeterJson()
