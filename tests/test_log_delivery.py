"""ELB access-log accounts (SPEC section 4, "Excused requests"; docs/semantics.md): excused only when an Allow
names them by exact account ID, and `fix` keeps their grant working. Fixture verdicts are in
fixtures/CKV_VPCE_1/expected.txt (tests/test_integration_fixtures.py); here the engine's rule and the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, offline_env
from vpce_checks.engine.evaluate import Principal, Request, evaluate
from vpce_checks.engine.log_delivery import ELB_ACCESS_LOG_ACCOUNTS, excused_log_accounts
from vpce_checks.engine.model import parse_policy
from vpce_checks.engine.perimeter import perimeter_of
from vpce_checks.engine.services import Target

ELB = "127311923021"
BUCKET = "arn:aws:s3:::northwind-alb-access-logs"
TARGET = Target("s3", "northwind-alb-access-logs", account="462761261830")


def _policy(grant: object, exempt: str = ELB, effect: str = "Allow") -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": effect, "Principal": {"AWS": grant}, "Action": "s3:PutObject", "Resource": BUCKET + "/AWSLogs/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [BUCKET, BUCKET + "/*"],
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0c83a8ad9bb98ef71",
                                           "aws:PrincipalAccount": exempt}}}]}


def test_the_table_is_the_documented_one() -> None:
    assert len(ELB_ACCESS_LOG_ACCOUNTS) == 26 and len(set(ELB_ACCESS_LOG_ACCOUNTS.values())) == 26
    assert ELB_ACCESS_LOG_ACCOUNTS["us-east-1"] == ELB and ELB_ACCESS_LOG_ACCOUNTS["eu-west-3"] == "009996457667"
    semantics = (Path(__file__).parent.parent / "docs" / "semantics.md").read_text(encoding="utf-8")
    for region, account in ELB_ACCESS_LOG_ACCOUNTS.items():
        assert f"| {region} | {account} |" in semantics, region


def test_excused_only_when_an_allow_names_the_account_by_exact_id() -> None:
    for grant in (f"arn:aws:iam::{ELB}:root", ELB):
        assert perimeter_of(parse_policy(_policy(grant)), TARGET).passed, grant
    # a user ARN of the account, the account only in a Deny, or another account: ordinary outside callers
    for policy in (_policy(f"arn:aws:iam::{ELB}:user/logs"), _policy(f"arn:aws:iam::{ELB}:root", effect="Deny"),
                   _policy("arn:aws:iam::767181417330:root", exempt="767181417330")):
        verdict = perimeter_of(parse_policy(policy), TARGET)
        assert not verdict.passed and verdict.counterexample is not None
        assert verdict.counterexample.principal.account in (ELB, "767181417330"), verdict.description
    assert excused_log_accounts(parse_policy(_policy(f"arn:aws:iam::{ELB}:user/logs"))) == frozenset()


def test_a_pass_says_it_excused_the_account() -> None:
    verdict = perimeter_of(parse_policy(_policy(ELB)), TARGET)
    assert any(ELB in line and "us-east-1" in line for line in verdict.excused), verdict.excused


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vpce_checks", *args], env=offline_env(), capture_output=True,
                          text=True, timeout=600)


def test_fix_on_an_elb_log_bucket_keeps_log_delivery_and_passes_explain(tmp_path) -> None:
    source = FIXTURES / "CKV_VPCE_1" / "json" / "elb_log_allow_only_fail.json"
    fixed = _cli("fix", str(source), "--vpce", "vpce-0c83a8ad9bb98ef71")
    assert fixed.returncode == 0, fixed.stderr
    assert "kept the grant to the Elastic Load Balancing access-log account 127311923021" in fixed.stderr
    path = tmp_path / source.name
    path.write_text(fixed.stdout, encoding="utf-8")
    explained = _cli("explain", str(path))
    assert explained.returncode == 0, explained.stdout
    assert "Excused: requests by principals of the Elastic Load Balancing access-log account 127311923021" in \
        explained.stdout
    delivery = Request(action="s3:PutObject", resource=BUCKET + "/AWSLogs/462761261830/elasticloadbalancing/x.log",
                       principal=Principal(kind="iam", account=ELB, arn=f"arn:aws:sts::{ELB}:assumed-role/r/s",
                                           role_arn=f"arn:aws:iam::{ELB}:role/r"),
                       context={"aws:principalaccount": ELB, "aws:principalarn": f"arn:aws:iam::{ELB}:role/r",
                                "aws:principalisawsservice": "false", "aws:sourceip": "54.239.1.1"})
    assert not evaluate(parse_policy(json.loads(fixed.stdout)), delivery).explicitly_denied
    anonymous = Request(action="s3:GetObject", resource=BUCKET + "/x", principal=Principal(kind="anonymous"),
                        context={"aws:sourceip": "54.239.1.1"})
    assert evaluate(parse_policy(json.loads(fixed.stdout)), anonymous).explicitly_denied


def test_terraform_elb_data_source_is_excused_and_fix_names_the_files_own_data_source(tmp_path) -> None:
    folder = FIXTURES / "CKV_VPCE_1" / "terraform" / "elb_service_account_pass"
    explained = _cli("explain", str(folder / "main.tf"))
    assert explained.returncode == 0, explained.stdout
    assert "access-log account data.aws_elb_service_account" in explained.stdout
    text = (folder / "main.tf").read_text(encoding="utf-8")
    broken = text.replace("values   = [data.aws_elb_service_account.main.id]", 'values   = ["767181417330"]')
    assert broken != text
    (tmp_path / "main.tf").write_text(broken, encoding="utf-8")
    fixed = _cli("fix", str(tmp_path / "main.tf"), "--vpce", "vpce-0c83a8ad9bb98ef71")
    assert fixed.returncode == 0, fixed.stderr
    assert "values   = [data.aws_elb_service_account.main.id]" in fixed.stdout, fixed.stdout
    assert "still fails" not in fixed.stdout, fixed.stdout
