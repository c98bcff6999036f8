"""From a found policy to a result with its explanation. Knows the engine and the settings, not Checkov.

A FAILED result explains itself in a few lines: the reason, a concrete request that is not explicitly denied,
why each Deny misses it, and the statement to add in the file's own syntax. A PASSED result names the allowed
origins and the exemptions it relied on.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

from vpce_checks.adapters.base import PolicySource
from vpce_checks.analysis_cache import PARSED, SOUNDNESS, SPACE, VERDICT, Memo, content_digest, counted
from vpce_checks.catalog import API_ENDPOINT_TYPE, ENDPOINT_FULL_ACCESS, PERIMETER_SOUNDNESS, SOURCE_IP_TRAP
from vpce_checks.engine import perimeter as _perimeter
from vpce_checks.engine.evaluate import Principal, Request
from vpce_checks.engine.model import THIS_ACCOUNT, Policy, PolicyError, parse_policy
from vpce_checks.engine.perimeter import FRESH, AnalysisOptions, Verdict, describe_request, new_budget, perimeter_of
from vpce_checks.engine.remediation import named_endpoints
from vpce_checks.engine.services import PROFILES, ServiceProfile
from vpce_checks.fix_rendering import fix_for
from vpce_checks.settings import Settings, SettingsError

PASSED, FAILED, SKIPPED, NO_RESULT = "PASSED", "FAILED", "SKIPPED", "NO_RESULT"
# The counterexample as JSON, on one details line: every key and value, so a user or a test can replay it.
REQUEST_PREFIX = "Request (JSON): "
POLICY_RESOURCE = {"s3": "aws_s3_bucket_policy", "sqs": "aws_sqs_queue_policy", "sns": "aws_sns_topic_policy",
                   "execute-api": "aws_api_gateway_rest_api_policy", "kms": "aws_kms_key_policy",
                   "secretsmanager": "aws_secretsmanager_secret_policy", "ecr": "aws_ecr_repository_policy",
                   "dynamodb": "aws_dynamodb_resource_policy", "elasticfilesystem": "aws_efs_file_system_policy"}
CFN_POLICY_RESOURCE = {"s3": "AWS::S3::BucketPolicy", "sqs": "AWS::SQS::QueuePolicy", "sns": "AWS::SNS::TopicPolicy",
                       "execute-api": "Policy property on the AWS::ApiGateway::RestApi",
                       "kms": "KeyPolicy property on the AWS::KMS::Key",
                       "secretsmanager": "AWS::SecretsManager::ResourcePolicy",
                       "ecr": "RepositoryPolicyText property on the AWS::ECR::Repository",
                       "dynamodb": "ResourcePolicy property on the AWS::DynamoDB::Table",
                       "elasticfilesystem": "FileSystemPolicy property on the AWS::EFS::FileSystem"}
# How a CloudFormation adapter's origin starts: the policy property it read (a JSON template's fix is cfn-json).
_CFN_POLICY_ORIGINS = ("PolicyDocument", "KeyPolicy", "ResourcePolicy", "RepositoryPolicyText", "FileSystemPolicy")
ENDPOINT_TYPE_CHECK = API_ENDPOINT_TYPE
SOUNDNESS_CHECK = PERIMETER_SOUNDNESS
SOURCE_IP_CHECK = SOURCE_IP_TRAP


@dataclass
class Judgement:
    result: str
    reason: str = ""
    lines: List[str] = field(default_factory=list)
    verdict: Optional[Verdict] = None


def docs_page(check_id: str) -> str:
    """What a "Docs:" line names: a page the installed package has, or its web address (vpce_checks/catalog.py)."""
    from vpce_checks.catalog import docs_reference

    return docs_reference(check_id)


def _fix_lines(header: str, text: str) -> List[str]:
    return [header] + ["    " + line for line in text.splitlines()]


def _fix_form(source: PolicySource) -> Tuple[str, bool]:
    """The fix's syntax ("cfn-json" for a CloudFormation JSON template) and whether it is a data-source block."""
    syntax = "cfn-json" if source.syntax == "json" and source.origin.startswith(_CFN_POLICY_ORIGINS) else source.syntax
    data_source = "aws_iam_policy_document" in source.origin
    if syntax == "hcl" and source.json_text and not data_source:
        syntax = "hcl-json"  # a heredoc or string policy: JSON text with Terraform interpolations
    return syntax, data_source


