"""Independence (SPEC section 7, issue 11 item 2): the engine's verdicts checked against an IAM evaluator we did not
write, @cloud-copilot/iam-simulate (npm, pinned in tests/differential/package-lock.json, test-only, AGPL).

(a) every FAIL's counterexample, replayed, is not explicitly denied (a simulator error on it, or a value that is
    not concrete, is the pack's fault: AWS would not receive that request);
(b) for every PASS, 500 requests from outside the perimeter, drawn without the engine, are all explicitly denied;
(c) for every CKV_VPCE_6 lockout, requests through that origin are all explicitly denied.

Disagreements are either the simulator's (KNOWN_SIMULATOR_DEFECTS: each with its AWS documentation and a
reproduction below, and attributed only when evaluating the documented behaviour in the simulator restores
agreement) or the pack's, and any of the pack's fails the test. `python -m pytest tests/test_differential.py -s`
prints the summary; VPCE_DIFF_POLICIES raises the number of policies (benchmarks/differential_run.py runs 20,000).
"""

from __future__ import annotations

import copy
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import pytest

from tests.conftest import FIXTURES
from tests.differential.harness import Differential, Disagreement, Run
from tests.differential.outside import (
    CARRIED_BY,
    allowed_origins,
    excused_log_accounts,
    is_excused_principal,
    is_inside,
)
from tests.differential.policies import ACCOUNT, TARGETS
from tests.differential.simulator import SimRequest, Simulator, unavailable_reason

DEFAULT_POLICIES = 500
POLICIES = int(os.environ.get("VPCE_DIFF_POLICIES", str(DEFAULT_POLICIES)))
SEED = int(os.environ.get("VPCE_DIFF_SEED", "20260611"))
QUEUE = TARGETS["sqs"].arn


# -- the simulator's known defects ---------------------------------------------------------------------------------

def _ip_values_without_zero_prefix(policy: dict, request: SimRequest) -> Optional[dict]:
    """0.0.0.0/0 written as its two halves, which the simulator evaluates correctly."""
    fixed = copy.deepcopy(policy)
    changed = False
    for statement in fixed["Statement"]:
        for operator, entries in (statement.get("Condition") or {}).items():
            if "ipaddress" not in operator.lower():
                continue
            for key, values in entries.items():
                listed = values if isinstance(values, list) else [values]
                if "0.0.0.0/0" in listed or "::/0" in listed:
                    halves = {"0.0.0.0/0": ["0.0.0.0/1", "128.0.0.0/1"], "::/0": ["::/1", "8000::/1"]}
                    entries[key] = [h for v in listed for h in halves.get(v, [v])]
                    changed = True
    return fixed if changed else None


def _not_principal_without(policy: dict, request: SimRequest, drop: Callable[[str], bool]) -> Optional[dict]:
    fixed = copy.deepcopy(policy)
    changed = False
    for statement in fixed["Statement"]:
        element = statement.get("NotPrincipal")
        if not isinstance(element, dict) or "AWS" not in element:
            continue
        listed = element["AWS"] if isinstance(element["AWS"], list) else [element["AWS"]]
        kept = [v for v in listed if not drop(v)]
        if len(kept) != len(listed):
            changed = True
            # A NotPrincipal that exempts nobody who can make this request: a user that does not exist.
            element["AWS"] = kept or ["arn:aws:iam::999988887777:user/no-such-user"]
    return fixed if changed else None


def _role_arns_for_sessions(policy: dict, request: SimRequest) -> Optional[dict]:
    """For a request by an assumed-role session, role ARNs removed from NotPrincipal: documented to exempt the
    role, never its sessions, and a role itself makes no request."""
    if not (request.principal or "").startswith("arn:aws:sts::"):
        return None
    return _not_principal_without(policy, request, lambda v: ":role/" in v)


