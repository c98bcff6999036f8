"""CKV_VPCE_9 for raw IAM policy JSON: a KMS key, Secrets Manager secret, ECR repository, DynamoDB table or EFS file
system resource policy enforces the VPC endpoint perimeter."""

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.json_doc.base_json_check import BaseJsonCheck
from checkov.json_doc.enums import BlockType

from vpce_checks.adapters.rawjson import sources_for_json
from vpce_checks.checkov_glue import HIGH, OTHER_SERVICES, first_of_services, run_check, scanned_file


class OtherResourcePoliciesPerimeterJson(BaseJsonCheck):
    def __init__(self) -> None:
        super().__init__(
            name="KMS key, Secrets Manager secret, ECR repository, DynamoDB table and EFS file system policies deny "
                 "requests that do not come through the allowed VPC endpoints",
            id="CKV_VPCE_9",
            categories=[CheckCategories.IAM],
            supported_entities=["*"],
            block_type=BlockType.DOCUMENT,
        )
        self.severity = HIGH

    def scan_entity_conf(self, conf: dict, entity_type: str) -> CheckResult:
        self.entity_type = entity_type
        return run_check(self, conf, lambda: first_of_services(
            sources_for_json(conf, scanned_file(self)), OTHER_SERVICES))


check = OtherResourcePoliciesPerimeterJson()