def _in_files_partition(source: PolicySource, text: str, syntax: str) -> str:
    """The fix with its ARNs written with the file's own partition expression (``arn:${AWS::Partition}:``)."""
    if not source.arn_partition:
        return text
    from vpce_checks.adapters.cloudformation import fix_with_template_partition

    return fix_with_template_partition(text, syntax)


def _fix(source: PolicySource, profile: ServiceProfile, policy) -> List[str]:
    syntax, data_source = _fix_form(source)
    text = _in_files_partition(source, fix_for(policy, profile, source.target, syntax, data_source=data_source,
                                               own_arn_expression=source.own_arn_expression), syntax)
    where = "the data source" if data_source else "the policy's Statement list"
    if re.search(r"SAM Auth\.ResourcePolicy( \+| of AWS::)", source.origin):  # the API's own, not only events
        where = "Auth.ResourcePolicy.CustomStatements (SAM adds them to the policy it writes)"
    return _fix_lines(f"Fix: add to {where}:", text)


def _missing(source: PolicySource, settings: Settings, check_id: str) -> Judgement:
    profile = PROFILES[source.target.service]
    if settings.missing_policy == "skip":
        return Judgement(SKIPPED, "no resource policy (VPCE_CHECKS_MISSING_POLICY=skip)")
    network = "public" if profile.has_public_endpoint else "endpoint"
    context = ({"aws:sourceip": FRESH["aws:sourceip"]} if network == "public"
               else {key: FRESH[key] for key in ("aws:sourcevpce", "aws:sourcevpc")})
    request = Request(action=profile.known_actions[0], resource=profile.resource_samples(source.target)[-1],
                      principal=Principal(kind="iam", account=THIS_ACCOUNT, label="a principal of this account",
                                          arn=f"arn:aws:iam::{THIS_ACCOUNT}:user/any-user"),
                      context=context)
    reason = (f"the {profile.title} has no resource policy, so nothing denies requests from outside the VPC "
              "endpoint perimeter")
    empty = parse_policy({"Statement": []})
    lines = [f"Reason: {reason}", f"Counterexample: {describe_request(request, network)}"]
    if profile.prefix == "execute-api":
        lines.append("Note: API Gateway refuses to deploy a private REST API without a resource policy (\"Private "
                     "REST API doesn't have a resource policy attached to it\"); the policy is also its only "
                     "perimeter.")
    if source.syntax == "hcl":
        lines += _fix_lines(f"Fix: attach an {POLICY_RESOURCE[profile.prefix]} whose policy has this statement:",
                            fix_for(empty, profile, source.target, "hcl",
                                    own_arn_expression=source.own_arn_expression))
    elif source.syntax in ("yaml", "json"):
        syntax = "yaml" if source.syntax == "yaml" else "cfn-json"
        lines += _fix_lines(f"Fix: add an {CFN_POLICY_RESOURCE[profile.prefix]} for it whose PolicyDocument has "
                            "this statement:",
                            _in_files_partition(source, fix_for(empty, profile, source.target, syntax), syntax))
    lines.append("Set VPCE_CHECKS_MISSING_POLICY=skip to skip resources without a policy.")
    lines.append(f"Docs: {docs_page(profile.check_id)}")
    return Judgement(FAILED, reason, lines)


_BUDGETS: OrderedDict[str, List[float]] = OrderedDict()


def resource_budget(source: PolicySource, options: AnalysisOptions) -> List[float]:
    """The analysis budget of the resource being checked, shared by all its checks in this process
    (docs/semantics.md, bounds); a fresh one when the source names no resource."""
    if not source.resource_key:
        return new_budget(options)
    budget = _BUDGETS.get(source.resource_key)
    if budget is None:
        budget = _BUDGETS[source.resource_key] = new_budget(options)
        while len(_BUDGETS) > 4096:
            _BUDGETS.popitem(last=False)
    return budget


# One analysis per resource (docs/semantics.md, bounds): the checks of one resource share its parsed policy and its
# verdict, keyed by the resource (PolicySource.resource_key), the document's content and what is asked of it.
_PARSED, _VERDICTS = Memo(), Memo()


