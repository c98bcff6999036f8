"""Verdicts on organisation layers: CKV_VPCE_10 (an RCP's network perimeter, per service it covers) and the resource
checks' view of resource policy plus the RCPs and SCPs that apply (docs/CKV_VPCE_10.md). Knows the engine and the
settings, not Checkov.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, List, Optional, Sequence, Tuple, Union

from vpce_checks.catalog import RCP_PERIMETER
from vpce_checks.engine.layers import (
    RCP,
    SCP,
    Layer,
    covered_services,
    credited_for,
    deciding_layers,
    rcp_problems,
    rcp_target,
    reaches_other_services,
    with_layers,
)
from vpce_checks.engine.model import Policy, PolicyError, parse_policy
from vpce_checks.engine.perimeter import AnalysisOptions, Verdict, new_budget, perimeter_of
from vpce_checks.engine.remediation import named_endpoints, perimeter_statement
from vpce_checks.engine.services import KNOWN_VPC_KEYS, PROFILES
from vpce_checks.engine.soundness import soundness_of
from vpce_checks.fix_rendering import PLACEHOLDERS, render_fix
from vpce_checks.judge import FAILED, NO_RESULT, PASSED, REQUEST_PREFIX, SKIPPED, Judgement, docs_page
from vpce_checks.settings import Settings, SettingsError

RCP_CHECK = RCP_PERIMETER
CONDITIONS_NOTE = ("Holds only where the RCP applies: RCPs never apply in the management account, to requests by "
                   "service-linked roles, or to AWS managed KMS keys (docs/semantics.md, \"Organisation layers\")")


def _network_services(policy: Policy) -> Tuple[str, ...]:
    """The credited services for which some Deny statement both reaches the service and tests a network key: the
    RCP tries to hold a network perimeter there (an RCP for TLS or identities only gives no result)."""
    from vpce_checks.engine.layers import statement_reaches

    return tuple(s for s in covered_services(policy)
                 if any(statement_reaches(d, s) and any(c.key in KNOWN_VPC_KEYS for c in d.conditions)
                        for d in policy.denies))


def _title(service: str) -> str:
    return PROFILES[service].title


def good_endpoints(policy: Policy) -> List[str]:
    """The endpoint IDs the RCP names that can match a real endpoint (well formed, not a placeholder)."""
    from vpce_checks.engine.soundness import is_placeholder, well_formed_endpoint

    return [e for e in named_endpoints(policy) if "${" in e or (well_formed_endpoint(e) and not is_placeholder(e))]


def rcp_fix(policy: Policy, services: Sequence[str], syntax: str, data_source: bool,
            endpoints: Optional[Sequence[str]] = None) -> str:
    """The Deny to add to the RCP, in the file's own syntax: every action of the services on every resource
    ("*"), unless through the endpoints the RCP already admits (or a placeholder)."""
    profile = PROFILES[services[0]]
    placeholder = PLACEHOLDERS["yaml" if syntax in ("yaml", "cfn-json") else syntax if syntax == "hcl" else "json"]
    listed = list(endpoints) if endpoints is not None else named_endpoints(policy)
    statement = perimeter_statement(profile, rcp_target(services[0]), listed or [placeholder])
    statement["Sid"] = "DenyOutsideVpcePerimeter"
    actions = [PROFILES[s].default_fix_actions for s in services]
    statement["Action"] = actions if len(actions) > 1 else actions[0]
    statement["Resource"] = "*"
    return render_fix(statement, syntax, profile, data_source)


def _service_verdict(policy: Policy, service: str, settings: Settings, budget: List[float]
                     ) -> Tuple[Verdict, List[str], List[str]]:
    """Coverage, then (when covered) lockout and the other CKV_VPCE_6 problems, for one service."""
    options: AnalysisOptions = settings.analysis_options()
    target = rcp_target(service)
    verdict = perimeter_of(policy, target, options, budget)
    if verdict.status != "pass":
        return verdict, [], []
    result = soundness_of(policy, target, options, settings.allowed_vpce_ids, settings.allowed_vpc_ids,
                          budget=budget)
    return verdict, list(result.problems), list(result.examples)


def judge_rcp(source: Any, settings: Union[Settings, SettingsError]) -> Judgement:
    """CKV_VPCE_10: an RCP's network perimeter covers every request to each credited service it names from outside
    the allowed origins, and locks out none of them. SCPs and other policy types give no result."""
    if source is None or getattr(source, "kind", None) != RCP:
        return Judgement(NO_RESULT)
    docs = f"Docs: {docs_page(RCP_CHECK)}"
    if isinstance(settings, SettingsError):
        reason = f"vpce-checks settings error: {settings}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", docs])
    if source.problem:
        if settings.unresolved == "skip":
            return Judgement(SKIPPED, source.problem)
        reason = f"the RCP cannot be resolved: {source.problem}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", "The check fails closed: it cannot prove the "
                                          "perimeter. Set VPCE_CHECKS_UNRESOLVED=skip to skip such policies.", docs])
    try:
        policy = parse_policy(source.document)
    except PolicyError as error:
        reason = f"the RCP is not valid IAM: {error}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", f"Policy: {source.origin}", docs])
    problems = rcp_problems(policy)
    if problems:
        reason = f"AWS does not accept this as an RCP: {problems[0]}"
        return Judgement(FAILED, reason, [f"Reason: {reason}"] + [f"Problem: {p}" for p in problems[1:]]
                         + [f"Policy: {source.origin}", docs])
    services = _network_services(policy)
    if not services:
        return Judgement(NO_RESULT)  # no network perimeter on a service RCPs support
    budget = new_budget(settings.analysis_options())
    held: List[str] = []
    origins: List[str] = []
    uncovered: List[Tuple[str, Verdict]] = []
    for service in services:
        verdict, lockout, examples = _service_verdict(policy, service, settings, budget)
        if verdict.status == "unresolved":
            if settings.unresolved == "skip":
                return Judgement(SKIPPED, verdict.reason, [], verdict)
            reason = f"cannot prove the RCP's perimeter for {_title(service)}s: {verdict.reason}"
            return Judgement(FAILED, reason, [f"Reason: {reason}"] + [f"Note: {n}" for n in verdict.notes]
                             + [f"Policy: {source.origin}", docs], verdict)
        if verdict.status == "fail":
            uncovered.append((service, verdict))
            continue
        if lockout and not uncovered:
            reason = f"{_title(service)}s: {lockout[0]}"
            lines = [f"Reason: {reason}"] + [f"Problem: {p}" for p in lockout[1:]]
            lines += [f"Counterexample: {e}" for e in examples[:1]]
            lines.append(f"Policy: {source.origin}")
            lines.append("Fix: one Deny that lists every allowed endpoint exactly, in place of the statements above:")
            lines += ["    " + line for line in rcp_fix(policy, services, source.syntax, source.data_source,
                                                         good_endpoints(policy)).splitlines()]
            lines.append(docs)
            return Judgement(FAILED, reason, lines, verdict)
        held.append(_title(service) + "s")
        origins.extend(o for o in verdict.allowed_origins if o not in origins)
    if uncovered:
        return _coverage_failure(source, policy, uncovered, docs)
    lines = ["Allowed origins: " + ("; ".join(origins) or "none"),
             "Enforces the VPC endpoint perimeter for all " + ", ".join(held) + " in the accounts it applies to"]
    others = reaches_other_services(policy)
    if others:
        lines.append("Not credited (not confirmed on AWS's list of services that support RCPs): "
                     + ", ".join(_title(s) for s in others) + "; their resource policies must hold the perimeter")
    lines.append(f"Note: {CONDITIONS_NOTE}")
    return Judgement(PASSED, "the RCP denies every request from outside the allowed origins to "
                     + ", ".join(held), lines)


def _coverage_failure(source: Any, policy: Policy, uncovered: Sequence[Tuple[str, Verdict]],
                      docs: str) -> Judgement:
    """The first service's counterexample; the fix covers every service with a hole."""
    service, verdict = uncovered[0]
    reason = f"for {_title(service)}s, {verdict.reason}"
    lines = [f"Reason: {reason}"]
    if len(uncovered) > 1:
        lines.append("Also not covered: " + ", ".join(_title(s) + "s" for s, _ in uncovered[1:]))
    lines.append(f"Counterexample: {verdict.description}")
    if verdict.notes:
        lines.append("Example values: " + "; ".join(verdict.notes) + " (any value of the same kind gets through)")
    if verdict.request:
        lines.append(REQUEST_PREFIX + json.dumps(verdict.request, sort_keys=True))
    lines += [f"Why no Deny matches it: {line}" for line in verdict.why_not]
    if verdict.allowed_origins:
        lines.append("Allowed origins named: " + "; ".join(verdict.allowed_origins))
    lines.append(f"Policy: {source.origin}")
    where = "the data source" if source.data_source else "the RCP's Statement list"
    lines.append(f"Fix: add to {where}:")
    fix = rcp_fix(policy, [s for s, _ in uncovered], source.syntax, source.data_source)
    lines += ["    " + line for line in fix.splitlines()]
    lines.append(docs)
    return Judgement(FAILED, reason, lines, verdict)


