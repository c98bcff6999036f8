"""Plan JSON whose policies are unknown until apply, read through the plan's configuration (plan_source.py).

The plans under fixtures/CKV_VPCE_1/plan_source/ were made by the real Terraform CLI and AWS provider
(fixtures/make_plans.sh). Here the real checkov CLI scans a plan away from its configuration: without
--repo-root-for-plan-enrichment the policy fails closed and says why; with it, the plan is judged from its
configuration, with the plan's variable values.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, results_of, run_checkov

PLANS = FIXTURES / "CKV_VPCE_1" / "plan_source"


def _verdicts(completed) -> dict:
    return {(r["check_id"], r["resource"]): (r["check_result"]["result"], "\n".join(r.get("details") or []))
            for r in results_of(completed)}


@pytest.fixture(scope="module")
def moved_plans(tmp_path_factory) -> Path:
    """Each case's plan alone in a folder of its own, away from its configuration."""
    folder = tmp_path_factory.mktemp("plans")
    for case in ("locals_pass", "variable_value_fail", "module_pass"):
        (folder / case).mkdir()
        shutil.copy(PLANS / case / "tfplan.json", folder / case / "tfplan.json")
    return folder


def test_plans_hold_no_value_for_their_policies():
    """The premise: Terraform's plan has no policy value to judge (it is unknown until apply)."""
    for case in ("locals_pass", "variable_value_fail", "module_pass"):
        plan = json.loads((PLANS / case / "tfplan.json").read_text(encoding="utf-8"))
        policies = [c for c in plan["resource_changes"] if c["type"] == "aws_s3_bucket_policy"]
        assert policies and all(c["change"]["after_unknown"].get("policy") is True for c in policies), case


@pytest.mark.parametrize("case, resource, expected", [
    ("locals_pass", "aws_s3_bucket_policy.data", "PASSED"),
    ("module_pass", "module.logs.aws_s3_bucket_policy.this", "PASSED"),
    ("variable_value_fail", "aws_s3_bucket_policy.reports", "FAILED"),
])
def test_a_moved_plan_is_judged_from_the_folder_enrichment_names(moved_plans, case, resource, expected):
    plan = moved_plans / case / "tfplan.json"
    alone = _verdicts(run_checkov(plan, frameworks=["terraform_plan"]))
    result, details = alone[("CKV_VPCE_1", resource)]
    assert result == "FAILED" and "could not stand in for it" in details, details
    assert "--repo-root-for-plan-enrichment" in details

    enriched = _verdicts(run_checkov(plan, ["--repo-root-for-plan-enrichment", str(PLANS / case)],
                                     frameworks=["terraform_plan"]))
    result, details = enriched[("CKV_VPCE_1", resource)]
    assert result == expected, details
    assert "the configuration in" in details and "plan_source/" + case in details, details
    if expected == "FAILED":
        # The plan was made with -var=object_scope=public/*: the Deny covers only public/ objects, which the
        # counterexample shows; the variable's default ("*") would have passed.
        assert "northwind-plan-reports/any-key" in details and "Fix:" in details, details


def test_a_folder_that_is_not_the_plans_configuration_is_not_used(moved_plans):
    """Enrichment naming another configuration (here the module case's folder) is refused, and the reason named."""
    plan = moved_plans / "locals_pass" / "tfplan.json"
    verdicts = _verdicts(run_checkov(plan, ["--repo-root-for-plan-enrichment", str(PLANS / "module_pass")],
                                     frameworks=["terraform_plan"]))
    result, details = verdicts[("CKV_VPCE_1", "aws_s3_bucket_policy.data")]
    assert result == "FAILED" and "is not the plan's configuration" in details, details


def test_a_registry_module_is_found_where_terraform_init_installed_it(tmp_path):
    """A module whose source is a registry address is read from the folder .terraform/modules/modules.json records
    for its key (as `terraform init` writes it); without that record the policy fails closed asking for init."""
    root = tmp_path / "root"
    shutil.copytree(PLANS / "module_pass", root)
    plan = json.loads((root / "tfplan.json").read_text(encoding="utf-8"))
    plan["configuration"]["root_module"]["module_calls"]["logs"]["source"] = "app.example.com/acme/bucket/aws"
    (root / "tfplan.json").write_text(json.dumps(plan), encoding="utf-8")
    installed = root / ".terraform" / "modules"
    installed.mkdir(parents=True)
    shutil.move(str(root / "modules" / "bucket"), str(installed / "logs"))
    shutil.rmtree(root / "modules")
    resource = ("CKV_VPCE_1", "module.logs.aws_s3_bucket_policy.this")

    result, details = _verdicts(run_checkov(root / "tfplan.json", frameworks=["terraform_plan"]))[resource]
    assert result == "FAILED" and "terraform init" in details, details

    (installed / "modules.json").write_text(json.dumps({"Modules": [
        {"Key": "", "Source": "", "Dir": "."},
        {"Key": "logs", "Source": "app.example.com/acme/bucket/aws", "Dir": ".terraform/modules/logs"}]}),
        encoding="utf-8")
    result, details = _verdicts(run_checkov(root / "tfplan.json", frameworks=["terraform_plan"]))[resource]
    assert result == "PASSED" and ".terraform/modules/logs" in details, details


_POLICY_HOLDERS = ("aws_s3_bucket_policy", "aws_sqs_queue_policy", "aws_sns_topic_policy", "aws_kms_key")


def _reason_and_counterexample(details: str) -> list:
    return [line for line in details.splitlines() if line.startswith(("Reason:", "Counterexample:"))]


@pytest.mark.parametrize("case, count", [("oracle_functions", 13), ("oracle_forms", 5), ("oracle_state", 2)])
def test_the_evaluator_agrees_with_terraform_on_every_policy_terraform_knows(case, count):
    """Terraform is the oracle: each plan_source/oracle_* plan holds every policy as Terraform evaluated it (all
    known at plan time; in oracle_state the buckets exist in terraform.tfstate, so their ARNs are known to the plan
    while the HCL names them by reference); the HCL scan of its main.tf, read by the pack's evaluator, must give
    every policy (and every bucket) the same result, reason and counterexample."""
    folder = PLANS / case
    plan = json.loads((folder / "tfplan.json").read_text(encoding="utf-8"))
    policies = {c["address"] for c in plan["resource_changes"] if c["type"] in _POLICY_HOLDERS}
    assert len(policies) == count
    assert all(isinstance(c["change"]["after"]["policy"], str) for c in plan["resource_changes"]
               if c["address"] in policies), "every policy must be known in the plan"
    rows = results_of(run_checkov(folder, frameworks=["terraform", "terraform_plan"]))
    by_file: dict = {"main.tf": {}, "tfplan.json": {}}
    for row in rows:
        name = row["file_path"].rsplit("/", 1)[-1]
        if name in by_file:
            by_file[name][(row["check_id"], row["resource"])] = (
                row["check_result"]["result"], _reason_and_counterexample("\n".join(row.get("details") or [])))
    assert policies <= {resource for _, resource in by_file["tfplan.json"]}
    assert by_file["main.tf"] == by_file["tfplan.json"]
    results = [result for result, _ in by_file["tfplan.json"].values()]
    assert "PASSED" in results and "FAILED" in results
