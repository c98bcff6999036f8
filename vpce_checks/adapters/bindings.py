"""Per service, how Terraform and CloudFormation write its resource policy: the one table the readers derive from.

The engine knows services by their engine names (engine/services.py PROFILES) and never an IaC name; this table
maps the IaC names onto them. A new service is one SERVICE_BINDINGS entry (plus its engine profile and fixtures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Literal, Mapping, Optional, Tuple


@dataclass(frozen=True)
class TerraformBinding:
    """The Terraform resource types of one service's policy and of what it protects."""

    policy_resource: str  # the separate policy resource (aws_s3_bucket_policy)
    pointer_attribute: str  # its argument naming the protected resource (bucket, queue_url, arn, ...)
    owner_resource: str  # the protected resource (aws_s3_bucket)
    name_attribute: str  # the owner's attribute holding its name
    # Which attribute of the protected resource stands for its ARN and which for its name.
    own_attributes: Mapping[str, str] = field(default_factory=dict)


# What a reference to the protected resource gives: its name, its ARN, or its URL (an SQS queue URL,
# ``https://sqs.REGION.amazonaws.com/ACCOUNT/NAME``).
OwnerValue = Literal["name", "arn", "url"]


@dataclass(frozen=True)
class CloudFormationBinding:
    """The CloudFormation types of one service's policy and of what it protects, with their property names."""

    owner_resource: str
    # What ``Ref`` of the owner gives, and what each ``Fn::GetAtt`` attribute does (the resource type's "Return
    # values", docs/semantics.md); an attribute not listed stays an unresolved token.
    ref_value: OwnerValue
    get_att: Mapping[str, OwnerValue]
    # Policy resource type -> the properties where it names what it protects.
    policy_resources: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    # Policy resource type -> its policy property, when it is not PolicyDocument.
    policy_properties: Mapping[str, str] = field(default_factory=dict)
    # The property path of a policy the owner carries inline (KMS KeyPolicy), if any.
    inline_policy: Optional[Tuple[str, ...]] = None
    name_property: Optional[str] = None  # the owner's name property (BucketName), if it has one


@dataclass(frozen=True)
class ServiceBinding:
    """One service: its engine name and how each IaC language writes it."""

    service: str  # the engine's service name (a key of engine.services.PROFILES)
    terraform: TerraformBinding
    cloudformation: CloudFormationBinding


SERVICE_BINDINGS: Tuple[ServiceBinding, ...] = (
    ServiceBinding(
        "s3",
        TerraformBinding("aws_s3_bucket_policy", "bucket", "aws_s3_bucket", "bucket",
                         {"arn": "arn", "id": "name", "bucket": "name"}),
        CloudFormationBinding("AWS::S3::Bucket", "name", {"Arn": "arn"},
                              policy_resources={"AWS::S3::BucketPolicy": ("Bucket",)}, name_property="BucketName"),
    ),
    ServiceBinding(
        "sqs",
        TerraformBinding("aws_sqs_queue_policy", "queue_url", "aws_sqs_queue", "name", {"arn": "arn", "name": "name"}),
        CloudFormationBinding("AWS::SQS::Queue", "url", {"Arn": "arn", "QueueName": "name", "QueueUrl": "url"},
                              policy_resources={"AWS::SQS::QueuePolicy": ("Queues",),
                                                "AWS::SQS::QueueInlinePolicy": ("Queue",)},
                              name_property="QueueName"),
    ),
    ServiceBinding(
        "sns",
        TerraformBinding("aws_sns_topic_policy", "arn", "aws_sns_topic", "name",
                         {"arn": "arn", "id": "arn", "name": "name"}),
        # TopicInlinePolicy's documented property is TopicArn; "Topic" is accepted too.
        CloudFormationBinding("AWS::SNS::Topic", "arn", {"TopicArn": "arn", "TopicName": "name"},
                              policy_resources={"AWS::SNS::TopicPolicy": ("Topics",),
                                                "AWS::SNS::TopicInlinePolicy": ("TopicArn", "Topic")},
                              name_property="TopicName"),
    ),
    # CKV_VPCE_9: other resource policies. These services work without a resource policy, so an owner without one
    # gives no result; in CloudFormation all but the secret carry their policy inline.
    ServiceBinding(
        "kms",
        TerraformBinding("aws_kms_key_policy", "key_id", "aws_kms_key", "key_id",
                         {"arn": "arn", "key_id": "name", "id": "name"}),
        CloudFormationBinding("AWS::KMS::Key", "name", {"Arn": "arn", "KeyId": "name"}, inline_policy=("KeyPolicy",)),
    ),
    ServiceBinding(
        "secretsmanager",
        TerraformBinding("aws_secretsmanager_secret_policy", "secret_arn", "aws_secretsmanager_secret", "name",
                         {"arn": "arn", "id": "arn", "name": "name"}),
        CloudFormationBinding("AWS::SecretsManager::Secret", "arn", {"Id": "arn"},
                              policy_resources={"AWS::SecretsManager::ResourcePolicy": ("SecretId",)},
                              policy_properties={"AWS::SecretsManager::ResourcePolicy": "ResourcePolicy"},
                              name_property="Name"),
    ),
    ServiceBinding(
        "ecr",
        TerraformBinding("aws_ecr_repository_policy", "repository", "aws_ecr_repository", "name",
                         {"arn": "arn", "name": "name", "id": "name"}),
        CloudFormationBinding("AWS::ECR::Repository", "name", {"Arn": "arn"}, inline_policy=("RepositoryPolicyText",),
                              name_property="RepositoryName"),
    ),
    ServiceBinding(
        "dynamodb",
        TerraformBinding("aws_dynamodb_resource_policy", "resource_arn", "aws_dynamodb_table", "name",
                         {"arn": "arn", "name": "name", "id": "name"}),
        # AWS::DynamoDB::GlobalTable (a policy per replica, each in its own Region) is not read (docs/CKV_VPCE_9.md).
        CloudFormationBinding("AWS::DynamoDB::Table", "name", {"Arn": "arn"},
                              inline_policy=("ResourcePolicy", "PolicyDocument"), name_property="TableName"),
    ),
    ServiceBinding(
        "elasticfilesystem",
        TerraformBinding("aws_efs_file_system_policy", "file_system_id", "aws_efs_file_system", "id",
                         {"arn": "arn", "id": "name"}),
        CloudFormationBinding("AWS::EFS::FileSystem", "name", {"Arn": "arn", "FileSystemId": "name"},
                              inline_policy=("FileSystemPolicy",)),
    ),
)

