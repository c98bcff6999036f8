"""CKV_VPCE_7 for raw IAM policy JSON (every policy CKV_VPCE_1/2/3/9 read):
aws:SourceIp is not used to confine traffic to a VPC."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.json_doc.base_json_check import BaseJsonCheck
from checkov.json_doc.enums import BlockType

from vpce_checks.adapters.rawjson import sources_for_json
from vpce_checks.checkov_glue import MEDIUM, POLICY_SERVICES, first_of_services, run_check, scanned_file
from vpce_checks.judge import judge_source_ip


class SourceIpNotVpcPerimeterJson(BaseJsonCheck):
    def __init__(self) -> None:
        super().__init__(
            name="aws:SourceIp is not used to confine traffic to a VPC",
            id="CKV_VPCE_7",
            categories=[CheckCategories.IAM],
            supported_entities=["*"],
            block_type=BlockType.DOCUMENT,
        )
        self.severity = MEDIUM

    def scan_entity_conf(self, conf: dict, entity_type: str) -> CheckResult:
        self.entity_type = entity_type
        return run_check(self, conf, lambda: first_of_services(
            sources_for_json(conf, scanned_file(self)), POLICY_SERVICES), decide=judge_source_ip)


check = SourceIpNotVpcPerimeterJson()
