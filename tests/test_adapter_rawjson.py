"""The raw JSON adapter, driven by Checkov's real json runner over files written to tmp_path.

A capture check (registered for this module only) is a ``BaseJsonCheck`` for the whole document, as a pack
check is; it calls ``sources_for_json`` with exactly what Checkov hands it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.json_doc.base_json_check import BaseJsonCheck
from checkov.json_doc.enums import BlockType
from checkov.json_doc.registry import registry as json_registry
from checkov.json_doc.runner import Runner
from checkov.runner_filter import RunnerFilter

from vpce_checks.adapters.base import PolicySource
from vpce_checks.adapters.rawjson import sources_for_json
from vpce_checks.engine.model import THIS_ACCOUNT, THIS_REGION, PolicyError, parse_policy
from vpce_checks.engine.services import Target

CHECK_ID = "CKV_VPCETEST_JSON_ADAPTER"


class _Capture(BaseJsonCheck):
    def __init__(self) -> None:
        super().__init__(
            name="capture the raw JSON adapter's output", id=CHECK_ID, categories=[CheckCategories.GENERAL_SECURITY],
            supported_entities=["*"], block_type=BlockType.DOCUMENT,
        )
        self.calls: Dict[str, Tuple[Any, str, List[PolicySource]]] = {}

    def scan_entity_conf(self, conf: Any, entity_type: str) -> CheckResult:
        file_path = self.entity_path.split(":*:", 1)[0]
        self.calls[Path(file_path).name] = (conf, entity_type, sources_for_json(conf, file_path))
        return CheckResult.PASSED


@pytest.fixture(scope="module")
def capture():
    check = _Capture()
    yield check
    for entity, checks in list(json_registry.wildcard_checks.items()):
        json_registry.wildcard_checks[entity] = [c for c in checks if c is not check]


def scan(capture: _Capture, root: Path, files: Dict[str, Any]):
    """Write ``files`` (name -> JSON value, or raw text) and run Checkov's json runner over ``root``."""
    docs = root / "docs"
    docs.mkdir(parents=True)
    for name, content in files.items():
        (docs / name).write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    external = root / "no-checks"  # the json runner only runs when an external checks dir is given
    external.mkdir()
    (external / "__init__.py").write_text("")
    capture.calls.clear()
    report = Runner().run(
        root_folder=str(docs), external_checks_dir=[str(external)],
        runner_filter=RunnerFilter(framework=["json"], checks=[CHECK_ID]),
    )
    return report, dict(capture.calls)


def bucket_policy(*resources: str) -> Dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DenyOutside", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": list(resources),
             "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}}},
        ],
    }


def test_s3_bucket_policy_through_the_json_runner(capture, tmp_path):
    document = bucket_policy("arn:aws:s3:::logs", "arn:aws:s3:::logs/*")
    report, calls = scan(capture, tmp_path, {"bucket.json": document})
    conf, entity_type, sources = calls["bucket.json"]
    # What Checkov hands a whole-document json check: the parsed document, no line keys, entity type "*".
    assert conf == document and type(conf).__name__ == "DictNode" and entity_type == "*"
    assert not any(str(key).startswith("__") for key in conf)
    (record,) = report.passed_checks
    assert record.file_path == "/bucket.json"
    assert record.resource == f"{tmp_path / 'docs' / 'bucket.json'}.*.{tmp_path / 'docs' / 'bucket.json'}.{CHECK_ID}"
    (source,) = sources
    assert source.target == Target("s3", "logs")
    assert source.document == document and type(source.document) is dict
    assert all(type(key) is str for key in source.document)
    assert type(source.document["Statement"][0]["Effect"]) is str  # not Checkov's str_node
    assert source.origin == "file bucket.json"
    assert source.syntax == "json"
    assert source.evaluated_keys == ["Statement"]
    parse_policy(source.document)