def parsed_policy(source: PolicySource) -> Policy:
    """The source's document parsed, once per resource and document content; raises PolicyError."""
    if not source.resource_key:
        return parse_policy(source.document)
    digest = content_digest(source.document)

    def parse() -> Union[Policy, PolicyError]:
        counted(PARSED, f"{source.resource_key}|{digest}")
        try:
            return parse_policy(source.document)
        except PolicyError as error:
            return error

    parsed = _PARSED.get((source.resource_key, digest), parse)
    if isinstance(parsed, PolicyError):
        raise parsed
    return parsed


def _analysed(source: PolicySource, what: str, options: AnalysisOptions, analyse: Callable[[], Any]) -> Any:
    """``analyse()`` of the source's policy, counting the request spaces it builds; the perimeter verdict
    (``what`` VERDICT) is computed once per resource, document, target and options."""
    def run() -> Any:
        label = f"{source.resource_key}|{content_digest(source.document)}|{source.target}"
        before = _perimeter.space_builds[0]
        try:
            return analyse()
        finally:
            counted(SPACE, label, _perimeter.space_builds[0] - before)
            counted(what, label)

    if what != VERDICT or not source.resource_key:
        return run()
    return _VERDICTS.get((source.resource_key, content_digest(source.document), source.target, options), run)


def judge(source: Optional[PolicySource], settings: Union[Settings, SettingsError]) -> Judgement:
    """The result for one resource; never raises for bad input (every problem is a FAILED with a message)."""
    if source is None:
        return Judgement(NO_RESULT)
    profile = PROFILES[source.target.service]
    if source.missing and not profile.requires_policy:
        return Judgement(NO_RESULT)  # the service works without a resource policy (docs/CKV_VPCE_9.md)
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
        return _with_organisation_layers(source, parse_policy({"Statement": []}), settings,
                                         settings.analysis_options(), _missing(source, settings, profile.check_id))
    try:
        policy = parsed_policy(source)
    except PolicyError as error:
        reason = f"the policy is not valid IAM: {error}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", f"Policy: {source.origin}", docs])
    options: AnalysisOptions = settings.analysis_options()
    verdict = _analysed(source, VERDICT, options, lambda: perimeter_of(policy, source.target, options,
                                                                        resource_budget(source, options)))
    if verdict.status == "pass":
        lines = ["Allowed origins: " + ("; ".join(verdict.allowed_origins) or "none")]
        if verdict.exemptions:
            lines.append("Exemptions relied on (VPCE_CHECKS_ACCEPTED_EXEMPTIONS): " + ", ".join(verdict.exemptions))
        lines += [f"Excused: {line}" for line in verdict.excused]
        if source.read_from:
            lines.append(f"Read from: {source.read_from}")
        return Judgement(PASSED, verdict.reason, lines, verdict)
    if verdict.status == "unresolved":
        if settings.unresolved == "skip":
            return Judgement(SKIPPED, verdict.reason, [], verdict)
        reason = f"cannot prove the perimeter: {verdict.reason}"
        return Judgement(FAILED, reason, [f"Reason: {reason}"] + [f"Note: {n}" for n in verdict.notes]
                         + [f"Policy: {source.origin}", docs], verdict)
    lines = [f"Reason: {verdict.reason}", f"Counterexample: {verdict.description}"]
    if verdict.notes:
        lines.append("Example values: " + "; ".join(verdict.notes) + " (any value of the same kind gets through)")
    if verdict.request:
        lines.append(REQUEST_PREFIX + json.dumps(verdict.request, sort_keys=True))
    lines += [f"Why no Deny matches it: {line}" for line in verdict.why_not]
    if profile.prefix == "execute-api":
        lines.append(_authorization_note(source))
    if verdict.allowed_origins:
        lines.append("Allowed origins named: " + "; ".join(verdict.allowed_origins))
    lines.append(f"Policy: {source.origin}")
    lines += _fix(source, profile, policy)
    lines.append(docs)
    return _with_organisation_layers(source, policy, settings, options,
                                     Judgement(FAILED, verdict.reason, lines, verdict))


