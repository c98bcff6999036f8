"""Runs the engine and the independent simulator side by side on generated policies (SPEC section 7) and collects
every disagreement. Which disagreements are known, and whose they are, is decided in tests/test_differential.py.
"""

from __future__ import annotations

import dataclasses
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple, Union

from tests.differential.outside import (
    CARRIED_BY,
    EXCUSED_PRINCIPAL_ARNS,
    NETWORK_KEYS,
    Sampled,
    Sampler,
    allowed_origins,
    conditions_of,
    excused_log_accounts,
    is_inside,
)
from tests.differential.policies import ACCOUNT, REGION, TARGETS, as_stored, random_policies
from tests.differential.simulator import ContextValue, SimRequest, SimResult, Simulator, SimulatorPool
from vpce_checks.engine.model import PolicyError, parse_policy
from vpce_checks.engine.perimeter import AnalysisLimit, Verdict, lockouts, perimeter_of
from vpce_checks.engine.services import Target

OUTSIDE_PER_PASS = 500
THROUGH_PER_LOCKOUT = 100
_ENDPOINT_ID = re.compile(r"^vpce-[0-9a-f]{8}([0-9a-f]{9})?$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$")
_NOT_CONCRETE = ("*", "?", "${", "<", ">")


@dataclass
class Disagreement:
    """One place where the engine's verdict and the simulator part ways.

    kind: "fail-replay-denied" (the counterexample is explicitly denied), "fail-replay-error" (the simulator
    rejects it: AWS would not receive it), "fail-not-concrete" (the counterexample is not a request AWS could
    receive), "pass-escape" (a PASS, yet a sampled outside request is not explicitly denied), "lockout-escape"
    (a CKV_VPCE_6 lockout, yet a request through that origin is not explicitly denied).
    """

    kind: str
    service: str
    policy: dict
    verdict: Verdict
    request: Optional[SimRequest] = None
    result: Optional[SimResult] = None
    detail: str = ""
    substituted_account: bool = False  # the counterexample named "this account" symbolically; R's account replayed

    def describe(self) -> str:
        import json

        request = self.request
        shown = ("" if request is None else
                 f"\n  request: {request.action} on {request.resource} by {request.principal or 'anonymous'} "
                 f"with {json.dumps(request.context, sort_keys=True)}")
        outcome = "" if self.result is None else f"\n  simulator: {self.result.result} {self.result.error or ''}"
        return (f"[{self.kind}] {self.service}: {self.detail}{shown}{outcome}\n  engine: {self.verdict.status} "
                f"{self.verdict.description or self.verdict.reason}\n  policy: {json.dumps(self.policy)}")


@dataclass
class Run:
    """What one differential run saw."""

    policies: int = 0
    verdicts: Counter = field(default_factory=Counter)
    unparsed: List[str] = field(default_factory=list)
    requests: Counter = field(default_factory=Counter)  # replayed, outside, through-origin
    lockouts: int = 0
    one_database_actions: Counter = field(default_factory=Counter)
    ignored_keys: Counter = field(default_factory=Counter)  # (how, key) the simulator dropped as inapplicable
    disagreements: List[Disagreement] = field(default_factory=list)
    seconds: float = 0.0
    engine_seconds: float = 0.0
    simulator_seconds: float = 0.0


def target_of(service: str) -> Target:
    spec = TARGETS[service]
    return Target(service, spec.name, account=ACCOUNT, region=REGION)


def _value(value: object) -> ContextValue:
    return [str(v) for v in value] if isinstance(value, (tuple, list)) else str(value)


def not_concrete(request: SimRequest, network: str) -> Optional[str]:
    """Why a counterexample is no request AWS could receive (SPEC section 4), or None."""
    for what, text in (("action", request.action), ("resource", request.resource),
                       ("principal", request.principal or "")):
        if any(token in text for token in _NOT_CONCRETE):
            return f"{what} {text!r} is not concrete"
    for key, value in request.context.items():
        for item in value if isinstance(value, list) else [value]:
            if any(token in item for token in _NOT_CONCRETE):
                return f"{key} {item!r} is not concrete"
    lowered = {k.lower(): v for k, v in request.context.items()}
    if "aws:sourcevpce" in lowered and not _ENDPOINT_ID.match(str(lowered["aws:sourcevpce"])):
        return f"aws:SourceVpce {lowered['aws:sourcevpce']!r} is not an endpoint ID"
    if "aws:sourcevpc" in lowered and not _VPC_ID.match(str(lowered["aws:sourcevpc"])):
        return f"aws:SourceVpc {lowered['aws:sourcevpc']!r} is not a VPC ID"
    for account_key in ("aws:principalaccount",):
        if account_key in lowered and not re.fullmatch(r"\d{12}", str(lowered[account_key])):
            return f"{account_key} {lowered[account_key]!r} is not an account ID"
    table = NETWORK_KEYS.get(network)
    if table is None:
        return f"network {network!r} is neither public nor an endpoint"
    missing = [k for k in table["present"] if k.lower() not in lowered]
    extra = [k for k in table["absent"] if k.lower() in lowered]
    if missing or extra:
        return f"a {network} request with {extra or ''} present and {missing or ''} missing"
    return None


