"""Table tests for every rule of SPEC section 3, on the engine alone."""

from __future__ import annotations

import pytest

from vpce_checks.engine.conditions import condition_holds
from vpce_checks.engine.evaluate import Principal, Request, evaluate
from vpce_checks.engine.matching import action_matches, arn_matches, glob_match, resource_matches
from vpce_checks.engine.model import THIS_ACCOUNT, PolicyError, parse_policy, references_in
from vpce_checks.engine.perimeter import AnalysisOptions, perimeter_of
from vpce_checks.engine.services import Target

V1 = "vpce-0a1b2c3d4e5f60718"
V2 = "vpce-0b2c3d4e5f6071829"


def cond(operator: str, key: str, values):
    return parse_policy({"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                       "Condition": {operator: {key: values}}}}).statements[0].conditions[0]


@pytest.mark.parametrize(
    "operator, values, request_value, expected",
    [
        # exact and case-sensitive values
        ("StringEquals", [V1], V1, True),
        ("StringEquals", [V1], V1.upper(), False),
        ("StringEqualsIgnoreCase", [V1], V1.upper(), True),
        ("StringNotEquals", [V1, V2], V2, False),  # NOR over the list
        ("StringNotEquals", [V1, V2], "vpce-0ffffffffffffffff", True),
        ("StringLike", ["vpce-0a*"], V1, True),
        ("StringLike", ["vpce-0a?c*"], V1, False),
        ("StringNotLike", ["vpce-*"], V1, False),
        ("StringEquals", ["vpce-*"], V1, False),  # no wildcard outside Like operators
        # absent key: the qualifier decides first, then IfExists, Null, negation
        ("StringEquals", [V1], None, False),
        ("StringNotEquals", [V1], None, True),
        ("StringNotEqualsIfExists", [V1], None, True),
        ("StringEqualsIfExists", [V1], None, True),
        ("ForAllValues:StringNotEquals", [V1], None, True),
        ("ForAnyValue:StringNotEquals", [V1], None, False),
        ("ForAllValues:StringEquals", [V1], None, True),
        ("ForAnyValue:StringNotEqualsIfExists", [V1], None, False),
        ("Null", ["true"], None, True),
        ("Null", ["false"], None, False),
        ("Null", ["true"], V1, False),
        ("Bool", ["false"], None, False),
        ("BoolIfExists", ["false"], None, True),
        ("Bool", ["true"], "TRUE", True),
        # other operator families
        ("IpAddress", ["203.0.113.0/24"], "203.0.113.9", True),
        ("NotIpAddress", ["10.0.0.0/8"], "203.0.113.9", True),
        ("NotIpAddress", ["10.0.0.0/8"], None, True),
        ("NumericLessThan", ["10"], "9", True),
        ("NumericLessThan", ["10"], "ten", False),
        ("DateGreaterThan", ["2020-01-01T00:00:00Z"], "2021-01-01T00:00:00Z", True),
        ("ArnLike", ["arn:aws:iam::*:role/admin"], "arn:aws:iam::210987654321:role/admin", True),
        ("ArnEquals", ["arn:aws:iam::*:role/admin"], "arn:aws:iam::210987654321:role/admin", True),
        ("ArnNotLike", ["arn:aws:iam::*:role/aws:ec2-infrastructure"],
         "arn:aws:iam::210987654321:role/aws:ec2-infrastructure", False),
    ],
)
def test_condition_operators(operator, values, request_value, expected):
    assert condition_holds(cond(operator, "aws:SourceVpce", values), request_value) is expected


def test_multivalued_keys_and_set_operators():
    paths = cond("ForAllValues:StringNotLike", "aws:VpceOrgPaths", ["o-abc/r-1/ou-1/*"])
    assert condition_holds(paths, ("o-abc/r-1/ou-2/",)) is True
    assert condition_holds(paths, ("o-abc/r-1/ou-1/x/",)) is False
    assert condition_holds(paths, ()) is True
    anyof = cond("ForAnyValue:StringEquals", "aws:TagKeys", ["a", "b"])
    assert condition_holds(anyof, ("c", "b")) is True
    assert condition_holds(anyof, ()) is False


def test_key_names_are_case_insensitive_and_values_are_not():
    policy = parse_policy({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                          "Condition": {"stringnotequals": {"AWS:SourceVPCE": V1}}}]})
    condition = policy.statements[0].conditions[0]
    assert condition.key == "aws:sourcevpce" and condition.operator == "stringnotequals"
    assert condition.values == (V1,)