def _with_organisation_layers(source: PolicySource, policy, settings: Settings, options: AnalysisOptions,
                              failed: Judgement) -> Judgement:
    """Issue 15: a resource policy that fails alone is judged again with the RCPs and SCPs of the scan that apply
    to the resource (vpce_checks/judge_layers.py); without any, the failure stands unchanged."""
    if failed.result != FAILED or (not source.org_policies and not settings.applied_org_policies):
        return failed
    from vpce_checks.judge_layers import judge_layered

    return judge_layered(source, policy, settings, resource_budget(source, options), failed)


def judge_rcp(source: Any, settings: Union[Settings, SettingsError]) -> Judgement:
    """CKV_VPCE_10: an RCP's network perimeter, per service it covers (vpce_checks/judge_layers.py)."""
    from vpce_checks.judge_layers import judge_rcp as decide

    return decide(source, settings)


_SEVERITY = {FAILED: 3, SKIPPED: 2, PASSED: 1, NO_RESULT: 0}


def judge_each(sources: Sequence[PolicySource], settings: Union[Settings, SettingsError],
               decide: Callable[[Any, Any], Judgement] = judge) -> Tuple[Judgement, Optional[PolicySource]]:
    """One result for a policy with several readings (one per resource it guards, per ``Fn::If`` branch): it
    passes only when every reading passes; a failure names the reading that fails. Also returns that reading."""
    if not sources:
        return Judgement(NO_RESULT), None
    judged = [(decide(source, settings), source) for source in sources]
    worst, source = max(judged, key=lambda pair: _SEVERITY[pair[0].result])  # the first of the worst
    if not source.reading:
        return worst, source
    if worst.result in (FAILED, SKIPPED):
        others = [s.reading for j, s in judged if j.result == worst.result and s is not source]
        reason = f"{source.reading}: {worst.reason}"
        lines = [line.replace("Reason: ", f"Reason: {source.reading}: ", 1) if i == 0 else line
                 for i, line in enumerate(worst.lines)]
        if others:
            lines.insert(1, f"Also {worst.result.lower()} for: " + "; ".join(others))
        return Judgement(worst.result, reason, lines, worst.verdict), source
    if worst.result == PASSED:
        held = [s.reading for j, s in judged if j.result == PASSED]
        label = "Holds for each of: " if len(held) > 1 else "Judged for: "
        return Judgement(PASSED, worst.reason, worst.lines + [label + "; ".join(held)], worst.verdict), source
    return worst, source


def _authorization_note(source: PolicySource) -> str:
    """Which methods an Allow statement confines: only those with authorization NONE need it (API Gateway
    Developer Guide, "How API Gateway resource policies affect authorization workflow")."""
    if not source.authorization:
        return ("Note: methods with authorization NONE need an explicit Allow in this policy, so its conditions "
                "confine them; methods with AWS_IAM (or another authorizer) are allowed by the caller's identity "
                "policy and are confined only by a Deny. Which methods use NONE is not declared here.")
    none = sorted(m for m, a in source.authorization.items() if a.upper() == "NONE")
    others = sorted(f"{m} ({a})" for m, a in source.authorization.items() if a.upper() != "NONE")
    return ("Note: methods with authorization NONE need an explicit Allow, so the policy's Allow conditions confine "
            f"them: {', '.join(none) or 'none declared'}; not confined without a Deny: {', '.join(others) or 'none'}.")


