"""CKV_VPCE_7 for raw IAM policy JSON (every policy CKV_VPCE_1/2/3/9 read):
aws:SourceIp is not used to confine traffic to a VPC."""

from typing import Any

from vpce_checks.check_bases import JsonDocumentCheck
from vpce_checks.checkov_glue import JSON_SOURCES, POLICY_SERVICES, first_of_services
from vpce_checks.finders import sources_for_json


class SourceIpNotVpcPerimeterJson(JsonDocumentCheck):
    check_id = "CKV_VPCE_7"

    def find(self, conf: dict) -> Any:
        return first_of_services(self.shared(JSON_SOURCES, sources_for_json, conf, self.file), POLICY_SERVICES)


check = SourceIpNotVpcPerimeterJson()
