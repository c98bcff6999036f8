"""Every resource policy the pack reads, whatever its service: for the checks that judge the policy text itself
(CKV_VPCE_6 soundness, CKV_VPCE_7 aws:SourceIp) rather than one service's perimeter."""

from __future__ import annotations

from typing import Optional

from vpce_checks.adapters.apigateway import api_policy_for_cloudformation, api_policy_for_terraform
from vpce_checks.adapters.base import PolicySource
from vpce_checks.adapters.bindings import (
    CFN_API_RESOURCES,
    TERRAFORM_API_RESOURCES,
    cloudformation_policy_holders,
    terraform_policy_holders,
)

__all__ = ["cloudformation_policy_holders", "policy_for_cloudformation", "policy_for_terraform",
           "terraform_policy_holders"]

from vpce_checks.adapters.cloudformation import Readings, source_for_cloudformation
from vpce_checks.adapters.terraform.resources import source_for_terraform


def policy_for_terraform(conf: dict, entity_type: str, graph: object | None, file_path: str,
                         name: str) -> Optional[PolicySource]:
    """The policy a Terraform resource carries; a REST API's only when the API is private (CKV_VPCE_4 reports the
    others)."""
    if entity_type in TERRAFORM_API_RESOURCES:
        return api_policy_for_terraform(conf, graph, file_path, f"{entity_type}.{name}")
    return source_for_terraform(conf, entity_type, graph, file_path)


def policy_for_cloudformation(conf: dict, entity_type: str, file_path: str, logical_id: str) -> Readings:
    """The policy a CloudFormation resource carries (a list when it has several readings: one per queue or topic
    it guards, per Fn::If branch); a REST API's only when the API is private."""
    if entity_type in CFN_API_RESOURCES:
        return api_policy_for_cloudformation(conf, entity_type, file_path, logical_id)
    return source_for_cloudformation(conf, entity_type, file_path, logical_id)