# ---- layers in the resource checks (CKV_VPCE_1/2/3/5/9) ---------------------------------------------------------


_SOUND: OrderedDict[Tuple[str, ...], Tuple[Optional[Policy], str]] = OrderedDict()


def _sound_for(source: Any, service: str, settings: Settings) -> Tuple[Optional[Policy], str]:
    """The organisation policy parsed, when it can be credited for this service; else None and why not. Cached:
    every resource of a scan asks about the same few policies."""
    try:
        key: Tuple[str, ...] = (json.dumps(source.document, sort_keys=True, default=str), str(source.problem),
                                source.kind, service, repr(settings.analysis_options()),
                                repr(settings.allowed_vpce_ids), repr(settings.allowed_vpc_ids))
    except (TypeError, ValueError):
        return _decide_sound(source, service, settings)
    if key not in _SOUND:
        _SOUND[key] = _decide_sound(source, service, settings)
        while len(_SOUND) > 256:
            _SOUND.popitem(last=False)
    return _SOUND[key]


def _decide_sound(source: Any, service: str, settings: Settings) -> Tuple[Optional[Policy], str]:
    if source.problem:
        return None, f"cannot be read ({source.problem})"
    try:
        policy = parse_policy(source.document)
    except PolicyError as error:
        return None, f"is not valid IAM ({error})"
    from vpce_checks.engine.layers import statement_reaches

    if not any(statement_reaches(d, service) for d in policy.denies):
        return None, ""  # says nothing about this service: not a layer of it
    if not credited_for(source.kind, service):
        return None, f"is not credited for {_title(service)}s (not on the confirmed list of services RCPs support)"
    if source.kind == RCP:
        if rcp_problems(policy):
            return None, "is not a valid RCP"
        if service not in _network_services(policy):
            return None, f"holds no network perimeter for {_title(service)}s"
        verdict, lockout, _ = _service_verdict(policy, service, settings, new_budget(settings.analysis_options()))
        if verdict.status != "pass" or lockout:
            return None, f"does not hold a sound perimeter for {_title(service)}s (CKV_VPCE_10 fails it)"
    return policy, ""


