"""Every resource policy the pack reads, whatever its service: for the checks that judge the policy text itself
(CKV_VPCE_6 soundness, CKV_VPCE_7 aws:SourceIp) rather than one service's perimeter."""

from __future__ import annotations

from typing import List, Optional

from vpce_checks.adapters.apigateway import api_policy_for_cloudformation, api_policy_for_terraform
from vpce_checks.adapters.base import PolicySource
from vpce_checks.adapters.bindings import (
    CFN_API_RESOURCES,
    CFN_OWNER_RESOURCES,
    CFN_POLICY_RESOURCES,
    TERRAFORM_API_RESOURCES,
    TERRAFORM_OWNER_RESOURCES,
    TERRAFORM_POLICY_RESOURCES,
)
from vpce_checks.adapters.cloudformation import Readings, source_for_cloudformation
from vpce_checks.adapters.terraform import source_for_terraform


def terraform_policy_holders() -> List[str]:
    """Terraform resource types that carry or point at a resource policy (bucket, queue, ..., REST API)."""
    return sorted({*TERRAFORM_POLICY_RESOURCES, *TERRAFORM_OWNER_RESOURCES, *TERRAFORM_API_RESOURCES})


def cloudformation_policy_holders() -> List[str]:
    """CloudFormation resource types that carry or point at a resource policy."""
    return sorted({*CFN_POLICY_RESOURCES, *CFN_OWNER_RESOURCES, *CFN_API_RESOURCES})


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
