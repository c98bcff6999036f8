"""What every adapter hands the engine: the protected resource and the policy document that guards it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from vpce_checks.engine.services import Target


@dataclass
class PolicySource:
    """A resource's policy as found in a file.

    ``document`` is a plain IAM JSON document (dict). Unresolved references are kept as ``${...}`` strings with
    no colon inside (Terraform: ``${aws_vpc_endpoint.s3.id}``; CloudFormation: ``${Ref.VpceId}``,
    ``${ImportValue.SharedVpce}``); the resource's own account and region are ``THIS_ACCOUNT`` / ``THIS_REGION``;
    references to the protected resource's own ARN or name are replaced by them.

    ``document is None and problem is None``: the resource has no resource policy at all.
    ``problem`` set: the policy exists but cannot be read (a message naming the expression and how to fix it).
    """

    target: Target
    document: Optional[Any] = None
    origin: str = ""  # where the policy came from, e.g. "policy of aws_s3_bucket_policy.logs"
    problem: Optional[str] = None
    evaluated_keys: List[str] = field(default_factory=list)
    syntax: str = "json"  # the file's own syntax for fixes: "hcl", "yaml", "json"
    # API Gateway: each declared method ("GET /orders") and its authorization type ("NONE", "AWS_IAM", ...).
    authorization: Dict[str, str] = field(default_factory=dict)
    # Terraform: the service_name of each aws_vpc_endpoint a perimeter value references
    # ("${aws_vpc_endpoint.s3.id}" -> "com.amazonaws.eu-west-1.s3"), so CKV_VPCE_6 can tell an endpoint for another
    # service (it never carries this resource's requests).
    endpoint_services: Dict[str, str] = field(default_factory=dict)
    # Terraform: the vpc_id of each aws_vpc_endpoint a perimeter value references ("${aws_vpc_endpoint.s3.id}" ->
    # "${aws_vpc.core.id}"): every request through that endpoint carries that aws:SourceVpc (CKV_VPCE_6's lockout).
    endpoint_vpcs: Dict[str, str] = field(default_factory=dict)
    # One of several readings of one policy, named: a policy that guards several resources (CloudFormation
    # ``Queues: [A, B]``) or whose Deny depends on a deploy-time ``Fn::If`` is read once per resource and branch,
    # and passes only when every reading passes (judge.judge_each); empty when the policy has one reading.
    reading: str = ""
    # How the file writes an ARN's partition, when not literally: "${AWS::Partition}" in a CloudFormation template
    # that writes its ARNs so; fixes then write it the same way (judge.py, adapters/cloudformation.py).
    arn_partition: str = ""
    # The resource Checkov is checking ("FILE:TYPE:NAME"), set by checkov_glue: every check of that resource shares
    # one analysis budget (judge.resource_budget), so a policy at the bound costs its time once, not per check.
    resource_key: str = ""
    # The organisation policies (RCPs, SCPs) of the same scan, attached by checkov_glue for the resource checks:
    # judge.py credits those that apply (issue 15, vpce_checks/judge_layers.py). OrgPolicySource objects.
    org_policies: List[Any] = field(default_factory=list)
    # Terraform: the file's own expression for the protected resource's ARN ("aws_s3_bucket.uploads.arn"), when the
    # resource is declared in the scan; fixes write it instead of the literal ARN (judge.py, fix_rendering.py).
    own_arn_expression: str = ""
    # Terraform: the policy is written as JSON text (a heredoc or a string), so a fix is JSON with ${...}
    # interpolations, not an HCL object.
    json_text: bool = False
    # Where the document was read when not from the scanned file itself: a plan's configuration folder, for a
    # policy the plan holds no value for (adapters/terraform/plan_source.py). Said on every result.
    read_from: str = ""

    @property
    def missing(self) -> bool:
        return self.document is None and self.problem is None
