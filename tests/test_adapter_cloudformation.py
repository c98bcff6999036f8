"""The CloudFormation adapter, driven by Checkov's real CloudFormation runner over templates written to tmp_path.

A capture check (registered for this module only) calls ``source_for_cloudformation`` exactly as a pack check
does, from inside Checkov's runner: the ``conf``, ``entity_path`` and call stack are Checkov's own.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.cloudformation.checks.resource.registry import cfn_registry
from checkov.cloudformation.runner import Runner
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.runner_filter import RunnerFilter

from vpce_checks.adapters import cloudformation as cfn
from vpce_checks.adapters.base import PolicySource
from vpce_checks.adapters.cloudformation import (
    CFN_OWNER_RESOURCES,
    CFN_POLICY_RESOURCES,
    Readings,
    source_for_cloudformation,
    split_entity_path,
)
from vpce_checks.engine.model import THIS_ACCOUNT, THIS_REGION, is_policy_variable, parse_policy
from vpce_checks.engine.services import Target

CHECK_ID = "CKV_VPCETEST_CFN_ADAPTER"
ACCT, REGION = THIS_ACCOUNT, THIS_REGION


class _Capture(BaseResourceCheck):
    """Records what the adapter makes of every bucket, queue, topic and policy resource."""

    def __init__(self) -> None:
        super().__init__(
            name="capture the CloudFormation adapter's output", id=CHECK_ID,
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=[*CFN_POLICY_RESOURCES, *CFN_OWNER_RESOURCES],
        )
        self.sources: Dict[str, Readings] = {}
        self.confs: Dict[str, Any] = {}
        self.entity_paths: Dict[str, str] = {}

    def scan_resource_conf(self, conf: Dict[str, Any]) -> CheckResult:
        file_path, logical_id = split_entity_path(self.entity_path, self.entity_type)
        self.sources[logical_id] = source_for_cloudformation(conf, self.entity_type, file_path, logical_id)
        self.confs[logical_id] = conf
        self.entity_paths[logical_id] = self.entity_path
        return CheckResult.PASSED


@pytest.fixture(scope="module")
def capture():
    check = _Capture()
    yield check
    for entity in check.supported_entities:  # leave Checkov's global registry as we found it
        cfn_registry.checks[entity] = [c for c in cfn_registry.checks[entity] if c is not check]


def scan(capture: _Capture, root: Path, text: str, name: str = "stack.yaml") -> Dict[str, Readings]:
    """Write one template under ``root`` and run Checkov's CloudFormation runner over ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(textwrap.dedent(text))
    capture.sources.clear()
    capture.confs.clear()
    capture.entity_paths.clear()
    cfn.clear_template_cache()
    report = Runner().run(
        root_folder=str(root), runner_filter=RunnerFilter(framework=["cloudformation"], checks=[CHECK_ID])
    )
    assert len(report.passed_checks) == len(capture.sources) > 0
    return dict(capture.sources)


def assert_engine_ready(source: PolicySource) -> None:
    """A plain IAM document the engine parses; every template token is colon-free (or pseudo, or an IAM variable)."""
    assert source.problem is None, source.problem
    parse_policy(source.document)
    stack = [source.document]
    while stack:  # plain JSON types only (Checkov's parser hands str subclasses and DictNodes)
        item = stack.pop()
        assert type(item) in (dict, list, str, int, float, bool), type(item)
        stack.extend(item.values() if isinstance(item, dict) else item if isinstance(item, list) else [])
        assert not isinstance(item, dict) or all(type(key) is str for key in item)
    for token in re.findall(r"\$\{[^}]*\}", json.dumps(source.document)):
        assert token in (THIS_ACCOUNT, THIS_REGION) or is_policy_variable(token) or ":" not in token, token


S3_YAML = """
    AWSTemplateFormatVersion: "2010-09-09"
    Parameters:
      BucketNameParam: {Type: String, Default: my-logs}
      VpceId: {Type: String}
      VpceList: {Type: CommaDelimitedList, Default: "vpce-0a1b2c3d,vpce-0e0f0a0b"}
      NetworkStack: {Type: String, Default: net}
      Env: {Type: String, Default: prod}
    Mappings:
      Endpoints:
        prod: {S3: vpce-1234abcd}
    Conditions:
      IsProd: !Equals [!Ref Env, prod]
    Resources:
      MyBucket:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Ref BucketNameParam
      Endpoint:
        Type: AWS::EC2::VPCEndpoint
        Properties: {ServiceName: com.amazonaws.eu-west-1.s3, VpcId: vpc-0a1b2c3d}
      LogsPolicy:
        Type: AWS::S3::BucketPolicy
        Properties:
          Bucket: !Ref MyBucket
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Sid: DenyOutsideEndpoints
                Effect: Deny
                Principal: "*"
                Action: "s3:*"
                Resource:
                  - !GetAtt MyBucket.Arn
                  - !Sub "${MyBucket.Arn}/*"
                  - !Sub "arn:${AWS::Partition}:s3:::${MyBucket}/logs/*"
                  - !Join ["", ["arn:aws:s3:::", !Ref MyBucket, "/joined/*"]]
                  - !Sub ["arn:aws:s3:::${Name}/vars/*", {Name: !Ref MyBucket}]
                Condition:
                  StringNotEquals:
                    aws:SourceVpce:
                      - !Ref VpceId
                      - !Ref Endpoint
                      - !ImportValue SharedVpceId
                      - !ImportValue {"Fn::Sub": "${NetworkStack}-VpceId"}
                      - !If [IsProd, vpce-11111111, vpce-11111111]
                      - !FindInMap [Endpoints, !Ref Env, S3]
                      - !Select [1, !Ref VpceList]
                      - !GetAtt Other.Id
                      - !Ref VpceList
                    aws:SourceAccount: !Sub "${AWS::AccountId}"
                    aws:RequestedRegion: !Ref "AWS::Region"
    """

S3_EXPECTED_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyOutsideEndpoints",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [
                "arn:aws:s3:::my-logs",
                "arn:aws:s3:::my-logs/*",
                "arn:aws:s3:::my-logs/logs/*",
                "arn:aws:s3:::my-logs/joined/*",
                "arn:aws:s3:::my-logs/vars/*",
            ],
            "Condition": {
                "StringNotEquals": {
                    "aws:SourceVpce": [
                        "${Ref.VpceId}",
                        "${Ref.Endpoint}",
                        "${ImportValue.SharedVpceId}",
                        "${ImportValue.net-VpceId}",
                        "vpce-11111111",
                        "vpce-1234abcd",
                        "vpce-0e0f0a0b",
                        "${GetAtt.Other.Id}",
                        "vpce-0a1b2c3d",
                        "vpce-0e0f0a0b",
                    ],
                    "aws:SourceAccount": ACCT,
                    "aws:RequestedRegion": REGION,
                }
            },
        }
    ],
}


