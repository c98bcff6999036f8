"""The one list of the pack's checks: ID, title, severity, category, docs page and which judge decides.

Check classes, `vpce-checks list`, SARIF rules, the README table and the docs pages' headers come from here or are
tested against it (tests/test_catalog.py). Import cost matters: Checkov imports every check file in every runner
process, so this module imports nothing from Checkov or the engine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

from vpce_checks import __version__

PREFIX = "CKV_VPCE_"
HIGH, MEDIUM = "HIGH", "MEDIUM"
IAM, NETWORKING = "IAM", "NETWORKING"  # names of checkov.common.models.enums.CheckCategories members
# The judges (vpce_checks/judge.py) a check can use, by function name.
PERIMETER, ENDPOINT_TYPE, SOUNDNESS, SOURCE_IP, ENDPOINT_POLICY, RCP_PERIMETER_JUDGE = (
    "judge", "judge_endpoint_type", "judge_soundness", "judge_source_ip", "judge_endpoint_policy", "judge_rcp")


@dataclass(frozen=True)
class CheckInfo:
    """What every surface says about one check."""

    id: str
    title: str
    severity: str
    category: str
    judge: str

    @property
    def docs_file(self) -> str:
        """The page, relative to the repository root (and to the installed package's docs folder's parent)."""
        return f"docs/{self.id}.md"


CHECKS: Tuple[CheckInfo, ...] = (
    CheckInfo("CKV_VPCE_1", "S3 bucket policy denies requests that do not come through the allowed VPC endpoints",
              HIGH, IAM, PERIMETER),
    CheckInfo("CKV_VPCE_2", "SQS queue policy denies requests that do not come through the allowed VPC endpoints",
              HIGH, IAM, PERIMETER),
    CheckInfo("CKV_VPCE_3", "SNS topic policy denies requests that do not come through the allowed VPC endpoints",
              HIGH, IAM, PERIMETER),
    CheckInfo("CKV_VPCE_4", "REST API endpoint type is exactly PRIVATE", HIGH, NETWORKING, ENDPOINT_TYPE),
    CheckInfo("CKV_VPCE_5", "Private REST API resource policy denies invocations that do not come through the "
                            "allowed VPC endpoints", HIGH, IAM, PERIMETER),
    CheckInfo("CKV_VPCE_6", "Multi-VPCE / aws:SourceVpc perimeter is sound: every named endpoint can get in, and "
                            "only those", HIGH, IAM, SOUNDNESS),
    CheckInfo("CKV_VPCE_7", "aws:SourceIp is not used to confine traffic to a VPC", MEDIUM, IAM, SOURCE_IP),
    CheckInfo("CKV_VPCE_8", "VPC endpoint policy is not full access", MEDIUM, NETWORKING, ENDPOINT_POLICY),
    CheckInfo("CKV_VPCE_9", "KMS key, Secrets Manager secret, ECR repository, DynamoDB table and EFS file system "
                            "policies deny requests that do not come through the allowed VPC endpoints",
              HIGH, IAM, PERIMETER),
    CheckInfo("CKV_VPCE_10", "Resource control policy denies requests that do not come through the allowed VPC "
                             "endpoints, for each RCP-supported service it covers", HIGH, IAM, RCP_PERIMETER_JUDGE),
)
BY_ID: Dict[str, CheckInfo] = {info.id: info for info in CHECKS}

# Names for the checks other modules talk about; use these, never the literal IDs.
S3_PERIMETER, SQS_PERIMETER, SNS_PERIMETER, API_ENDPOINT_TYPE, API_PERIMETER = (c.id for c in CHECKS[:5])
PERIMETER_SOUNDNESS, SOURCE_IP_TRAP, ENDPOINT_FULL_ACCESS, OTHER_PERIMETER = (c.id for c in CHECKS[5:9])
RCP_PERIMETER = CHECKS[9].id


# Every resource type some pack check reads, per framework (tests/test_catalog.py keeps these equal to the check
# classes' ``resources``). `vpce-checks scan` names a file holding one of them that no check saw: Checkov dropped it.
TERRAFORM_TYPES = frozenset({
    "aws_api_gateway_rest_api", "aws_dynamodb_resource_policy", "aws_dynamodb_table", "aws_ecr_repository",
    "aws_ecr_repository_policy", "aws_efs_file_system", "aws_efs_file_system_policy", "aws_kms_key",
    "aws_kms_key_policy", "aws_organizations_policy", "aws_s3_bucket", "aws_s3_bucket_policy",
    "aws_secretsmanager_secret",
    "aws_secretsmanager_secret_policy", "aws_sns_topic", "aws_sns_topic_policy", "aws_sqs_queue",
    "aws_sqs_queue_policy", "aws_vpc_endpoint", "aws_vpc_endpoint_policy",
})
CLOUDFORMATION_TYPES = frozenset({
    "AWS::ApiGateway::RestApi", "AWS::DynamoDB::Table", "AWS::EC2::VPCEndpoint", "AWS::ECR::Repository",
    "AWS::EFS::FileSystem", "AWS::KMS::Key", "AWS::Organizations::Policy", "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy", "AWS::SNS::Topic",
    "AWS::SNS::TopicInlinePolicy", "AWS::SNS::TopicPolicy", "AWS::SQS::Queue", "AWS::SQS::QueueInlinePolicy",
    "AWS::SQS::QueuePolicy", "AWS::SecretsManager::ResourcePolicy", "AWS::SecretsManager::Secret",
    "AWS::Serverless::Api",
})


def info(check_id: str) -> CheckInfo:
    """The catalog entry; a KeyError names an ID the catalog does not know (a typo in a check file)."""
    return BY_ID[check_id]


def is_pack_check(check_id: object) -> bool:
    return isinstance(check_id, str) and check_id in BY_ID


# ---- docs pages ------------------------------------------------------------------------------------------------

def docs_folder() -> Optional[Path]:
    """Where the docs pages are: inside the installed package (the wheel ships them as vpce_checks/docs), or the
    checkout's docs/ folder for an editable install."""
    package = Path(__file__).resolve().parent
    for folder in (package / "docs", package.parent / "docs"):
        if (folder / f"{CHECKS[0].id}.md").is_file():
            return folder
    return None


