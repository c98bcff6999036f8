"""CKV_VPCE_4 for Terraform: a REST API's endpoint type is exactly PRIVATE."""

from typing import Any

from vpce_checks.check_bases import TerraformCheck
from vpce_checks.checkov_glue import ENDPOINT_TYPE
from vpce_checks.finders import endpoint_type_for_terraform


class RestApiPrivateTerraform(TerraformCheck):
    check_id = "CKV_VPCE_4"
    resources = ("aws_api_gateway_rest_api",)

    def find(self, conf: dict) -> Any:
        return self.shared(ENDPOINT_TYPE, endpoint_type_for_terraform, conf, self.graph_or_none, self.file)


check = RestApiPrivateTerraform()
