"""Requests drawn at random without the engine (SPEC section 7): who is outside the perimeter and who is excused is
decided here, from the policy text and this module's own table of network keys, never by engine functions.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import random
import re
import string
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from tests.differential.policies import ACCOUNT, OTHER_ACCOUNT, REGION, TARGETS, TargetSpec
from tests.differential.simulator import ContextValue, SimRequest

# Which network keys a request carries (IAM User Guide, "AWS global condition context keys": aws:SourceVpce,
# aws:SourceVpc and aws:VpcSourceIp are present only on requests through a VPC endpoint; aws:SourceIp is the
# public address and is absent on requests through an endpoint).
NETWORK_KEYS: Dict[str, Dict[str, Tuple[str, ...]]] = {
    "endpoint": {"present": ("aws:SourceVpce", "aws:SourceVpc", "aws:VpcSourceIp"), "absent": ("aws:SourceIp",)},
    "public": {"present": ("aws:SourceIp",),
               "absent": ("aws:SourceVpce", "aws:SourceVpc", "aws:VpcSourceIp", "aws:SourceVpcArn",
                          "aws:VpceAccount", "aws:VpceOrgID", "aws:VpceOrgPaths")},
}
NETWORK_KEY_NAMES = {k.lower() for keys in NETWORK_KEYS.values() for group in keys.values() for k in group}
# Present only when an AWS service makes the request, or on forward-access requests (same page): a direct request
# by an IAM principal or an anonymous caller never carries them.
SERVICE_ONLY_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths",
                               "kms:viaservice", "aws:calledvia", "aws:calledviafirst", "aws:calledvialast"})
MULTIVALUED_KEYS = frozenset({"aws:principalorgpaths", "aws:tagkeys", "aws:vpceorgpaths",
                              "aws:principalservicenameslist"})
# Principals the perimeter excuses (SPEC section 4): service-linked roles and EC2's infrastructure role.
EXCUSED_PRINCIPAL_ARNS = (re.compile(r"^arn:aws:iam::\d{12}:role/aws-service-role/"),
                          re.compile(r"^arn:aws:iam::\d{12}:role/aws:ec2-infrastructure$"))
# The AWS-owned accounts that write Elastic Load Balancing access logs in Regions available before August 2022
# (Elastic Load Balancing User Guide, "Enable access logs for your Application Load Balancer", section "Attach a policy
# to your S3 bucket"). SPEC section 4 excuses their principals when an Allow names the account by exact ID: this
# module's own copy of that table, so that the test decides "excused" without the engine.
ELB_LOG_ACCOUNTS = frozenset({
    "098369216593", "754344448648", "582318560864", "600734575887", "383597477331", "718504428378", "114774131450",
    "783225319266", "589379963580", "985666609251", "638102146993", "037604701340", "054676820928", "897822967062",
    "635631232127", "156460612806", "652711504416", "009996457667", "076674570225", "507241528517", "127311923021",
    "033677994240", "190560391635", "048591011584", "027434742980", "797873946194"})
PERIMETER_KEYS = ("aws:sourcevpce", "aws:sourcevpc")
# Requests a REST API never receives, or only as part of another (Service Authorization Reference, "Actions,
# resources, and condition keys for Amazon API Gateway"; API Gateway Developer Guide, "Control access to a REST API
# with API Gateway resource policies" and "Cache settings for REST APIs in API Gateway"): ManageConnections is the
# WebSocket @connections route, never a REST API's method; InvalidateCache is a Cache-Control: max-age=0 header on
# a method request, which is an Invoke of that method. An InvalidateCache draw is sent with its Invoke (CARRIED_BY).
NOT_RECEIVED = {"execute-api": frozenset({"execute-api:manageconnections"})}
CARRIED_BY = {"execute-api:invalidatecache": "execute-api:Invoke"}
VERBS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
_VARIABLE = re.compile(r"\$\{([A-Za-z0-9-]+:[^}]+)\}")


@dataclass
class PolicyCondition:
    effect: str
    operator: str  # as written
    key: str  # lowercase
    values: List[str]


def _listed(value: object) -> List[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def conditions_of(policy: dict) -> List[PolicyCondition]:
    """Every (operator, key, values) of every statement, keys lowercased (IAM key names are case-insensitive)."""
    out = []
    for statement in policy["Statement"]:
        for operator, entries in (statement.get("Condition") or {}).items():
            for key, values in entries.items():
                out.append(PolicyCondition(statement["Effect"], operator, key.lower(), _listed(values)))
    return out


def _base_operator(operator: str) -> str:
    base = operator.split(":", 1)[-1].lower()
    return base[: -len("ifexists")] if base.endswith("ifexists") else base


def is_literal(value: str) -> bool:
    return not any(c in value for c in "*?") and "${" not in value


def allowed_origins(policy: dict) -> Dict[str, List[Tuple[str, bool]]]:
    """The values a Deny names literally under a negated condition on aws:SourceVpce or aws:SourceVpc: requests
    through them are inside the perimeter. Each as (value, compared ignoring case)."""
    found: Dict[str, List[Tuple[str, bool]]] = {key: [] for key in PERIMETER_KEYS}
    for condition in conditions_of(policy):
        base = _base_operator(condition.operator)
        if condition.effect != "Deny" or condition.key not in found:
            continue
        if base in ("stringnotequals", "stringnotequalsignorecase", "stringnotlike"):
            ignore_case = base.endswith("ignorecase")
            found[condition.key].extend((v, ignore_case) for v in condition.values if is_literal(v))
    return found


def is_inside(origins: Dict[str, List[Tuple[str, bool]]], context: Dict[str, ContextValue]) -> bool:
    """A request through an endpoint or VPC the policy names as an allowed origin."""
    for key in PERIMETER_KEYS:
        written = next((k for k in context if k.lower() == key), None)
        if written is None:
            continue
        value = str(context[written])
        for named, ignore_case in origins[key]:
            if value == named or (ignore_case and value.lower() == named.lower()):
                return True
    return False


def is_excused_principal(principal_arn: Optional[str]) -> bool:
    return bool(principal_arn) and any(p.match(principal_arn or "") for p in EXCUSED_PRINCIPAL_ARNS)


def excused_log_accounts(policy: dict) -> frozenset:
    """ELB access-log accounts an Allow's Principal names by exact ID (bare, or as the account's root ARN): their
    principals' requests are excused, like service principals' (SPEC section 4)."""
    found = set()
    for statement in policy["Statement"]:
        principal = statement.get("Principal")
        if statement.get("Effect") != "Allow" or not isinstance(principal, dict):
            continue
        for value in _listed(principal.get("AWS")):
            match = re.fullmatch(r"(?:arn:aws(?:-cn|-us-gov)?:iam::)?(\d{12})(?::root)?", value)
            if match and match.group(1) in ELB_LOG_ACCOUNTS and (value.isdigit() or value.endswith(":root")):
                found.add(match.group(1))
    return frozenset(found - {ACCOUNT})


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _word(rng: random.Random, low: int = 1, high: int = 8) -> str:
    return "".join(rng.choice(string.ascii_lowercase + string.digits + "-_") for _ in range(rng.randint(low, high)))


def _fill(rng: random.Random, pattern: str, alphabet: str = string.ascii_lowercase) -> str:
    """A value matching a wildcard pattern: each ``*`` becomes a random (maybe empty) run, each ``?`` one char."""
    out = []
    for char in pattern:
        if char == "*":
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4))))
        else:
            out.append(rng.choice(alphabet) if char == "?" else char)
    return "".join(out)


def _glob(pattern: str, text: str) -> bool:
    return re.fullmatch("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
                        text, re.DOTALL) is not None


def admitted_by_pattern(policy: dict, key: str, value: str) -> bool:
    """A Deny's negated condition on ``key`` names a wildcard pattern (or literal) that ``value`` matches: the
    request gets in through that value of its own, whatever the other perimeter key says."""
    return any(c.effect == "Deny" and c.key == key.lower() and _base_operator(c.operator).startswith("stringnot")
               and any("${" not in v and _glob(v.lower() if "ignorecase" in c.operator.lower() else v,
                                                value.lower() if "ignorecase" in c.operator.lower() else value)
                       for v in c.values)
               for c in conditions_of(policy))


def random_public_ip(rng: random.Random) -> str:
    while True:
        address = ipaddress.ip_address(rng.getrandbits(32))
        if address.is_global and not address.is_multicast:
            return str(address)


def random_private_ip(rng: random.Random) -> str:
    network = ipaddress.ip_network(rng.choice(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]))
    return str(network[rng.randrange(1, network.num_addresses - 1)])


def _host_in(rng: random.Random, cidr: str) -> Optional[str]:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    return str(network[rng.randrange(0, network.num_addresses)]) if network.num_addresses > 1 else str(network[0])


@dataclass
class Caller:
    """Who makes a sampled request: ``arn`` None is an anonymous caller."""

    arn: Optional[str]
    principal_arn: Optional[str] = None  # aws:PrincipalArn (the role behind a session)
    account: Optional[str] = None
    kind: str = "anonymous"  # anonymous | user | session | root


def _caller_for(rng: random.Random, arn: str) -> Optional[Caller]:
    """A caller the policy text names: a user, a session of a named role, or a principal of a named account."""
    arn = _fill(rng, arn) if not is_literal(arn) else arn
    if re.fullmatch(r"\d{12}", arn):
        arn = f"arn:aws:iam::{arn}:root"
    match = re.match(r"^arn:aws:(iam|sts)::(\d{12}):(.*)$", arn)
    if not match:
        return None
    account, rest = match.group(2), match.group(3)
    if rest == "root":
        if rng.random() < 0.3:
            return Caller(arn=arn, principal_arn=arn, account=account, kind="root")
        user = f"arn:aws:iam::{account}:user/{_word(rng, 3)}"
        return Caller(arn=user, principal_arn=user, account=account, kind="user")
    if rest.startswith("role/"):
        name = rest.split("/")[-1] or "r"
        return Caller(arn=f"arn:aws:sts::{account}:assumed-role/{name}/{_word(rng, 3)}",
                      principal_arn=f"arn:aws:iam::{account}:{rest}", account=account, kind="session")
    if rest.startswith("assumed-role/"):
        role = rest.split("/")[1]
        return Caller(arn=f"arn:aws:sts::{account}:{rest}", principal_arn=f"arn:aws:iam::{account}:role/{role}",
                      account=account, kind="session")
    if rest.startswith("user/"):
        return Caller(arn=f"arn:aws:iam::{account}:{rest}", principal_arn=f"arn:aws:iam::{account}:{rest}",
                      account=account, kind="user")
    return None


@dataclass
class Sampled:
    request: SimRequest
    network: str
    caller: Caller
    notes: Dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        who = self.caller.arn or "anonymous"
        keys = ", ".join(f"{k}={v}" for k, v in sorted(self.request.context.items()))
        return f"{self.request.action} on {self.request.resource} by {who} ({self.network}) with {keys}"


class Sampler:
    """Draws requests for one policy and target from the simulator's action database and the policy text."""

    def __init__(self, rng: random.Random, service: str, policy: dict, stored_policy: dict,
                 actions: Sequence[dict]):
        self.rng = rng
        self.target: TargetSpec = TARGETS[service]
        self.policy = policy
        self.stored_policy = stored_policy
        self.conditions = conditions_of(policy)
        self.origins = allowed_origins(policy)
        self.log_accounts = excused_log_accounts(policy)
        self.actions = [(f"{service}:{a['name']}", [t["key"] for t in a["resourceTypes"]
                                                     if t["key"] in self.target.resource_types])
                        for a in actions if not a["wildcardOnly"]]
        self.actions = [(name, types) for name, types in self.actions
                        if types and name.lower() not in NOT_RECEIVED.get(service, ())]
        text = repr(policy)
        self.variables = sorted({v.lower() for v in _VARIABLE.findall(text)})
        self.named_callers = self._named_principals()
        self.action_patterns = [p.lower() for s in policy["Statement"]
                                for p in _listed(s.get("Action")) + _listed(s.get("NotAction"))]
        self.resource_patterns = [p for s in policy["Statement"]
                                  for p in _listed(s.get("Resource")) + _listed(s.get("NotResource"))]

    # -- the parts of a request --------------------------------------------------------------------------
    def _named_principals(self) -> List[str]:
        named = []
        for statement in self.policy["Statement"]:
            for element in ("Principal", "NotPrincipal"):
                value = statement.get(element)
                if isinstance(value, dict):
                    named.extend(v for v in _listed(value.get("AWS")) if v != "*")
        for condition in self.conditions:
            if condition.key in ("aws:principalarn", "aws:principalaccount"):
                named.extend(v for v in condition.values if "${" not in v)
        return named

    def action(self) -> Tuple[str, List[str]]:
        if self.action_patterns and self.rng.random() < 0.25:
            pattern = self.rng.choice(self.action_patterns)
            matching = [a for a in self.actions if fnmatch.fnmatchcase(a[0].lower(), pattern)]
            if matching:
                return self.rng.choice(matching)
        return self.rng.choice(self.actions)

    def _object_key(self) -> str:
        rng = self.rng
        prefix = self.target.arn + "/"
        literal_parts = []
        for pattern in self.resource_patterns:
            if pattern.startswith(prefix):
                tail = pattern[len(prefix):]
                literal_parts.extend(part for part in re.split(r"[*?]", tail) if part)
        roll = rng.random()
        if roll < 0.2:
            return rng.choice(["reports/q1.csv", "a", "key", "akey", "any-key", "public/index.html", "x/y/z",
                               "logs/2024/01/01/app.log", "データ/ü.txt", "with space.txt", "a/b*c?d"])
        if roll < 0.5 and literal_parts:
            part = rng.choice(literal_parts)
            return rng.choice([part + _word(rng, 0, 6), _word(rng, 0, 6) + part,
                               _word(rng, 1, 4) + "/" + part, part])
        return "/".join(_word(rng) for _ in range(rng.randint(1, 3)))

    def _api_method(self) -> str:
        rng = self.rng
        stages = ["prod", "dev", "test", "v1", _word(rng, 1, 6)]
        # A method ARN always has a path part (the simulator's ARN pattern for execute-api-general needs one).
        paths = ["orders", "admin/users", "health", "a/b/c", "reports/q1.csv", _word(rng, 1, 8)]
        prefix = "execute-api:/"
        for pattern in self.resource_patterns:
            if pattern.startswith(prefix):
                parts = pattern[len(prefix):].split("/")
                if parts and is_literal(parts[0]) and parts[0]:
                    stages.append(parts[0])
                path = _fill(rng, "/".join(parts[2:])) if len(parts) > 2 else ""
                if path.strip("/"):
                    paths.append(path.strip("/"))
        return f"{rng.choice(stages)}/{rng.choice(VERBS)}/{rng.choice(paths)}"

    def resource(self, types: List[str]) -> str:
        kind = self.rng.choice(types)
        if kind == "object":
            return f"{self.target.arn}/{self._object_key()}"
        if kind == "execute-api-general":
            return f"{self.target.arn}/{self._api_method()}"
        return self.target.arn

    def caller(self) -> Caller:
        rng = self.rng
        roll = rng.random()
        if roll < 0.2 and self.named_callers:
            named = _caller_for(rng, rng.choice(self.named_callers))
            if named:
                return named
        if roll < 0.45:
            user = f"arn:aws:iam::{ACCOUNT}:user/{_word(rng, 3)}"
            return Caller(arn=user, principal_arn=user, account=ACCOUNT, kind="user")
        if roll < 0.7:
            return self.session(ACCOUNT)
        if roll < 0.85:
            account = rng.choice([OTHER_ACCOUNT, "".join(rng.choice(string.digits) for _ in range(12))])
            if rng.random() < 0.5:
                return self.session(account)
            user = f"arn:aws:iam::{account}:user/{_word(rng, 3)}"
            return Caller(arn=user, principal_arn=user, account=account, kind="user")
        return Caller(arn=None)

    def session(self, account: str, role: Optional[str] = None) -> Caller:
        role = role or _word(self.rng, 3)
        return Caller(arn=f"arn:aws:sts::{account}:assumed-role/{role}/{_word(self.rng, 3)}",
                      principal_arn=f"arn:aws:iam::{account}:role/{role}", account=account, kind="session")

    def _endpoint_id(self, key: str, prefix: str) -> str:
        rng = self.rng
        named = [v for c in self.conditions if c.key == key for v in c.values if "${" not in v]
        if named and rng.random() < 0.35:
            return _fill(rng, rng.choice(named), "0123456789abcdef").lower()  # IDs are lowercase hex
        return prefix + _hex(rng, 17 if rng.random() < 0.75 else 8)

    def _address_for(self, key: str, public: bool) -> str:
        cidrs = [v for c in self.conditions if c.key == key for v in c.values]
        if cidrs and self.rng.random() < 0.4:
            host = _host_in(self.rng, self.rng.choice(cidrs))
            if host and ipaddress.ip_address(host).is_global == public:
                return host
        return random_public_ip(self.rng) if public else random_private_ip(self.rng)

    def network(self, context: Dict[str, ContextValue], through: Optional[Dict[str, str]] = None) -> str:
        """Fill the network keys of ``context`` from this module's table; returns "public" or "endpoint"."""
        public = through is None and self.target.service != "execute-api" and self.rng.random() < 0.45
        if public:
            context["aws:SourceIp"] = self._address_for("aws:sourceip", public=True)
            return "public"
        context["aws:SourceVpce"] = self._endpoint_id("aws:sourcevpce", "vpce-")
        context["aws:SourceVpc"] = self._endpoint_id("aws:sourcevpc", "vpc-")
        context["aws:VpcSourceIp"] = self._address_for("aws:vpcsourceip", public=False)
        context.update(through or {})
        return "endpoint"

    def _other_value(self, key: str, context: Dict[str, ContextValue]) -> Optional[ContextValue]:
        rng = self.rng
        named = [v for c in self.conditions if c.key == key for v in c.values if "${" not in v]
        roll = rng.random()
        if roll < 0.3:
            return None
        if roll < 0.65 and named:
            value: ContextValue = _fill(rng, rng.choice(named))
        elif key in ("aws:securetransport",):
            value = rng.choice(["true", "false"])
        elif key == "aws:requestedregion":
            value = rng.choice([REGION, "eu-west-1"])
        else:
            value = _word(rng, 1, 10)
        if key in MULTIVALUED_KEYS:
            return [value] if rng.random() < 0.8 else [value, _word(rng)]
        return value

    def context(self, caller: Caller, context: Dict[str, ContextValue], tagged: bool = True) -> None:
        """Principal keys consistent with the caller, then every other key the policy tests: absent, a value the
        policy names, or a random one; a policy variable's key sometimes copies the request's endpoint."""
        context["aws:ViaAWSService"] = "false"
        context["aws:SecureTransport"] = self.rng.choice(["true", "false"])
        context["aws:RequestedRegion"] = REGION
        if caller.arn is not None:
            context["aws:PrincipalArn"] = caller.principal_arn or caller.arn
            context["aws:PrincipalAccount"] = caller.account or ACCOUNT
            context["aws:PrincipalIsAWSService"] = "false"
            context["aws:PrincipalType"] = {"session": "AssumedRole", "root": "Account"}.get(caller.kind, "User")
            context["aws:userid"] = "AROA" + _hex(self.rng, 16).upper() + ":s" if caller.kind == "session" else \
                "AIDA" + _hex(self.rng, 16).upper()
        present = {k.lower() for k in context}
        for key in sorted({c.key for c in self.conditions} | set(self.variables)):
            if key in present or key in NETWORK_KEY_NAMES or key in SERVICE_ONLY_KEYS:
                continue
            is_principal_key = key.startswith(("aws:principal", "aws:userid", "aws:username"))
            if is_principal_key and (caller.arn is None or (not tagged and key.startswith("aws:principaltag/"))):
                continue
            if key in self.variables and "aws:SourceVpce" in context and self.rng.random() < 0.4:
                value: Optional[ContextValue] = str(context["aws:SourceVpce"])
            else:
                value = self._other_value(key, context)
            if value is not None:
                context[key] = value

    # -- whole requests ----------------------------------------------------------------------------------
    def draw(self) -> Optional[Sampled]:
        """One request from outside the perimeter, or None when the draw was inside or excused."""
        action, types = self.action()
        caller = self.caller()
        if is_excused_principal(caller.principal_arn) or (caller.account in self.log_accounts):
            return None
        context: Dict[str, ContextValue] = {}
        network = self.network(context)
        if network == "endpoint" and is_inside(self.origins, context):
            return None
        self.context(caller, context)
        request = SimRequest(principal=caller.arn, action=action, resource=self.resource(types), account=ACCOUNT,
                             context=context, policy=self.stored_policy)
        return Sampled(request, network, caller)

    def outside(self, count: int) -> List[Sampled]:
        """``count`` requests from outside the perimeter (each non-excused)."""
        out: List[Sampled] = []
        attempts = 0
        while len(out) < count and attempts < count * 20:
            attempts += 1
            sampled = self.draw()
            if sampled is not None:
                out.append(sampled)
        return out

    def through(self, origin: Dict[str, str], count: int) -> Iterator[Sampled]:
        """Requests through one allowed origin by untagged sessions of this account's roles that the policy does
        not name (SPEC section 4, no lockout)."""
        text = repr(self.policy)
        for _ in range(count):
            action, types = self.action()
            role = "app-" + _word(self.rng, 4)
            while role in text:
                role = "app-" + _word(self.rng, 4)
            caller = self.session(ACCOUNT, role)
            context: Dict[str, ContextValue] = {}
            network = self.network(context, through=origin)
            # The other perimeter key takes a value that is no allowed origin of its own: a request through
            # a listed endpoint says nothing about whether the listed VPC is usable, and the reverse.
            tries = 0
            while any(admitted_by_pattern(self.policy, key, str(context[key]))
                      for key in ("aws:SourceVpce", "aws:SourceVpc") if key not in origin):
                tries += 1
                if tries > 50:  # every value of the other key gets in on its own (vpce-*): nothing to test
                    return
                network = self.network(context, through=origin)
            self.context(caller, context, tagged=False)
            yield Sampled(SimRequest(principal=caller.arn, action=action, resource=self.resource(types),
                                     account=ACCOUNT, context=context, policy=self.stored_policy), network, caller)