def test_matchers():
    assert action_matches("S3:get*", "s3:GetObject")
    assert not action_matches("s3:Get*", "s3:PutObject")
    assert resource_matches("arn:aws:s3:::logs/*", "arn:aws:s3:::logs/a/b")
    assert not resource_matches("arn:aws:s3:::logs/*", "arn:aws:s3:::logs")
    assert not resource_matches("arn:aws:s3:::Logs", "arn:aws:s3:::logs")
    # ARN operators never let a wildcard cross a field
    assert not arn_matches("arn:aws:iam::*", "arn:aws:iam::210987654321:role/x")
    assert arn_matches("arn:aws:iam::*:*", "arn:aws:iam::210987654321:role/x")
    assert glob_match("a${*}b", "a*b") and not glob_match("a${*}b", "axb")


def test_references_and_policy_variables():
    assert references_in("${aws_vpc_endpoint.s3.id}") == ["${aws_vpc_endpoint.s3.id}"]
    assert references_in("arn:aws:s3:::b/${aws:username}/*") == []
    assert references_in(f"arn:aws:iam::{THIS_ACCOUNT}:root") == []


@pytest.mark.parametrize(
    "document, message",
    [
        ([], "must be a JSON object"),
        ({"Version": "2012-10-17"}, "no Statement"),
        ({"Statement": [{"Effect": "Maybe", "Action": "s3:*"}]}, "Effect"),
        ({"Statement": [{"Effect": "Deny", "Action": "s3:*", "NotAction": "s3:Get*"}]}, "both Action and NotAction"),
        ({"Statement": [{"Effect": "Deny", "Action": "s3:*", "Condition": {"StringFoo": {"k": "v"}}}]},
         "unknown condition operator"),
        ({"Statement": [{"Effect": "Deny", "Action": "s3:*", "Condition": {"NullIfExists": {"k": "true"}}}]},
         "Null cannot take IfExists"),
        ({"Statement": [{"Effect": "Deny", "Action": [{"x": 1}]}]}, "expected a string"),
        ({"Statement": [{"Effect": "Deny", "Principal": "arn:aws:iam::210987654321:root", "Action": "s3:*"}]},
         "string principal"),
    ],
)
def test_malformed_policies_say_what_is_wrong(document, message):
    with pytest.raises(PolicyError, match=message):
        parse_policy(document)


def request(principal: Principal, **context) -> Request:
    return Request(action="s3:GetObject", resource="arn:aws:s3:::logs/k", principal=principal,
                   context={k.lower(): v for k, v in context.items()})


ROLE = "arn:aws:iam::210987654321:role/admin"
SESSION = Principal(kind="iam", account="210987654321", role_arn=ROLE,
                    arn="arn:aws:sts::210987654321:assumed-role/admin/s1")
ANONYMOUS = Principal(kind="anonymous")


@pytest.mark.parametrize(
    "principal_element, caller, applies",
    [
        ({"Principal": "*"}, ANONYMOUS, True),
        ({"Principal": {"AWS": "*"}}, ANONYMOUS, True),
        ({"Principal": {"AWS": "210987654321"}}, SESSION, True),
        ({"Principal": {"AWS": "arn:aws:iam::210987654321:root"}}, SESSION, True),
        ({"Principal": {"AWS": "arn:aws:iam::210987654321:root"}}, ANONYMOUS, False),
        ({"Principal": {"AWS": ROLE}}, SESSION, True),  # a role ARN covers its sessions in Principal
        ({"NotPrincipal": {"AWS": ROLE}}, SESSION, True),  # ...but does not exempt them in NotPrincipal
        ({"NotPrincipal": {"AWS": "arn:aws:iam::210987654321:root"}}, SESSION, False),
        ({"NotPrincipal": {"AWS": SESSION.arn}}, SESSION, False),
        ({"Principal": {"Service": "cloudtrail.amazonaws.com"}}, SESSION, False),
    ],
)
def test_principal_forms(principal_element, caller, applies):
    policy = parse_policy({"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                          **principal_element}]})
    assert evaluate(policy, request(caller)).explicitly_denied is applies


def test_explicit_deny_wins_over_allow():
    policy = parse_policy({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
    ]})
    decision = evaluate(policy, request(SESSION))
    assert decision.explicitly_denied and decision.allowed_by


BUCKET = ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"]
SOUND = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": BUCKET,
         "Condition": {"StringNotEquals": {"aws:SourceVpce": [V1, V2]}}}