def test_json_runner_hands_every_json_file_and_only_policies_give_sources(capture, tmp_path):
    cfn_template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"P": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": "b", "PolicyDocument": bucket_policy("arn:aws:s3:::b/*")}}},
    }
    plan = {"format_version": "1.2", "terraform_version": "1.5.7", "planned_values": {"root_module": {}},
            "resource_changes": [], "configuration": {"root_module": {}}}
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
         "Action": ["sts:AssumeRole", "sts:TagSession"]}]}
    identity = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    files = {
        "template.json": cfn_template,
        "plan.json": plan,
        "package.json": {"name": "x", "version": "1.0.0", "dependencies": {"left-pad": "1.3.0"}},
        "trust.json": trust,
        "identity.json": identity,
        "array.json": [bucket_policy("arn:aws:s3:::b")],
        "scalar.json": '"just a string"',
        "broken.json": "{not json",
    }
    _report, calls = scan(capture, tmp_path, files)
    assert "broken.json" not in calls  # a parse error, never a check call
    assert set(calls) == set(files) - {"broken.json"}
    assert isinstance(calls["array.json"][0], list) and calls["scalar.json"][0] == "just a string"
    for name, (_conf, _entity_type, sources) in calls.items():
        assert sources == [], name


def test_document_spanning_services_gives_one_source_per_service(capture, tmp_path):
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": ["sqs:*", "sns:*", "s3:*", "kms:*"],
             "Resource": ["arn:aws:sqs:eu-west-1:123456789012:jobs", "arn:aws:sns:*:*:alerts-*",
                          "arn:aws:sns:us-east-1:210987654321:alerts", "arn:aws:kms:eu-west-1:123456789012:key/x"]},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "NotResource": "arn:aws:s3:::data/*"},
        ],
    }
    _report, calls = scan(capture, tmp_path, {"shared.json": document})
    sources = calls["shared.json"][2]
    assert [s.target for s in sources] == [
        Target("sqs", "jobs", account="123456789012", region="eu-west-1"),
        Target("sns", "alerts", account="210987654321", region="us-east-1"),
        Target("kms", "x", account="123456789012", region="eu-west-1"),  # CKV_VPCE_9's services are profiled too
        Target("s3", "data"),
    ]
    assert all(s.document == document for s in sources)  # each judged on the whole document


@pytest.mark.parametrize(("resources", "target"), [
    # only patterns: one bucket they match (R is one resource), named after the file
    (["arn:aws:s3:::logs-*", "arn:aws:s3:::logs-*/*"], Target("s3", "logs-policy")),
    (["arn:aws:s3:::logs-*/*", "arn:aws:s3:::audit/*"], Target("s3", "audit")),  # first concrete one
    (["arn:aws-us-gov:s3:::gov/*"], Target("s3", "gov", partition="aws-us-gov")),
    (["arn:aws:s3:::${aws:username}/*", "arn:aws:s3:::home"], Target("s3", "home")),
    (["arn:aws:sqs:*:*:q"], Target("sqs", "q", account=THIS_ACCOUNT, region=THIS_REGION)),
    (["arn:aws:sqs:eu-*:123456789012:q"], Target("sqs", "q", account="123456789012", region=THIS_REGION)),
    (["arn:aws:sns:eu-west-1:123456789012:t"], Target("sns", "t", account="123456789012", region="eu-west-1")),
])
def test_target_from_resource_arns(resources, target):
    document = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": resources}]}
    (source,) = sources_for_json(document, "/x/policy.json")
    assert source.target == target


def test_service_from_actions_when_no_arn_reveals_it():
    document = {"Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": ["s3:*"], "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "*", "Resource": "*"},
    ]}
    (source,) = sources_for_json(document, "policies/logs-bucket.json")
    assert source.target == Target("s3", "logs-bucket")
    assert source.origin == "file logs-bucket.json"
    mixed = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "sqs:*"], "Resource": "*"}]}
    assert sources_for_json(mixed, "mixed.json") == []
    unprofiled = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "lambda:*", "Resource": "*"}]}
    assert sources_for_json(unprofiled, "function.json") == []
    key = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}
    (source,) = sources_for_json(key, "key.json")  # a key policy: Resource "*", one namespace (CKV_VPCE_9)
    assert source.target == Target("kms", "key")


def test_single_statement_object_and_not_principal():
    document = {"Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"},
                              "Action": "sqs:*", "Resource": "arn:aws:sqs:eu-west-1:123456789012:q"}}
    (source,) = sources_for_json(document, "q.json")
    assert source.target.service == "sqs"


@pytest.mark.parametrize("document", [
    None, "text", 7, [], [{"Statement": []}], {}, {"Statement": []}, {"Statement": "x"},
    {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}]},  # identity policy
    {"Statement": [{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity"}]},  # trust policy
    {"Statement": [{"Principal": "*", "Resource": ["arn:aws:ec2:eu-west-1:1:instance/i-1"], "Action": "ec2:*"}]},
])
def test_non_resource_policies_give_nothing(document):
    assert sources_for_json(document, "f.json") == []


def test_malformed_s3_resource_policy_is_handed_on_for_the_engine_to_report():
    """Not silently dropped: the engine's parser names what IAM would reject."""
    document = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": {"Ref": "B"}}]}
    (source,) = sources_for_json(document, "broken-bucket.json")
    assert source.target == Target("s3", "broken-bucket")
    with pytest.raises(PolicyError, match="Resource"):
        parse_policy(source.document)


def test_execute_api_shorthand_and_arns_make_api_policies():
    from vpce_checks.adapters.rawjson import sources_for_json

    shorthand = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
                                "Resource": "execute-api:/*"}]}
    (source,) = sources_for_json(shorthand, "/policies/orders_api.json")
    assert source.target.service == "execute-api" and source.target.name == "orders_api"
    arn = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
                          "Resource": "arn:aws:execute-api:eu-west-1:210987654321:a1b2c3d4e5/prod/GET/orders"}]}
    (source,) = sources_for_json(arn, "/policies/orders_api.json")
    assert (source.target.name, source.target.account, source.target.region) == (
        "a1b2c3d4e5", "210987654321", "eu-west-1")
