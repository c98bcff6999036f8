"""CKV_VPCE_10 for raw policy JSON: a resource control policy file (named by VPCE_CHECKS_ORG_POLICY_GLOB, or
recognised by its shape) denies requests from outside the VPC endpoint perimeter, per service it covers."""

from typing import Any

from vpce_checks.check_bases import JsonDocumentCheck
from vpce_checks.finders import org_policy_for_json


class ResourceControlPolicyPerimeterJson(JsonDocumentCheck):
    check_id = "CKV_VPCE_10"

    def find(self, conf: dict) -> Any:
        return org_policy_for_json(conf, self.file)


check = ResourceControlPolicyPerimeterJson()
