"""Random resource policies for the differential test (SPEC section 7), over concrete targets.

Each policy starts, more often than not, from the shape AWS's data-perimeter examples use (a Deny with
StringNotEquals aws:SourceVpce and the usual exemptions) and is then mutated: other operators and qualifiers,
wildcards in resources and values, NotAction/NotResource/NotPrincipal, policy variables, extra statements. The
generator knows nothing of the engine; a seed gives the same policies every run.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
ELB_LOG_ACCOUNT = "127311923021"  # us-east-1's ELB access-log account (outside.ELB_LOG_ACCOUNTS)
REGION = "us-east-1"
API_ID = "a1b2c3d4e5"

# Endpoint and VPC IDs a policy may name: well-formed (vpce-/vpc- and 8 or 17 lowercase hex digits).
NAMED_VPCES = ("vpce-0a1b2c3d4e5f60718", "vpce-1a2b3c4d", "vpce-0123456789abcdef0")
NAMED_VPCS = ("vpc-0a1b2c3d4e5f60718", "vpc-5e6f7a8b")


@dataclass(frozen=True)
class TargetSpec:
    """A protected resource with every part of its ARN concrete."""

    service: str  # the IAM action prefix
    name: str  # what the engine's Target takes as the name
    arn: str
    resource_types: Tuple[str, ...]  # the simulator database's resource-type keys that name this resource
    sub_resource: bool = False  # S3 objects, API Gateway methods


TARGETS: Dict[str, TargetSpec] = {
    "s3": TargetSpec("s3", "data-bucket", "arn:aws:s3:::data-bucket", ("bucket", "object"), True),
    "sqs": TargetSpec("sqs", "orders", f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders", ("queue",)),
    "sns": TargetSpec("sns", "alerts", f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts", ("topic",)),
    "kms": TargetSpec("kms", "0b6f2a1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
                      f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b6f2a1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b", ("key",)),
    "secretsmanager": TargetSpec("secretsmanager", "db-password-AbCdEf",
                                 f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db-password-AbCdEf", ("Secret",)),
    "execute-api": TargetSpec("execute-api", API_ID, f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}",
                              ("execute-api-general",), True),
}
SERVICES = tuple(TARGETS)

_ACTIONS: Dict[str, Tuple[str, ...]] = {
    "s3": ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketPolicy",
           "s3:Get*", "s3:*Object", "s3:List*", "s3:PutBucketPolicy"),
    "sqs": ("sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:Get*", "sqs:Set*", "sqs:PurgeQueue"),
    "sns": ("sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:Set*", "sns:*Permission"),
    "kms": ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:PutKeyPolicy",
            "kms:Describe*", "kms:ScheduleKeyDeletion"),
    "secretsmanager": ("secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:Describe*",
                       "secretsmanager:*ResourcePolicy", "secretsmanager:DeleteSecret"),
    "execute-api": ("execute-api:Invoke", "execute-api:ManageConnections", "execute-api:InvalidateCache"),
}


def _resources(rng: random.Random, target: TargetSpec) -> List[str]:
    """A Resource (or NotResource) list: whole coverage, narrowed, or wildcard patterns."""
    arn = target.arn
    if target.service == "s3":
        choices = [[arn, arn + "/*"], [arn, arn + "/*"], ["*"], [arn + "/*"], [arn],
                   [arn, arn + "/a*"], [arn + "/*key"], ["arn:aws:s3:::data-*"], [arn, arn + "/reports/*"],
                   ["arn:aws:s3:::data-bucket*"], [arn, arn + "/*/*"]]
    elif target.service == "execute-api":
        choices = [["execute-api:/*"], ["execute-api:/*"], ["execute-api:/*/GET/*"], ["execute-api:/prod/*"],
                   ["execute-api:/*/*/*"], ["execute-api:/*/POST/*", "execute-api:/*/GET/*"],
                   ["execute-api:/*/*/admin/*"], [arn + "/*"], ["*"]]
    else:
        head = arn.rsplit(":", 1)[0] if target.service in ("sqs", "sns") else arn.rsplit("/", 1)[0]
        choices = [[arn], [arn], ["*"], ["*"], [arn[:-3] + "*"], [f"arn:aws:{target.service}:*:*:*"],
                   [head + ":*"] if target.service in ("sqs", "sns") else [head + "/*"]]
    return list(rng.choice(choices))


def _not_resources(target: TargetSpec) -> List[List[str]]:
    if target.service == "s3":
        return [[target.arn + "/public/*"], [target.arn + "/a*"], ["arn:aws:s3:::other-bucket/*"]]
    if target.service == "execute-api":
        return [["execute-api:/*/GET/health"], ["execute-api:/prod/*"], ["execute-api:/*/OPTIONS/*"]]
    return [[f"arn:aws:{target.service}:{REGION}:{OTHER_ACCOUNT}:*"], [target.arn]]


def _principal(rng: random.Random) -> Tuple[str, object]:
    """("Principal" or "NotPrincipal", value)."""
    roll = rng.random()
    if roll < 0.55:
        return "Principal", "*"
    if roll < 0.75:
        return "Principal", {"AWS": "*"}
    if roll < 0.82:
        return "Principal", {"AWS": rng.choice([ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root"])}
    if roll < 0.86:
        return "Principal", {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}
    named = rng.choice([f"arn:aws:iam::{ACCOUNT}:role/admin", f"arn:aws:iam::{ACCOUNT}:root",
                        f"arn:aws:iam::{OTHER_ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:user/alice"])
    return "NotPrincipal", {"AWS": named}


def _endpoint_values(rng: random.Random, key: str) -> List[str]:
    pool = NAMED_VPCES if key.lower() == "aws:sourcevpce" else NAMED_VPCS
    values = rng.sample(pool, rng.randint(1, min(2, len(pool))))
    roll = rng.random()
    if roll < 0.06:
        values.append("${aws:SourceVpce}")
    elif roll < 0.12:
        values.append("${aws:PrincipalTag/team-vpce}")
    elif roll < 0.17:
        values = [v.upper() for v in values]
    elif roll < 0.21:
        values.append(pool[0][:5] + "*")
    elif roll < 0.24:
        values.append(pool[0][:-1] + "?")
    return values


# A condition generator returns (operator, key, values).
Cond = Tuple[str, str, object]


def _perimeter(rng: random.Random) -> Cond:
    key = rng.choice(["aws:SourceVpce"] * 5 + ["aws:sourcevpce", "aws:SourceVpc", "aws:SourceVpc"])
    values = _endpoint_values(rng, key)
    operator = rng.choice(["StringNotEquals"] * 6 + [
        "StringNotEqualsIfExists", "StringNotEqualsIgnoreCase", "StringNotLike", "ForAllValues:StringNotEquals",
        "ForAnyValue:StringNotEquals", "StringEquals", "StringNotEqualsIgnoreCase", "StringNotLikeIfExists",
    ])
    if any("*" in v or "?" in v for v in values) and rng.random() < 0.5:
        operator = "StringNotLike"
    return operator, key, values


def _exemption(rng: random.Random) -> Cond:
    options: List[Callable[[], Cond]] = [
        lambda: ("BoolIfExists", "aws:PrincipalIsAWSService", "false"),
        lambda: ("BoolIfExists", "aws:ViaAWSService", "false"),
        lambda: ("Bool", "aws:ViaAWSService", "false"),
        lambda: ("Bool", "aws:PrincipalIsAWSService", "false"),
        lambda: ("ArnNotLikeIfExists", "aws:PrincipalArn", ["arn:aws:iam::*:role/aws:ec2-infrastructure"]),
        lambda: ("ArnNotLikeIfExists", "aws:PrincipalArn", ["arn:aws:iam::*:role/aws-service-role/*"]),
        lambda: ("ArnNotLike", "aws:PrincipalArn", [f"arn:aws:iam::{ACCOUNT}:role/admin*"]),
        lambda: ("ArnNotEquals", "aws:PrincipalArn", [f"arn:aws:iam::{ACCOUNT}:role/admin"]),
        lambda: ("StringNotEqualsIfExists", "aws:PrincipalTag/dp:exclude:network", "true"),
        lambda: ("StringEquals", "aws:PrincipalTag/dp:include:network", "true"),
        lambda: ("StringNotEquals", "aws:PrincipalAccount", [ACCOUNT]),
        lambda: ("StringEquals", "aws:PrincipalAccount", [ACCOUNT]),
        lambda: ("StringNotEqualsIfExists", "aws:SourceAccount", [ACCOUNT]),
        lambda: ("Null", "aws:SourceVpce", rng.choice(["true", "false"])),
        lambda: ("Null", "aws:PrincipalArn", "false"),
        lambda: ("NotIpAddress", "aws:SourceIp", ["203.0.113.0/24"]),
        lambda: ("IpAddress", "aws:SourceIp", [rng.choice(["0.0.0.0/0", "0.0.0.0/1", "198.51.100.0/24"])]),
        lambda: ("NotIpAddressIfExists", "aws:VpcSourceIp", ["10.0.0.0/8"]),
        lambda: ("IpAddress", "aws:VpcSourceIp", ["10.0.0.0/8"]),
        lambda: ("Bool", "aws:SecureTransport", rng.choice(["false", "true"])),
        lambda: ("StringNotEquals", "aws:RequestedRegion", [REGION]),
        lambda: ("StringEqualsIgnoreCase", "aws:PrincipalTag/team", ["Network"]),
        lambda: ("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"]),
        lambda: ("ForAllValues:StringEquals", "aws:TagKeys", ["team"]),
        lambda: ("StringNotEqualsIfExists", "aws:PrincipalOrgID", ["o-a1b2c3d4e5"]),
        lambda: ("ArnLike", "aws:PrincipalArn", [f"arn:aws:iam::{ACCOUNT}:*"]),
        lambda: ("StringNotLike", "aws:userid", ["AROAEXAMPLEID:*"]),
        lambda: ("StringNotEquals", "aws:SourceVpce", ["${aws:PrincipalTag/team-vpce}"]),
    ]
    return rng.choice(options)()


def _add(block: Dict[str, Dict[str, object]], condition: Cond) -> None:
    operator, key, values = condition
    entry = block.setdefault(operator, {})
    if key in entry:
        old = entry[key] if isinstance(entry[key], list) else [entry[key]]
        new = values if isinstance(values, list) else [values]
        entry[key] = list(dict.fromkeys([*old, *new]))
    else:
        entry[key] = values


_FULL_RESOURCES = {"s3": ["arn:aws:s3:::data-bucket", "arn:aws:s3:::data-bucket/*"], "execute-api": ["execute-api:/*"]}


def _canonical(rng: random.Random, target: TargetSpec) -> dict:
    """The data-perimeter shape: Deny everything on R unless through the named endpoints, with some of the
    usual exemptions; mutations elsewhere make the policy interesting."""
    key = "aws:SourceVpce" if rng.random() < 0.8 else "aws:SourceVpc"
    pool = NAMED_VPCES if key == "aws:SourceVpce" else NAMED_VPCS
    block: Dict[str, Dict[str, object]] = {}
    _add(block, ("StringNotEquals", key, rng.sample(pool, rng.randint(1, 2))))
    for _ in range(rng.choice([0, 1, 2])):
        _add(block, _exemption(rng))
    resources = list(_FULL_RESOURCES.get(target.service, [target.arn] if rng.random() < 0.5 else ["*"]))
    statement = {"Effect": "Deny", "Principal": rng.choice(["*", {"AWS": "*"}]),
                 "Action": rng.choice([f"{target.service}:*", "*"]), "Resource": resources, "Condition": block}
    # One mutation in three: the resources, the actions or the principals narrowed the way real policies do.
    roll = rng.random()
    if roll < 0.15:
        statement["Resource"] = rng.choice(_NARROWED.get(target.service, [[target.arn[:-2] + "*"]]))
    elif roll < 0.22:
        statement["Action"] = rng.sample(_ACTIONS[target.service], 2)
    elif roll < 0.27:
        del statement["Action"]
        statement["NotAction"] = rng.sample(_ACTIONS[target.service], 1)
    elif roll < 0.30:
        del statement["Principal"]
        statement["NotPrincipal"] = _principal(rng)[1] if rng.random() < 0.3 else {
            "AWS": rng.choice([f"arn:aws:iam::{ACCOUNT}:role/admin", f"arn:aws:iam::{ACCOUNT}:root"])}
    elif roll < 0.33:
        del statement["Resource"]
        statement["NotResource"] = rng.choice(_not_resources(target))
    return statement


_NARROWED = {
    "s3": [["arn:aws:s3:::data-bucket", "arn:aws:s3:::data-bucket/a*"], ["arn:aws:s3:::data-bucket/*key"],
           ["arn:aws:s3:::data-bucket", "arn:aws:s3:::data-bucket/*/*"],
           ["arn:aws:s3:::data-bucket", "arn:aws:s3:::data-bucket/reports/*"],
           ["arn:aws:s3:::data-bucket", "arn:aws:s3:::data-bucket/?*"]],
    "execute-api": [["execute-api:/*/GET/*"], ["execute-api:/prod/*"],
                    ["execute-api:/*/GET/*", "execute-api:/*/POST/*"], ["execute-api:/*/*/admin/*"],
                    ["execute-api:/*/*/*"]],
}


def _statement(rng: random.Random, target: TargetSpec, effect: str, perimeter: bool) -> dict:
    statement: Dict[str, object] = {"Effect": effect}
    element, value = ("Principal", "*") if perimeter and rng.random() < 0.7 else _principal(rng)
    statement[element] = value
    if rng.random() < 0.7 or not perimeter:
        actions = [f"{target.service}:*"] if rng.random() < 0.6 else rng.sample(_ACTIONS[target.service], 2)
        if rng.random() < 0.1:
            actions = ["*"]
        statement["Action"] = actions if len(actions) > 1 or rng.random() < 0.5 else actions[0]
    else:
        statement["NotAction"] = rng.sample(_ACTIONS[target.service], 1)
    if rng.random() < 0.12:
        statement["NotResource"] = rng.choice(_not_resources(target))
    else:
        statement["Resource"] = _resources(rng, target)
    block: Dict[str, Dict[str, object]] = {}
    if perimeter:
        _add(block, _perimeter(rng))
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        _add(block, _exemption(rng))
    if block:
        statement["Condition"] = block
    return statement


def random_policy(rng: random.Random, service: str) -> dict:
    """One policy document for ``service``'s target: one to three statements, Allow and Deny."""
    target = TARGETS[service]
    statements = []
    if rng.random() < 0.5:
        statements.append({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                           "Action": f"{service}:*", "Resource": _resources(rng, target)})
    if rng.random() < 0.55:
        statements.append(_canonical(rng, target))
    else:
        statements.append(_statement(rng, target, "Deny", perimeter=rng.random() < 0.9))
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        effect = "Deny" if rng.random() < 0.8 else "Allow"
        statements.append(_statement(rng, target, effect, perimeter=rng.random() < 0.6))
    rng.shuffle(statements)
    for index, statement in enumerate(statements):
        if rng.random() < 0.5:
            statement["Sid"] = f"S{index}"
    return {"Version": "2012-10-17", "Statement": statements}