def verdict(*statements, service="s3", name="logs", options=None):
    return perimeter_of(parse_policy({"Statement": list(statements)}), Target(service, name),
                        options or AnalysisOptions())


def test_sound_deny_passes_and_names_origins():
    result = verdict(SOUND)
    assert result.passed
    assert result.allowed_origins == [f"VPC endpoint {V1}", f"VPC endpoint {V2}"]


def test_anded_secure_transport_leaves_tls_requests_open_but_two_denies_cover_together():
    anded = {**SOUND, "Condition": {"StringNotEquals": {"aws:SourceVpce": V1},
                                    "Bool": {"aws:SecureTransport": "false"}}}
    result = verdict(anded)
    assert result.status == "fail"
    assert result.counterexample.value("aws:securetransport") in ("true", None)
    split = [{**SOUND, "Condition": {"StringNotEquals": {"aws:SourceVpce": V1}}},
             {**SOUND, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]
    assert verdict(*split).passed


def test_objects_only_deny_leaves_the_bucket_arn_open():
    result = verdict({**SOUND, "Resource": "arn:aws:s3:::logs/*"})
    assert result.status == "fail" and result.counterexample.resource == "arn:aws:s3:::logs"


def test_partial_action_list_names_an_action_outside_it():
    result = verdict({**SOUND, "Action": ["s3:GetObject", "s3:PutObject"]})
    assert result.status == "fail"
    assert result.counterexample.action not in ("s3:GetObject", "s3:PutObject")


def test_wildcard_action_families_leave_future_actions_open():
    families = ["s3:Get*", "s3:Put*", "s3:Delete*", "s3:List*", "s3:Restore*", "s3:Abort*"]
    result = verdict({**SOUND, "Action": families})
    assert result.status == "fail"
    assert not any(action_matches(f, result.counterexample.action) for f in families)


def test_exemptions_service_principals_are_excused_plain_bool_is_not():
    service = {**SOUND, "Condition": {**SOUND["Condition"],
                                      "BoolIfExists": {"aws:PrincipalIsAWSService": "false",
                                                       "aws:ViaAWSService": "false"}}}
    assert verdict(service).passed
    plain = {**SOUND, "Condition": {**SOUND["Condition"], "Bool": {"aws:PrincipalIsAWSService": "false"}}}
    result = verdict(plain)
    assert result.status == "fail" and result.counterexample.principal.kind == "anonymous"


def test_principal_tag_exemption_fails_unless_accepted():
    tagged = {**SOUND, "Condition": {**SOUND["Condition"],
                                     "StringNotEqualsIfExists": {"aws:PrincipalTag/dp:exclude:network": "true"}}}
    assert verdict(tagged).status == "fail"
    accepted = verdict(tagged, options=AnalysisOptions(
        accepted_exemptions=frozenset({"aws:principaltag/dp:exclude:network"})))
    assert accepted.passed and accepted.exemptions == ["aws:PrincipalTag/dp:exclude:network"]


def test_ec2_infrastructure_exemption_is_excused():
    infrastructure = "arn:aws:iam::*:role/aws:ec2-infrastructure"
    excused = {**SOUND, "Condition": {**SOUND["Condition"],
                                      "ArnNotLikeIfExists": {"aws:PrincipalArn": infrastructure}}}
    assert verdict(excused).passed


def test_set_operators_on_single_valued_key():
    assert verdict({**SOUND, "Condition": {"ForAllValues:StringNotEquals": {"aws:SourceVpce": V1}}}).passed
    assert verdict({**SOUND, "Condition": {"ForAnyValue:StringNotEquals": {"aws:SourceVpce": V1}}}).status == "fail"


def test_wildcard_perimeter_admits_every_endpoint():
    result = verdict({**SOUND, "Condition": {"StringNotLike": {"aws:SourceVpce": "vpce-*"}}})
    assert result.status == "fail" and result.network == "endpoint"


def test_source_vpc_counts_as_perimeter():
    assert verdict({**SOUND, "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-0a1b2c3d4e5f60718"}}}).passed


