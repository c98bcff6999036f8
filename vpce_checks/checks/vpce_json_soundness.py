"""CKV_VPCE_6 for raw IAM policy JSON (every policy CKV_VPCE_1/2/3/9 read):
the named endpoints and VPCs are real and none is locked out."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.json_doc.base_json_check import BaseJsonCheck
from checkov.json_doc.enums import BlockType

from vpce_checks.adapters.rawjson import sources_for_json
from vpce_checks.checkov_glue import HIGH, POLICY_SERVICES, first_of_services, run_check, scanned_file
from vpce_checks.judge import judge_soundness


class MultiVpcePerimeterSoundJson(BaseJsonCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Multi-VPCE / aws:SourceVpc perimeter is sound: every named endpoint can get in, and only those",
            id="CKV_VPCE_6",
            categories=[CheckCategories.IAM],
            supported_entities=["*"],
            block_type=BlockType.DOCUMENT,
        )
        self.severity = HIGH

    def scan_entity_conf(self, conf: dict, entity_type: str) -> CheckResult:
        self.entity_type = entity_type
        return run_check(self, conf, lambda: first_of_services(
            sources_for_json(conf, scanned_file(self)), POLICY_SERVICES), decide=judge_soundness)


check = MultiVpcePerimeterSoundJson()