def judge_endpoint_type(endpoint: Any, settings: Union[Settings, SettingsError]) -> Judgement:
    """CKV_VPCE_4: a REST API is private only with endpoint types exactly ["PRIVATE"]."""
    docs = f"Docs: {docs_page(ENDPOINT_TYPE_CHECK)}"
    if endpoint is None:
        return Judgement(NO_RESULT)
    if isinstance(settings, SettingsError):
        reason = f"vpce-checks settings error: {settings}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", docs])
    aliases = ("Note: vpc_endpoint_ids / VpcEndpointIds only create Route 53 aliases for the endpoints; they are "
               "not an access control. The resource policy (CKV_VPCE_5) decides who gets in.")
    if endpoint.problem:
        if settings.unresolved == "skip":
            return Judgement(SKIPPED, endpoint.problem)
        reason = f"the endpoint type cannot be resolved: {endpoint.problem}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", "The check fails closed.", docs])
    types = list(endpoint.types or ())
    if types == ["PRIVATE"]:
        lines = ["Endpoint type: PRIVATE (reachable only through interface VPC endpoints for execute-api)"]
        return Judgement(PASSED, "endpoint type is PRIVATE", lines + ([aliases] if endpoint.vpc_endpoint_ids else []))
    shown = ", ".join(types) or "none"
    reason = f"the endpoint type is {shown}, not exactly PRIVATE: the API has a public endpoint"
    lines = [f"Reason: {reason}",
             "Counterexample: execute-api:Invoke by anyone on the internet over the API's public endpoint "
             "(https://API-ID.execute-api.REGION.amazonaws.com), which no VPC endpoint or security group stands in "
             "front of",
             f"Configured at: {endpoint.origin or 'the API (no endpoint configuration: AWS defaults to EDGE)'}"]
    if endpoint.vpc_endpoint_ids:
        lines.append(aliases)
    lines += _fix_lines("Fix: make the API private:", _endpoint_fix(endpoint))
    lines.append(docs)
    return Judgement(FAILED, reason, lines)


def _endpoint_fix(endpoint: Any) -> str:
    ids = list(endpoint.vpc_endpoint_ids)
    if endpoint.syntax == "hcl":
        listed = ", ".join(f'"{i}"' if not i.startswith("${") else i[2:-1] for i in ids) or "var.allowed_vpce_ids"
        listed = listed if listed == "var.allowed_vpce_ids" else f"[{listed}]"
        return "endpoint_configuration {\n  types            = [\"PRIVATE\"]\n  vpc_endpoint_ids = " + listed + "\n}"
    if "Serverless" in (endpoint.origin or ""):
        return "EndpointConfiguration:\n  Type: PRIVATE"
    if endpoint.syntax == "yaml":
        return "EndpointConfiguration:\n  Types:\n    - PRIVATE"
    return '"EndpointConfiguration": {"Types": ["PRIVATE"]}'


def _readable_policy(source: Optional[PolicySource]):
    """The parsed policy when there is one the coverage check could read; None otherwise (no second finding)."""
    if source is None or source.problem or source.missing:
        return None
    try:
        return parsed_policy(source)
    except PolicyError:
        return None


def judge_soundness(source: Optional[PolicySource], settings: Union[Settings, SettingsError]) -> Judgement:
    """CKV_VPCE_6: the named origins can get in, and the values naming them can match a real endpoint or VPC."""
    from vpce_checks.engine.soundness import soundness_of, well_formed_endpoint

    policy = _readable_policy(source)
    if policy is None:
        return Judgement(NO_RESULT)
    docs = f"Docs: {docs_page(SOUNDNESS_CHECK)}"
    if isinstance(settings, SettingsError):
        reason = f"vpce-checks settings error: {settings}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", docs])
    options = settings.analysis_options()
    result = _analysed(source, SOUNDNESS, options, lambda: soundness_of(
        policy, source.target, options, settings.allowed_vpce_ids, settings.allowed_vpc_ids,
        raw_document=source.document, endpoint_services=source.endpoint_services, endpoint_vpcs=source.endpoint_vpcs,
        budget=resource_budget(source, options)))
    if not result.applies:
        return Judgement(NO_RESULT)
    if result.sound:
        lines = ["Admits: " + ("; ".join(result.admits) or "the origins listed")]
        if source.read_from:
            lines.append(f"Read from: {source.read_from}")
        lines += [f"Note: {note}" for note in result.notes]
        return Judgement(PASSED, "the perimeter admits the origins it names and nothing else", lines)
    profile = PROFILES[source.target.service]
    from vpce_checks.engine.services import endpoint_serves

    good = [e for e in named_endpoints(policy) if well_formed_endpoint(e) and endpoint_serves(
        source.endpoint_services.get(e, ""), source.target.service) is not False]
    lines = [f"Reason: {result.problems[0]}"] + [f"Problem: {p}" for p in result.problems[1:]]
    lines += [f"Counterexample: {example}" for example in result.examples[:1]]
    lines.append(f"Policy: {source.origin}")
    syntax, data_source = _fix_form(source)
    lines += _fix_lines("Fix: one Deny that lists every allowed endpoint exactly, in place of the statements above:",
                        _in_files_partition(source, fix_for(policy, profile, source.target, syntax,
                                                            data_source=data_source, endpoints=good,
                                                            own_arn_expression=source.own_arn_expression), syntax))
    lines.append(docs)
    return Judgement(FAILED, result.problems[0], lines)