def _account_roots_for_non_root(policy: dict, request: SimRequest) -> Optional[dict]:
    """For a request by anyone but the root user, account root ARNs (and bare account IDs) removed from
    NotPrincipal: documented to exempt the root user only."""
    if (request.principal or "").endswith(":root"):
        return None
    return _not_principal_without(policy, request, lambda v: v.endswith(":root") or bool(re.fullmatch(r"\d{12}", v)))


@dataclass(frozen=True)
class SimulatorDefect:
    """A place where the simulator departs from AWS's documented behaviour. ``corrected`` rewrites a policy into
    one that means the same to AWS and that the simulator evaluates correctly (None when it does not apply)."""

    name: str
    citation: str
    corrected: Callable[[dict, SimRequest], Optional[dict]]
    reproduction: SimRequest  # the simulator gets this one wrong
    aws_denies: bool  # what AWS documents for the reproduction


def _queue_policy(statement: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": [dict(statement, Action="sqs:*", Resource=QUEUE)]}


KNOWN_SIMULATOR_DEFECTS: List[SimulatorDefect] = [
    SimulatorDefect(
        name="a /0 CIDR never matches",
        citation="IAM User Guide, Condition operators, IP address condition operators: the value is an address or "
                 "a CIDR range (https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                 "reference_policies_elements_condition_operators.html#Conditions_IPAddress); 0.0.0.0/0 is the "
                 "range of every IPv4 address",
        corrected=_ip_values_without_zero_prefix,
        reproduction=SimRequest(
            principal=f"arn:aws:iam::{ACCOUNT}:user/alice", action="sqs:SendMessage", resource=QUEUE,
            account=ACCOUNT, context={"aws:SourceIp": "8.8.8.8"},
            policy=_queue_policy({"Effect": "Deny", "Principal": "*",
                                  "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}})),
        aws_denies=True,
    ),
    SimulatorDefect(
        name="NotPrincipal with a role ARN exempts the role's sessions",
        citation="IAM User Guide, AWS JSON policy elements: NotPrincipal (https://docs.aws.amazon.com/IAM/latest/"
                 "UserGuide/reference_policies_elements_notprincipal.html): an assumed-role session is identified "
                 "by its session ARN; a role ARN in NotPrincipal does not exempt the role's sessions",
        corrected=_role_arns_for_sessions,
        reproduction=SimRequest(
            principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/session", action="sqs:SendMessage",
            resource=QUEUE, account=ACCOUNT, context={"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/admin"},
            policy=_queue_policy({"Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"}})),
        aws_denies=True,
    ),
    SimulatorDefect(
        name="NotPrincipal with the account root exempts the whole account",
        citation="IAM User Guide, AWS JSON policy elements: NotPrincipal (https://docs.aws.amazon.com/IAM/latest/"
                 "UserGuide/reference_policies_elements_notprincipal.html): the page's example names a user and "
                 "its account's root ARN and denies everyone but that user; the root ARN exempts the root user",
        corrected=_account_roots_for_non_root,
        reproduction=SimRequest(
            principal=f"arn:aws:iam::{ACCOUNT}:user/alice", action="sqs:SendMessage", resource=QUEUE,
            account=ACCOUNT, context={},
            policy=_queue_policy({"Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}})),
        aws_denies=True,
    ),
]


# -- the run ---------------------------------------------------------------------------------------------------------

@dataclass
class Judged:
    run: Run
    simulator_defects: Dict[str, List[Disagreement]]
    unclassified: List[Disagreement]


def _agrees_with_engine(d: Disagreement, denied: bool) -> bool:
    return not denied if d.kind == "fail-replay-denied" else denied


def judge(run: Run, simulator: Simulator) -> Judged:
    """Sort every disagreement: the simulator's (documented behaviour restores agreement) or the pack's."""
    retries: List[Tuple[Disagreement, SimulatorDefect, SimRequest]] = []
    for d in run.disagreements:
        if d.request is None or d.result is None or d.result.error:
            continue
        for defect in KNOWN_SIMULATOR_DEFECTS:
            fixed = defect.corrected(d.request.policy, d.request)
            if fixed is not None:
                retries.append((d, defect, SimRequest(d.request.principal, d.request.action, d.request.resource,
                                                      d.request.account, d.request.context, fixed)))
                carrier = CARRIED_BY.get(d.request.action.lower())
                if carrier and d.kind != "fail-replay-denied":  # the request it rides on, under the correction too
                    retries.append((d, defect, SimRequest(d.request.principal, carrier, d.request.resource,
                                                          d.request.account, d.request.context, fixed)))
    attributed: Dict[int, str] = {}
    for (d, defect, _), result in zip(retries, simulator.simulate([r for _, _, r in retries])):
        if id(d) not in attributed and result.error is None and _agrees_with_engine(d, result.explicitly_denied):
            attributed[id(d)] = defect.name
    simulator_defects: Dict[str, List[Disagreement]] = defaultdict(list)
    unclassified = []
    for d in run.disagreements:
        if id(d) in attributed:
            simulator_defects[attributed[id(d)]].append(d)
        else:
            unclassified.append(d)
    return Judged(run, dict(simulator_defects), unclassified)


def summary(judged: Judged) -> str:
    run = judged.run
    lines = [f"differential run: {run.policies} policies in {run.seconds:.0f} s (engine {run.engine_seconds:.0f} s, "
             f"simulator {run.simulator_seconds:.0f} s); verdicts {dict(run.verdicts)}; unparsed {len(run.unparsed)}; "
             f"CKV_VPCE_6 lockouts {run.lockouts}",
             f"  requests sent to the simulator: {dict(run.requests)}"]
    if run.ignored_keys:
        lines.append(f"  context keys the simulator ignored as inapplicable: {dict(run.ignored_keys)}")
    if run.one_database_actions:
        lines.append(f"  actions known to only one action database (reported, not counted): "
                     f"{dict(run.one_database_actions)}")
    lines.append("  simulator defects:")
    for name, cases in sorted(judged.simulator_defects.items()):
        policies = len({id(d.policy) for d in cases})
        lines.append(f"    {name}: {policies} policies, {len(cases)} requests")
    policies = len({id(d.policy) for d in judged.unclassified})
    lines.append(f"  disagreements of the pack: {policies} policies, {len(judged.unclassified)} requests")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def simulator():
    reason = unavailable_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the differential test needs the simulator under CI=true: {reason}")
        pytest.skip(reason)
    process = Simulator()
    yield process
    process.close()


@pytest.fixture(scope="module")
def judged(simulator: Simulator) -> Judged:
    run = Differential(simulator, seed=SEED).run(POLICIES)
    result = judge(run, simulator)
    print("\n" + summary(result))
    return result


def test_pinned_simulator(simulator: Simulator) -> None:
    """The lock file's versions are the ones running (npm ci installs exactly those)."""
    assert simulator.versions["iamSimulate"] == "0.1.173"


@pytest.mark.parametrize("defect", KNOWN_SIMULATOR_DEFECTS, ids=lambda d: d.name)
def test_simulator_defect_still_reproduces(simulator: Simulator, defect: SimulatorDefect) -> None:
    """Each listed defect is real today (the simulator errs on its reproduction) and its correction is faithful
    (the documented behaviour, written another way, gets AWS's answer): remove an entry once this fails."""
    wrong, right = simulator.simulate([defect.reproduction, SimRequest(
        defect.reproduction.principal, defect.reproduction.action, defect.reproduction.resource,
        defect.reproduction.account, defect.reproduction.context,
        defect.corrected(defect.reproduction.policy, defect.reproduction) or {})])
    assert wrong.error is None and right.error is None, (wrong.error, right.error)
    assert wrong.explicitly_denied != defect.aws_denies, f"the simulator no longer has the defect: {defect.name}"
    assert right.explicitly_denied == defect.aws_denies


def test_engine_agrees_with_the_independent_simulator(judged: Judged) -> None:
    run = judged.run
    if POLICIES == DEFAULT_POLICIES:
        assert run.policies >= 500
    assert run.verdicts["pass"] > 0 and run.verdicts["fail"] > 0
    assert run.requests["outside"] >= 500 * run.verdicts["pass"] - 500 * len(
        [d for d in run.disagreements if d.kind == "sampler-short"])
    # A key the simulator drops would be evaluated as absent: the test's own requests must carry none.
    assert not [key for key in run.ignored_keys if key[0] != "replayed"], run.ignored_keys
    shown = "\n\n".join(d.describe() for d in _one_per_policy(judged.unclassified)[:15])
    assert not judged.unclassified, (
        f"{len(judged.unclassified)} disagreements with the independent simulator are neither a documented "
        f"simulator defect nor a known pack class:\n{shown}")


def _one_per_policy(cases: List[Disagreement]) -> List[Disagreement]:
    seen, out = set(), []
    for d in cases:
        if (id(d.policy), d.kind) not in seen:
            seen.add((id(d.policy), d.kind))
            out.append(d)
    return out


# -- the test's own decisions, checked on their own ----------------------------------------------------------------

def test_missing_simulator_is_reported_with_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Without the package the reason names the README's install step (the fixture fails on it under CI=true)."""
    import tests.differential.simulator as bridge

    monkeypatch.setattr(bridge, "PACKAGE", tmp_path / "missing" / "package.json")
    reason = bridge.unavailable_reason()
    assert reason is not None and "npm ci --prefix tests/differential" in reason


def test_outside_and_excused_come_from_the_policy_text() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": QUEUE, "Condition": {
            "StringNotEquals": {"aws:SourceVpce": ["vpce-1a2b3c4d", "${aws:SourceVpce}", "vpce-*"]},
            "StringNotEqualsIgnoreCase": {"aws:sourcevpc": ["VPC-5E6F7A8B"]}}},
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": QUEUE,
         "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}}},
        {"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": QUEUE,
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-99999999"}}},
    ]}
    origins = allowed_origins(policy)
    assert origins["aws:sourcevpce"] == [("vpce-1a2b3c4d", False)]  # no variable, no wildcard, no Allow, no Equals
    assert origins["aws:sourcevpc"] == [("VPC-5E6F7A8B", True)]
    assert is_inside(origins, {"aws:SourceVpce": "vpce-1a2b3c4d", "aws:SourceVpc": "vpc-00000000"})
    assert is_inside(origins, {"aws:SourceVpce": "vpce-00000000", "aws:SourceVpc": "vpc-5e6f7a8b"})
    assert not is_inside(origins, {"aws:SourceVpce": "vpce-0123456789abcdef0", "aws:SourceVpc": "vpc-00000000"})
    assert not is_inside(origins, {"aws:SourceIp": "8.8.8.8"})
    assert is_excused_principal("arn:aws:iam::111122223333:role/aws-service-role/s3.amazonaws.com/AWSRole")
    assert is_excused_principal("arn:aws:iam::111122223333:role/aws:ec2-infrastructure")
    assert not is_excused_principal("arn:aws:iam::111122223333:role/admin")
    elb = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::127311923021:root", "033677994240",
                                                 "arn:aws:iam::797873946194:user/logs", "444455556666"]},
         "Action": "s3:PutObject", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::027434742980:root"}, "Action": "s3:*", "Resource": "*"}]}
    # exact-ID grants of ELB access-log accounts only: not a user ARN, not another account, not a Deny's Principal
    assert excused_log_accounts(elb) == {"127311923021", "033677994240"}


def test_requests_a_rest_api_never_receives_alone() -> None:
    """ManageConnections (WebSocket @connections) is never drawn for a REST API; InvalidateCache rides on an Invoke
    of the same method, which the harness sends beside it (outside.CARRIED_BY)."""
    import random

    from tests.differential.outside import CARRIED_BY, Sampler

    actions = [{"name": name, "wildcardOnly": False, "resourceTypes": [{"key": key}]}
               for name in ("Invoke", "InvalidateCache", "ManageConnections")
               for key in TARGETS["execute-api"].resource_types[:1]]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*",
                                                      "Resource": "*"}]}
    sampler = Sampler(random.Random(1), "execute-api", policy, policy, actions)
    assert sorted(name for name, _ in sampler.actions) == ["execute-api:InvalidateCache", "execute-api:Invoke"]
    assert CARRIED_BY["execute-api:invalidatecache"] == "execute-api:Invoke"