def test_s3_bucket_policy_yaml_renders_every_intrinsic(capture, tmp_path):
    sources = scan(capture, tmp_path, S3_YAML)
    policy = sources["LogsPolicy"]
    assert policy is not None
    assert policy.document == S3_EXPECTED_DOCUMENT
    assert policy.target == Target("s3", "my-logs")
    assert policy.origin == "PolicyDocument of AWS::S3::BucketPolicy LogsPolicy"
    assert policy.evaluated_keys == ["Properties/PolicyDocument"]
    assert policy.syntax == "yaml"
    assert_engine_ready(policy)
    assert sources["MyBucket"] is None  # judged through LogsPolicy


def test_s3_bucket_policy_json_template_gives_the_same_document(capture, tmp_path):
    import yaml

    # The same template in JSON long form (the CFN YAML tags spelt out as intrinsic dicts).
    json_text = (
        S3_YAML.replace("!Equals [!Ref Env, prod]", "{'Fn::Equals': [{Ref: Env}, prod]}")
        .replace("!Ref BucketNameParam", "{Ref: BucketNameParam}")
        .replace("!Ref MyBucket", "{Ref: MyBucket}")
        .replace("!GetAtt MyBucket.Arn", "{'Fn::GetAtt': [MyBucket, Arn]}")
        .replace('!Sub "${MyBucket.Arn}/*"', "{'Fn::Sub': '${MyBucket.Arn}/*'}")
        .replace('!Sub "arn:${AWS::Partition}:s3:::${MyBucket}/logs/*"',
                 "{'Fn::Sub': 'arn:${AWS::Partition}:s3:::${MyBucket}/logs/*'}")
        .replace('!Join ["", ["arn:aws:s3:::", {Ref: MyBucket}, "/joined/*"]]',
                 "{'Fn::Join': ['', ['arn:aws:s3:::', {Ref: MyBucket}, '/joined/*']]}")
        .replace('!Sub ["arn:aws:s3:::${Name}/vars/*", {Name: {Ref: MyBucket}}]',
                 "{'Fn::Sub': ['arn:aws:s3:::${Name}/vars/*', {Name: {Ref: MyBucket}}]}")
        .replace("!Ref VpceId", "{Ref: VpceId}")
        .replace("!Ref Endpoint", "{Ref: Endpoint}")
        .replace("!ImportValue SharedVpceId", "{'Fn::ImportValue': SharedVpceId}")
        .replace('!ImportValue {"Fn::Sub": "${NetworkStack}-VpceId"}',
                 "{'Fn::ImportValue': {'Fn::Sub': '${NetworkStack}-VpceId'}}")
        .replace("!If [IsProd, vpce-11111111, vpce-11111111]", "{'Fn::If': [IsProd, vpce-11111111, vpce-11111111]}")
        .replace("!FindInMap [Endpoints, !Ref Env, S3]", "{'Fn::FindInMap': [Endpoints, {Ref: Env}, S3]}")
        .replace("!Select [1, !Ref VpceList]", "{'Fn::Select': [1, {Ref: VpceList}]}")
        .replace("!GetAtt Other.Id", "{'Fn::GetAtt': Other.Id}")
        .replace("!Ref VpceList", "{Ref: VpceList}")
        .replace('!Sub "${AWS::AccountId}"', "{'Fn::Sub': '${AWS::AccountId}'}")
        .replace('!Ref "AWS::Region"', "{Ref: 'AWS::Region'}")
    )
    assert "!" not in json_text
    document = yaml.safe_load(textwrap.dedent(json_text))
    sources = scan(capture, tmp_path, json.dumps(document, indent=2), name="stack.json")
    policy = sources["LogsPolicy"]
    assert policy is not None and policy.document == S3_EXPECTED_DOCUMENT
    assert policy.syntax == "json"


def test_checkov_delivers_intrinsics_as_dicts_with_line_keys_and_defaults_substituted(capture, tmp_path):
    """The facts the adapter is built on (Checkov 3.3.x); if an upgrade changes them, this test says so."""
    scan(capture, tmp_path, S3_YAML)
    conf = capture.confs["LogsPolicy"]
    props = conf["Properties"]
    assert conf["Type"] == "AWS::S3::BucketPolicy"
    assert props["Bucket"] == {"Ref": "MyBucket"}
    assert {"__startline__", "__endline__", "__file__"} <= set(props)
    statement = props["PolicyDocument"]["Statement"][0]
    assert statement["Resource"][0] == {"Fn::GetAtt": ["MyBucket", "Arn"]}
    values = statement["Condition"]["StringNotEquals"]["aws:SourceVpce"]
    assert values[0] == {"Ref": "VpceId"}  # no default: left as Ref
    assert values[-1] == "vpce-0a1b2c3d,vpce-0e0f0a0b"  # list default substituted as ONE string
    assert capture.confs["MyBucket"]["Properties"]["BucketName"] == "my-logs"  # default substituted
    # entity_path is relative to the scanned root, with a leading "/": not an openable path from the cwd.
    assert capture.entity_paths["LogsPolicy"] == "/stack.yaml:AWS::S3::BucketPolicy:LogsPolicy"
    assert capture.sources["LogsPolicy"] is not None and capture.sources["LogsPolicy"].problem is None


def test_resource_without_properties_is_located_through_the_runner(capture, tmp_path):
    """No Properties -> no __file__ in conf; the template is still found (the runner's frame) and searched."""
    sources = scan(capture, tmp_path / "nested", """
        Resources:
          Bare:
            Type: AWS::S3::Bucket
        """)
    assert capture.confs["Bare"] == {"Type": "AWS::S3::Bucket", "Properties": {}}
    bare = sources["Bare"]
    assert bare is not None and bare.missing
    assert bare.target == Target("s3", "${Bare}")
    assert bare.origin == "AWS::S3::Bucket Bare (no BucketPolicy in this template names it)"


def test_literal_bucket_name_and_bucket_without_name(capture, tmp_path):
    sources = scan(capture, tmp_path, """
        Resources:
          Unnamed:
            Type: AWS::S3::Bucket
          UnnamedPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Unnamed
              PolicyDocument:
                Statement:
                  - Effect: Deny
                    Principal: "*"
                    Action: "s3:*"
                    Resource: [!GetAtt Unnamed.Arn, !Sub "${Unnamed.Arn}/*"]
          LiteralPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: existing-bucket
              PolicyDocument:
                Statement:
                  - {Effect: Deny, Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::existing-bucket/*"}
        """)
    unnamed = sources["UnnamedPolicy"]
    assert unnamed is not None and unnamed.target == Target("s3", "${Unnamed}")
    assert unnamed.document["Statement"][0]["Resource"] == ["arn:aws:s3:::${Unnamed}", "arn:aws:s3:::${Unnamed}/*"]
    literal = sources["LiteralPolicy"]
    assert literal is not None and literal.target == Target("s3", "existing-bucket")
    assert sources["Unnamed"] is None
    assert_engine_ready(unnamed)
    assert_engine_ready(literal)


