"""`vpce-checks explain` and `vpce-checks fix`: the corrected policy passes every pack check.

Raw JSON is judged in-process by the same adapter and judge the raw-JSON checks call; Terraform and
CloudFormation go through the real Checkov CLI. The central property: for every failing raw-JSON resource-policy
fixture, the output of `fix` passes `explain` (coverage, soundness and aws:SourceIp), and the statements that are
not part of the perimeter are kept as they were, in order.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, offline_env
from vpce_checks.explain import explain, fix_document
from vpce_checks.settings import load_settings

ENDPOINTS = ["vpce-0c83a8ad9bb98ef71", "vpce-a0bd6592640171aa6"]
# VPC endpoint policies (CKV_VPCE_8) are not resource policies: fix repairs resource policies only.
RAW_POLICIES = sorted(p for p in FIXTURES.glob("*/json/*.json") if p.parent.parent.name != "CKV_VPCE_8")


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vpce_checks", *args], env=offline_env(), capture_output=True,
                          text=True, timeout=600, cwd=cwd)


def _failing_raw_policies():
    return [p for p in RAW_POLICIES if any(r.failed for r in explain(str(p)))]


def _perimeter_free(document: dict) -> list:
    """Statements that test no perimeter key and no aws:SourceIp: fix must leave them exactly as they were."""
    out = []
    for statement in document.get("Statement", []):
        text = json.dumps(statement.get("Condition", {})).lower()
        if not any(k in text for k in ("sourcevpc", "vpce", "sourceip")):
            out.append(statement)
    return out


def test_every_failing_raw_json_fixture_is_repaired_into_a_passing_policy(tmp_path):
    settings = load_settings({})
    failing = _failing_raw_policies()
    assert len(failing) >= 20, [p.name for p in failing]
    still_failing = []
    for path in failing:
        document = json.loads(path.read_text(encoding="utf-8"))
        fixed, changes = fix_document(document, str(path), ENDPOINTS, [], settings)
        assert changes, path
        assert _perimeter_free(fixed) == _perimeter_free(document), path
        repaired = tmp_path / path.parent.parent.name / path.name
        repaired.parent.mkdir(exist_ok=True)
        repaired.write_text(json.dumps(fixed, indent=2), encoding="utf-8")
        reports = explain(str(repaired))
        assert reports, path
        failed = [f for r in reports for f in r.findings if f.result == "FAILED"]
        # A placeholder fix cannot replace (an aws:SourceIp that is no address) may stay, when fix says so.
        said = " ".join(changes)
        if failed and not all(f.check_id == "CKV_VPCE_7" and "not an IP address" in f.reason
                              and f"CKV_VPCE_7: the fixed policy still fails: {f.reason}" in said for f in failed):
            still_failing.append(path.name)
    print(f"fix repaired {len(failing) - len(still_failing)}/{len(failing)} failing raw-JSON fixtures")
    assert not still_failing


def test_fix_merges_split_denies_and_keeps_order():
    path = FIXTURES / "CKV_VPCE_6" / "json" / "overlapping_denies_lockout_fail.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    fixed, changes = fix_document(document, str(path), ENDPOINTS, [], load_settings({}))
    denies = [s for s in fixed["Statement"] if s["Effect"] == "Deny" and "aws:SourceVpce" in
              json.dumps(s.get("Condition", {}))]
    assert len(denies) == 1
    assert denies[0]["Condition"]["StringNotEquals"]["aws:SourceVpce"] == ENDPOINTS
    assert any("replaced by one Deny" in c for c in changes)


def test_fix_replaces_wildcard_endpoint_with_the_given_ids():
    path = FIXTURES / "CKV_VPCE_6" / "json" / "stringnotlike_vpce_star_fail.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    fixed, _ = fix_document(document, str(path), ENDPOINTS[:1], [], load_settings({}))
    text = json.dumps(fixed)
    assert "vpce-*" not in text and "StringNotLike" not in text and ENDPOINTS[0] in text


def test_fix_keeps_accepted_exemptions(tmp_path):
    path = FIXTURES / "CKV_VPCE_1" / "json" / "principal_tag_exemption_fail.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    tag_keys = [k for cond in _conditions(document) for k in cond if k.lower().startswith("aws:principaltag/")]
    assert tag_keys
    accepted = load_settings({"VPCE_CHECKS_ACCEPTED_EXEMPTIONS": tag_keys[0]})
    kept, _ = fix_document(document, str(path), ENDPOINTS, [], accepted)
    dropped, _ = fix_document(document, str(path), ENDPOINTS, [], load_settings({}))
    assert tag_keys[0] in json.dumps(kept) and tag_keys[0] not in json.dumps(dropped)


def _conditions(document: dict):
    for statement in document["Statement"]:
        yield from (statement.get("Condition") or {}).values()


def test_explain_cli_exit_codes_and_json():
    failing = _cli("explain", str(FIXTURES / "CKV_VPCE_1" / "json" / "partial_actions_fail.json"))
    assert failing.returncode == 1, failing.stderr
    assert "Counterexample: " in failing.stdout and 'To change: statement "DenyOutsideVpce"' in failing.stdout
    passing = _cli("explain", str(FIXTURES / "CKV_VPCE_2" / "json" / "sound_pass.json"), "--json")
    assert passing.returncode == 0, passing.stderr
    payload = json.loads(passing.stdout)
    assert payload[0]["result"] == "PASSED" and payload[0]["findings"][0]["check_id"] == "CKV_VPCE_2"
    missing = _cli("explain", "no/such/file.json")
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_explain_terraform_through_checkov_names_statement_to_change():
    folder = FIXTURES / "CKV_VPCE_1" / "terraform" / "jsonencode_refs_partial_actions_fail"
    completed = _cli("explain", str(folder), "--resource", "aws_s3_bucket_policy.uploads")
    assert completed.returncode == 1, completed.stderr
    assert "aws_s3_bucket_policy.uploads" in completed.stdout
    assert 'To change: statement "DenyObjectIoOutsideVpce"' in completed.stdout
    assert "Fix: add to the policy's Statement list:" in completed.stdout


def test_fix_terraform_and_cloudformation_print_the_statement_in_the_files_syntax():
    folder = FIXTURES / "CKV_VPCE_1" / "terraform" / "jsonencode_refs_partial_actions_fail"
    hcl = _cli("fix", str(folder), "--vpce", ENDPOINTS[0])
    assert hcl.returncode == 0, hcl.stderr
    assert 'replace statement "DenyObjectIoOutsideVpce"' in hcl.stdout and 'Action    = "s3:*"' in hcl.stdout
    template = FIXTURES / "CKV_VPCE_6" / "cloudformation" / "stringnotlike_prefix_fail.yaml"
    yaml = _cli("fix", str(template), "--vpce", ENDPOINTS[0], "--vpc", "vpc-0a9ee841fd67a6e92")
    assert yaml.returncode == 0, yaml.stderr
    assert "StringNotEqualsIfExists:" in yaml.stdout and "- Sid:" in yaml.stdout


FAILING_TOPIC = FIXTURES / "CKV_VPCE_3" / "json" / "allow_only_fail.json"


def _write(path: Path) -> subprocess.CompletedProcess:
    return _cli("fix", str(path), "--vpce", ENDPOINTS[0], "--write")


def test_fix_write_updates_raw_json_in_place_with_a_backup(tmp_path):
    target = tmp_path / "topic-policy.json"
    shutil.copy(FAILING_TOPIC, target)
    target.chmod(0o640)
    completed = _write(target)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == ""
    assert f"vpce-checks fix: wrote {target} (replaced atomically; the original is in {target}.bak)" in \
        completed.stderr
    assert (tmp_path / "topic-policy.json.bak").read_text() == FAILING_TOPIC.read_text()
    assert (target.stat().st_mode & 0o777) == 0o640 and ((tmp_path / "topic-policy.json.bak").stat().st_mode
                                                        & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["topic-policy.json", "topic-policy.json.bak"]  # no temp
    assert _cli("explain", str(target)).returncode == 0


def test_fix_write_never_overwrites_a_backup_and_says_which_it_used(tmp_path):
    target = tmp_path / "topic-policy.json"
    shutil.copy(FAILING_TOPIC, target)
    (tmp_path / "topic-policy.json.bak").write_text("an older backup\n")
    (tmp_path / "topic-policy.json.bak.1").write_text("an even older one\n")
    completed = _write(target)
    assert completed.returncode == 0, completed.stderr
    assert f"the original is in {target}.bak.2" in completed.stderr
    assert f"{target}.bak, {target}.bak.1 already existed and were left alone" in completed.stderr
    assert (tmp_path / "topic-policy.json.bak").read_text() == "an older backup\n"
    assert (tmp_path / "topic-policy.json.bak.1").read_text() == "an even older one\n"
    assert (tmp_path / "topic-policy.json.bak.2").read_text() == FAILING_TOPIC.read_text()
    # a second --write on the fixed file changes nothing and makes no backup of the fixed text
    fixed = target.read_text()
    again = _write(target)
    assert again.returncode == 0, again.stderr
    assert "already holds the fixed policy; nothing written, no backup made" in again.stderr
    assert target.read_text() == fixed and not (tmp_path / "topic-policy.json.bak.3").exists()


def test_fix_write_refuses_a_symlinked_file(tmp_path):
    real = tmp_path / "real.json"
    shutil.copy(FAILING_TOPIC, real)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    completed = _write(link)
    assert completed.returncode == 2
    assert f"FILE {link} is a symbolic link (to {real})" in completed.stderr
    assert real.read_text() == FAILING_TOPIC.read_text() and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


@pytest.mark.parametrize("dangling", [False, True])
def test_fix_write_refuses_a_symlinked_backup_path(tmp_path, dangling):
    target = tmp_path / "topic-policy.json"
    shutil.copy(FAILING_TOPIC, target)
    elsewhere = tmp_path / "elsewhere.txt"
    if not dangling:
        elsewhere.write_text("not yours to overwrite\n")
    (tmp_path / "topic-policy.json.bak").symlink_to(elsewhere)
    completed = _write(target)
    assert completed.returncode == 2
    assert f"the backup path {target}.bak is a symbolic link" in completed.stderr
    assert target.read_text() == FAILING_TOPIC.read_text()
    assert elsewhere.exists() != dangling and (dangling or elsewhere.read_text() == "not yours to overwrite\n")
    assert not (tmp_path / "topic-policy.json.bak.1").exists()


def test_fix_write_refuses_when_every_backup_name_is_taken(tmp_path):
    from vpce_checks.explain import MAX_BACKUPS

    target = tmp_path / "p.json"
    shutil.copy(FAILING_TOPIC, target)
    for index in range(MAX_BACKUPS):
        (tmp_path / ("p.json.bak" + (f".{index}" if index else ""))).write_text("old\n")
    completed = _write(target)
    assert completed.returncode == 2 and "never overwrites a backup" in completed.stderr
    assert target.read_text() == FAILING_TOPIC.read_text()


@pytest.mark.parametrize("args, message", [
    (["--vpce", "vpce-ABC"], "not a well-formed ID"),
    ([], "give the endpoints"),
])
def test_fix_rejects_bad_ids(args, message):
    completed = _cli("fix", str(FIXTURES / "CKV_VPCE_1" / "json" / "partial_actions_fail.json"), *args)
    assert completed.returncode == 2 and message in completed.stderr


def test_fix_refuses_write_for_terraform():
    completed = _cli("fix", str(FIXTURES / "CKV_VPCE_1" / "terraform" / "heredoc_pass"), "--vpce", ENDPOINTS[0],
                     "--write")
    assert completed.returncode == 2 and "raw JSON policies only" in completed.stderr


def test_fix_with_vpcs_only_in_every_syntax(tmp_path):
    """--vpc without --vpce: the Deny admits the VPC's endpoints (StringNotEquals aws:SourceVpc)."""
    template = FIXTURES / "CKV_VPCE_6" / "cloudformation" / "stringnotlike_prefix_fail.yaml"
    yaml = _cli("fix", str(template), "--vpc", "vpc-0a9ee841fd67a6e92")
    assert yaml.returncode == 0, yaml.stderr
    assert "aws:SourceVpc:" in yaml.stdout and "aws:SourceVpce" not in yaml.stdout
    source = FIXTURES / "CKV_VPCE_2" / "json" / "allow_only_fail.json"
    raw = _cli("fix", str(source), "--vpc", "vpc-0a9ee841fd67a6e92")
    assert raw.returncode == 0, raw.stderr
    fixed = tmp_path / "queue-policy.json"
    fixed.write_text(raw.stdout, encoding="utf-8")
    assert _cli("explain", str(fixed)).returncode == 0


