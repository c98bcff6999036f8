"""CKV_VPCE_5 for raw IAM policy JSON: a REST API (execute-api) resource policy enforces the VPC endpoint perimeter."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.json_doc.base_json_check import BaseJsonCheck
from checkov.json_doc.enums import BlockType

from vpce_checks.adapters.rawjson import sources_for_json
from vpce_checks.checkov_glue import HIGH, pick_service, run_check, scanned_file


class RestApiPolicyPerimeterJson(BaseJsonCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Private REST API resource policy denies invocations that do not come through the allowed VPC "
                 "endpoints",
            id="CKV_VPCE_5",
            categories=[CheckCategories.IAM],
            supported_entities=["*"],
            block_type=BlockType.DOCUMENT,
        )
        self.severity = HIGH

    def scan_entity_conf(self, conf: dict, entity_type: str) -> CheckResult:
        self.entity_type = entity_type
        return run_check(self, conf, lambda: pick_service(sources_for_json(conf, scanned_file(self)), "execute-api"))


check = RestApiPolicyPerimeterJson()
