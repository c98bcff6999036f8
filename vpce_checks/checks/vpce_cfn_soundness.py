"""CKV_VPCE_6 for CloudFormation: the named endpoints and VPCs are real and none is locked out."""

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from vpce_checks.adapters.policies import cloudformation_policy_holders, policy_for_cloudformation
from vpce_checks.checkov_glue import HIGH, entity_name, run_check, scanned_file
from vpce_checks.judge import judge_soundness


class MultiVpcePerimeterSoundCloudFormation(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Multi-VPCE / aws:SourceVpc perimeter is sound: every named endpoint can get in, and only those",
            id="CKV_VPCE_6",
            categories=[CheckCategories.IAM],
            supported_resources=cloudformation_policy_holders(),
        )
        self.severity = HIGH

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return run_check(self, conf, lambda: policy_for_cloudformation(
            conf, self.entity_type, scanned_file(self), entity_name(self)), decide=judge_soundness)


check = MultiVpcePerimeterSoundCloudFormation()
