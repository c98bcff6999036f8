"""CKV_VPCE_5 for CloudFormation and SAM: a private REST API's resource policy enforces the perimeter."""

from typing import Any

from vpce_checks.check_bases import CloudFormationCheck
from vpce_checks.checkov_glue import POLICY
from vpce_checks.finders import api_policy_for_cloudformation


class RestApiPolicyPerimeterCloudFormation(CloudFormationCheck):
    check_id = "CKV_VPCE_5"
    resources = ("AWS::ApiGateway::RestApi", "AWS::Serverless::Api")

    def find(self, conf: dict) -> Any:
        return self.shared(POLICY, api_policy_for_cloudformation, conf, self.entity_type, self.file, self.resource_name)


check = RestApiPolicyPerimeterCloudFormation()