def test_sqs_and_sns_profiles():
    for service, action in (("sqs", "sqs:*"), ("sns", "sns:*")):
        sound = {**SOUND, "Action": action, "Resource": "*"}
        assert verdict(sound, service=service, name="q").passed
        assert verdict({**sound, "Action": f"{service}:Send*"}, service=service, name="q").status == "fail"


def test_unresolved_action_fails_closed_unless_verdict_does_not_depend_on_it():
    depends = {**SOUND, "Action": "${var.actions}"}
    assert verdict(depends).status == "unresolved"
    no_matter = {**SOUND, "Resource": BUCKET + ["${var.other}"]}
    assert verdict(no_matter).passed


def test_every_counterexample_is_not_denied_by_plain_evaluation():
    cases = [
        {**SOUND, "Resource": "arn:aws:s3:::logs/*"},
        {**SOUND, "NotAction": "s3:GetObject", "Action": None},
        {**SOUND, "Principal": {"AWS": "arn:aws:iam::210987654321:root"}},
    ]
    for case in cases:
        statement = {k: v for k, v in case.items() if v is not None}
        policy = parse_policy({"Statement": [statement]})
        result = perimeter_of(policy, Target("s3", "logs"))
        assert result.status == "fail"
        assert not evaluate(policy, result.counterexample).explicitly_denied


def test_references_to_the_protected_resource_itself_are_not_unresolved():
    own = {**SOUND, "Resource": ["arn:aws:s3:::${ExportsBucket}", "arn:aws:s3:::${ExportsBucket}/*"]}
    assert verdict(own, name="${ExportsBucket}").passed
    other = {**SOUND, "Resource": ["arn:aws:s3:::${OtherBucket}", "arn:aws:s3:::${OtherBucket}/*"]}
    assert verdict(other, name="${ExportsBucket}").status == "unresolved"


def test_literal_arn_settles_unknown_account_and_region():
    queue = {**SOUND, "Action": "sqs:*", "Resource": "arn:aws:sqs:eu-west-1:462761261830:billing"}
    assert verdict(queue, service="sqs", name="billing").passed


API = Target("execute-api", "a1b2c3d4e5", account="210987654321", region="eu-west-1")
API_DENY = {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
            "Condition": {"StringNotEquals": {"aws:SourceVpce": V1}}}
API_ALLOW = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}


def test_private_api_perimeter_uses_the_execute_api_shorthand_and_endpoint_networks_only():
    result = perimeter_of(parse_policy({"Statement": [API_ALLOW, API_DENY]}), API)
    assert result.passed and result.allowed_origins == [f"VPC endpoint {V1}"]
    vpc = {**API_DENY, "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-0a1b2c3d4e5f60718"}}}
    assert perimeter_of(parse_policy({"Statement": [API_ALLOW, vpc]}), API).passed


def test_private_api_allow_only_fails_through_another_endpoint():
    allow = {**API_ALLOW, "Condition": {"StringEquals": {"aws:SourceVpce": V1}}}
    result = perimeter_of(parse_policy({"Statement": [allow]}), API)
    assert result.status == "fail" and result.network == "endpoint"
    assert result.counterexample.action == "execute-api:Invoke"
    assert result.counterexample.resource.startswith("arn:aws:execute-api:eu-west-1:210987654321:a1b2c3d4e5/")


