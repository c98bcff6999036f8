"""AWS-owned accounts that deliver logs into customer buckets, which SPEC section 4 excuses when a policy grants
them by exact account ID (docs/semantics.md, "Elastic Load Balancing access-log accounts")."""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, Optional

from vpce_checks.engine.model import Policy

# The Region-specific AWS-owned accounts that write Elastic Load Balancing access logs in Regions available before
# August 2022 (Elastic Load Balancing User Guide, "Enable access logs for your Application Load Balancer" and
# "Enable access logs for your Classic Load Balancer", section "Attach a policy to your S3 bucket"; the same
# table is repeated by terraform-provider-aws's aws_elb_service_account data source). Newer Regions use the service
# principal logdelivery.elasticloadbalancing.amazonaws.com, which is excused as every service principal is.
ELB_ACCESS_LOG_ACCOUNTS: Dict[str, str] = {
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-south-1": "718504428378",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
    "eu-central-1": "054676820928",
    "eu-north-1": "897822967062",
    "eu-south-1": "635631232127",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-gov-east-1": "190560391635",
    "us-gov-west-1": "048591011584",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
}
ELB_ACCOUNT_IDS: FrozenSet[str] = frozenset(ELB_ACCESS_LOG_ACCOUNTS.values())
# "The ELB access-log account of R's Region" where the source names it without the Region being known (Terraform's
# data "aws_elb_service_account" .id, or .arn as arn:aws:iam::<this>:root). It is always one of the table's
# accounts; prepared() writes the table's ID in its place when R's Region is known.
ELB_ACCOUNT_TOKEN = "${AWS::ElbAccessLogAccount}"
_ROOT_ARN = re.compile(r"^arn:aws(?:-cn|-us-gov)?:iam::(?P<account>\d{12}|\$\{AWS::ElbAccessLogAccount\}):root$")


def elb_account(value: str) -> Optional[str]:
    """The ELB access-log account a Principal value names by exact account ID (the bare ID or its
    ``arn:aws:iam::ID:root``), or None: a user or role ARN, a wildcard or any other account is no such name."""
    text = value.strip()
    match = _ROOT_ARN.match(text)
    account = match.group("account") if match else text
    if account in ELB_ACCOUNT_IDS or account == ELB_ACCOUNT_TOKEN:
        return account
    return None


def elb_account_for_region(region: str) -> Optional[str]:
    """The table's account for a Region, or None (a newer Region, or an unknown one)."""
    return ELB_ACCESS_LOG_ACCOUNTS.get(region)


def excused_log_accounts(policy: Policy) -> FrozenSet[str]:
    """The ELB access-log accounts an Allow names by exact account ID in its Principal: their principals' requests
    are excused (SPEC section 4). Named only in a Deny, in a NotPrincipal or by a condition, they are not."""
    found = set()
    for statement in policy.statements:
        if statement.is_deny or statement.principal is None:
            continue
        for value in statement.principal.aws:
            account = elb_account(value)
            if account:
                found.add(account)
    return frozenset(found)


def elb_service_account(attribute: str, partition: str = "aws") -> str:
    """What Terraform's ``data "aws_elb_service_account"`` stands for: ``.id`` is the ELB access-log account of
    the provider's Region (R's Region: ELB writes only to a bucket in its own Region), ``.arn`` its root ARN.
    Written with ELB_ACCOUNT_TOKEN, which prepared() turns into the table's ID once R's Region is known."""
    if attribute == "arn":
        return f"arn:{partition or 'aws'}:iam::{ELB_ACCOUNT_TOKEN}:root"
    return ELB_ACCOUNT_TOKEN


def account_label(account: str) -> str:
    """An ELB access-log account in words: its ID and Region, or the data source that names it."""
    regions = {value: region for region, value in ELB_ACCESS_LOG_ACCOUNTS.items()}
    if account in regions:
        return f"{account} ({regions[account]})"
    return "data.aws_elb_service_account (this Region's)"