def test_sqs_queue_policy_for_several_queues_and_policy_as_json_string(capture, tmp_path):
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*",
                       "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}}}],
    }
    sources = scan(capture, tmp_path, f"""
        Resources:
          First:
            Type: AWS::SQS::Queue
            Properties: {{QueueName: first-queue}}
          Second:
            Type: AWS::SQS::Queue
          Policy:
            Type: AWS::SQS::QueuePolicy
            Properties:
              Queues: [!Ref First, !Ref Second]
              PolicyDocument: '{json.dumps(document)}'
        """)
    readings = sources["Policy"]
    assert isinstance(readings, list) and len(readings) == 2
    assert [r.target for r in readings] == [Target("sqs", "first-queue"), Target("sqs", "${Second}")]
    assert all(r.document == document and r.origin == "PolicyDocument of AWS::SQS::QueuePolicy Policy"
               for r in readings)
    assert [r.reading for r in readings] == ["SQS queue First (Queues item 1 of 2)",
                                             "SQS queue Second (Queues item 2 of 2)"]
    assert sources["First"] is None and sources["Second"] is None


TWO_TOPICS = """
    Resources:
      Billing:
        Type: AWS::SNS::Topic
        Properties: {TopicName: billing}
      Audit:
        Type: AWS::SNS::Topic
      Policy:
        Type: AWS::SNS::TopicPolicy
        Properties:
          Topics: [!Ref Billing, !Ref Audit, !Ref Billing]
          PolicyDocument:
            Statement:
              - {Effect: Deny, Principal: "*", Action: "sns:*", Resource: %s,
                 Condition: {StringNotEquals: {aws:SourceVpce: vpce-0a1b2c3d}}}
    """


@pytest.mark.parametrize(("resource", "failing"), [
    ("!Ref Billing", ["SNS topic Audit (Topics item 2 of 3)"]),
    ("[!Ref Billing, !Ref Audit]", []),
    ('"*"', []),
])
def test_a_policy_for_several_topics_is_judged_for_each(capture, tmp_path, resource, failing):
    """The false PASS of issue 12: a Deny naming only the first topic left the second open and passed."""
    from vpce_checks.judge import FAILED, PASSED, judge_each, judge_soundness
    from vpce_checks.settings import load_settings

    readings = scan(capture, tmp_path, TWO_TOPICS % resource)["Policy"]
    assert isinstance(readings, list) and len(readings) == 2  # the repeated Billing is read once
    for reading in readings:
        assert_engine_ready(reading)
    judgement, decisive = judge_each(readings, load_settings())
    if failing:
        assert judgement.result == FAILED and decisive.reading == failing[0]
        assert judgement.reason.startswith(failing[0] + ": ")
        assert judgement.lines[0].startswith(f"Reason: {failing[0]}: ")
        text = "\n".join(judgement.lines)  # the counterexample names the second topic, concretely
        assert "sns:Publish on arn:aws:sns:us-east-1:111122223333:audit " in text
        assert "audit stands for the value of ${Audit}" in text
        # and the reason it escapes speaks of the same request
        assert "its Resource does not cover arn:aws:sns:us-east-1:111122223333:audit" in text
    else:
        assert judgement.result == PASSED
        assert judgement.lines[-1] == "Holds for each of: " + "; ".join(r.reading for r in readings)
    soundness, _ = judge_each(readings, load_settings(), judge_soundness)  # CKV_VPCE_6 reads the same readings
    assert soundness.result == PASSED


def test_sqs_ref_is_the_url_and_getatt_the_arn(capture, tmp_path):
    sources = scan(capture, tmp_path, """
        Resources:
          Jobs:
            Type: AWS::SQS::Queue
            Properties: {QueueName: jobs}
          Other:
            Type: AWS::SQS::Queue
          Inline:
            Type: AWS::SQS::QueueInlinePolicy
            Properties:
              Queue: !Ref Jobs
              PolicyDocument:
                Statement:
                  - Effect: Deny
                    Principal: "*"
                    Action: "sqs:*"
                    Resource: [!GetAtt Jobs.Arn, !GetAtt Other.Arn]
                    Condition:
                      StringNotEquals:
                        aws:SourceVpce: vpce-0a1b2c3d
                        sqs:QueueUrl: [!Ref Jobs, !GetAtt Jobs.QueueUrl]
                        sqs:QueueName: !GetAtt Jobs.QueueName
        """)
    inline = sources["Inline"]
    assert inline is not None and inline.target == Target("sqs", "jobs")
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCT}/jobs"
    statement = inline.document["Statement"][0]
    assert statement["Resource"] == [f"arn:aws:sqs:{REGION}:{ACCT}:jobs", f"arn:aws:sqs:{REGION}:{ACCT}:${{Other}}"]
    assert statement["Condition"]["StringNotEquals"]["sqs:QueueUrl"] == [url, url]
    assert statement["Condition"]["StringNotEquals"]["sqs:QueueName"] == "jobs"
    assert sources["Jobs"] is None
    other = sources["Other"]
    assert other is not None and other.missing and other.target == Target("sqs", "${Other}")
    assert_engine_ready(inline)


def test_sqs_literal_queue_url_gives_region_and_account(capture, tmp_path):
    sources = scan(capture, tmp_path, """
        Resources:
          Policy:
            Type: AWS::SQS::QueuePolicy
            Properties:
              Queues: ["https://sqs.eu-west-1.amazonaws.com/123456789012/orders"]
              PolicyDocument: {Statement: [{Effect: Deny, Principal: "*", Action: "sqs:*", Resource: "*"}]}
        """)
    assert sources["Policy"].target == Target("sqs", "orders", account="123456789012", region="eu-west-1")