def test_explain_names_a_policy_it_could_not_judge(tmp_path):
    policy = tmp_path / "bucket-policy.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", '
                      '"Action": "s3:*", "Resource": "arn:aws:s3:::northwind-reports/*",}]}\n')
    text = _cli("explain", str(policy))
    assert text.returncode == 1 and f"NOT JUDGED  {policy}" in text.stdout and "not valid JSON" in text.stdout
    assert "No resource policy found" not in text.stdout
    shutil.copy(FIXTURES / "CKV_VPCE_2" / "json" / "sound_pass.json", tmp_path / "good.json")
    folder = _cli("explain", str(tmp_path), "--json")
    assert folder.returncode == 1, folder.stderr
    items = json.loads(folder.stdout)
    assert [i["file"] for i in items if i["result"] == "NOT_JUDGED"] == [str(policy)]
    assert any(i["result"] == "PASSED" for i in items)


def test_the_fix_never_admits_an_endpoint_a_deny_blocks():
    """A Deny with StringEquals aws:SourceVpce X blocks X: the suggested Deny must not list X as allowed (it
    would open the endpoint the policy closed); an Allow's StringEquals and a Deny's StringNotEquals name
    endpoints the policy admits, and the fix keeps those."""
    from vpce_checks.engine.model import parse_policy
    from vpce_checks.engine.remediation import named_endpoints
    from vpce_checks.engine.services import PROFILES, Target
    from vpce_checks.fix_rendering import PLACEHOLDERS, fix_for

    def statement(effect: str, operator: str, endpoint: str) -> dict:
        return {"Effect": effect, "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                "Condition": {operator: {"aws:SourceVpce": endpoint}}}

    blocking = parse_policy({"Version": "2012-10-17", "Statement": [
        statement("Deny", "StringEquals", "vpce-0123456789abcdef0")]})
    assert named_endpoints(blocking) == []
    fix = json.loads(fix_for(blocking, PROFILES["s3"], Target("s3", "b"), "json"))
    assert fix["Condition"]["StringNotEquals"]["aws:SourceVpce"] == [PLACEHOLDERS["json"]]
    admitting = parse_policy({"Version": "2012-10-17", "Statement": [
        statement("Allow", "StringEquals", "vpce-0123456789abcdef0"),
        statement("Deny", "StringNotEquals", "vpce-0a1b2c3d4e5f60718")]})
    assert named_endpoints(admitting) == ["vpce-0123456789abcdef0", "vpce-0a1b2c3d4e5f60718"]


def test_fix_keeps_a_deny_that_tests_the_perimeter_key_positively(tmp_path):
    """Issue 13: AWS's data perimeter examples pair StringEquals aws:SourceVpc with a Region restriction, a control
    on requests from inside the VPC. The fix replaces only the perimeter Deny, keeps that statement as written, and
    its output passes explain."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "EnforceNetworkPerimeter", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
         "Resource": "arn:aws:sns:us-east-1:111122223333:alerts",
         "Condition": {"StringNotEqualsIfExists": {"aws:SourceVpc": "vpc-0a1b2c3d4e5f60718"},
                       "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}},
        {"Sid": "RestrictRegionFromVpc", "Effect": "Deny", "Principal": "*", "Action": "sns:*",
         "Resource": "arn:aws:sns:us-east-1:111122223333:alerts",
         "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-0a1b2c3d4e5f60718"},
                       "StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}}]}
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps(policy))
    fixed = subprocess.run([sys.executable, "-m", "vpce_checks.cli", "fix", str(path), "--vpc",
                            "vpc-0a1b2c3d4e5f60718"], capture_output=True, text=True, env=offline_env())
    assert fixed.returncode == 0, fixed.stderr
    document = json.loads(fixed.stdout)
    assert document["Statement"][1] == policy["Statement"][1]
    assert [s["Sid"] for s in document["Statement"]] == ["EnforceNetworkPerimeter", "RestrictRegionFromVpc"]
    out = tmp_path / "fixed.json"
    out.write_text(fixed.stdout)
    explained = subprocess.run([sys.executable, "-m", "vpce_checks.cli", "explain", str(out)],
                               capture_output=True, text=True, env=offline_env())
    assert explained.returncode == 0, explained.stdout
    assert "typo" not in explained.stdout  # a positive test with a Region condition is a control, not a slip


def test_the_counterexample_does_not_depend_on_string_hashing(tmp_path):
    """Two runs of explain on the same policy show the same counterexample, whatever PYTHONHASHSEED is: the search
    once broke ties by the order of a frozenset, so CI logs and SARIF changed between identical runs."""
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "S0", "Effect": "Deny", "Principal": "*", "Action": ["sns:GetTopicAttributes", "sns:Set*"],
        "Resource": ["arn:aws:sns:us-east-1:111122223333:alerts"],
        "Condition": {"ForAllValues:StringNotEquals": {"aws:SourceVpc": ["vpc-5e6f7a8b", "vpc-0*"]},
                      "StringNotLike": {"aws:userid": ["AROAEXAMPLEID:*"]},
                      "ArnNotLikeIfExists": {"aws:PrincipalArn": ["arn:aws:iam::*:role/aws-service-role/*"]},
                      "ArnNotEquals": {"aws:PrincipalArn": ["arn:aws:iam::111122223333:role/admin"]}}}]}
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps(policy))
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        run = subprocess.run([sys.executable, "-m", "vpce_checks.cli", "explain", "--json", str(path)],
                             capture_output=True, text=True, env=offline_env({"PYTHONHASHSEED": seed}))
        assert run.returncode == 1, run.stderr
        outputs.add(run.stdout)
    assert len(outputs) == 1