def layers_for(source: Any, settings: Settings) -> Tuple[List[Layer], List[str]]:
    """The layers credited for a resource (its ``org_policies``, read from the same scan), and notes on the rest."""
    from vpce_checks.adapters.organizations import applicable_layers, policies_by_name

    found = list(getattr(source, "org_policies", None) or [])
    notes: List[str] = []
    known = policies_by_name(found)
    missing = [n for n in settings.applied_org_policies if n not in known]
    if missing:
        notes.append("VPCE_CHECKS_APPLIED_ORG_POLICIES names " + ", ".join(missing)
                     + ", not found among the organisation policies of this scan's files")
    applied, reasons = applicable_layers(found, source.target.account, settings.member_accounts,
                                         settings.applied_org_policies)
    notes.extend(reasons)
    layers: List[Layer] = []
    for org, why in applied:
        policy, not_credited = _sound_for(org, source.target.service, settings)
        label = f"{'RCP' if org.kind == RCP else 'SCP'} {org.name}"
        if policy is None:
            if not_credited:
                notes.append(f"{label} applies ({why}) but {not_credited}: not credited")
            continue
        layers.append(Layer(name=org.name, kind=org.kind, policy=policy, applies_because=why))
    return layers, notes


def judge_layered(source: Any, policy: Policy, settings: Settings, budget: List[float],
                  failed: Judgement) -> Judgement:
    """The resource policy failed on its own: judge it with the organisation policies that apply. PASSED "enforced
    by RCP <name>" when together they deny every request from outside the perimeter; otherwise the original
    failure with a counterexample that gets through every layer, and a note naming the layers tried."""
    layers, notes = layers_for(source, settings)
    if not layers:
        return _with_notes(failed, notes)
    combined = with_layers(policy, layers, source.target.service)
    verdict = perimeter_of(combined, source.target, settings.analysis_options(), budget)
    names = ", ".join(layer.label for layer in layers)
    paths = [f"Path: {path}: denied by {who}" if who != "nothing" else f"Path: {path}: denied by no layer"
             for path, who in deciding_layers(combined, source.target, layers)]
    if verdict.status == "pass":
        lines = ["Allowed origins: " + ("; ".join(verdict.allowed_origins) or "none"),
                 f"Enforced by {names} (the resource policy alone does not deny every request from outside the "
                 "perimeter)"]
        lines += [f"Layer: {layer.label}: applies because {layer.applies_because}" for layer in layers]
        if any(layer.kind == RCP for layer in layers):
            lines.append(f"Conditions: {CONDITIONS_NOTE}")
        if any(layer.kind == SCP for layer in layers):
            lines.append("Conditions: an SCP restricts only IAM principals of member accounts under its attachment "
                         "(never the management account's principals or service-linked roles)")
        lines += paths
        lines += [f"Note: {n}" for n in notes]
        return Judgement(PASSED, f"enforced by {names}", lines, verdict)
    if verdict.status != "fail":
        return _with_notes(failed, notes + [f"with {names} the verdict is undecided: {verdict.reason}"])
    lines = list(failed.lines)
    at = next((i for i, line in enumerate(lines) if line.startswith("Counterexample: ")), None)
    layered = [f"Counterexample through every layer ({names}): {verdict.description}"]
    layered += [f"Why no Deny matches it: {line}" for line in verdict.why_not if "RCP " in line or "SCP " in line]
    layered += paths
    if at is not None:
        lines[at + 1:at + 1] = layered
    else:
        lines[1:1] = layered
    return _with_notes(Judgement(FAILED, failed.reason, lines, failed.verdict), notes)


def _with_notes(judgement: Judgement, notes: Sequence[str]) -> Judgement:
    if not notes:
        return judgement
    lines = list(judgement.lines)
    at = len(lines) - 1 if lines and lines[-1].startswith("Docs: ") else len(lines)
    lines[at:at] = [f"Layers: {n}" for n in notes]
    return Judgement(judgement.result, judgement.reason, lines, judgement.verdict)