def test_private_api_deny_on_one_stage_leaves_declared_routes_of_other_stages_open():
    prod_only = {**API_DENY, "Resource": "execute-api:/prod/*"}
    routes = Target("execute-api", "a1b2c3d4e5", routes=("prod/GET/orders", "test/GET/orders"))
    result = perimeter_of(parse_policy({"Statement": [prod_only]}), routes)
    assert result.status == "fail" and result.counterexample.resource.endswith("/test/GET/orders")
    only_prod = Target("execute-api", "a1b2c3d4e5", routes=("prod/GET/orders", "prod/POST/orders"))
    assert perimeter_of(parse_policy({"Statement": [prod_only]}), only_prod).passed
    unknown_routes = Target("execute-api", "a1b2c3d4e5")
    assert perimeter_of(parse_policy({"Statement": [prod_only]}), unknown_routes).status == "fail"


def test_policies_beyond_the_bound_fail_closed_quickly():
    huge = [{**SOUND, "Sid": f"S{i}", "Action": f"s3:Get{i}*"} for i in range(1_500)]
    result = verdict(*huge)
    assert result.status == "unresolved" and "bounded at" in result.reason


def test_the_search_has_a_time_bound_and_fails_closed_past_it():
    """Steps alone are no time bound: past max_seconds the verdict is 'unresolved' (the check fails closed)."""
    from vpce_checks.engine.model import parse_policy
    from vpce_checks.engine.perimeter import AnalysisOptions, perimeter_of
    from vpce_checks.engine.services import Target

    statements = [{"Effect": "Deny", "Principal": "*", "Action": f"s3:Get{i}*", "Resource": "arn:aws:s3:::b/*",
                   "Condition": {"StringNotEquals": {"aws:SourceVpce": f"vpce-{i:08x}"},
                                 "StringNotLike": {f"aws:PrincipalTag/t{i}": "x*"}}} for i in range(40)]
    policy = parse_policy({"Statement": statements})
    quick = perimeter_of(policy, Target("s3", "b"), AnalysisOptions(max_seconds=0.0))
    assert quick.status == "unresolved" and "seconds" in quick.reason
    assert perimeter_of(policy, Target("s3", "b")).status == "fail"