def test_routes_left_out_for_authorization_none_are_never_allowed(simulator: Simulator) -> None:
    """The engine leaves out a route of a method with authorization NONE that no Allow names (docs/semantics.md):
    API Gateway then decides on the resource policy alone, as the simulator does for an anonymous caller. Random
    invocations of every route a PASS names as left out (SAM's implicit "Stage" stage) are never Allowed by the
    simulator; the named stage's route through the allowed endpoint is (the control)."""
    import json
    import random

    from vpce_checks.adapters.apigateway import api_policy_for_cloudformation
    from vpce_checks.adapters.cloudformation.template import load_template
    from vpce_checks.judge import judge as judge_resource
    from vpce_checks.settings import load_settings

    path = str(FIXTURES / "CKV_VPCE_5" / "cloudformation" / "sam_implicit_stage_none_auth_pass.yaml")
    conf = {"Type": "AWS::Serverless::Api", "Properties": load_template(path).properties("RotaApi")}
    source = api_policy_for_cloudformation(conf, "AWS::Serverless::Api", path, "RotaApi")
    judgement = judge_resource(source, load_settings({}))
    left_out = [line.split("route ", 1)[1].split(":", 1)[0] for line in judgement.lines
                if line.startswith("Excused: requests to route ")]
    assert judgement.result == "PASSED" and left_out, judgement.lines
    api = f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:a1b2c3d4e5"
    endpoint = "vpce-0a1b2c3d4e5f60718"
    text = json.dumps(source.document).replace("execute-api:/", api + "/").replace("${Ref.ApiVpceId}", endpoint)
    policy = json.loads(text)
    rng = random.Random(5)
    requests = []
    for route in left_out:
        for _ in range(40):
            through = rng.choice([endpoint, "vpce-076cb9e8d9d8a89ca", f"vpce-{rng.getrandbits(68):017x}"])
            context: Dict[str, object] = {"aws:SourceVpce": through, "aws:SourceVpc": f"vpc-{rng.getrandbits(68):017x}"}
            requests.append(SimRequest(None, "execute-api:Invoke", f"{api}/{route}", ACCOUNT, context, policy))
    control = SimRequest(None, "execute-api:Invoke", f"{api}/prod/GET/shifts", ACCOUNT,
                         {"aws:SourceVpce": endpoint}, policy)
    *answers, control_answer = simulator.simulate(requests + [control])
    assert control_answer.error is None and control_answer.result == "Allowed", control_answer
    assert all(a.error is None for a in answers), [a.error for a in answers if a.error][:3]
    assert not [r for r, a in zip(requests, answers) if a.result == "Allowed"]


