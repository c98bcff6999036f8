"""CKV_VPCE_8 for raw JSON: a VPC endpoint policy file (matched by VPCE_CHECKS_ENDPOINT_POLICY_GLOB) is not full
access. Without the setting no JSON file is an endpoint policy and this check gives no result."""

from typing import Any

from vpce_checks.check_bases import JsonDocumentCheck
from vpce_checks.checkov_glue import ENDPOINT_POLICY
from vpce_checks.finders import endpoint_for_json


class EndpointPolicyNotFullAccessJson(JsonDocumentCheck):
    check_id = "CKV_VPCE_8"

    def find(self, conf: dict) -> Any:
        return self.shared(ENDPOINT_POLICY, endpoint_for_json, conf, self.file)


check = EndpointPolicyNotFullAccessJson()