def test_sns_topic_policy_and_inline_policy(capture, tmp_path):
    sources = scan(capture, tmp_path, """
        Resources:
          Alerts:
            Type: AWS::SNS::Topic
            Properties: {TopicName: alerts}
          Events:
            Type: AWS::SNS::Topic
          AlertsPolicy:
            Type: AWS::SNS::TopicPolicy
            Properties:
              Topics: [!Ref Alerts]
              PolicyDocument:
                Statement:
                  - Effect: Deny
                    Principal: "*"
                    Action: "sns:*"
                    Resource: !Ref Alerts
                    Condition:
                      StringNotEquals: {aws:SourceVpce: vpce-0a1b2c3d, sns:TopicName: !GetAtt Alerts.TopicName}
          EventsPolicy:
            Type: AWS::SNS::TopicInlinePolicy
            Properties:
              TopicArn: !Ref Events
              PolicyDocument:
                Statement:
                  - {Effect: Deny, Principal: "*", Action: "sns:*", Resource: !GetAtt Events.TopicArn}
        """)
    alerts = sources["AlertsPolicy"]
    assert alerts is not None and alerts.target == Target("sns", "alerts")
    assert alerts.document["Statement"][0]["Resource"] == f"arn:aws:sns:{REGION}:{ACCT}:alerts"
    assert alerts.document["Statement"][0]["Condition"]["StringNotEquals"]["sns:TopicName"] == "alerts"
    events = sources["EventsPolicy"]
    assert events is not None and events.target == Target("sns", "${Events}")
    assert events.document["Statement"][0]["Resource"] == f"arn:aws:sns:{REGION}:{ACCT}:${{Events}}"
    assert sources["Alerts"] is None and sources["Events"] is None
    assert_engine_ready(alerts)
    assert_engine_ready(events)


def test_sns_literal_topic_arn(capture, tmp_path):
    sources = scan(capture, tmp_path, """
        Resources:
          Policy:
            Type: AWS::SNS::TopicPolicy
            Properties:
              Topics: ["arn:aws-cn:sns:cn-north-1:123456789012:legacy"]
              PolicyDocument: {Statement: [{Effect: Deny, Principal: "*", Action: "sns:*", Resource: "*"}]}
        """)
    assert sources["Policy"].target == Target(
        "sns", "legacy", account="123456789012", region="cn-north-1", partition="aws-cn"
    )


def test_owners_without_policy_are_missing_and_with_policy_are_judged_there(capture, tmp_path):
    sources = scan(capture, tmp_path, """
        Parameters:
          QueueNameParam: {Type: String, Default: named-queue}
        Resources:
          LonelyBucket:
            Type: AWS::S3::Bucket
            Properties: {BucketName: lonely}
          LonelyQueue:
            Type: AWS::SQS::Queue
            Properties: {FifoQueue: true}
          LonelyTopic:
            Type: AWS::SNS::Topic
          ByName:
            Type: AWS::SQS::Queue
            Properties: {QueueName: !Ref QueueNameParam}
          ByNamePolicy:
            Type: AWS::SQS::QueuePolicy
            Properties:
              Queues: [!Sub "https://sqs.${AWS::Region}.amazonaws.com/${AWS::AccountId}/named-queue"]
              PolicyDocument: {Statement: [{Effect: Deny, Principal: "*", Action: "sqs:*", Resource: "*"}]}
          ByGetAtt:
            Type: AWS::SNS::Topic
          ByGetAttPolicy:
            Type: AWS::SNS::TopicInlinePolicy
            Properties:
              TopicArn: !GetAtt ByGetAtt.TopicArn
              PolicyDocument: {Statement: [{Effect: Deny, Principal: "*", Action: "sns:*", Resource: "*"}]}
        """)
    for logical_id, target in (
        ("LonelyBucket", Target("s3", "lonely")),
        ("LonelyQueue", Target("sqs", "${LonelyQueue}")),
        ("LonelyTopic", Target("sns", "${LonelyTopic}")),
    ):
        source = sources[logical_id]
        assert source is not None and source.missing, logical_id
        assert source.target == target
        assert source.problem is None and source.document is None
    assert sources["ByName"] is None  # named by its literal name (a parameter default)
    assert sources["ByGetAtt"] is None
    assert sources["ByNamePolicy"].target == Target("sqs", "named-queue")


def test_policy_in_another_template_does_not_count(capture, tmp_path):
    (tmp_path / "policy.yaml").write_text(textwrap.dedent("""
        Resources:
          Policy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: data
              PolicyDocument: {Statement: [{Effect: Deny, Principal: "*", Action: "s3:*", Resource: "*"}]}
        """))
    sources = scan(capture, tmp_path, """
        Resources:
          Data:
            Type: AWS::S3::Bucket
            Properties: {BucketName: data}
        """, name="bucket.yaml")
    assert sources["Data"] is not None and sources["Data"].missing
    assert sources["Policy"] is not None and sources["Policy"].target == Target("s3", "data")


def test_fn_if_with_an_undecided_condition_gives_one_reading_per_branch(capture, tmp_path):
    """The account is known only at deploy time: each branch is judged, and both sound branches pass."""
    from vpce_checks.judge import PASSED, judge_each
    from vpce_checks.settings import load_settings

    sources = scan(capture, tmp_path, """
        Conditions:
          IsProd: !Equals [!Ref "AWS::AccountId", "111122223333"]
        Resources:
          Policy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: data
              PolicyDocument:
                Statement:
                  - Effect: Deny
                    Principal: "*"
                    Action: "s3:*"
                    Resource: "*"
                    Condition: {StringNotEquals: {aws:SourceVpce: !If [IsProd, vpce-11111111, vpce-22222222]}}
        """)
    readings = sources["Policy"]
    assert isinstance(readings, list)
    assert [r.reading for r in readings] == ["when condition IsProd is true", "when condition IsProd is false"]
    assert [r.document["Statement"][0]["Condition"]["StringNotEquals"]["aws:SourceVpce"] for r in readings] == [
        "vpce-11111111", "vpce-22222222"]
    assert all(r.target == Target("s3", "data") and r.problem is None for r in readings)
    judgement, _ = judge_each(readings, load_settings())
    assert judgement.result == PASSED
    assert judgement.lines[-1] == "Holds for each of: when condition IsProd is true; when condition IsProd is false"


FN_IF_STATEMENTS = """
    Conditions:
      IsProd: !Equals [!Ref "AWS::AccountId", "111122223333"]
    Resources:
      Policy:
        Type: AWS::S3::BucketPolicy
        Properties:
          Bucket: data
          PolicyDocument:
            Statement:
              - {Effect: Deny, Principal: "*", Action: "s3:*", Resource: "*",
                 Condition: {StringNotEquals: {aws:SourceVpce: vpce-0a1b2c3d}}}
              - %s
    """


