"""From a found policy to a result with its explanation. Knows the engine and the settings, not Checkov.

A FAILED result explains itself in a few lines: the reason, a concrete request that is not explicitly denied,
why each Deny misses it, and the statement to add in the file's own syntax. A PASSED result names the allowed
origins and the exemptions it relied on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Union

from vpce_checks.adapters.base import PolicySource
from vpce_checks.engine.evaluate import Principal, Request
from vpce_checks.engine.model import THIS_ACCOUNT, PolicyError, parse_policy
from vpce_checks.engine.perimeter import FRESH, AnalysisOptions, Verdict, describe_request, perimeter_of
from vpce_checks.engine.remediation import fix_for
from vpce_checks.engine.services import PROFILES, ServiceProfile
from vpce_checks.settings import Settings, SettingsError

PASSED, FAILED, SKIPPED, NO_RESULT = "PASSED", "FAILED", "SKIPPED", "NO_RESULT"
POLICY_RESOURCE = {"s3": "aws_s3_bucket_policy", "sqs": "aws_sqs_queue_policy", "sns": "aws_sns_topic_policy"}
CFN_POLICY_RESOURCE = {"s3": "AWS::S3::BucketPolicy", "sqs": "AWS::SQS::QueuePolicy", "sns": "AWS::SNS::TopicPolicy"}


@dataclass
class Judgement:
    result: str
    reason: str = ""
    lines: List[str] = field(default_factory=list)
    verdict: Optional[Verdict] = None


def docs_page(check_id: str) -> str:
    return f"docs/{check_id}.md"


def _fix_lines(header: str, text: str) -> List[str]:
    return [header] + ["    " + line for line in text.splitlines()]


def _fix(source: PolicySource, profile: ServiceProfile, policy) -> List[str]:
    syntax = source.syntax
    data_source = "aws_iam_policy_document" in source.origin
    if syntax == "json" and source.origin.startswith("PolicyDocument"):
        syntax = "cfn-json"
    text = fix_for(policy, profile, source.target, syntax, data_source=data_source)
    where = "the data source" if data_source else "the policy's Statement list"
    return _fix_lines(f"Fix: add this Deny statement to {where}:", text)


def _missing(source: PolicySource, settings: Settings, check_id: str) -> Judgement:
    profile = PROFILES[source.target.service]
    if settings.missing_policy == "skip":
        return Judgement(SKIPPED, "no resource policy (VPCE_CHECKS_MISSING_POLICY=skip)")
    request = Request(action=profile.known_actions[0], resource=profile.resource_samples(source.target)[-1],
                      principal=Principal(kind="iam", account=THIS_ACCOUNT, label="a principal of this account"),
                      context={"aws:sourceip": FRESH["aws:sourceip"]})
    reason = (f"the {profile.title} has no resource policy, so nothing denies requests from outside the VPC "
              "endpoint perimeter")
    empty = parse_policy({"Statement": []})
    lines = [f"Reason: {reason}", f"Counterexample: {describe_request(request, 'public')}"]
    if source.syntax == "hcl":
        lines += _fix_lines(f"Fix: attach an {POLICY_RESOURCE[profile.prefix]} whose policy has this statement:",
                            fix_for(empty, profile, source.target, "hcl"))
    elif source.syntax in ("yaml", "json"):
        syntax = "yaml" if source.syntax == "yaml" else "cfn-json"
        lines += _fix_lines(f"Fix: add an {CFN_POLICY_RESOURCE[profile.prefix]} for it whose PolicyDocument has "
                            "this statement:", fix_for(empty, profile, source.target, syntax))
    lines.append("Set VPCE_CHECKS_MISSING_POLICY=skip to skip resources without a policy.")
    lines.append(f"Docs: {docs_page(profile.check_id)}")
    return Judgement(FAILED, reason, lines)


def judge(source: Optional[PolicySource], settings: Union[Settings, SettingsError]) -> Judgement:
    """The result for one resource; never raises for bad input (every problem is a FAILED with a message)."""
    if source is None:
        return Judgement(NO_RESULT)
    profile = PROFILES[source.target.service]
    docs = f"Docs: {docs_page(profile.check_id)}"
    if isinstance(settings, SettingsError):
        reason = f"vpce-checks settings error: {settings}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", docs])
    if source.problem:
        if settings.unresolved == "skip":
            return Judgement(SKIPPED, source.problem)
        reason = f"the policy cannot be resolved: {source.problem}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", "The check fails closed: it cannot prove the "
                                          "perimeter. Set VPCE_CHECKS_UNRESOLVED=skip to skip such policies.", docs])
    if source.missing:
        return _missing(source, settings, profile.check_id)
    try:
        policy = parse_policy(source.document)
    except PolicyError as error:
        reason = f"the policy is not valid IAM: {error}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", f"Policy: {source.origin}", docs])
    options: AnalysisOptions = settings.analysis_options()
    verdict = perimeter_of(policy, source.target, options)
    if verdict.status == "pass":
        lines = ["Allowed origins: " + ("; ".join(verdict.allowed_origins) or "none")]
        if verdict.exemptions:
            lines.append("Exemptions relied on (VPCE_CHECKS_ACCEPTED_EXEMPTIONS): " + ", ".join(verdict.exemptions))
        return Judgement(PASSED, verdict.reason, lines, verdict)
    if verdict.status == "unresolved":
        if settings.unresolved == "skip":
            return Judgement(SKIPPED, verdict.reason, [], verdict)
        reason = f"cannot prove the perimeter: {verdict.reason}"
        return Judgement(FAILED, reason, [f"Reason: {reason}"] + [f"Note: {n}" for n in verdict.notes]
                         + [f"Policy: {source.origin}", docs], verdict)
    lines = [f"Reason: {verdict.reason}", f"Counterexample: {verdict.description}"]
    lines += [f"Why no Deny matches it: {line}" for line in verdict.why_not]
    if verdict.allowed_origins:
        lines.append("Allowed origins named: " + "; ".join(verdict.allowed_origins))
    lines.append(f"Policy: {source.origin}")
    lines += _fix(source, profile, policy)
    lines.append(docs)
    return Judgement(FAILED, verdict.reason, lines, verdict)
