"""Organisation layers (issue 15): CKV_VPCE_10 on resource control policies, and the resource checks crediting the
RCPs and SCPs that apply. Engine and judge tests on documents; the layered verdicts and the fixes through the real
checkov CLI over fixtures/CKV_VPCE_10 (expected verdicts in fixtures/CKV_VPCE_10/CASES.md, decided by hand)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Dict, List

import pytest

from tests.conftest import FIXTURES, results_of, run_checkov
from vpce_checks.adapters.organizations import (
    OrgPolicySource,
    applicable_layers,
    looks_like_org_policy,
    org_policy_for_json,
    target_kind,
)
from vpce_checks.adapters.rawjson import sources_for_json
from vpce_checks.engine.layers import RCP, SCP, Layer, covered_services, credited_for, with_layers
from vpce_checks.engine.model import parse_policy
from vpce_checks.engine.perimeter import perimeter_of
from vpce_checks.engine.services import Target
from vpce_checks.judge import FAILED, NO_RESULT, PASSED
from vpce_checks.judge_layers import judge_rcp
from vpce_checks.settings import Settings, SettingsError, load_settings

V10 = FIXTURES / "CKV_VPCE_10"
ENDPOINT = "vpce-0c4d81f2a9e3b5176"


def _rcp(actions, condition=None) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "EnforceNetworkPerimeter", "Effect": "Deny", "Principal": "*", "Action": actions, "Resource": "*",
        "Condition": condition or {"StringNotEqualsIfExists": {"aws:SourceVpce": [ENDPOINT]},
                                   "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]}


def _source(document: dict, kind: str = RCP, syntax: str = "json") -> OrgPolicySource:
    return OrgPolicySource(name="file rcp.json", kind=kind, syntax=syntax, document=document, origin="file rcp.json",
                           names=("rcp.json", "rcp"))


# ---- engine -------------------------------------------------------------------------------------------------


def test_only_the_confirmed_services_are_credited_to_an_rcp():
    policy = parse_policy(_rcp(["s3:*", "sqs:*", "kms:*", "secretsmanager:*", "sns:*", "execute-api:*", "ecr:*"]))
    assert covered_services(policy) == ("s3", "sqs", "kms", "secretsmanager")
    assert not credited_for(RCP, "sns") and not credited_for(RCP, "execute-api") and not credited_for(RCP, "ecr")
    assert credited_for(SCP, "sns")  # an SCP restricts the caller, whatever the service


def test_an_rcp_layer_closes_a_bucket_policy_hole_and_not_a_topic_one():
    empty = parse_policy({"Version": "2012-10-17", "Statement": []})
    layer = Layer("perimeter", RCP, parse_policy(_rcp(["s3:*", "sns:*"])), "named")
    bucket = Target("s3", "logs")
    assert perimeter_of(with_layers(empty, [layer], "s3"), bucket).status == "pass"
    topic = Target("sns", "alerts")
    assert perimeter_of(with_layers(empty, [layer], "sns"), topic).status == "fail"


def test_an_scp_layer_never_covers_anonymous_callers_or_other_accounts():
    empty = parse_policy({"Version": "2012-10-17", "Statement": []})
    scp = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                                   "Condition": {"StringNotEqualsIfExists":
                                                                 {"aws:SourceVpce": [ENDPOINT]}}}]}
    verdict = perimeter_of(with_layers(empty, [Layer("scp", SCP, parse_policy(scp), "named")], "s3"),
                           Target("s3", "logs", account="318274605912"))
    assert verdict.status == "fail"
    assert verdict.counterexample.principal.kind == "anonymous" or verdict.counterexample.principal.account != \
        "318274605912", verdict.description


# ---- CKV_VPCE_10's judge ------------------------------------------------------------------------------------


def test_a_sound_rcp_passes_and_names_its_conditions_and_the_services_not_credited():
    judgement = judge_rcp(_source(_rcp(["s3:*", "sqs:*", "sns:*"])), Settings())
    assert judgement.result == PASSED, judgement.lines
    text = "\n".join(judgement.lines)
    assert judgement.lines[0] == f"Allowed origins: VPC endpoint {ENDPOINT}"
    assert "S3 buckets, SQS queues" in text and "Not credited" in text and "SNS topic" in text
    assert "management account" in text and "service-linked roles" in text and "AWS managed KMS keys" in text


@pytest.mark.parametrize("document, kind, why", [
    (_rcp(["sns:*"]), RCP, "SNS is not on the confirmed list"),
    (_rcp(["s3:*", "sqs:*"], {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}), RCP,
     "an identity perimeter only"),
    (_rcp(["s3:*"]), SCP, "an SCP"),
])
def test_no_result_for_what_is_no_rcp_network_perimeter(document, kind, why):
    assert judge_rcp(_source(document, kind), Settings()).result == NO_RESULT, why


def test_an_allow_statement_is_not_a_custom_rcp():
    document = _rcp(["s3:*"])
    document["Statement"].append({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
    judgement = judge_rcp(_source(document), Settings())
    assert judgement.result == FAILED and "RCPFullAWSAccess" in judgement.reason


def test_a_settings_error_and_an_unreadable_rcp_fail_closed():
    assert judge_rcp(_source(_rcp(["s3:*"])), SettingsError("VPCE_CHECKS_MEMBER_ACCOUNTS='x'")).result == FAILED
    broken = OrgPolicySource(name="x", kind=RCP, syntax="hcl", problem="content of x: var.rcp has no value")
    judgement = judge_rcp(broken, Settings())
    assert judgement.result == FAILED and "var.rcp" in judgement.reason


def _fix_statement(lines: List[str]) -> dict:
    start = next(i for i, line in enumerate(lines) if line.startswith("Fix: "))
    body = []
    for line in lines[start + 1:]:
        if not line.startswith("    "):
            break
        body.append(line[4:])
    return json.loads("\n".join(body))


def test_the_json_fix_of_a_coverage_failure_itself_passes():
    document = json.loads((V10 / "json" / "s3_only_rcp_fail.json").read_text())
    failed = judge_rcp(_source(document), Settings())
    assert failed.result == FAILED and "is not explicitly denied" in "\n".join(failed.lines)
    fixed = json.loads(json.dumps(document))
    fixed["Statement"].append(_fix_statement(failed.lines))
    assert judge_rcp(_source(fixed), Settings()).result == PASSED


def test_the_json_fix_of_a_lockout_replaces_the_statements_and_passes():
    document = json.loads((V10 / "terraform" / "rcp_file_lockout_fail" / "rcp.json").read_text())
    failed = judge_rcp(_source(document), Settings())
    assert failed.result == FAILED and "lockout" in failed.reason
    statement = _fix_statement(failed.lines)
    assert sorted(statement["Condition"]["StringNotEquals"]["aws:SourceVpce"]) == sorted(
        ["vpce-0c4d81f2a9e3b5176", "vpce-05e9a7c3d1b2f4806"])
    assert statement["Action"] == ["s3:*", "sqs:*"]  # every service the replaced statements covered
    fixed = {"Version": "2012-10-17", "Statement": [statement]}
    assert judge_rcp(_source(fixed), Settings()).result == PASSED


# ---- raw JSON: which documents are organisation policies -----------------------------------------------------


def test_a_multi_service_deny_only_document_is_an_rcp_not_a_resource_policy(tmp_path):
    document = _rcp(["s3:*", "sqs:*"])
    assert looks_like_org_policy(document)
    assert sources_for_json(document, str(tmp_path / "perimeter.json")) == []
    found = org_policy_for_json(document, str(tmp_path / "perimeter.json"))
    assert found is not None and found.kind == RCP and found.names == ("perimeter.json", "perimeter")
    naming = json.loads(json.dumps(document))
    naming["Statement"][0]["Resource"] = ["arn:aws:s3:::logs", "arn:aws:sqs:eu-west-1:123456789012:jobs"]
    assert not looks_like_org_policy(naming)  # names resources: a resource policy judged per service


def test_the_glob_names_single_service_rcps_and_scps(tmp_path, monkeypatch):
    rcp_file, scp_file = tmp_path / "rcps" / "s3.json", tmp_path / "rcps" / "scp.json"
    document = _rcp("s3:*")
    assert sources_for_json(document, str(rcp_file)) != []  # without the setting: read as a bucket policy
    monkeypatch.setenv("VPCE_CHECKS_ORG_POLICY_GLOB", "*/rcps/*.json")
    assert sources_for_json(document, str(rcp_file)) == []
    assert org_policy_for_json(document, str(rcp_file)).kind == RCP
    scp = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    assert org_policy_for_json(scp, str(scp_file)).kind == SCP


# ---- which layers apply -------------------------------------------------------------------------------------


def test_an_attachment_alone_credits_nothing():
    root = _source(_rcp("s3:*"))
    root.targets = ["r-a1b2"]
    applied, notes = applicable_layers([root], "318274605912", member_accounts=False, applied_names=())
    assert applied == [] and "VPCE_CHECKS_MEMBER_ACCOUNTS" in notes[0]
    applied, _ = applicable_layers([root], "318274605912", member_accounts=True, applied_names=())
    assert [s for s, _ in applied] == [root]


def test_account_targets_must_be_the_resources_literal_account_and_references_never_count():
    account = _source(_rcp("s3:*"))
    account.targets = ["318274605912"]
    assert applicable_layers([account], "318274605912", True, ())[0]
    assert not applicable_layers([account], "210987654321", True, ())[0]
    variable = _source(_rcp("s3:*"))
    variable.targets = ["var.workloads_ou"]
    assert target_kind("var.workloads_ou") == "unknown"
    assert not applicable_layers([variable], "318274605912", True, ())[0]
    assert applicable_layers([variable], "318274605912", False, ("rcp",))[0]  # named by the setting


# ---- settings -----------------------------------------------------------------------------------------------


def test_new_settings_read_and_bad_values_are_named():
    settings = load_settings({"VPCE_CHECKS_MEMBER_ACCOUNTS": "true", "VPCE_CHECKS_APPLIED_ORG_POLICIES":
                              "network-perimeter, aws_organizations_policy.perimeter",
                              "VPCE_CHECKS_ORG_POLICY_GLOB": "*/rcps/*.json"})
    assert settings.member_accounts is True and settings.org_policy_glob == "*/rcps/*.json"
    assert settings.applied_org_policies == ("network-perimeter", "aws_organizations_policy.perimeter")
    assert load_settings({}).member_accounts is False and load_settings({}).applied_org_policies == ()
    with pytest.raises(SettingsError, match="VPCE_CHECKS_MEMBER_ACCOUNTS='maybe': expected true or false"):
        load_settings({"VPCE_CHECKS_MEMBER_ACCOUNTS": "maybe"})
    with pytest.raises(SettingsError, match="APPLIED_ORG_POLICIES: 'network-\\*' is not a policy name"):
        load_settings({"VPCE_CHECKS_APPLIED_ORG_POLICIES": "network-*"})


def test_new_settings_from_a_config_file(tmp_path):
    config = tmp_path / "vpce-checks.yaml"
    config.write_text("VPCE_CHECKS_MEMBER_ACCOUNTS: true\nAPPLIED_ORG_POLICIES: [network-perimeter]\n")
    settings = load_settings({"VPCE_CHECKS_CONFIG": str(config)})
    assert settings.member_accounts is True and settings.applied_org_policies == ("network-perimeter",)


# ---- the real checkov CLI -----------------------------------------------------------------------------------


def _by_resource(target: Path, env: Dict[str, str]) -> Dict[tuple, dict]:
    completed = run_checkov(target, env=env)
    assert completed.returncode in (0, 1), completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    return {(r["check_id"], r["resource"]): r for r in results_of(completed)}


def _details(row: dict) -> str:
    return "\n".join(row.get("details") or [])


@pytest.mark.parametrize("env", [{"VPCE_CHECKS_MEMBER_ACCOUNTS": "true"},
                                 {"VPCE_CHECKS_APPLIED_ORG_POLICIES": "network-perimeter"}])
def test_a_bucket_without_policy_passes_enforced_by_the_rcp_and_a_topic_still_fails(env):
    rows = _by_resource(V10 / "terraform" / "rcp_jsonencode_pass", env)
    bucket = rows[("CKV_VPCE_1", "aws_s3_bucket.v10_reports")]
    assert bucket["check_result"]["result"] == "PASSED"
    text = _details(bucket)
    assert "Enforced by RCP aws_organizations_policy.v10_network_perimeter" in text
    assert "management account" in text and "service-linked roles" in text
    assert rows[("CKV_VPCE_3", "aws_sns_topic.v10_alerts")]["check_result"]["result"] == "FAILED"


def test_a_customer_managed_key_is_enforced_by_a_heredoc_rcp_attached_to_the_root_by_reference():
    rows = _by_resource(V10 / "terraform" / "rcp_heredoc_roots_pass", {"VPCE_CHECKS_MEMBER_ACCOUNTS": "true"})
    key = rows[("CKV_VPCE_9", "aws_kms_key.v10_ledger")]
    assert key["check_result"]["result"] == "PASSED", _details(key)
    assert "attached to aws_organizations_organization.v10_org.roots[0].id" in _details(key)
    assert "AWS managed KMS keys" in _details(key)


def test_an_unsound_rcp_is_not_credited_and_says_why():
    rows = _by_resource(V10 / "terraform" / "rcp_data_document_fail", {"VPCE_CHECKS_MEMBER_ACCOUNTS": "true"})
    queue = rows[("CKV_VPCE_2", "aws_sqs_queue.v10_jobs")]
    assert queue["check_result"]["result"] == "FAILED"
    assert "Layers: RCP aws_organizations_policy.v10_mixed_perimeter applies" in _details(queue)
    assert "CKV_VPCE_10 fails it" in _details(queue)


def test_an_scp_leaves_anonymous_callers_to_the_resource_policy():
    rows = _by_resource(V10 / "terraform" / "scp_default_type_no_result", {"VPCE_CHECKS_MEMBER_ACCOUNTS": "true"})
    bucket = rows[("CKV_VPCE_1", "aws_s3_bucket.v10_scp_only")]
    assert bucket["check_result"]["result"] == "FAILED"
    assert "Counterexample through every layer (SCP aws_organizations_policy.v10_network_scp): " in _details(bucket)
    assert "by an anonymous caller" in _details(bucket)
    assert ("Path: s3:DeleteObject by an anonymous caller over the public endpoint: denied by no layer"
            in _details(bucket))
    assert ("Path: s3:DeleteObject by a principal of this account over the public endpoint: denied by SCP "
            "aws_organizations_policy.v10_network_scp") in _details(bucket)
    assert not any(check == "CKV_VPCE_10" for check, _ in rows)


def test_cloudformation_bucket_is_enforced_by_the_templates_rcp(tmp_path):
    rows = _by_resource(V10 / "cloudformation" / "rcps.yaml", {"VPCE_CHECKS_MEMBER_ACCOUNTS": "true"})
    assert rows[("CKV_VPCE_1", "AWS::S3::Bucket.ReportsBucket")]["check_result"]["result"] == "PASSED"
    assert rows[("CKV_VPCE_10", "AWS::Organizations::Policy.SourceIpRcp")]["check_result"]["result"] == "FAILED"


def test_explain_names_the_layers_and_which_one_denies_each_path():
    """`vpce-checks explain` (through the real Checkov run) lists the layers it evaluated for the resource and, per
    sample path from outside the perimeter, the layer whose Deny stops it; an SCP about KMS is no layer of a bucket."""
    import os
    import subprocess
    import sys

    from tests.conftest import offline_env

    env = offline_env({"VPCE_CHECKS_MEMBER_ACCOUNTS": "true"})
    completed = subprocess.run([sys.executable, "-m", "vpce_checks", "explain", str(V10 / "cloudformation" /
                                                                                  "rcps.yaml")],
                               env=env, capture_output=True, text=True, timeout=600, cwd=os.getcwd())
    text = completed.stdout
    section = text[text.index("AWS::S3::Bucket.ReportsBucket"):]
    section = section[:section.index("\n\n")]
    assert "CKV_VPCE_1 PASSED: enforced by RCP AWS::Organizations::Policy NetworkPerimeterRcp" in section
    assert "Layer: RCP AWS::Organizations::Policy NetworkPerimeterRcp: applies because attached to r-a1b2" in section
    assert "KeyGuardScp" not in section
    assert ("Path: s3:DeleteObject by an anonymous caller over the public endpoint: denied by RCP "
            "AWS::Organizations::Policy NetworkPerimeterRcp") in section
    assert section.count("Path: ") == 6


def test_the_terraform_fix_for_a_data_source_rcp_itself_passes(tmp_path):
    """The statement block the failure prints, pasted into the data source, makes CKV_VPCE_10 pass (real scan)."""
    folder = tmp_path / "rcp"
    shutil.copytree(V10 / "terraform" / "rcp_data_document_fail", folder)
    rows = _by_resource(folder, {})
    failed = rows[("CKV_VPCE_10", "aws_organizations_policy.v10_mixed_perimeter")]
    assert failed["check_result"]["result"] == "FAILED"
    lines = failed["details"]
    start = next(i for i, line in enumerate(lines) if line.startswith("Fix: add to the data source"))
    block = [line[4:] for line in lines[start + 1:] if line.startswith("    ")]
    assert block[0].startswith("statement {")
    source = (folder / "main.tf").read_text()
    anchor = 'data "aws_iam_policy_document" "v10_mixed_perimeter" {\n'
    (folder / "main.tf").write_text(source.replace(anchor, anchor + "\n".join(block) + "\n"))
    fixed = _by_resource(folder, {})
    assert fixed[("CKV_VPCE_10", "aws_organizations_policy.v10_mixed_perimeter")]["check_result"]["result"] == \
        "PASSED", _details(fixed[("CKV_VPCE_10", "aws_organizations_policy.v10_mixed_perimeter")])


def test_raw_json_bucket_policy_is_enforced_by_a_named_raw_json_rcp_of_the_same_scan(tmp_path):
    """Raw JSON has no attachments: an RCP file of the scanned folder that VPCE_CHECKS_APPLIED_ORG_POLICIES names
    (by file name without .json) is credited to the raw JSON resource policies; without the setting it is not."""

    (tmp_path / "org").mkdir()
    (tmp_path / "buckets").mkdir()
    shutil.copy(V10 / "json" / "network_perimeter_rcp_pass.json", tmp_path / "org" / "network-perimeter.json")
    shutil.copy(FIXTURES / "CKV_VPCE_1" / "json" / "partial_actions_fail.json", tmp_path / "buckets" / "reports.json")

    def bucket_row(env):  # vpce-checks scan: Checkov keeps a check's details only for Terraform, the scan adds them
        import subprocess
        import sys

        from tests.conftest import offline_env

        completed = subprocess.run([sys.executable, "-m", "vpce_checks", "scan", str(tmp_path), "-o", "json"],
                                   env=offline_env(env), capture_output=True, text=True, timeout=600)
        assert completed.returncode in (0, 1), completed.stderr[-3000:]
        found = [r for r in results_of(completed) if r["check_id"] == "CKV_VPCE_1"
                 and r["file_path"].endswith("reports.json")]
        assert len(found) == 1, completed.stdout[-3000:]
        return found[0]

    alone = bucket_row({})
    assert alone["check_result"]["result"] == "FAILED"
    layered = bucket_row({"VPCE_CHECKS_APPLIED_ORG_POLICIES": "network-perimeter"})
    assert layered["check_result"]["result"] == "PASSED", _details(layered)
    assert "Enforced by RCP file network-perimeter.json" in _details(layered)
    other = bucket_row({"VPCE_CHECKS_APPLIED_ORG_POLICIES": "another-policy"})
    assert other["check_result"]["result"] == "FAILED"
    assert "another-policy" in _details(other)
