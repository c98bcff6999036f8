"""The bindings table (adapters/bindings.py) is the one source of per-service IaC names: every service it binds has
an engine profile, no resource type is bound twice, and every resource type a Terraform or CloudFormation check
declares comes from it (so a new service is one entry there, never a name written only in a check). What Ref and
Fn::GetAtt of a CloudFormation owner give comes from it too, never from literals in the intrinsics renderer."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any, Dict, Optional, Set

import pytest

import vpce_checks.checks
from vpce_checks.adapters import bindings
from vpce_checks.adapters.apigateway import SERVICE as API_SERVICE
from vpce_checks.adapters.cloudformation import intrinsics
from vpce_checks.adapters.cloudformation.intrinsics import Renderer, literal_target
from vpce_checks.adapters.cloudformation.template import Template
from vpce_checks.check_bases import CloudFormationCheck, TerraformCheck
from vpce_checks.engine.services import PROFILES, Target


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


def test_every_engine_service_with_an_owner_resource_has_a_binding():
    """Every service the engine judges is bound, but REST APIs: their reader (adapters/apigateway.py) has its own
    types (TERRAFORM_API_RESOURCES, CFN_API_RESOURCES)."""
    bound = {binding.service for binding in bindings.SERVICE_BINDINGS}
    assert set(PROFILES) - bound == {API_SERVICE}, sorted(set(PROFILES) - bound)
    assert bound <= set(PROFILES)
    assert set(bindings.CFN_REF_VALUE) == set(bindings.CFN_GET_ATT) == bound


def test_cloudformation_references_give_known_kinds():
    for binding in bindings.SERVICE_BINDINGS:
        cfn = binding.cloudformation
        kinds = {cfn.ref_value, *cfn.get_att.values()}
        assert kinds <= {"name", "arn", "url"}, (binding.service, kinds)
        assert "arn" in cfn.get_att.values(), binding.service  # a policy can write the owner's ARN by GetAtt
        if "url" in kinds:  # the renderer builds the one URL form a bound reference gives: the SQS queue URL
            assert binding.service == "sqs", binding.service


_CONCRETE = dict(account="123456789012", region="eu-west-1")


def _owner_template(binding: bindings.ServiceBinding, name: Optional[str]) -> Template:
    """A template declaring the owner as ``Owner`` (named ``name`` when its type has a name property)."""
    cfn = binding.cloudformation
    properties = {cfn.name_property: name} if cfn.name_property and name else {}
    return Template("inline.yaml", {"Resources": {"Owner": {"Type": cfn.owner_resource, "Properties": properties}}})


def _references(attribute: Optional[str]) -> Dict[str, Any]:
    """The ways a template writes one reference: Ref (attribute None) or Fn::GetAtt in both forms, and Fn::Sub."""
    if attribute is None:
        return {"Ref": {"Ref": "Owner"}, "Sub": {"Fn::Sub": "${Owner}"}}
    return {"GetAtt list": {"Fn::GetAtt": ["Owner", attribute]}, "GetAtt text": {"Fn::GetAtt": f"Owner.{attribute}"},
            "Sub": {"Fn::Sub": "${Owner." + attribute + "}"}}


def _assert_kind(service: str, kind: str, value: Any, target: Target, where: str) -> None:
    """``value`` is the owner's name, ARN or SQS URL, read back with the literal reader (not the renderer)."""
    assert isinstance(value, str), (where, value)
    if kind == "name":
        assert value == target.name, (where, value)
    elif kind == "arn":
        assert value.startswith(f"arn:aws:{PROFILES[service].prefix}:"), (where, value)
        assert literal_target(service, value).name == target.name, (where, value)
    else:
        assert re.fullmatch(r"https://sqs\.[^/]+\.amazonaws\.com/[^/]+/[^/]+", value), (where, value)
        assert literal_target(service, value) == target, (where, value)


def test_ref_and_get_att_of_the_protected_resource_give_the_bound_kind():
    for binding in bindings.SERVICE_BINDINGS:
        service, cfn = binding.service, binding.cloudformation
        target = Target(service, "owner-1", **_CONCRETE)
        template = _owner_template(binding, "owner-1")
        for attribute, kind in [(None, cfn.ref_value), *cfn.get_att.items()]:
            for form, expr in _references(attribute).items():
                value = Renderer(template, service, "Owner", target).render(expr)
                _assert_kind(service, kind, value, target, f"{service} {form} {attribute or ''}")


def test_ref_and_get_att_of_an_owner_declared_in_the_template_give_the_bound_kind():
    """Not the resource the policy guards: found through the template's types (CFN_OWNER_RESOURCES), named by its
    name property when it has one, else by the token of its logical ID."""
    for binding in bindings.SERVICE_BINDINGS:
        service, cfn = binding.service, binding.cloudformation
        template = _owner_template(binding, "declared-1")
        name = "declared-1" if cfn.name_property else "${Owner}"
        for attribute, kind in [(None, cfn.ref_value), *cfn.get_att.items()]:
            value = Renderer(template, "s3").render({"Fn::GetAtt": ["Owner", attribute]} if attribute
                                                    else {"Ref": "Owner"})
            where = f"{service} {attribute or 'Ref'}"
            assert isinstance(value, str), (where, value)
            if kind == "name":
                assert value == name, (where, value)
            elif kind == "arn":
                assert value.startswith("arn:") and value.endswith(name), (where, value)
            else:
                assert value.startswith("https://sqs.") and value.endswith("/" + name), (where, value)
        unbound = Renderer(template, "s3").render({"Fn::GetAtt": ["Owner", "NoSuchAttribute"]})
        assert unbound == "${GetAtt.Owner.NoSuchAttribute}", (service, unbound)


@pytest.mark.parametrize("service", ["s3", "sqs", "kms"])
def test_the_renderer_reads_the_bindings_table(monkeypatch, service):
    """Change the table and the renderer follows: it holds no per-service attribute of its own."""
    binding = next(b for b in bindings.SERVICE_BINDINGS if b.service == service)
    target = Target(service, "owner-1", **_CONCRETE)
    template = _owner_template(binding, "owner-1")
    monkeypatch.setitem(bindings.CFN_REF_VALUE, service, "arn" if binding.cloudformation.ref_value != "arn" else "name")
    monkeypatch.setitem(bindings.CFN_GET_ATT, service, {"MadeUpName": "name", "MadeUpArn": "arn"})
    render = Renderer(template, service, "Owner", target).render
    _assert_kind(service, bindings.CFN_REF_VALUE[service], render({"Ref": "Owner"}), target, "Ref")
    _assert_kind(service, "name", render({"Fn::GetAtt": ["Owner", "MadeUpName"]}), target, "MadeUpName")
    _assert_kind(service, "arn", render({"Fn::GetAtt": ["Owner", "MadeUpArn"]}), target, "MadeUpArn")
    for attribute in binding.cloudformation.get_att:  # no longer bound: unresolved
        assert render({"Fn::GetAtt": ["Owner", attribute]}) == f"${{GetAtt.Owner.{attribute}}}", attribute


def test_the_intrinsics_renderer_writes_no_bound_attribute_name():
    """A per-service literal table back in intrinsics.py would name the attributes again: none may appear there as a
    string (the bindings table is the one place)."""
    bound = {attribute for binding in bindings.SERVICE_BINDINGS for attribute in binding.cloudformation.get_att}
    tree = ast.parse(Path(intrinsics.__file__).read_text(encoding="utf-8"))
    written = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert not written & bound, sorted(written & bound)