def docs_text(check_id: str) -> Optional[str]:
    """The docs page's Markdown, or None when the page is not installed."""
    folder = docs_folder()
    if folder is None:
        return None
    try:
        return (folder / f"{info(check_id).id}.md").read_text(encoding="utf-8")
    except OSError:
        return None


def repository_url(environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The repository-URL setting (VPCE_CHECKS_REPOSITORY_URL, or the same key in the settings file), or None while
    it is unset or invalid: `vpce-checks scan` validates it with the other settings and reports a bad value."""
    env = os.environ if environ is None else environ
    if "VPCE_CHECKS_REPOSITORY_URL" not in env and "VPCE_CHECKS_CONFIG" not in env:
        return None  # settings come only from these: nothing to load (check files ask at import, issue 14)
    from vpce_checks.settings import SettingsError, cached_settings

    found = cached_settings(environ)
    return None if isinstance(found, SettingsError) else found.repository_url


def docs_url(check_id: str, environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The docs page on the web, from the one repository-URL setting; None while it is unset (never invented).

    Release tags are ``v<version>`` (CHANGELOG.md), so the link shows the page of the version that ran."""
    base = repository_url(environ)
    if base is None:
        return None
    return f"{base}/blob/v{__version__}/{info(check_id).docs_file}"


def docs_reference(check_id: str) -> str:
    """What a "Docs:" line says: the web page when the repository URL is set, else the page the installed package
    ships and the command that prints it."""
    url = docs_url(check_id)
    if url:
        return url
    return f"{info(check_id).docs_file} (`vpce-checks docs {check_id}` prints it)"