def _deny(resource: object, condition: dict, action: str = "*", **extra: object) -> dict:
    return dict({"Effect": "Deny", "Principal": "*", "Action": action, "Resource": resource,
                 "Condition": condition}, **extra)


def _through(*ids: str) -> dict:
    return {"StringNotEquals": {"aws:SourceVpce": list(ids)}}


_BUCKET = TARGETS["s3"].arn
# Policies written from the findings and AWS's documentation to probe known edge cases; every run starts
# with them, then random policies follow.
PROBES: List[Tuple[str, dict]] = [
    ("s3", {"Version": "2012-10-17", "Statement": [
        _deny([_BUCKET, _BUCKET + "/a*"], _through(NAMED_VPCES[0]))]}),
    ("s3", {"Version": "2012-10-17", "Statement": [
        _deny([_BUCKET], _through(NAMED_VPCES[0])), _deny([_BUCKET + "/*key"], _through(NAMED_VPCES[0]))]}),
    ("execute-api", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
        _deny("execute-api:/*/GET/*", _through(NAMED_VPCES[1]), action="execute-api:Invoke")]}),
    ("sqs", {"Version": "2012-10-17", "Statement": [
        _deny(TARGETS["sqs"].arn, _through(NAMED_VPCES[0], "${aws:SourceVpce}"))]}),
    ("sns", {"Version": "2012-10-17", "Statement": [
        _deny(TARGETS["sns"].arn, _through(NAMED_VPCES[2], "${aws:PrincipalTag/team-vpce}"))]}),
    ("kms", {"Version": "2012-10-17", "Statement": [
        _deny("*", {"StringNotEqualsIgnoreCase": {"aws:SourceVpce": [NAMED_VPCES[0].upper()]}})]}),
    ("secretsmanager", {"Version": "2012-10-17", "Statement": [
        _deny("*", _through(NAMED_VPCES[0])),
        {"Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"}, "Action": "*",
         "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceVpce": [NAMED_VPCES[0]]}}}]}),
    ("sqs", {"Version": "2012-10-17", "Statement": [
        _deny(TARGETS["sqs"].arn, {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}),
        _deny(TARGETS["sqs"].arn, dict(_through(NAMED_VPCES[1]), Null={"aws:SourceVpce": "false"}))]}),
    ("s3", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:*",
         "Resource": [_BUCKET, _BUCKET + "/*"], "Condition": _through(NAMED_VPCES[0])}]}),
    ("sqs", {"Version": "2012-10-17", "Statement": [
        _deny(TARGETS["sqs"].arn, dict(_through(NAMED_VPCES[0]),
                                       StringNotEquals={"aws:SourceVpce": [NAMED_VPCES[0]],
                                                        "aws:PrincipalAccount": [ACCOUNT]}))]}),
    # An ELB access-log bucket (SPEC section 4: the ELB account an Allow grants by exact ID is excused), and the same
    # account granted by a user ARN, which is no exact-ID grant: its principals are ordinary outside callers.
    ("s3", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ELB_LOG_ACCOUNT}:root"}, "Action": "s3:PutObject",
         "Resource": _BUCKET + "/AWSLogs/*"},
        _deny([_BUCKET, _BUCKET + "/*"], {"StringNotEquals": {"aws:SourceVpce": [NAMED_VPCES[0]],
                                                               "aws:PrincipalAccount": [ELB_LOG_ACCOUNT]}})]}),
    ("s3", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ELB_LOG_ACCOUNT}:user/logs"},
         "Action": "s3:PutObject", "Resource": _BUCKET + "/AWSLogs/*"},
        _deny([_BUCKET, _BUCKET + "/*"], {"StringNotEquals": {"aws:SourceVpce": [NAMED_VPCES[0]],
                                                               "aws:PrincipalAccount": [ELB_LOG_ACCOUNT]}})]}),
]


def random_policies(seed: int, count: int) -> List[Tuple[str, dict]]:
    """The probes, then random (service, policy) pairs cycling over the services, ``count`` in all."""
    rng = random.Random(seed)
    probes = [(service, copy.deepcopy(policy)) for service, policy in PROBES[:count]]
    return probes + [(SERVICES[i % len(SERVICES)], random_policy(rng, SERVICES[i % len(SERVICES)]))
                     for i in range(count - len(probes))]


def as_stored(policy: dict, service: str) -> dict:
    """The policy as the service stores it: API Gateway writes ``execute-api:/...`` as the API's full ARN
    (API Gateway Developer Guide, "API Gateway resource policy examples")."""
    if service != "execute-api":
        return policy
    stored = copy.deepcopy(policy)
    for statement in stored["Statement"]:
        for element in ("Resource", "NotResource"):
            if element in statement:
                values = statement[element] if isinstance(statement[element], list) else [statement[element]]
                statement[element] = [TARGETS[service].arn + v[len("execute-api:"):]
                                      if v.startswith("execute-api:") else v for v in values]
    return stored