def judge_source_ip(source: Optional[PolicySource], settings: Union[Settings, SettingsError]) -> Judgement:
    """CKV_VPCE_7: aws:SourceIp with private or shared ranges cannot describe VPC traffic."""
    from vpce_checks.engine.soundness import source_ip_use

    policy = _readable_policy(source)
    if policy is None:
        return Judgement(NO_RESULT)
    docs = f"Docs: {docs_page(SOURCE_IP_CHECK)}"
    if isinstance(settings, SettingsError):
        reason = f"vpce-checks settings error: {settings}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", docs])
    use = source_ip_use(policy)
    if use is None:
        return Judgement(NO_RESULT)
    if not use.problems:
        return Judgement(PASSED, "aws:SourceIp names only public ranges",
                         ["aws:SourceIp ranges (public egress): " + ", ".join(use.ranges)])
    lines = [f"Reason: {use.problems[0]}"] + [f"Problem: {p}" for p in use.problems[1:]]
    lines.append("Why: requests through a VPC endpoint carry aws:SourceVpce, aws:SourceVpc and aws:VpcSourceIp, and "
                 "no aws:SourceIp; private addresses never appear in aws:SourceIp (IAM User Guide, \"AWS global "
                 "condition context keys\").")
    lines.append("Fix: confine by endpoint with StringNotEquals aws:SourceVpce (or aws:SourceVpc) in a Deny; to "
                 "match the caller's private address use aws:VpcSourceIp, which is present only on endpoint traffic.")
    lines.append(f"Policy: {source.origin}")
    lines.append(docs)
    return Judgement(FAILED, use.problems[0], lines)


ENDPOINT_POLICY_CHECK = ENDPOINT_FULL_ACCESS
ORG_PLACEHOLDERS = {"hcl": "${var.org_id}", "yaml": "o-REPLACE-WITH-YOUR-ORG-ID", "json": "o-REPLACE-WITH-YOUR-ORG-ID"}


def _endpoint_policy_fix(source: Any, policy, verdict) -> List[str]:
    """The scoped statement in the file's own syntax: HCL (jsonencode object or data-source block), YAML/JSON."""
    import json

    from vpce_checks.engine.endpoint_policy import org_ids_named, scoped_statement
    from vpce_checks.fix_rendering import hcl_data_statement, hcl_value, yaml_value

    profile = PROFILES["s3"]  # the HCL renderer needs one; a statement of "*" resources never uses it
    orgs = org_ids_named(policy)
    org = orgs[0] if orgs else ORG_PLACEHOLDERS.get(source.syntax, ORG_PLACEHOLDERS["json"])
    actions = list(verdict.statement.action or ["*"]) if verdict is not None and verdict.statement else ["*"]
    statement = scoped_statement(actions, org)
    label = verdict.statement.label if verdict is not None and verdict.statement else None
    if source.syntax == "hcl":
        hint = " (variable \"org_id\" holds your organization ID)" if org == ORG_PLACEHOLDERS["hcl"] else ""
        if source.data_source:
            header = f"in the data source, replace {label} with" if label else "use this statement"
            return _fix_lines(f"Fix: {header}{hint}:", hcl_data_statement(statement, profile))
        body = hcl_value(statement, profile, 0)
        if label:
            return _fix_lines(f"Fix: replace {label} of the policy with{hint}:", body)
        document = ("policy = jsonencode({\n  Version = \"2012-10-17\"\n  Statement = [\n"
                    + "\n".join("    " + line for line in body.splitlines()) + "\n  ]\n})")
        return _fix_lines(f"Fix: set the policy argument of {source.endpoint} (or add an aws_vpc_endpoint_policy for "
                          f"it) to a policy that admits only your organization's principals and resources{hint}:",
                          document)
    if source.syntax == "yaml":
        item = "- " + "\n".join(yaml_value(statement, 1)).lstrip()
        if label:
            return _fix_lines(f"Fix: replace {label} of the PolicyDocument with:", item)
        document = ("PolicyDocument:\n  Version: \"2012-10-17\"\n  Statement:\n"
                    + "\n".join("    " + line for line in item.splitlines()))
        return _fix_lines("Fix: add to the endpoint's Properties a PolicyDocument that admits only your "
                          "organization's principals and resources:", document)
    text = json.dumps(statement, indent=2)
    if label:
        return _fix_lines(f"Fix: replace {label} of the policy with:", text)
    document = {"Version": "2012-10-17", "Statement": [statement]}
    if source.kind == "cloudformation":
        return _fix_lines("Fix: add to the endpoint's Properties a PolicyDocument that admits only your "
                          "organization's principals and resources:",
                          '"PolicyDocument": ' + json.dumps(document, indent=2))
    return _fix_lines("Fix: make the policy admit only your organization's principals and resources:",
                      json.dumps(document, indent=2))