def replayed(service: str, verdict: Verdict, stored_policy: dict) -> Tuple[Optional[SimRequest], Optional[str]]:
    """The engine's counterexample as a simulator request, or why it cannot be one."""
    found = verdict.counterexample
    if found is None:
        return None, "a FAIL without a counterexample"
    principal = found.principal
    if principal.kind == "service":
        return None, "the counterexample's caller is an AWS service principal (excused)"
    context = {key: _value(value) for key, value in found.context.items() if value is not None}
    request = SimRequest(principal=None if principal.kind == "anonymous" else str(principal.arn),
                         action=found.action, resource=found.resource, account=ACCOUNT, context=context,
                         policy=stored_policy)
    if principal.kind != "anonymous" and (not principal.arn or not principal.account):
        return request, "an IAM caller without an ARN or account"
    if principal.principal_arn and any(pattern.match(principal.principal_arn.replace(principal.account or "", ACCOUNT))
                                       for pattern in EXCUSED_PRINCIPAL_ARNS):
        return request, "the counterexample's caller is excused (a service-linked role or EC2's infrastructure role)"
    if principal.account in excused_log_accounts(stored_policy):
        return request, "the counterexample's caller is excused (an ELB access-log account an Allow grants by ID)"
    problem = not_concrete(request, verdict.network)
    if problem:
        return request, problem
    if service == "execute-api" and verdict.network == "public":
        return request, "a private API has no public endpoint"
    return request, None


SYMBOLIC_ACCOUNT = "${AWS::AccountId}"


def _names_origin(policy: dict) -> bool:
    """The policy has a perimeter condition, so CKV_VPCE_6 judges it (SPEC section 5)."""
    return any(c.key in ("aws:sourcevpce", "aws:sourcevpc") for c in conditions_of(policy))


def _with_account(request: SimRequest) -> SimRequest:
    """``request`` with the symbolic "this account" written as R's account."""
    def concrete(text: str) -> str:
        return text.replace(SYMBOLIC_ACCOUNT, ACCOUNT)

    context = {k: [concrete(x) for x in v] if isinstance(v, list) else concrete(v) for k, v in request.context.items()}
    return SimRequest(principal=concrete(request.principal) if request.principal else None, action=request.action,
                      resource=concrete(request.resource), account=request.account, context=context,
                      policy=request.policy)