def test_a_layered_pass_holds_against_the_simulator_with_the_rcp(simulator: Simulator) -> None:
    """Issue 15: a bucket policy that fails alone passes with a raw JSON RCP the setting names (the engine's layered
    verdict). Requests drawn from outside the RCP's perimeter without the engine's help, sent to the simulator with
    the bucket policy and that RCP at the organisation root, are all explicitly denied; without the RCP some are
    not (the control: the bucket policy alone does leak)."""
    import json
    import random

    from tests.differential.outside import Sampler
    from vpce_checks.adapters.base import PolicySource
    from vpce_checks.adapters.organizations import org_policy_for_json
    from vpce_checks.engine.services import Target
    from vpce_checks.judge import judge as judge_resource
    from vpce_checks.settings import load_settings

    bucket = json.loads((FIXTURES / "CKV_VPCE_1" / "json" / "partial_actions_fail.json").read_text()
                        .replace("northwind-hr-letters", "data-bucket"))
    rcp = json.loads((FIXTURES / "CKV_VPCE_10" / "json" / "network_perimeter_rcp_pass.json").read_text())
    layer = org_policy_for_json(rcp, "network-perimeter.json")
    settings = load_settings({"VPCE_CHECKS_APPLIED_ORG_POLICIES": "network-perimeter"})
    alone = judge_resource(PolicySource(target=Target("s3", "data-bucket"), document=bucket), settings)
    layered = judge_resource(PolicySource(target=Target("s3", "data-bucket"), document=bucket,
                                          org_policies=[layer]), settings)
    assert alone.result == "FAILED" and layered.result == "PASSED", layered.lines
    sampler = Sampler(random.Random(11), "s3", rcp, bucket, simulator.actions("s3"))
    drawn = [sampled.request for sampled in sampler.outside(300)]
    assert len(drawn) == 300
    with_rcp = simulator.simulate([SimRequest(r.principal, r.action, r.resource, r.account, r.context, r.policy,
                                              [rcp]) for r in drawn])
    without = simulator.simulate(drawn)
    assert all(a.error is None for a in with_rcp + without)
    escaped = [r for r, a in zip(drawn, with_rcp) if not a.explicitly_denied]
    assert not escaped, escaped[:3]
    assert any(not a.explicitly_denied for a in without)  # the bucket policy alone leaks, as the engine says


