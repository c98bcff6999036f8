"""CKV_VPCE_4 for CloudFormation and SAM: a REST API's endpoint type is exactly PRIVATE."""

from typing import Any

from vpce_checks.check_bases import CloudFormationCheck
from vpce_checks.checkov_glue import ENDPOINT_TYPE
from vpce_checks.finders import endpoint_type_for_cloudformation


class RestApiPrivateCloudFormation(CloudFormationCheck):
    check_id = "CKV_VPCE_4"
    resources = ("AWS::ApiGateway::RestApi", "AWS::Serverless::Api")

    def find(self, conf: dict) -> Any:
        return self.shared(ENDPOINT_TYPE, endpoint_type_for_cloudformation,
                           conf, self.entity_type, self.file, self.resource_name)


check = RestApiPrivateCloudFormation()
