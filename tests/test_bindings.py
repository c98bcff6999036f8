"""The bindings table (adapters/bindings.py) is the one source of per-service IaC names: every service it binds has
an engine profile, no resource type is bound twice, and every resource type a Terraform or CloudFormation check
declares comes from it (so a new service is one entry there, never a name written only in a check)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Dict, Set

import vpce_checks.checks
from vpce_checks.adapters import bindings
from vpce_checks.check_bases import CloudFormationCheck, TerraformCheck
from vpce_checks.engine.services import PROFILES


def _check_instances() -> list:
    """Every check object the pack registers (each check module ends with ``check = X()``)."""
    found = []
    for module_info in pkgutil.iter_modules(vpce_checks.checks.__path__):
        module = importlib.import_module(f"vpce_checks.checks.{module_info.name}")
        if hasattr(module, "check"):
            found.append(module.check)
    return found


def test_every_bound_service_has_an_engine_profile_and_each_entry_is_complete():
    services = [binding.service for binding in bindings.SERVICE_BINDINGS]
    assert len(services) == len(set(services)), services
    for binding in bindings.SERVICE_BINDINGS:
        assert binding.service in PROFILES, binding.service
        tf, cfn = binding.terraform, binding.cloudformation
        assert tf.policy_resource and tf.pointer_attribute and tf.owner_resource and tf.name_attribute, binding
        assert "arn" in tf.own_attributes.values(), binding  # some attribute must stand for the ARN
        assert cfn.owner_resource.startswith("AWS::"), binding
        # a CloudFormation policy is either a separate resource naming its target, or inline on the owner
        assert cfn.policy_resources or cfn.inline_policy, binding
        assert all(properties for properties in cfn.policy_resources.values()), binding
        assert set(cfn.policy_properties) <= set(cfn.policy_resources), binding


def test_no_resource_type_is_bound_twice():
    seen: Dict[str, str] = {}
    for binding in bindings.SERVICE_BINDINGS:
        tf, cfn = binding.terraform, binding.cloudformation
        for kind in (tf.policy_resource, tf.owner_resource, cfn.owner_resource, *cfn.policy_resources):
            assert kind not in seen, (kind, seen.get(kind), binding.service)
            seen[kind] = binding.service


def test_every_type_a_check_supports_comes_from_the_bindings():
    terraform: Set[str] = {*bindings.TERRAFORM_POLICY_RESOURCES, *bindings.TERRAFORM_OWNER_RESOURCES,
                           *bindings.TERRAFORM_API_RESOURCES, *bindings.TERRAFORM_ENDPOINT_RESOURCES,
                           *bindings.TERRAFORM_ORG_POLICY_RESOURCES}
    cloudformation: Set[str] = {*bindings.CFN_POLICY_RESOURCES, *bindings.CFN_OWNER_RESOURCES,
                                *bindings.CFN_API_RESOURCES, *bindings.CFN_ENDPOINT_RESOURCES,
                                *bindings.CFN_ORG_POLICY_RESOURCES}
    checks = _check_instances()
    tf_checks = [check for check in checks if isinstance(check, TerraformCheck)]
    cfn_checks = [check for check in checks if isinstance(check, CloudFormationCheck)]
    assert tf_checks and cfn_checks
    for check in tf_checks:
        assert set(check.resources) <= terraform, (type(check).__name__, set(check.resources) - terraform)
    for check in cfn_checks:
        assert set(check.resources) <= cloudformation, (type(check).__name__, set(check.resources) - cloudformation)
    # and every bound type is judged by some check: a binding without a check would be dead knowledge
    assert terraform <= {kind for check in tf_checks for kind in check.resources}
    assert cloudformation <= {kind for check in cfn_checks for kind in check.resources}