@pytest.mark.parametrize(("statement", "one_reading"), [
    # Inside an Allow statement: Allow statements never make or break the perimeter, so either branch will do.
    ('{Effect: Allow, Principal: {AWS: !If [IsProd, "111122223333", "444455556666"]}, Action: "s3:GetObject", '
     'Resource: "*"}', True),
    ('{Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "*", '
     'Condition: !If [IsProd, {Bool: {aws:SecureTransport: "true"}}, {StringEquals: {aws:PrincipalOrgID: o-1}}]}',
     True),
    ('!If [IsProd, {Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "*"}, '
     '{Effect: Allow, Principal: "*", Action: "s3:ListBucket", Resource: "*"}]', True),
    # Anything that can change a Deny, or whether a statement is a Deny, is judged once per branch.
    ('{Effect: !If [IsProd, Deny, Allow], Principal: "*", Action: "s3:*", Resource: "*"}', False),
    ('!If [IsProd, {Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "*"}, '
     '{Effect: Deny, Principal: "*", Action: "s3:*", Resource: "*"}]', False),
    ('{Effect: Deny, Principal: "*", Action: !If [IsProd, "s3:*", "s3:Put*"], Resource: "*"}', False),
])
def test_fn_if_in_allow_statements_needs_one_reading_and_in_denies_one_per_branch(capture, tmp_path, statement,
                                                                                  one_reading):
    policy = scan(capture, tmp_path, FN_IF_STATEMENTS % statement)["Policy"]
    if one_reading:
        assert isinstance(policy, PolicySource)
        assert_engine_ready(policy)
        assert len(policy.document["Statement"]) == 2
        assert policy.document["Statement"][0]["Effect"] == "Deny"
    else:
        assert isinstance(policy, list) and len(policy) == 2
        assert [r.reading for r in policy] == ["when condition IsProd is true", "when condition IsProd is false"]
        for reading in policy:
            assert_engine_ready(reading)
        assert policy[0].document != policy[1].document


def test_fn_if_scalar_in_allow_becomes_one_unresolved_value(capture, tmp_path):
    statement = ('{Effect: Allow, Principal: {AWS: !If [IsProd, "111122223333", "444455556666"]}, '
                 'Action: "s3:GetObject", Resource: "*"}')
    policy = scan(capture, tmp_path, FN_IF_STATEMENTS % statement)["Policy"]
    (principal,) = [policy.document["Statement"][1]["Principal"]["AWS"]]
    assert re.fullmatch(r"\$\{If\.IsProd\.[0-9a-f]{8}\}", principal)


def test_fn_if_with_novalue_keeps_a_conditional_allow_and_judges_a_conditional_deny_both_ways(capture, tmp_path):
    """A statement present only under a deploy-time condition: an Allow never decides the perimeter (kept); a Deny
    that may be absent is judged with and without it (the reading without it fails, naming the condition)."""
    from vpce_checks.judge import FAILED, judge_each
    from vpce_checks.settings import load_settings

    sources = scan(capture, tmp_path, """
        Conditions:
          Strict: !Equals [!Ref "AWS::Region", eu-west-1]
        Resources:
          AllowPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: data
              PolicyDocument:
                Statement:
                  - {Effect: Deny, Principal: "*", Action: "s3:*", Resource: "*"}
                  - !If
                    - Strict
                    - {Effect: Allow, Principal: {AWS: !Ref "AWS::AccountId"}, Action: "s3:GetObject", Resource: "*"}
                    - !Ref AWS::NoValue
          DenyPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: other
              PolicyDocument:
                Statement:
                  - {Effect: Allow, Principal: {AWS: !Ref "AWS::AccountId"}, Action: "s3:GetObject", Resource: "*"}
                  - !If
                    - Strict
                    - {Effect: Deny, Principal: "*", Action: "s3:*", Resource: "*"}
                    - !Ref AWS::NoValue
        """)
    statements = sources["AllowPolicy"].document["Statement"]
    assert [s["Effect"] for s in statements] == ["Deny", "Allow"]
    assert statements[1]["Principal"] == {"AWS": ACCT}
    readings = sources["DenyPolicy"]
    assert [[s["Effect"] for s in r.document["Statement"]] for r in readings] == [["Allow", "Deny"], ["Allow"]]
    judgement, decisive = judge_each(readings, load_settings())
    assert judgement.result == FAILED and decisive.reading == "when condition Strict is false"
    assert judgement.reason.startswith("when condition Strict is false: ")


def test_policy_document_as_sub_string(capture, tmp_path):
    sources = scan(capture, tmp_path, """
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
          Policy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Bucket
              PolicyDocument: !Sub |
                {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                  "Resource": ["${Bucket.Arn}", "${Bucket.Arn}/*", "arn:aws:s3:::${Bucket}/${!aws:username}/*"]}]}
        """)
    policy = sources["Policy"]
    assert policy is not None and policy.problem is None
    assert policy.document["Statement"][0]["Resource"] == [
        "arn:aws:s3:::${Bucket}", "arn:aws:s3:::${Bucket}/*", "arn:aws:s3:::${Bucket}/${aws:username}/*",
    ]
    assert_engine_ready(policy)


def test_ssm_parameters_and_dynamic_references_stay_unresolved(capture, tmp_path):
    sources = scan(capture, tmp_path, """
        Parameters:
          VpceFromSsm: {Type: "AWS::SSM::Parameter::Value<String>", Default: /network/s3-vpce}
        Resources:
          Policy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: data
              PolicyDocument:
                Statement:
                  - Effect: Deny
                    Principal: "*"
                    Action: "s3:*"
                    Resource: "*"
                    Condition:
                      StringNotEquals:
                        aws:SourceVpce: [!Ref VpceFromSsm, "{{resolve:ssm:/network/other-vpce}}"]
        """)
    values = sources["Policy"].document["Statement"][0]["Condition"]["StringNotEquals"]["aws:SourceVpce"]
    assert values == ["${Ref.VpceFromSsm}", "${Resolve.ssm./network/other-vpce}"]
    assert_engine_ready(sources["Policy"])


def test_unreadable_policy_document_and_missing_target_are_problems(capture, tmp_path):
    sources = scan(capture, tmp_path, """
        Resources:
          NotJson:
            Type: AWS::SNS::TopicPolicy
            Properties:
              Topics: ["arn:aws:sns:eu-west-1:123456789012:t"]
              PolicyDocument: "not a policy"
          NoBucket:
            Type: AWS::S3::BucketPolicy
            Properties:
              PolicyDocument: {Statement: []}
          NoDocument:
            Type: AWS::SQS::QueueInlinePolicy
            Properties: {Queue: "https://sqs.eu-west-1.amazonaws.com/123456789012/q"}
          Transformed:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: data
              PolicyDocument:
                Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://bucket/policy.json}}
        """)
    assert "not JSON" in sources["NotJson"].problem
    assert "no Bucket names the S3 bucket it protects" in sources["NoBucket"].problem
    assert "has no PolicyDocument" in sources["NoDocument"].problem
    assert "not JSON" in sources["Transformed"].problem
    for source in sources.values():
        assert source is not None and not source.missing and source.document is None


