"""CKV_VPCE_8 for raw JSON: a VPC endpoint policy file (matched by VPCE_CHECKS_ENDPOINT_POLICY_GLOB) is not full
access. Without the setting no JSON file is an endpoint policy and this check gives no result."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.json_doc.base_json_check import BaseJsonCheck
from checkov.json_doc.enums import BlockType

from vpce_checks.adapters.endpoint import endpoint_for_json
from vpce_checks.checkov_glue import MEDIUM, run_check, scanned_file
from vpce_checks.judge import judge_endpoint_policy


class EndpointPolicyNotFullAccessJson(BaseJsonCheck):
    def __init__(self) -> None:
        super().__init__(
            name="VPC endpoint policy is not full access",
            id="CKV_VPCE_8",
            categories=[CheckCategories.NETWORKING],
            supported_entities=["*"],
            block_type=BlockType.DOCUMENT,
        )
        self.severity = MEDIUM

    def scan_entity_conf(self, conf: dict, entity_type: str) -> CheckResult:
        self.entity_type = entity_type
        return run_check(self, conf, lambda: endpoint_for_json(conf, scanned_file(self)),
                         decide=judge_endpoint_policy)


check = EndpointPolicyNotFullAccessJson()