def test_a_wildcard_under_string_not_equals_admits_no_endpoint(simulator: Simulator) -> None:
    """CKV_VPCE_6 says "vpce-*" under StringNotEquals is literal text that no endpoint matches (docs/semantics.md).
    Requests through well-formed endpoint IDs drawn at random, by this account's principals, are all explicitly
    denied by the simulator; a request carrying the literal text "vpce-*" is not (the control)."""
    import json
    import random

    from vpce_checks.engine.model import parse_policy
    from vpce_checks.engine.services import Target
    from vpce_checks.engine.soundness import soundness_of

    document = json.loads((FIXTURES / "CKV_VPCE_1" / "plan_source" / "oracle_functions" / "tfplan.json").read_text())
    change = next(c for c in document["resource_changes"] if c["address"] == "aws_s3_bucket_policy.for_conditional")
    policy = json.loads(change["change"]["after"]["policy"])
    verdict = soundness_of(parse_policy(policy), Target("s3", "northwind-oracle-7"))
    assert any("compared as literal text" in p for p in verdict.problems), verdict.problems
    rng = random.Random(7)
    bucket = "arn:aws:s3:::northwind-oracle-7"
    pairs = [("s3:GetObject", bucket + "/k"), ("s3:PutObject", bucket + "/k"), ("s3:ListBucket", bucket)]
    requests = [SimRequest(None, *rng.choice(pairs), ACCOUNT, {"aws:SourceVpce": f"vpce-{rng.getrandbits(68):017x}"},
                           policy) for _ in range(100)]
    control = SimRequest(None, "s3:GetObject", "arn:aws:s3:::northwind-oracle-7/k", ACCOUNT,
                         {"aws:SourceVpce": "vpce-*"}, policy)
    *answers, control_answer = simulator.simulate(requests + [control])
    assert all(a.error is None for a in answers + [control_answer])
    assert all(a.explicitly_denied for a in answers)
    assert not control_answer.explicitly_denied


__all__ = ["KNOWN_SIMULATOR_DEFECTS", "judge", "summary"]