def test_template_is_parsed_once_per_file(capture, tmp_path, monkeypatch):
    from checkov.cloudformation import parser as cfn_parser

    calls = []
    real_parse = cfn_parser.parse

    def counting_parse(filename, *args, **kwargs):
        calls.append(filename)
        return real_parse(filename, *args, **kwargs)

    monkeypatch.setattr(cfn_parser, "parse", counting_parse)
    sources = scan(capture, tmp_path, """
        Resources:
          A: {Type: AWS::S3::Bucket}
          B: {Type: AWS::S3::Bucket}
          Q: {Type: AWS::SQS::Queue}
          T: {Type: AWS::SNS::Topic}
          P:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref A
              PolicyDocument: {Statement: [{Effect: Deny, Principal: "*", Action: "s3:*", Resource: "*"}]}
        """)
    assert len(sources) == 5
    assert len(calls) == 1
    assert cfn.template_reads(calls[0]) == 1


def test_direct_calls_without_a_readable_template(tmp_path):
    """Outside a runner and with no file: policies fall back to conf, owners cannot be decided (fail closed)."""
    cfn.clear_template_cache()
    conf = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "Logs", "__startline__": 3, "__endline__": 3},
            "PolicyDocument": {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                              "Resource": {"Fn::Sub": "${Logs.Arn}/*"}}]},
        },
    }
    missing_file = str(tmp_path / "gone.yaml")
    policy = source_for_cloudformation(conf, "AWS::S3::BucketPolicy", missing_file, "Policy")
    assert policy is not None and policy.target == Target("s3", "${Logs}")
    assert policy.document["Statement"][0]["Resource"] == "arn:aws:s3:::${Logs}/*"
    owner = source_for_cloudformation({"Type": "AWS::S3::Bucket", "Properties": {}}, "AWS::S3::Bucket",
                                      missing_file, "Logs")
    assert owner is not None and "could not read the template" in owner.problem
    assert source_for_cloudformation({"Type": "AWS::EC2::VPC"}, "AWS::EC2::VPC", missing_file, "Vpc") is None


@pytest.mark.parametrize("conf", [
    None,
    [],
    {"Type": "AWS::S3::BucketPolicy", "Properties": ["not", "a", "mapping"]},
    {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Fn::If": ["C", {"Ref": "A"}]},
                                                     "PolicyDocument": {}}},
    {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": "b", "PolicyDocument": {"Fn::Join": "oops"}}},
    {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": "b", "PolicyDocument": {"Fn::Select": [9, ["a"]]}}},
    {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Fn::GetAtt": 7}, "PolicyDocument": [1]}},
])
def test_adversarial_confs_never_raise(conf, tmp_path):
    source = source_for_cloudformation(conf, "AWS::S3::BucketPolicy", str(tmp_path / "x.yaml"), "P")
    assert source is not None and source.problem


@pytest.mark.parametrize(("levels", "message"), [(3000, "nested more than"), (60, "steps to render")])
def test_deep_or_exponential_intrinsics_never_raise(levels, message, tmp_path):
    value: Any = "vpce-0a1b2c3d"
    for _ in range(levels):  # each Fn::If shares its subtree with both branches, as YAML aliases can
        value = {"Fn::If": ["C", value, value]}
    conf = {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": "b", "PolicyDocument": {
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                       "Condition": {"StringNotEquals": {"aws:SourceVpce": value}}}]}}}
    source = source_for_cloudformation(conf, "AWS::S3::BucketPolicy", str(tmp_path / "x.yaml"), "P")
    assert source is not None and message in source.problem


def test_split_entity_path():
    assert split_entity_path("/a/b.yaml:AWS::S3::Bucket:Logs", "AWS::S3::Bucket") == ("/a/b.yaml", "Logs")
    assert split_entity_path("C:/x.yaml:AWS::SQS::Queue:Q", "AWS::SQS::Queue") == ("C:/x.yaml", "Q")


def test_template_extension_sniffs_json(capture, tmp_path):
    sources = scan(capture, tmp_path, json.dumps({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}),
                   name="stack.template")
    assert sources["B"] is not None and sources["B"].syntax == "json"


def test_logical_id_is_found_when_the_caller_does_not_pass_it(tmp_path):
    """Checkov's parser output as conf, no logical ID: the resource is matched by its lines in the template."""
    from checkov.cloudformation.parser import parse

    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent("""
        Resources:
          Logs:
            Type: AWS::S3::Bucket
            Properties: {BucketName: logs}
          Audit:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: audit
          AuditPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Audit
              PolicyDocument: {Statement: [{Effect: Deny, Principal: "*", Action: "s3:*", Resource: "*"}]}
        """))
    cfn.clear_template_cache()
    template, _lines = parse(str(path))
    logs = source_for_cloudformation(template["Resources"]["Logs"], "AWS::S3::Bucket", str(path))
    assert logs is not None and logs.missing and logs.target == Target("s3", "logs")
    assert logs.origin.startswith("AWS::S3::Bucket Logs ")
    assert source_for_cloudformation(template["Resources"]["Audit"], "AWS::S3::Bucket", str(path)) is None
    policy = source_for_cloudformation(template["Resources"]["AuditPolicy"], "AWS::S3::BucketPolicy", str(path))
    assert policy is not None and policy.target == Target("s3", "audit")
    assert_engine_ready(policy)


def test_self_referencing_name_stays_a_token(capture, tmp_path):
    sources = scan(capture, tmp_path, """
        Resources:
          Loop:
            Type: AWS::S3::Bucket
            Properties: {BucketName: !Sub "${Loop}-x"}
        """)
    assert sources["Loop"] is not None and sources["Loop"].target == Target("s3", "${Loop}")



CONDITIONS_TEMPLATE = """
    Parameters:
      Env: {Type: String, Default: prod}
      Other: {Type: String, Default: "y"}
      Free: {Type: String}
    Conditions:
      IsProd: !Equals [!Ref Env, prod]
      NotProd: !Not [!Condition IsProd]
      ProdAndX: !And [!Condition IsProd, !Equals [!Ref Other, "x"]]
      NotProdOrFree: !Or [!Condition NotProd, !Equals [!Ref Free, "a"]]
      ProdOrFree: !Or [!Condition IsProd, !Equals [!Ref Free, "a"]]
      IsChina: !Equals [!Ref "AWS::Partition", aws]
      IsA: !Equals [!Ref Free, "a"]
      IsB: !Equals ["b", !Ref Free]
    Resources:
      Policy:
        Type: AWS::S3::BucketPolicy
        Properties:
          Bucket: data
          PolicyDocument:
            Statement:
              - Effect: Deny
                Principal: "*"
                Action: "s3:*"
                Resource: "*"
                Condition: {StringNotEquals: {aws:SourceVpce: %s}}
    """