def judge_endpoint_policy(source: Any, settings: Union[Settings, SettingsError]) -> Judgement:
    """CKV_VPCE_8: the VPC endpoint policy is not full access (no policy means AWS's default full-access one)."""
    from vpce_checks.engine.endpoint_policy import describe, endpoint_policy_verdict

    if source is None:
        return Judgement(NO_RESULT)
    docs = f"Docs: {docs_page(ENDPOINT_POLICY_CHECK)}"
    if isinstance(settings, SettingsError):
        reason = f"vpce-checks settings error: {settings}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", docs])
    notes = [f"Note: {note}" for note in source.notes]
    if source.problem:
        if settings.unresolved == "skip":
            return Judgement(SKIPPED, source.problem)
        reason = f"the endpoint policy cannot be resolved: {source.problem}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", "The check fails closed: it cannot tell whether the "
                                          "policy is full access. Set VPCE_CHECKS_UNRESOLVED=skip to skip such "
                                          "policies."] + notes + [docs])
    policy = None
    if not source.missing:
        try:
            policy = parse_policy(source.document)
        except PolicyError as error:
            reason = f"the endpoint policy is not valid IAM: {error}"
            return Judgement(FAILED, reason, [f"Reason: {reason}", f"Policy: {source.origin}"] + notes + [docs])
    verdict = endpoint_policy_verdict(policy, source.namespace)
    if verdict.status == "invalid":
        return Judgement(FAILED, verdict.reason, [f"Reason: {verdict.reason}", f"Policy: {source.origin}"]
                         + notes + [docs])
    if verdict.status == "unresolved":
        if settings.unresolved == "skip":
            return Judgement(SKIPPED, verdict.reason)
        reason = f"cannot tell whether the endpoint policy is full access: {verdict.reason}"
        return Judgement(FAILED, reason, [f"Reason: {reason}", "Give the value literally or as a variable default, "
                                          "or set VPCE_CHECKS_UNRESOLVED=skip.", f"Policy: {source.origin}"]
                         + notes + [docs])
    if verdict.status == "limited":
        lines = ["Endpoint policy limits: " + "; ".join(verdict.limits), f"Policy: {source.origin}"] + notes
        return Judgement(PASSED, verdict.reason, lines)
    if policy is None:
        reason = (f"{source.endpoint} has no endpoint policy, so AWS attaches the default policy, which allows every "
                  "principal every action on every resource through the endpoint")
        description = describe(verdict.request, "the default endpoint policy")
        policy_line = "Policy: none (the default endpoint policy: Allow Principal * Action * Resource *)"
        fix = _endpoint_policy_fix(source, None, None)
    else:
        reason = verdict.reason
        description = verdict.description
        policy_line = f"Policy: {source.origin}"
        fix = _endpoint_policy_fix(source, policy, verdict)
    lines = [f"Reason: {reason}", f"Counterexample: {description}", policy_line] + notes + fix
    lines.append("Note: services that act from your VPC may need AWS-owned resources through this endpoint (e.g. "
                 "ECR image layers in S3): add statements for them, as in the VPC endpoint policy examples of "
                 "aws-samples/data-perimeter-policy-examples.")
    lines.append(docs)
    return Judgement(FAILED, reason, lines, None)