# API Gateway REST APIs (CKV_VPCE_4/5) and VPC endpoints (CKV_VPCE_8): read by their own readers.
TERRAFORM_API_RESOURCES: Tuple[str, ...] = ("aws_api_gateway_rest_api",)
CFN_API_RESOURCES: Tuple[str, ...] = ("AWS::ApiGateway::RestApi", "AWS::Serverless::Api")
TERRAFORM_ENDPOINT_RESOURCES: Tuple[str, ...] = ("aws_vpc_endpoint", "aws_vpc_endpoint_policy")
CFN_ENDPOINT_RESOURCES: Tuple[str, ...] = ("AWS::EC2::VPCEndpoint",)
# Organisation policies (RCPs/SCPs): judged by CKV_VPCE_10 and credited to the resource checks as layers.
TERRAFORM_ORG_POLICY_RESOURCES: Tuple[str, ...] = ("aws_organizations_policy",)
TERRAFORM_ORG_ATTACHMENT_RESOURCE = "aws_organizations_policy_attachment"
CFN_ORG_POLICY_RESOURCES: Tuple[str, ...] = ("AWS::Organizations::Policy",)

# Derived views, in SERVICE_BINDINGS order: resource type -> engine service name, and the property tables.
TERRAFORM_POLICY_RESOURCES: Dict[str, str] = {b.terraform.policy_resource: b.service for b in SERVICE_BINDINGS}
TERRAFORM_OWNER_RESOURCES: Dict[str, str] = {b.terraform.owner_resource: b.service for b in SERVICE_BINDINGS}
TERRAFORM_POINTER_ATTRIBUTE: Dict[str, str] = {b.terraform.policy_resource: b.terraform.pointer_attribute
                                               for b in SERVICE_BINDINGS}
TERRAFORM_NAME_ATTRIBUTE: Dict[str, str] = {b.terraform.owner_resource: b.terraform.name_attribute
                                            for b in SERVICE_BINDINGS}
TERRAFORM_OWN_ATTRIBUTES: Dict[str, Mapping[str, str]] = {b.service: b.terraform.own_attributes
                                                          for b in SERVICE_BINDINGS}
CFN_POLICY_RESOURCES: Dict[str, str] = {kind: b.service for b in SERVICE_BINDINGS
                                        for kind in b.cloudformation.policy_resources}
CFN_OWNER_RESOURCES: Dict[str, str] = {b.cloudformation.owner_resource: b.service for b in SERVICE_BINDINGS}
CFN_TARGET_PROPERTIES: Dict[str, Tuple[str, ...]] = {kind: properties for b in SERVICE_BINDINGS
                                                     for kind, properties in b.cloudformation.policy_resources.items()}
CFN_POLICY_PROPERTY: Dict[str, str] = {kind: name for b in SERVICE_BINDINGS
                                       for kind, name in b.cloudformation.policy_properties.items()}
CFN_INLINE_POLICY: Dict[str, Tuple[str, ...]] = {b.cloudformation.owner_resource: b.cloudformation.inline_policy
                                                 for b in SERVICE_BINDINGS if b.cloudformation.inline_policy}
CFN_NAME_PROPERTY: Dict[str, str] = {b.cloudformation.owner_resource: b.cloudformation.name_property
                                     for b in SERVICE_BINDINGS if b.cloudformation.name_property}
# Service -> what Ref of its owner gives, and what each Fn::GetAtt attribute of it gives.
CFN_REF_VALUE: Dict[str, OwnerValue] = {b.service: b.cloudformation.ref_value for b in SERVICE_BINDINGS}
CFN_GET_ATT: Dict[str, Mapping[str, OwnerValue]] = {b.service: b.cloudformation.get_att for b in SERVICE_BINDINGS}


def terraform_policy_holders() -> List[str]:
    """Terraform resource types that carry or point at a resource policy (bucket, queue, ..., REST API)."""
    return sorted({*TERRAFORM_POLICY_RESOURCES, *TERRAFORM_OWNER_RESOURCES, *TERRAFORM_API_RESOURCES})


def cloudformation_policy_holders() -> List[str]:
    """CloudFormation resource types that carry or point at a resource policy."""
    return sorted({*CFN_POLICY_RESOURCES, *CFN_OWNER_RESOURCES, *CFN_API_RESOURCES})