@pytest.mark.parametrize(("value", "expected"), [
    # Decided from parameter defaults (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition): only the taken branch.
    ("!If [IsProd, vpce-11111111, vpce-22222222]", [("condition IsProd is true by parameter defaults",
                                                     "vpce-11111111")]),
    ("!If [NotProd, vpce-11111111, vpce-22222222]", [("condition NotProd is false by parameter defaults",
                                                      "vpce-22222222")]),
    ("!If [ProdAndX, vpce-11111111, vpce-22222222]", [("condition ProdAndX is false by parameter defaults",
                                                       "vpce-22222222")]),
    ("!If [ProdOrFree, vpce-11111111, vpce-22222222]", [("condition ProdOrFree is true by parameter defaults",
                                                         "vpce-11111111")]),
    # Undecided: a parameter without a default, a pseudo parameter, a condition the template does not declare.
    ("!If [NotProdOrFree, vpce-11111111, vpce-22222222]", [("when condition NotProdOrFree is true", "vpce-11111111"),
                                                            ("when condition NotProdOrFree is false",
                                                             "vpce-22222222")]),
    ("!If [IsChina, vpce-11111111, vpce-22222222]", [("when condition IsChina is true", "vpce-11111111"),
                                                     ("when condition IsChina is false", "vpce-22222222")]),
    ("!If [Undeclared, vpce-11111111, vpce-22222222]", [("when condition Undeclared is true", "vpce-11111111"),
                                                        ("when condition Undeclared is false", "vpce-22222222")]),
    # Free cannot equal both "a" and "b": three readings, not four.
    ("[!If [IsA, vpce-11111111, vpce-22222222], !If [IsB, vpce-33333333, vpce-44444444]]", [
        ("when conditions IsA is true and IsB is false", ["vpce-11111111", "vpce-44444444"]),
        ("when conditions IsA is false and IsB is true", ["vpce-22222222", "vpce-33333333"]),
        ("when conditions IsA is false and IsB is false", ["vpce-22222222", "vpce-44444444"]),
    ]),
    # A Fn::If inside a branch is found once that branch is taken.
    ("!If [IsA, !If [IsB, vpce-11111111, vpce-22222222], vpce-33333333]", [
        ("when condition IsA is false", "vpce-33333333"),
        ("when conditions IsA is true and IsB is false", "vpce-22222222"),
    ]),
])
def test_conditions_are_decided_from_defaults_or_judged_per_branch(capture, tmp_path, value, expected):
    found = scan(capture, tmp_path, CONDITIONS_TEMPLATE % value)["Policy"]
    readings = found if isinstance(found, list) else [found]
    for reading in readings:
        assert_engine_ready(reading)
    got = [(r.reading, r.document["Statement"][0]["Condition"]["StringNotEquals"]["aws:SourceVpce"])
           for r in readings]
    assert sorted(got, key=str) == sorted(expected, key=str)


def test_too_many_undecided_conditions_fail_closed(capture, tmp_path):
    """Six independent undecided conditions (not declared, so free) make 64 combinations: more than are judged."""
    values = ", ".join(f"!If [Free{i}, vpce-1111111{i}, vpce-2222222{i}]" for i in range(6))
    found = scan(capture, tmp_path, CONDITIONS_TEMPLATE % f"[{values}]")["Policy"]
    readings = found if isinstance(found, list) else [found]
    problems = [r.problem for r in readings if r.problem]
    assert problems and "more than 16 combinations of undecided conditions" in problems[0]
    assert len(readings) <= 16


def test_queues_times_branches_name_both(capture, tmp_path):
    from vpce_checks.judge import FAILED, judge_each
    from vpce_checks.settings import load_settings

    readings = scan(capture, tmp_path, """
        Conditions:
          Strict: !Equals [!Ref "AWS::Region", eu-west-1]
        Resources:
          A: {Type: AWS::SQS::Queue, Properties: {QueueName: a}}
          B: {Type: AWS::SQS::Queue, Properties: {QueueName: b}}
          Policy:
            Type: AWS::SQS::QueuePolicy
            Properties:
              Queues: [!Ref A, !Ref B]
              PolicyDocument:
                Statement:
                  - Effect: Deny
                    Principal: "*"
                    Action: "sqs:*"
                    Resource: !If [Strict, "*", !GetAtt A.Arn]
                    Condition: {StringNotEquals: {aws:SourceVpce: vpce-0a1b2c3d}}
        """)["Policy"]
    assert [r.reading for r in readings] == [
        "SQS queue A (Queues item 1 of 2), when condition Strict is true",
        "SQS queue A (Queues item 1 of 2), when condition Strict is false",
        "SQS queue B (Queues item 2 of 2), when condition Strict is true",
        "SQS queue B (Queues item 2 of 2), when condition Strict is false",
    ]
    judgement, decisive = judge_each(readings, load_settings())
    assert judgement.result == FAILED
    assert decisive.reading == "SQS queue B (Queues item 2 of 2), when condition Strict is false"


