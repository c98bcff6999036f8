"""The adapters' entry points as the check files name them, each importing its adapter on first call.

Checkov imports every check file in each of its runner processes (about 20 per scan; docs/performance.md), and
most of them never run a check: the readers, the engine and YAML/OpenAPI parsing load only where a check runs.
Each function has its adapter's signature and answer; the adapters' docstrings say what they read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional, Union

if TYPE_CHECKING:
    from vpce_checks.adapters.apigateway import EndpointType
    from vpce_checks.adapters.base import PolicySource
    from vpce_checks.adapters.cloudformation.template import Readings
    from vpce_checks.adapters.endpoint import EndpointPolicySource
    from vpce_checks.adapters.organizations import OrgPolicySource


# Terraform (HCL and plan JSON)

def source_for_terraform(conf: dict, entity_type: str, graph: object | None, file_path: str) -> PolicySource | None:
    from vpce_checks.adapters.terraform.resources import source_for_terraform as read

    return read(conf, entity_type, graph, file_path)


def policy_for_terraform(conf: dict, entity_type: str, graph: object | None, file_path: str,
                         name: str) -> Optional[PolicySource]:
    from vpce_checks.adapters.policies import policy_for_terraform as read

    return read(conf, entity_type, graph, file_path, name)


def endpoint_type_for_terraform(conf: dict, graph: object | None, file_path: str) -> EndpointType:
    from vpce_checks.adapters.apigateway import endpoint_type_for_terraform as read

    return read(conf, graph, file_path)


def api_policy_for_terraform(conf: dict, graph: object | None, file_path: str, address: str) -> PolicySource | None:
    from vpce_checks.adapters.apigateway import api_policy_for_terraform as read

    return read(conf, graph, file_path, address)


def endpoint_for_terraform(conf: dict, entity_type: str, graph: object | None,
                           file_path: str) -> Optional[EndpointPolicySource]:
    from vpce_checks.adapters.endpoint import endpoint_for_terraform as read

    return read(conf, entity_type, graph, file_path)


def org_policy_for_terraform(conf: dict, entity_type: str, graph: object | None,
                             file_path: str) -> Optional[OrgPolicySource]:
    from vpce_checks.adapters.organizations import org_policy_for_terraform as read

    return read(conf, entity_type, graph, file_path)


# CloudFormation and SAM

def source_for_cloudformation(conf: dict, entity_type: str, file_path: str,
                              logical_id: Optional[str] = None) -> Readings:
    from vpce_checks.adapters.cloudformation.resources import source_for_cloudformation as read

    return read(conf, entity_type, file_path, logical_id)


def policy_for_cloudformation(conf: dict, entity_type: str, file_path: str, logical_id: str) -> Readings:
    from vpce_checks.adapters.policies import policy_for_cloudformation as read

    return read(conf, entity_type, file_path, logical_id)


def endpoint_type_for_cloudformation(conf: dict, entity_type: str, file_path: str,
                                     logical_id: str | None) -> EndpointType:
    from vpce_checks.adapters.apigateway import endpoint_type_for_cloudformation as read

    return read(conf, entity_type, file_path, logical_id)


def api_policy_for_cloudformation(conf: dict, entity_type: str, file_path: str, logical_id: str | None) -> Readings:
    from vpce_checks.adapters.apigateway import api_policy_for_cloudformation as read

    return read(conf, entity_type, file_path, logical_id)


def endpoint_for_cloudformation(conf: dict, entity_type: str, file_path: str, logical_id: Optional[str] = None
                                ) -> Union[None, EndpointPolicySource, List[EndpointPolicySource]]:
    from vpce_checks.adapters.endpoint import endpoint_for_cloudformation as read

    return read(conf, entity_type, file_path, logical_id)


def org_policy_for_cloudformation(conf: dict, entity_type: str, file_path: str,
                                  logical_id: Optional[str]) -> Optional[OrgPolicySource]:
    from vpce_checks.adapters.organizations import org_policy_for_cloudformation as read

    return read(conf, entity_type, file_path, logical_id)


# Raw JSON documents

def sources_for_json(document: object, file_path: str) -> List[PolicySource]:
    from vpce_checks.adapters.rawjson import sources_for_json as read

    return read(document, file_path)


def endpoint_for_json(document: object, file_path: str) -> Optional[EndpointPolicySource]:
    from vpce_checks.adapters.endpoint import endpoint_for_json as read

    return read(document, file_path)


def org_policy_for_json(document: object, file_path: str) -> Optional[OrgPolicySource]:
    from vpce_checks.adapters.organizations import org_policy_for_json as read

    return read(document, file_path)