class Differential:
    """Generate, judge with the engine, check with the simulator."""

    def __init__(self, simulator: Union[Simulator, SimulatorPool], seed: int = 20260611,
                 progress: Optional[Callable[[Run], None]] = None):
        self.progress = progress
        self.simulator = simulator
        self.seed = seed
        self.action_db: Dict[str, List[dict]] = {s: simulator.actions(s) for s in TARGETS}
        self.known_actions = {s: {f"{s}:{a['name']}".lower() for a in actions}
                              for s, actions in self.action_db.items()}

    def run(self, count: int) -> Run:
        started = time.monotonic()
        run = Run()
        rng = random.Random(self.seed + 1)
        pending: List[Tuple[SimRequest, Disagreement, str]] = []  # (request, disagreement if it goes wrong, how)
        for service, policy in random_policies(self.seed, count):
            run.policies += 1
            try:
                parsed = parse_policy(policy)
            except PolicyError as error:
                run.unparsed.append(str(error))
                continue
            target = target_of(service)
            engine_started = time.monotonic()
            verdict = perimeter_of(parsed, target)
            try:
                found_lockouts = lockouts(parsed, target) if _names_origin(policy) else []
            except AnalysisLimit:  # CKV_VPCE_6 fails closed: no lockout claim to check
                found_lockouts = []
            run.engine_seconds += time.monotonic() - engine_started
            run.verdicts[verdict.status] += 1
            stored = as_stored(policy, service)
            sampler = Sampler(rng, service, policy, stored, self.action_db[service])
            if verdict.status == "fail":
                self._fail(run, service, policy, stored, verdict, pending)
            elif verdict.status == "pass":
                outside = sampler.outside(OUTSIDE_PER_PASS)
                if len(outside) < OUTSIDE_PER_PASS:
                    run.disagreements.append(Disagreement("sampler-short", service, policy, verdict,
                                                          detail=f"only {len(outside)} outside requests drawn"))
                for sampled in outside:
                    pending.append((sampled.request, Disagreement("pass-escape", service, policy, verdict,
                                                                  sampled.request, detail=sampled.describe()),
                                    "outside"))
            for lockout in found_lockouts:
                run.lockouts += 1
                self._lockout(run, service, policy, verdict, lockout.origin, sampler, pending)
            if len(pending) > 4000:
                self._settle(run, pending)
            if self.progress and run.policies % 1000 == 0:
                run.seconds = time.monotonic() - started
                self.progress(run)
        self._settle(run, pending)
        run.seconds = time.monotonic() - started
        return run

    def _fail(self, run: Run, service: str, policy: dict, stored: dict, verdict: Verdict,
              pending: List[Tuple[SimRequest, Disagreement, str]]) -> None:
        request, problem = replayed(service, verdict, stored)
        substituted = False
        if problem is not None and request is not None and SYMBOLIC_ACCOUNT in problem:
            # Recorded as a fault of the counterexample; the request it stands for (R's own account, which
            # the target names) is still replayed, so the rest of the counterexample is checked too.
            run.disagreements.append(Disagreement("fail-not-concrete", service, policy, verdict, request,
                                                  detail=problem))
            request = _with_account(request)
            substituted = True
            problem = not_concrete(request, verdict.network)
        if problem is not None:
            run.disagreements.append(Disagreement("fail-not-concrete", service, policy, verdict, request,
                                                  detail=problem))
            return
        assert request is not None
        if is_inside(allowed_origins(policy), request.context):
            run.disagreements.append(Disagreement("fail-not-concrete", service, policy, verdict, request,
                                                  detail="the counterexample comes through an allowed origin"))
            return
        pending.append((request, Disagreement("fail-replay", service, policy, verdict, request,
                                              detail=verdict.description, substituted_account=substituted),
                        "replayed"))

    def _lockout(self, run: Run, service: str, policy: dict, verdict: Verdict, origin: str, sampler: Sampler,
                 pending: List[Tuple[SimRequest, Disagreement, str]]) -> None:
        match = re.search(r"\b(vpce-[0-9A-Za-z]+|vpc-[0-9A-Za-z]+)$", origin, re.IGNORECASE)
        if not match:
            run.disagreements.append(Disagreement("lockout-origin", service, policy, verdict,
                                                  detail=f"cannot read the lockout origin {origin!r}"))
            return
        value = match.group(1)
        if not (_ENDPOINT_ID.match(value) or _VPC_ID.match(value)):
            # No endpoint or VPC has this ID (real IDs are lowercase hex): the origin is unusable, nothing to send.
            run.requests["unusable-origin"] += 1
            return
        through = {"aws:SourceVpce" if value.lower().startswith("vpce-") else "aws:SourceVpc": value}
        for sampled in sampler.through(through, THROUGH_PER_LOCKOUT):
            pending.append((sampled.request, Disagreement("lockout-escape", service, policy, verdict,
                                                          sampled.request,
                                                          detail=f"lockout of {origin}: {sampled.describe()}"),
                            "through-origin"))

    def _settle(self, run: Run, pending: List[Tuple[SimRequest, Disagreement, str]]) -> None:
        """Send the pending requests in batches; keep every disagreement."""
        started = time.monotonic()
        results = self.simulator.simulate([request for request, _, _ in pending])
        carried = [i for i, ((request, _, how), result) in enumerate(zip(pending, results))
                   if how != "replayed" and not result.error and not result.explicitly_denied
                   and request.action.lower() in CARRIED_BY]
        # An action that rides on another request gets through only when that request does too (CARRIED_BY)
        companions = self.simulator.simulate([dataclasses.replace(pending[i][0],
                                                                  action=CARRIED_BY[pending[i][0].action.lower()])
                                              for i in carried])
        refused = {i for i, companion in zip(carried, companions) if companion.explicitly_denied}
        run.requests["carrier-sent"] += len(carried)
        run.simulator_seconds += time.monotonic() - started
        for index, ((request, disagreement, how), result) in enumerate(zip(pending, results)):
            run.requests[how] += 1
            if index in refused:
                continue
            for key in result.ignored_keys:
                run.ignored_keys[(how, key)] += 1
            service = disagreement.service
            if result.error and request.action.lower() not in self.known_actions[service]:
                run.one_database_actions[request.action] += 1
                continue
            if how != "replayed" and result.error:
                disagreement.kind = "sample-error"  # the test's own request is malformed: a harness bug
            if how == "replayed":
                if result.error:
                    disagreement.kind = "fail-replay-error"
                elif result.explicitly_denied:
                    disagreement.kind = "fail-replay-denied"
                else:
                    continue
            elif result.explicitly_denied:
                continue
            disagreement.result = result
            run.disagreements.append(disagreement)
        pending.clear()


__all__ = ["Differential", "Disagreement", "Run", "Sampled", "not_concrete", "replayed", "target_of"]