def test_a_key_matching_two_exempted_patterns_at_once_is_a_hole():
    """Two Denies whose NotResource exempt logs/a* and logs/*b leave logs/a...b undenied: one witness per pattern
    (logs/a0, logs/0b) would have called this covered."""
    from vpce_checks.engine.evaluate import evaluate
    from vpce_checks.engine.model import parse_policy
    from vpce_checks.engine.perimeter import perimeter_of
    from vpce_checks.engine.services import Target

    policy = parse_policy({"Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "NotResource": ["arn:aws:s3:::logs/a*"],
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0c83a8ad9bb98ef71"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "NotResource": ["arn:aws:s3:::logs/*b"],
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0c83a8ad9bb98ef71"}}}]})
    verdict = perimeter_of(policy, Target("s3", "logs"))
    assert verdict.status == "fail"
    assert verdict.counterexample.resource.startswith("arn:aws:s3:::logs/a")
    assert verdict.counterexample.resource.endswith("b")
    assert not evaluate(policy, verdict.counterexample).explicitly_denied


def test_many_stars_neither_hang_nor_hide_a_hole():
    """Issue 11's bound case: five Denies whose Resource repeats *a twenty times. A regular expression backtracks
    for seconds on such a pattern; the matcher is linear in pattern times text, and the hole is found."""
    from vpce_checks.engine.evaluate import evaluate
    from vpce_checks.engine.model import parse_policy
    from vpce_checks.engine.perimeter import perimeter_of
    from vpce_checks.engine.services import Target

    policy = parse_policy({"Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/" + "*a" * 20 + f"{i}*"],
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}}} for i in range(5)]})
    verdict = perimeter_of(policy, Target("s3", "b"))
    assert verdict.status == "fail"
    assert not evaluate(policy, verdict.counterexample).explicitly_denied


def test_many_condition_values_fail_closed_with_the_reason():
    """50,000 endpoint IDs under one key: the size bound counts condition values, so the check fails closed at
    once (CKV_VPCE_1 and CKV_VPCE_6 alike) and says why; 4,000 exact IDs share one trie and get a verdict."""
    from vpce_checks.engine.model import parse_policy
    from vpce_checks.engine.perimeter import perimeter_of
    from vpce_checks.engine.services import Target
    from vpce_checks.engine.soundness import soundness_of

    def policy(count: int):
        return parse_policy({"Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"StringNotEquals": {"aws:SourceVpce": [f"vpce-{i + 1:017x}" for i in range(count)]}}}]})

    huge = policy(50_000)
    verdict = perimeter_of(huge, Target("s3", "b"))
    assert verdict.status == "unresolved" and "50000 condition values" in verdict.reason
    assert any(p.startswith("cannot prove that every named origin can get in")
               for p in soundness_of(huge, Target("s3", "b")).problems)
    assert perimeter_of(policy(4_000), Target("s3", "b")).passed


def test_lockout_search_past_its_bound_fails_closed():
    """CKV_VPCE_6 never passes an undecided lockout search: past the time bound it says it cannot prove that
    every named origin can get in."""
    from vpce_checks.engine.model import parse_policy
    from vpce_checks.engine.perimeter import AnalysisOptions
    from vpce_checks.engine.services import Target
    from vpce_checks.engine.soundness import soundness_of

    policy = parse_policy({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}}}]})
    result = soundness_of(policy, Target("s3", "b"), AnalysisOptions(max_steps=1))
    assert "cannot prove that every named origin can get in: the search did not finish within 1 steps or 5 " \
           "seconds" in result.problems


def test_the_greedy_glob_matcher_agrees_with_a_regular_expression():
    """Patterns with three or more stars use the linear matcher: on every pattern and text drawn here it answers
    as the regular expression of the same glob does (escapes and case folding included)."""
    import re

    from hypothesis import assume, given, settings
    from hypothesis import strategies as st

    def regex(pattern: str, fold: bool) -> re.Pattern[str]:
        parts = re.split(r"(\$\{\*\}|\$\{\?\}|\$\{\$\}|\*|\?)", pattern)
        body = "".join({"*": ".*", "?": ".", "${*}": r"\*", "${?}": r"\?", "${$}": r"\$"}.get(p, re.escape(p))
                       for p in parts)
        return re.compile(body, re.DOTALL | (re.IGNORECASE if fold else 0))

    @settings(max_examples=3000, deadline=None)
    @given(st.lists(st.sampled_from(["*", "*", "?", "a", "b", "A", "${*}", "/"]), min_size=3, max_size=12),
           st.text(alphabet="abAB*/", max_size=12), st.booleans())
    def agree(tokens, text, fold):
        pattern = "".join(tokens)
        assume(pattern.count("*") >= 3)  # the greedy matcher's patterns
        assert glob_match(pattern, text, fold) == (regex(pattern, fold).fullmatch(text) is not None), (pattern, text)

    agree()


def test_the_checks_of_one_resource_share_one_budget():
    """docs/semantics.md, bounds: CKV_VPCE_1 and CKV_VPCE_6 on the same resource draw on one budget, so a policy at
    the bound costs its time once per resource, not once per check; another resource gets its own."""
    from vpce_checks.adapters.base import PolicySource
    from vpce_checks.engine.perimeter import AnalysisOptions
    from vpce_checks.judge import resource_budget

    options = AnalysisOptions(max_steps=1_000)
    first = PolicySource(target=Target("s3", "b"), document={}, resource_key="main.tf:aws_s3_bucket_policy:b")
    again = PolicySource(target=Target("s3", "b"), document={}, resource_key="main.tf:aws_s3_bucket_policy:b")
    other = PolicySource(target=Target("s3", "c"), document={}, resource_key="main.tf:aws_s3_bucket_policy:c")
    budget = resource_budget(first, options)
    budget[0] -= 400  # what one check's search spent
    assert resource_budget(again, options) is budget and budget[0] == 600
    assert resource_budget(other, options)[0] == 1_000
    assert resource_budget(PolicySource(target=Target("s3", "b")), options) is not budget