# --------------------------------------------------------------------------------------------------------------
# Every fix the CloudFormation fixtures produce is valid code for its file, in the template's partition


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (``!Sub``, ``!Ref``, ``!GetAtt`` ...) read as intrinsic dicts."""


def _cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        return {name: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def _fix_texts(details: List[str]) -> List[str]:
    """The code after each ``Fix:`` line of an explanation (indented by four spaces; CKV_VPCE_7's fix is prose)."""
    texts = []
    for index, line in enumerate(details):
        if line.startswith("Fix:"):
            body = []
            for following in details[index + 1:]:
                if not following.startswith("    "):
                    break
                body.append(following[4:])
            if body:
                texts.append("\n".join(body))
    return texts


def _parse_fix(text: str, path: str) -> Any:
    """The fix as data: YAML for a YAML template; for JSON one value, statements joined by commas, or a member."""
    if not path.endswith(".json"):
        return yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    for wrapped in (text, f"[{text}]", f"{{{text}}}"):
        try:
            return json.loads(wrapped)
        except ValueError:
            continue
    raise ValueError(f"not JSON, nor JSON statements, nor a JSON member:\n{text}")


def _strings(value: Any) -> List[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


@pytest.fixture(scope="module")
def cloudformation_fixture_scan():
    """``vpce-checks scan`` (real Checkov) over the fixtures, CloudFormation only: every explanation."""
    from tests.conftest import FIXTURES, offline_env

    completed = subprocess.run([sys.executable, "-m", "vpce_checks", "scan", str(FIXTURES), "--framework",
                                "cloudformation", "-o", "json"], env=offline_env(), capture_output=True, text=True,
                               timeout=900, cwd=str(FIXTURES.parent))
    assert completed.returncode == 1, completed.stderr[-3000:]  # 1: some checks failed (the failing fixtures)
    payload = json.loads(completed.stdout)
    reports = payload if isinstance(payload, list) else [payload]
    return [result for report in reports if report.get("check_type") == "cloudformation"
            for result in report["results"]["failed_checks"]]


def test_every_cloudformation_fix_parses_in_its_files_syntax_and_partition(cloudformation_fixture_scan):
    from tests.conftest import FIXTURES

    parsed = with_partition = 0
    for result in cloudformation_fixture_scan:
        template = (FIXTURES / result["file_path"].lstrip("/")).read_text(encoding="utf-8")
        for text in _fix_texts(result.get("details") or []):
            where = f"{result['check_id']} {result['file_path']} {result['resource']}"
            fix = _parse_fix(text, result["file_path"])
            assert isinstance(fix, (dict, list)) and fix, where
            parsed += 1
            if "AWS::Partition" in template:  # the template writes arn:${AWS::Partition}: so does the fix
                arns = [s for s in _strings(fix) if s.startswith("arn:")]
                assert all(s.startswith("arn:${AWS::Partition}:") for s in arns), (where, arns)
                with_partition += bool(arns)
    assert parsed >= 40, parsed  # every failing CloudFormation fixture with a fix (45 when written)
    assert with_partition >= 4, with_partition


def test_fix_partition_rewrite_keeps_literals_literal():
    """A literal ARN that becomes a Fn::Sub escapes the ${ it held (an IAM policy variable stays literal text for
    CloudFormation); ARNs of another partition, written literally, are left alone."""
    yaml_fix = ('- Resource:\n    - "arn:aws:s3:::b/${aws:username}/*"\n'
                '    - !Sub "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:q"\n    - "arn:aws-cn:s3:::keep"')
    rewritten = cfn.fix_with_template_partition(yaml_fix, "yaml")
    assert yaml.load(rewritten, Loader=_CfnLoader) == [{"Resource": [  # noqa: S506 - a SafeLoader subclass
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::b/${!aws:username}/*"},
        {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:q"},
        "arn:aws-cn:s3:::keep"]}]
    json_fix = '{"Resource": ["arn:aws:s3:::b", {"Fn::Sub": "arn:aws:sqs:${AWS::Region}:x"}]},\n{"Sid": "y"}'
    assert json.loads("[" + cfn.fix_with_template_partition(json_fix, "cfn-json") + "]") == [
        {"Resource": [{"Fn::Sub": "arn:${AWS::Partition}:s3:::b"},
                      {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:x"}]}, {"Sid": "y"}]
    assert cfn.fix_with_template_partition("not json", "cfn-json") == "not json"


def test_sam_fix_goes_to_custom_statements(cloudformation_fixture_scan):
    """SAM writes the API's policy from Auth.ResourcePolicy: a statement to add belongs in its CustomStatements."""
    sam = [r for r in cloudformation_fixture_scan
           if r["check_id"] == "CKV_VPCE_5" and r["resource"].startswith("AWS::Serverless::Api.")]
    assert len(sam) >= 2
    for result in sam:
        fixes = [line for line in result["details"] if line.startswith("Fix:")]
        if any("the policy cannot be resolved" in line for line in result["details"]):
            assert fixes == [], result  # fail closed (e.g. an alias-bomb DefinitionUri): no policy to add to
            continue
        assert fixes == ["Fix: add to Auth.ResourcePolicy.CustomStatements (SAM adds them to the policy it writes):"]


CONDITIONAL_POLICY = """
    Parameters:
      Stage: {Type: String}
      Mode: {Type: String, Default: disabled}
    Conditions:
      IsProd: !Equals [!Ref Stage, prod]
      Enabled: !Equals [!Ref Mode, enabled]
    Resources:
      Jobs:
        Type: AWS::SQS::Queue
        %s
        Properties: {QueueName: jobs}
      Policy:
        Type: AWS::SQS::QueuePolicy
        Condition: %s
        Properties:
          Queues: [!Ref Jobs]
          PolicyDocument:
            Statement:
              - {Effect: Deny, Principal: "*", Action: "sqs:*", Resource: "*",
                 Condition: {StringNotEquals: {aws:SourceVpce: vpce-0a1b2c3d}}}
    """


def test_a_policy_resource_with_an_undecided_condition_is_also_read_as_absent(capture, tmp_path):
    """CloudFormation creates a resource with a Condition only when it holds: when it does not, the queue has no
    policy, and that reading fails (naming the condition)."""
    from vpce_checks.judge import FAILED, judge_each
    from vpce_checks.settings import load_settings

    sources = scan(capture, tmp_path, CONDITIONAL_POLICY % ("", "IsProd"))
    readings = sources["Policy"]
    assert [r.reading for r in readings] == ["when condition IsProd is true", "when condition IsProd is false"]
    assert_engine_ready(readings[0])
    assert readings[1].missing and readings[1].target == Target("sqs", "jobs")
    judgement, decisive = judge_each(readings, load_settings())
    assert judgement.result == FAILED and decisive is readings[1]
    assert judgement.reason.startswith("when condition IsProd is false: the SQS queue has no resource policy")
    assert sources["Jobs"] is None


def test_a_policy_resource_and_its_queue_under_one_condition_come_and_go_together(capture, tmp_path):
    sources = scan(capture, tmp_path, CONDITIONAL_POLICY % ("Condition: IsProd", "IsProd"))
    readings = sources["Policy"]
    assert [r.reading for r in readings] == ["when condition IsProd is true"]
    assert_engine_ready(readings[0])


def test_a_policy_resource_the_defaults_do_not_create_leaves_its_queue_without_policy(capture, tmp_path):
    sources = scan(capture, tmp_path, CONDITIONAL_POLICY % ("", "Enabled"))
    assert sources.get("Policy") is None  # Checkov does not even hand over a resource its defaults leave out
    assert sources["Jobs"] is not None and sources["Jobs"].missing


def test_fix_command_writes_the_templates_partition():
    """`vpce-checks fix` (real Checkov underneath) on a template that writes arn:${AWS::Partition}: does too."""
    from tests.conftest import FIXTURES, offline_env

    template = FIXTURES / "CKV_VPCE_1" / "cloudformation" / "fn_if_conditional_deny_fail.yaml"
    completed = subprocess.run([sys.executable, "-m", "vpce_checks", "fix", str(template), "--vpce",
                                "vpce-0c83a8ad9bb98ef71"], env=offline_env(), capture_output=True, text=True,
                               timeout=900, cwd=str(FIXTURES.parent))
    header, _, body = completed.stdout.partition(":\n")
    assert header.startswith("AWS::S3::BucketPolicy.VaultBucketPolicy"), completed.stdout + completed.stderr
    statement = yaml.load(body.split("\n#", 1)[0], Loader=_CfnLoader)[0]  # noqa: S506 - a SafeLoader subclass
    assert statement["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${VaultBucket}"},
                                     {"Fn::Sub": "arn:${AWS::Partition}:s3:::${VaultBucket}/*"}]
