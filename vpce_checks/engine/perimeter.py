"""The perimeter property (SPEC section 4): every request from outside the allowed origins matches some Deny.

The request space is finite once each dimension is cut into the classes the policy can tell apart: for every
condition key, its absence, each constant the policy names, one witness per pattern, CIDR or numeric boundary,
and one fresh value; for actions, every name the policy mentions, the service's known actions and one name AWS
may add later; for resources, R's ARN and (for S3) object ARNs; for principals, an anonymous caller and
principals of this account, of each account the policy names and of another account. The analysis searches
that space depth-first, one dimension at a time, dropping a Deny as soon as one of its tests fails: a branch
where no Deny is left is a counterexample, a branch where a Deny has passed every test is covered.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from itertools import product
from typing import Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple

from vpce_checks.engine.actions import actions_on
from vpce_checks.engine.conditions import MULTIVALUED_KEYS, RequestValue, condition_holds, in_cidr
from vpce_checks.engine.counterexample import Concretizer, concrete_request, describe
from vpce_checks.engine.evaluate import (
    Principal,
    Reading,
    Request,
    action_element_ok,
    element_failure,
    evaluate,
    principal_element_ok,
    resource_element_ok,
)
from vpce_checks.engine.log_delivery import (
    ELB_ACCOUNT_TOKEN,
    account_label,
    elb_account_for_region,
    excused_log_accounts,
)
from vpce_checks.engine.matching import action_matches, arn_matches, glob_match, has_wildcard, resource_matches, witness
from vpce_checks.engine.model import (
    THIS_ACCOUNT,
    THIS_REGION,
    Condition,
    Policy,
    references_in,
    substitute_variables,
    variables_in,
)
from vpce_checks.engine.services import (
    ENDPOINT_KEYS,
    OPTIONAL_ENDPOINT_KEYS,
    PERIMETER_KEYS,
    ServiceProfile,
    Target,
    is_misspelt_vpc_key,
    profile_for,
    settle_target,
)
from vpce_checks.engine.witnesses import (
    Shape,
    WitnessLimit,
    accepts,
    account_shape,
    any_text,
    api_route_shape,
    distinguishing_values,
    id_shape,
    index_shape,
    literal_pattern,
    preferred_first,
)

EC2_INFRASTRUCTURE = "arn:aws:iam::*:role/aws:ec2-infrastructure"
# Service-linked roles can be assumed only by their AWS service: excused like service principals (AWS's data
# perimeter examples exempt them; docs/semantics.md).
SERVICE_LINKED_ROLES = "arn:aws:iam::*:role/aws-service-role/*"
SERVICE_ONLY_KEYS = frozenset({
    "aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths", "aws:calledvia",
    "aws:calledviafirst", "aws:calledvialast", "aws:principalservicename", "aws:principalservicenameslist",
})
FUTURE_ACTION = "FutureActionNotYetReleased"
FRESH = {
    "aws:sourcevpce": "vpce-0f1e2d3c4b5a69788",
    "aws:sourcevpc": "vpc-0f1e2d3c4b5a69788",
    "aws:sourcevpcarn": "arn:aws:ec2:us-east-1:000000000000:vpc/vpc-0f1e2d3c4b5a69788",
    "aws:vpceaccount": "000000000000",
    "aws:vpceorgid": "o-0f1e2d3c4b",
    "aws:vpceorgpaths": "o-0f1e2d3c4b/r-0f1e/ou-0f1e-0f1e2d3c/",
    "aws:sourceip": "1.2.3.4",  # any public (globally routable) address
    "aws:vpcsourceip": "10.255.255.10",
}
GENERIC_FRESH = "value-not-in-policy"
TARGET = "target"  # the search dimension of (action, resource) pairs
# The verbs a REST API method can declare besides ANY (API Gateway's HttpMethod); a request names one of them.
HTTP_VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Per profile shape: the automaton of well-formed sub-resource keys, and readable keys to stand for their class.
_SUB_RESOURCE_SHAPES = {
    "text": (any_text, ("any-key", "reports/q1.csv", "data/object.bin", "x")),
    "route": (lambda: api_route_shape(HTTP_VERBS),
              tuple(f"{stage}/{verb}/{path}" for path in ("any-path", "") for stage in ("prod", "any-stage")
                    for verb in HTTP_VERBS)),
    "index": (index_shape, ("any-index",)),
}
PRINCIPAL_KEY_PREFIXES = ("aws:principal", "aws:userid", "aws:username", "aws:federatedprovider",
                          "aws:multifactorauth", "aws:tokenissuetime", "aws:sourceidentity", "aws:sourceaccount")
NETWORK_KEYS = ("aws:sourceip",) + ENDPOINT_KEYS + OPTIONAL_ENDPOINT_KEYS
ABSENT: RequestValue = None
OTHER_ACCOUNT = "000000000000"
ORIGIN_NAMES = {
    "aws:sourcevpce": "VPC endpoint", "aws:sourcevpc": "any endpoint in VPC",
    "aws:sourcevpcarn": "any endpoint in VPC", "aws:vpceaccount": "endpoints owned by account",
    "aws:vpceorgid": "endpoints owned by organization", "aws:vpceorgpaths": "endpoints under org path",
}


@dataclass(frozen=True)
class AnalysisOptions:
    """The settings that change a verdict (SPEC section 6)."""

    perimeter_keys: FrozenSet[str] = frozenset(PERIMETER_KEYS)
    accepted_exemptions: FrozenSet[str] = frozenset()
    allowed_source_cidrs: Tuple[str, ...] = ()
    max_steps: int = 500_000
    # Wall-clock bound of one search (coverage, or one origin's lockout search): past it the check fails closed
    # instead of holding up the scan. Steps alone are no time bound (a crafted policy took minutes per step bound).
    max_seconds: float = 5.0
    # Beyond these sizes the analysis fails closed at once instead of running for minutes: real resource
    # policies are far smaller (AWS caps their size in kilobytes).
    max_statements: int = 1_000
    max_patterns: int = 5_000


@dataclass
class Verdict:
    """The answer for one policy and one protected resource."""

    status: str  # "pass" | "fail" | "unresolved"
    reason: str
    counterexample: Optional[Request] = None
    network: str = ""
    why_not: List[str] = field(default_factory=list)  # per Deny statement, why it misses the counterexample
    allowed_origins: List[str] = field(default_factory=list)
    exemptions: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    description: str = ""  # the counterexample in words
    request: Dict[str, object] = field(default_factory=dict)  # the counterexample as data, with concrete values
    excused: List[str] = field(default_factory=list)  # principals a PASS excused beyond service principals, in words

    @property
    def passed(self) -> bool:
        return self.status == "pass"


class AnalysisLimit(Exception):
    """The search met its step bound: the check fails closed rather than hang."""


def new_budget(options: AnalysisOptions) -> List[float]:
    """The analysis budget of one resource: [steps left, monotonic deadline]; pass it to every analysis of that
    resource so that together they stay within ``options.max_seconds``."""
    return [options.max_steps, time.monotonic() + options.max_seconds]


def _ip_candidates(conditions: Sequence[Condition], fresh: str) -> List[str]:
    out = []
    for condition in conditions:
        for value in condition.values:
            try:
                network = ipaddress.ip_network(value.strip(), strict=False)
            except ValueError:
                out.append(value)
                continue
            out.append(str(network.network_address))
            outside = int(network.broadcast_address) + 1
            if outside < 2 ** network.max_prefixlen:
                out.append(str(ipaddress.ip_address(outside)))
            if network.network_address.packed[0] > 0:
                out.append(str(ipaddress.ip_address(int(network.network_address) - 1)))
    out.append(fresh)
    return out


def _is_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.is_global


# Keys whose values have a documented form: only well-formed values are ever in a request (SPEC section 4).
_KEY_SHAPES = {"aws:sourcevpce": lambda: id_shape("vpce-"), "aws:sourcevpc": lambda: id_shape("vpc-"),
               "aws:vpceaccount": account_shape}


def _string_classes(key: str, conditions: Sequence[Condition], deadline: Optional[float] = None) -> List[str]:
    """One value per class of the String conditions' values (exact, case-folded or glob), among the key's
    well-formed values: complete by construction, so no class is left to a lucky witness."""
    patterns: List[str] = []
    folds: List[bool] = []
    named: List[str] = []
    shaped = key in _KEY_SHAPES
    for condition in conditions:
        if condition.op.search != "string-classes":
            continue
        for value in condition.values:
            if references_in(value) or variables_in(value) and condition.variables:
                continue
            like = condition.op.wildcards
            fold = condition.op.ignore_case
            pattern = value if like else literal_pattern(value)
            if fold and shaped:  # the form allows lowercase only: matching without case is matching the lowercase
                pattern, fold = pattern.lower(), False
            patterns.append(pattern)
            folds.append(fold)
            if not like:
                named.append(value.lower() if shaped else value)
    if not patterns:
        return []
    shape = _KEY_SHAPES[key]() if shaped else any_text(1)
    preferred = [FRESH.get(key, GENERIC_FRESH)] + named
    try:
        found = distinguishing_values("", patterns, shape, preferred, ignore_case=folds, deadline=deadline,
                                      ordered=False)  # read through preferred_first
    except WitnessLimit as error:
        raise AnalysisLimit(str(error)) from error
    return preferred_first(found, preferred)


def _value_candidates(key: str, conditions: Sequence[Condition], deadline: Optional[float] = None) -> List[str]:
    """Every value of ``key`` the conditions can tell apart: one per class of the String values, constants,
    witnesses, boundaries, one fresh. Only values a request can carry: a Null or Bool test's "true" is no
    endpoint ID, and a malformed endpoint ID is never in a request."""
    if key in ("aws:sourceip", "aws:vpcsourceip"):
        return _ip_candidates(conditions, FRESH[key])
    out: List[str] = _string_classes(key, conditions, deadline)
    perimeter = key in PERIMETER_KEYS
    for condition in conditions:
        search = condition.op.search
        if search == "bool" and key in _KEY_SHAPES:
            continue
        for value in condition.values:
            tried = SEARCHES[search](key, value)
            if not tried:
                continue  # String classes come from _string_classes; Null's absence is tried on every key
            out.extend(tried)
            if not perimeter and value.upper() != value:
                out.append(value.upper())
    out.append(FRESH.get(key, GENERIC_FRESH))
    if key in _KEY_SHAPES:
        shape = _KEY_SHAPES[key]()
        out = [v for v in out if accepts(shape, v)]
    return out


def _arn_witnesses(key: str, value: str) -> List[str]:
    """An ARN pattern: the key's fresh value when the pattern matches it, else a witness; and the literal ARN."""
    fresh = FRESH.get(key, GENERIC_FRESH)
    return [fresh if glob_match(value, fresh) else witness(value)] + ([value] if not has_wildcard(value) else [])


def _numeric_boundaries(key: str, value: str) -> List[str]:
    """A numeric bound and a number on either side of it."""
    try:
        number = float(value)
    except ValueError:
        return [value]
    return [value, str(number - 1), str(number + 1)]


def _date_boundaries(key: str, value: str) -> List[str]:
    """A date bound (epoch seconds or ISO 8601) and a moment on either side of it."""
    try:
        number = float(value)
    except ValueError:
        return [value] + _date_neighbours(value)
    return [value, str(number - 1), str(number + 1)]


def _cidr_values(key: str, value: str) -> List[str]:
    """On the address keys every value's CIDR boundaries come from _ip_candidates; on another key an address
    operator's value is tried as written."""
    return [value]


# Which values the search tries for one policy value of a key, per operator's ``search`` (operators.OPERATORS):
# every search an operator can name is here, so no operator is evaluated without being searched.
SEARCHES: Dict[str, Callable[[str, str], List[str]]] = {
    "string-classes": lambda key, value: [],
    "null": lambda key, value: [],
    "arn-witnesses": _arn_witnesses,
    "numeric-boundaries": _numeric_boundaries,
    "date-boundaries": _date_boundaries,
    "bool": lambda key, value: [value, "true", "false"],
    "cidr-boundaries": _cidr_values,
    "literal": lambda key, value: [value],
}


def _date_neighbours(value: str) -> List[str]:
    """One second before and after an ISO 8601 date: the boundaries a Date operator tells apart."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return []
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return [(moment + timedelta(seconds=delta)).strftime("%Y-%m-%dT%H:%M:%SZ") for delta in (-1, 1)]


def _arn_witness(pattern: str) -> str:
    """A principal ARN the pattern matches, with a 12-digit account and readable names (not "arn:aws:iam::0:...")."""
    fields = pattern.split(":", 5)
    if len(fields) != 6:
        return witness(pattern, fill="x")
    if has_wildcard(fields[4]):
        fields[4] = next((a for a in (OTHER_ACCOUNT, "111122223333") if glob_match(fields[4], a)),
                         witness(fields[4], fill="0").rjust(12, "0")[:12])
    fields[5] = witness(fields[5], fill="x")
    return ":".join(witness(f, fill="x") if i < 4 else f for i, f in enumerate(fields))


def _components(keys: Sequence[str], links: Sequence[Tuple[str, str]]) -> List[Tuple[str, ...]]:
    """Keys grouped by the policy-variable links between them (each group sorted; singletons for the rest)."""
    parent = {key: key for key in keys}

    def root(key: str) -> str:
        while parent[key] != key:
            key = parent[key]
        return key

    for first, second in links:
        parent[root(first)] = root(second)
    groups: Dict[str, List[str]] = {}
    for key in keys:
        groups.setdefault(root(key), []).append(key)
    return sorted(tuple(sorted(group)) for group in groups.values())


def _variable_candidates(tested: Sequence[RequestValue], conditions: Sequence[Condition], key: str) -> List[str]:
    """Values of a key that a policy variable names: every value of the tested key it could make a value match
    (``vpce-${aws:PrincipalTag/suffix}`` against vpce-0a1b...: the suffix 0a1b...), and the tested values whole."""
    out = [v for v in tested if isinstance(v, str)]
    marker = "\0"
    for condition in conditions:
        for template in condition.values:
            filled = substitute_variables(template, lambda k: marker if k == key else None)
            if filled is None or filled.count(marker) != 1:
                continue
            before, after = filled.split(marker)
            for value in tested:
                if isinstance(value, str) and value.startswith(before) and value.endswith(after) and len(value) >= len(
                        before) + len(after):
                    out.append(value[len(before):len(value) - len(after)])
    return out


def _tuple_lookup(index: Dict[str, int], values: Sequence[RequestValue]):
    return lambda key: values[index[key]] if key in index else None


def _truth(condition: Condition, dim: str, domain: Sequence[object]) -> List[bool]:
    """A condition's truth over one dimension's values (a key's values, or tuples of keys tied by variables)."""
    if "|" not in dim:
        return [condition_holds(condition, value) for value in domain]  # type: ignore[arg-type]
    index = {key: i for i, key in enumerate(dim.split("|"))}
    return [condition_holds(condition, values[index[condition.key]], _tuple_lookup(index, values))  # type: ignore
            for values in domain]


def _dedupe(candidates: Sequence[RequestValue], conditions: Sequence[Condition]) -> List[RequestValue]:
    """One value per class: two values every condition treats alike are interchangeable."""
    seen, out = set(), []
    for value in candidates:
        signature = tuple(condition_holds(c, value) for c in conditions)
        if signature not in seen:
            seen.add(signature)
            out.append(value)
    return out


class RequestSpace:
    """The finite request space of SPEC section 4 for one policy and one resource (shared with the oracle)."""

    def __init__(self, policy: Policy, target: Target, options: AnalysisOptions = AnalysisOptions(),
                 budget: Optional[List[float]] = None):
        space_builds[0] += 1
        self.policy = policy
        # [steps left, deadline]: one per resource, shared by every search over it (coverage and each origin).
        self.budget = budget if budget is not None else new_budget(options)
        self.target = target
        self.options = options
        self.profile: ServiceProfile = profile_for(target.service)
        self.denies = policy.denies
        self.allowed_literals = self._allowed_literals()
        # (never R's own account: its own principals are what the perimeter is about)
        self.excused_log_accounts = excused_log_accounts(policy) - {target.account}
        self._targets()
        self.principals = self._principals()
        self.networks = ["public", "endpoint"] if self.profile.has_public_endpoint else ["endpoint"]
        exempt = set(options.accepted_exemptions)
        keys = set(policy.keys("Deny")) - exempt
        # A policy variable in a condition value ties the tested key to the key it names: both are dimensions,
        # searched together (one dimension of value pairs) so that a caller's tag can equal its endpoint ID.
        links = [(c.key, v) for s in self.denies for c in s.conditions if c.key not in exempt for v in c.variables]
        keys.update(v for _, v in links if v not in exempt)
        if options.allowed_source_cidrs:
            keys.add("aws:sourceip")  # public addresses in the allowed ranges are allowed origins
        self.keys = sorted(keys)
        self._candidates = {key: _value_candidates(key, self.policy.conditions(key, "Deny"), self.budget[1])
                            for key in self.keys}
        self.components = _components(self.keys, [(a, b) for a, b in links if a in keys and b in keys])
        self.dim_of = {key: "|".join(component) for component in self.components for key in component}
        for first, second in links:
            if first in keys and second in keys and first != second:
                naming = [c for c in policy.conditions(first, "Deny") if second in c.variables]
                self._candidates[second] = self._candidates[second] + _variable_candidates(
                    self._candidates[first], naming, second)
                self._candidates[first] = self._candidates[first] + [v for v in self._candidates[second]
                                                                     if isinstance(v, str)]
        # Shared by every search over this space (one per caller class and network, and per allowed origin):
        # value domains that do not depend on the caller, and truth tables of Deny elements over them.
        self._domains: Dict[Tuple[str, str], List[RequestValue]] = {}
        self._tables: Dict[Tuple[object, ...], List[bool]] = {}

    # -- origins -----------------------------------------------------------------------------------------
    def _allowed_literals(self) -> Dict[str, FrozenSet[str]]:
        """Values named without wildcard under a negated perimeter condition of a Deny: the allowed origins."""
        found: Dict[str, set] = {key: set() for key in PERIMETER_KEYS}
        for statement in self.denies:
            for condition in statement.conditions:
                if condition.key in self.options.perimeter_keys and condition.negated:
                    fold = condition.op.ignore_case and condition.key in _KEY_SHAPES
                    # Under IgnoreCase, "VPCE-0A1B..." admits the real, lowercase endpoint ID.
                    found[condition.key].update(v.lower() if fold else v for v in condition.values
                                                if not has_wildcard(v) and not variables_in(v))
        return {key: frozenset(values) for key, values in found.items()}

    def allowed_origin_descriptions_for(self, key: str, value: str) -> str:
        return f"{ORIGIN_NAMES[key]} {value}"

    def allowed_origin_descriptions(self) -> List[str]:
        out = [self.allowed_origin_descriptions_for(key, value)
               for key in PERIMETER_KEYS for value in sorted(self.allowed_literals[key])]
        out.extend(f"public addresses in {cidr}" for cidr in self.options.allowed_source_cidrs)
        return out

    # -- actions and resources ---------------------------------------------------------------------------
    def _action_patterns(self) -> List[str]:
        return [p for p in self.policy.action_patterns("Deny") if not self._unknown(p)]

    def _known_actions(self, resource_type: Optional[str]) -> List[str]:
        """The actions that take a resource of this type, the profile's telling ones first (they make the best
        counterexamples); the profile's list alone when the action database has no entry."""
        listed = actions_on(self.profile.prefix, resource_type) if resource_type else ()
        if not listed:
            return list(self.profile.known_actions)
        lowered = {a.lower() for a in listed}
        first = [a for a in self.profile.known_actions if a.lower() in lowered]
        return first + [a for a in listed if a not in first]

    def _unknown_actions(self, patterns: Sequence[str]) -> List[str]:
        """Action names AWS may add later: one per class of the policy's action patterns that such a name can fall
        into (only a wildcard covers them; ``s3:Get*`` covers a future s3:GetX, not a future s3:PutX)."""
        if self.profile.actions_closed:
            return []
        prefix = self.profile.prefix + ":"
        shape = Shape().repeat(frozenset(_LETTERS), 1, None).done()
        preferred = [FUTURE_ACTION, "Get" + FUTURE_ACTION, "Put" + FUTURE_ACTION, "List" + FUTURE_ACTION]
        try:
            found = distinguishing_values(prefix, patterns, shape, preferred, ignore_case=True,
                                          deadline=self.budget[1])
        except WitnessLimit as error:
            raise AnalysisLimit(str(error)) from error
        return [prefix + v for v in preferred_first(found, preferred)]

    def _targets(self) -> None:
        """The (action, resource) pairs of the space, one per class the Deny statements can tell apart: known
        actions only with resources of a type they apply to; unknown actions (hypothetical) with every resource."""
        resources = self._resources()
        patterns = self._action_patterns()
        off_perimeter = {a.lower() for a in self.profile.off_perimeter_actions}
        resource_signature = {r: tuple(resource_element_ok(s, r) for s in self.denies) for r, _ in resources}
        known_names: set = set()
        by_type: Dict[Optional[str], List[str]] = {}
        for _, resource_type in resources:
            if resource_type not in by_type:
                by_type[resource_type] = [a for a in self._known_actions(resource_type)
                                          if a.lower() not in off_perimeter]
                known_names.update(a.lower() for a in by_type[resource_type])
        unknown = [a for a in self._unknown_actions(patterns)
                   if a.lower() not in known_names and a.lower() not in off_perimeter]
        self.known_targets: List[Tuple[str, str]] = []
        self.hypothetical_targets: List[Tuple[str, str]] = []
        seen = set()
        for bucket, candidates in ((self.known_targets, lambda t: by_type[t]), (self.hypothetical_targets,
                                                                                 lambda t: unknown)):
            for resource, resource_type in resources:
                for action in candidates(resource_type):
                    signature = (tuple(action_matches(p, action) for p in patterns), resource_signature[resource])
                    if signature not in seen:
                        seen.add(signature)
                        bucket.append((action, resource))
        self.hypothetical_actions = frozenset(a for a, _ in self.hypothetical_targets)

    def _unknown(self, pattern: str) -> bool:
        """A pattern holding an unresolved reference other than R's own name: the Reading decides what it covers,
        so the witness search leaves it out (R's own name is known: it is the name in R's ARN)."""
        own = references_in(self.target.name)
        return any(ref not in own for ref in references_in(pattern))

    @property
    def actions(self) -> List[str]:
        """Every action of the space (known ones first)."""
        return list(dict.fromkeys(a for a, _ in self.known_targets + self.hypothetical_targets))

    @property
    def resources(self) -> List[str]:
        return list(dict.fromkeys(r for _, r in self.known_targets + self.hypothetical_targets))

    def _resources(self) -> List[Tuple[str, Optional[str]]]:
        """R's ARN (when requests name it) and its sub-resources: the declared routes, or one well-formed key per
        class of the Deny statements' Resource and NotResource patterns (complete by construction)."""
        arn = self.profile.resource_arn(self.target)
        out: List[Tuple[str, Optional[str]]] = []
        if self.profile.sub_resource:
            prefix = self.profile.sub_resource.format(arn=arn, key="")
            patterns = list(dict.fromkeys(p for p in self.policy.resource_patterns("Deny") if not self._unknown(p)))
            shape, preferred = _SUB_RESOURCE_SHAPES[self.profile.sub_resource_shape]
            keys = []
            try:
                if self.target.routes:
                    # Declared routes: every well-formed request of each route ("*/POST/refunds": any stage), one
                    # per class of the Deny patterns.
                    for route in self.target.routes:
                        found = distinguishing_values(prefix, patterns + [prefix + route], shape(),
                                                      [route.replace("*", "prod")] + list(preferred),
                                                      deadline=self.budget[1])
                        keys.extend(v for signature, v in found.items() if signature[-1] and v not in keys)
                else:
                    keys = preferred_first(distinguishing_values(prefix, patterns, shape(), preferred,
                                                                 deadline=self.budget[1]), preferred)
            except WitnessLimit as error:
                raise AnalysisLimit(str(error)) from error
            # Sub-resources first: they make the most telling counterexamples.
            out.extend((prefix + key, self.profile.sub_resource_type) for key in keys)
        if self.profile.whole_resource_requested:
            out.append((arn, self.profile.resource_type))
        return out

    # -- principals --------------------------------------------------------------------------------------
    def _principals(self) -> List[Principal]:
        accounts: List[str] = []
        arns: List[str] = []

        def account_of_arn(text: str) -> Optional[str]:
            # the tokens hold colons
            parts = text.replace(THIS_ACCOUNT, "\0").replace(ELB_ACCOUNT_TOKEN, "\1").split(":", 5)
            if len(parts) != 6 or not parts[4]:
                return None
            return parts[4].replace("\0", THIS_ACCOUNT).replace("\1", ELB_ACCOUNT_TOKEN)

        for statement in self.denies:
            for element in (statement.principal, statement.not_principal):
                if element is None:
                    continue
                for value in element.aws:
                    if value == "*" or references_in(value):
                        continue
                    if value.isdigit():
                        accounts.append(value)
                    elif value.startswith("arn:"):
                        account = account_of_arn(value)
                        if account:
                            accounts.append(account)
                        if not value.endswith(":root"):
                            arns.append(value)
            for condition in statement.conditions:
                if condition.key == "aws:principalaccount":
                    accounts.extend(v for v in condition.values if not has_wildcard(v))
                if condition.key == "aws:principalarn":
                    for value in condition.values:
                        text = _arn_witness(value)
                        arns.append(text)
                        account = account_of_arn(text)
                        if account:
                            accounts.append(account)
        fresh_other = OTHER_ACCOUNT
        while fresh_other in accounts:
            fresh_other = str(int(fresh_other) + 1).zfill(12)
        own = self.target.account
        ordered_accounts = [own] + [a for a in dict.fromkeys(accounts) if a != own] + [fresh_other]

        def describe(account: str) -> str:
            if account == own:
                return "a principal of this account"
            if account == fresh_other:
                return "a principal of another account"
            return f"a principal of account {account}"

        out = []
        for account in ordered_accounts:
            out.append(Principal(kind="iam", account=account, arn=f"arn:aws:iam::{account}:user/any-user",
                                 label=describe(account)))
            role = f"arn:aws:iam::{account}:role/any-role"
            out.append(Principal(kind="iam", account=account, role_arn=role,
                                 arn=f"arn:aws:sts::{account}:assumed-role/any-role/any-session",
                                 label=describe(account) + " (a role session)"))
        out.insert(2, Principal(kind="anonymous", label="an anonymous caller"))
        for arn in dict.fromkeys(arns):
            account = account_of_arn(arn) or fresh_other
            if ":role/" in arn:
                name = arn.split(":role/", 1)[1].split("/")[-1]
                out.append(Principal(kind="iam", account=account, role_arn=arn,
                                     arn=f"arn:aws:sts::{account}:assumed-role/{name}/any-session",
                                     label=f"a session of role {arn}"))
            elif ":assumed-role/" in arn:
                parts = arn.split(":assumed-role/", 1)[1].split("/")
                role = f"arn:aws:iam::{account}:role/{parts[0]}"
                out.append(Principal(kind="iam", account=account, role_arn=role, arn=arn,
                                     label=f"the session {arn}"))
            else:
                out.append(Principal(kind="iam", account=account, arn=arn, label=f"the principal {arn}"))
        excused = (EC2_INFRASTRUCTURE, SERVICE_LINKED_ROLES)
        # Principals of the ELB access-log accounts an Allow grants by exact account ID are excused (SPEC section
        # 4; docs/semantics.md): the space holds none of them.
        log_accounts = self.excused_log_accounts
        return [p for p in out
                if not (p.principal_arn and any(arn_matches(pattern, p.principal_arn) for pattern in excused))
                and not (p.kind == "iam" and p.account in log_accounts)]

    # -- key domains -------------------------------------------------------------------------------------
    def domain(self, key: str, principal: Principal, network: str) -> List[RequestValue]:
        """The values ``key`` can take for this caller on this network (non-excused requests only)."""
        conditions = self.policy.conditions(key, "Deny")
        fixed = self._fixed(key, principal, network)
        if fixed is not _FREE:
            return [fixed]
        cached = self._domains.get((key, network))
        if cached is not None:
            return cached
        candidates: List[RequestValue] = list(self._candidates[key])
        may_be_absent = True
        if key in NETWORK_KEYS:
            candidates, may_be_absent = self._network_values(key, network, candidates)
        if key in MULTIVALUED_KEYS:
            singles = [c for c in candidates if isinstance(c, str)]
            sets: List[RequestValue] = [()] + [(v,) for v in singles]
            if len(singles) > 1:
                sets.append((singles[0], singles[-1]))
            candidates = sets
        values = _dedupe(candidates, conditions)
        # Present values first: counterexamples read better with a value than with a missing key.
        values = values + ([ABSENT] if may_be_absent else [])
        self._domains[(key, network)] = values
        return values

    def _network_values(self, key: str, network: str, candidates: List[RequestValue]):
        if network == "public":
            if key != "aws:sourceip":
                return [], True
            public = [c for c in candidates if isinstance(c, str) and _is_public(c)]
            public = [c for c in public if not any(in_cidr(c, cidr) for cidr in self.options.allowed_source_cidrs)]
            return public or [], False
        if key == "aws:sourceip":
            return [], True
        allowed = self.allowed_literals.get(key, frozenset())
        values = [c for c in candidates if c not in allowed]
        if key in ENDPOINT_KEYS:
            return values, False
        populates = self.profile.populates
        if populates is not None and key not in populates:
            return [], True
        may_be_absent = populates is None or key in ("aws:vpceorgid", "aws:vpceorgpaths")
        return values, may_be_absent

    def _fixed(self, key: str, principal: Principal, network: str) -> object:
        if is_misspelt_vpc_key(key):
            return ABSENT  # AWS never sets it
        if key == "aws:viaawsservice":
            return "false"
        # Keys only AWS service principals or forward-access requests carry (docs/semantics.md): the space holds
        # neither (both are excused), so a request of the space never carries them.
        if key in SERVICE_ONLY_KEYS or key.endswith(":viaservice"):
            return ABSENT
        if key.startswith(PRINCIPAL_KEY_PREFIXES):
            if principal.kind == "anonymous":
                return ABSENT
            if key == "aws:principalarn":
                return principal.principal_arn
            if key == "aws:principalaccount":
                return principal.account
            if key == "aws:principalisawsservice":
                return "false"
            if key == "aws:principaltype":
                return "AssumedRole" if principal.role_arn else "User"
        return _FREE

    def dimensions(self, principal: Principal, network: str, hypothetical: Optional[bool] = False) -> Dict[str, list]:
        """The search's dimensions: "target" ((action, resource) pairs; ``hypothetical`` True for the actions AWS
        may add later, None for both) and one per condition key, or per group of keys tied by policy variables
        ("k1|k2", whose values are tuples in the group's key order)."""
        targets = (self.known_targets if hypothetical is False else self.hypothetical_targets if hypothetical
                   else self.known_targets + self.hypothetical_targets)
        dims: Dict[str, list] = {TARGET: list(targets)}
        for component in self.components:
            if len(component) == 1:
                dims[component[0]] = self.domain(component[0], principal, network)
            else:
                dims["|".join(component)] = self._joint_domain(component, principal, network)
        return dims

    def _joint_domain(self, component: Tuple[str, ...], principal: Principal, network: str) -> list:
        """Value tuples of keys tied by policy variables, one per class the conditions on them tell apart."""
        domains = [self.domain(key, principal, network) for key in component]
        cache_key = (component, tuple(tuple(d) for d in domains))
        cached = self._domains.get(cache_key)  # type: ignore[arg-type]
        if cached is not None:
            return cached
        conditions = [c for key in component for c in self.policy.conditions(key, "Deny")]
        index = {key: i for i, key in enumerate(component)}
        seen, out = set(), []
        for values in product(*domains):
            lookup = _tuple_lookup(index, values)
            signature = tuple(condition_holds(c, values[index[c.key]], lookup) for c in conditions)
            if signature not in seen:
                seen.add(signature)
                out.append(values)
            if len(out) > 5_000:
                raise AnalysisLimit("too many combinations of keys tied by policy variables")
        self._domains[cache_key] = out  # type: ignore[index]
        return out

    def request(self, principal: Principal, network: str, assignment: Dict[str, RequestValue]) -> Request:
        """A concrete request: the assignment, plus the keys the caller and network fix, plus defaults."""
        context: Dict[str, RequestValue] = {}
        if principal.kind == "iam":
            context["aws:principalarn"] = principal.principal_arn
            context["aws:principalaccount"] = principal.account
            context["aws:principalisawsservice"] = "false"
        context["aws:viaawsservice"] = "false"
        if network == "public":
            context["aws:sourceip"] = FRESH["aws:sourceip"]
        else:
            for key in ENDPOINT_KEYS:
                context[key] = FRESH[key]
        for dim, value in assignment.items():
            if dim == TARGET:
                continue
            pairs = zip(dim.split("|"), value) if "|" in dim else ((dim, value),)
            for key, one in pairs:
                if one is ABSENT:
                    context.pop(key, None)
                else:
                    context[key] = one
        action, resource = assignment[TARGET]
        return Request(action=str(action), resource=str(resource), principal=principal, context=context)


_FREE = object()



class _Search:
    """Depth-first search for a request no Deny matches, over one caller and one network."""

    def __init__(self, space: RequestSpace, principal: Principal, network: str, weak: Optional[Reading],
                 budget: List[int], hypothetical: Optional[bool] = False):
        self.dims = space.dimensions(principal, network, hypothetical)
        self.budget = budget
        exempt = space.options.accepted_exemptions
        cache = space._tables
        # For each live Deny: {dimension: [truth per value index]}.
        self.denies: List[Dict[str, List[bool]]] = []
        for statement in space.denies:
            if not principal_element_ok(statement, principal, weak):
                continue
            key = (TARGET, statement.index, weak, hypothetical)
            targets = cache.get(key)
            if targets is None:
                targets = cache[key] = [action_element_ok(statement, a, weak)
                                        and resource_element_ok(statement, r, weak) for a, r in self.dims[TARGET]]
            tables: Dict[str, List[bool]] = {TARGET: targets}
            for position, condition in enumerate(statement.conditions):
                if condition.key in exempt:
                    continue
                dim = space.dim_of[condition.key]
                domain = self.dims[dim]
                truth_key = ("condition", statement.index, position, tuple(domain))
                truth = cache.get(truth_key)
                if truth is None:
                    truth = cache[truth_key] = _truth(condition, dim, domain)
                if dim in tables:
                    truth = [a and b for a, b in zip(tables[dim], truth)]
                tables[dim] = truth
            self.denies.append(tables)

    def signature(self) -> Tuple[object, ...]:
        """The search's answer depends only on the live Denies' truth tables and the size of each dimension: callers
        skip a search whose twin found nothing. (By content: a table's identity is no key, a freed list's id is
        reused.)"""
        return tuple(tuple(sorted((dim, tuple(truth)) for dim, truth in tables.items())) for tables in self.denies) + (
            tuple((dim, len(values)) for dim, values in self.dims.items()),)

    def run(self) -> Optional[Dict[str, RequestValue]]:
        return self._walk({}, [(tables, frozenset(tables)) for tables in self.denies])

    def _walk(self, chosen: Dict[str, int], live: List[Tuple[Dict[str, List[bool]], FrozenSet[str]]]):
        self.budget[0] -= 1
        if self.budget[0] < 0 or (self.budget[0] & 255 == 0 and time.monotonic() > self.budget[1]):
            raise AnalysisLimit()
        if any(not remaining for _, remaining in live):
            return None
        if not live:
            return {dim: self.dims[dim][index] for dim, index in chosen.items()}
        counts: Dict[str, int] = {}
        for _, remaining in live:
            for dim in remaining:
                counts[dim] = counts.get(dim, 0) + 1
        # ties broken by name: a frozenset's order follows string hashing, which changes per process, and the
        # counterexample shown must not
        dim = max(counts, key=lambda d: (counts[d], -len(self.dims[d]), d))
        for index in range(len(self.dims[dim])):
            next_live = [(tables, remaining - {dim}) for tables, remaining in live
                         if dim not in remaining or tables[dim][index]]
            found = self._walk({**chosen, dim: index}, next_live)
            if found is not None:
                return found
        return None


def _complete(dims: Dict[str, list], partial: Dict[str, object]) -> Dict[str, object]:
    """A whole assignment from the search's partial one: a dimension no live Deny tested takes its first value, or
    absence where that is possible (it matters to no Deny)."""
    full = {}
    for dim, values in dims.items():
        if dim in partial:
            full[dim] = partial[dim]
        elif values:
            absent = tuple(ABSENT for _ in dim.split("|")) if "|" in dim else ABSENT
            full[dim] = values[0] if dim == TARGET or absent not in values else absent
    return full


def find_counterexample(space: RequestSpace, weak: Optional[Reading] = None) -> Optional[Tuple[Request, str]]:
    """The first non-excused request from outside the allowed origins that no Deny matches, if any."""
    budget = space.budget
    exhausted = set()
    # Known actions first: a counterexample names an action AWS may add later only when no known action is one.
    for hypothetical in (False, True):
        for network in space.networks:
            for principal in space.principals:
                search = _Search(space, principal, network, weak, budget, hypothetical)
                if any(not values for values in search.dims.values()):
                    continue  # this caller cannot reach the resource on this network (e.g. every address allowed)
                signature = search.signature()
                if signature in exhausted:
                    continue
                if time.monotonic() > budget[1]:
                    raise AnalysisLimit()
                found = search.run()
                exhausted.add(signature)
                if found is not None:
                    request = space.request(principal, network, _complete(search.dims, found))
                    return request, network
    return None


def iter_requests(space: RequestSpace) -> Iterator[Tuple[Request, str]]:
    """Every request of the enumerated space, for the brute-force oracle in the tests."""
    for network in space.networks:
        for principal in space.principals:
            dims = space.dimensions(principal, network, None)
            names = list(dims)
            for values in product(*(dims[n] for n in names)):
                yield space.request(principal, network, dict(zip(names, values))), network


def describe_request(request: Request, network: str, key_names: Optional[Dict[str, str]] = None) -> str:
    """A counterexample in words, as the SPEC asks: action, resource, caller, network, other keys."""
    data, _ = concrete_request(request, network, ())
    return describe(data, request.principal.label, key_names)


# Request spaces built by this process (judge.py counts them per resource). The coverage and lockout searches of one
# resource (one budget) share the prepared policy and its request space, with the space's value domains and truth
# tables: the budget by identity (the entries hold it, so its identity is never reused), the rest by value; a few
# remembered.
space_builds = [0]
_SHARED: List[Tuple[Tuple[object, ...], object]] = []


def _same(a: object, b: object) -> bool:
    return a is b or (not isinstance(a, list) and type(a) is type(b) and a == b)


def _shared(key: Tuple[object, ...], build: Callable[[], object]) -> object:
    for held, value in _SHARED:
        if len(held) == len(key) and held[-1] is key[-1] and all(_same(a, b) for a, b in zip(held, key)):
            return value
    value = build()
    _SHARED.insert(0, (key, value))
    del _SHARED[16:]
    return value


def _prepared_once(policy: Policy, target: Target, budget: Optional[List[float]]) -> Tuple[Policy, Target]:
    if budget is None:
        return prepared(policy, target)
    return _shared(("prepared", policy, target, budget), lambda: prepared(policy, target))  # type: ignore[return-value]


def _space_once(policy: Policy, target: Target, options: AnalysisOptions,
                budget: Optional[List[float]]) -> RequestSpace:
    if budget is None:
        return RequestSpace(policy, target, options, budget)
    return _shared(("space", policy, target, options, budget),  # type: ignore[return-value]
                   lambda: RequestSpace(policy, target, options, budget))


def perimeter_of(policy: Policy, target: Target, options: AnalysisOptions = AnalysisOptions(),
                 budget: Optional[List[float]] = None) -> Verdict:
    """Coverage (SPEC section 4, CKV_VPCE_1/2/3): the verdict with a counterexample or the allowed origins."""
    too_large = beyond_bound(policy, options)
    if too_large:
        return Verdict(status="unresolved", reason=too_large)
    declared_routes = target.routes
    policy, target = _prepared_once(policy, target, budget)
    closed_routes = [route for route in declared_routes if route not in target.routes]
    exemptions = sorted({c.written_key for c in policy.conditions(effect="Deny")
                         if c.key in options.accepted_exemptions})
    resolved = frozenset(references_in(target.name))
    # Unresolved references in the elements the verdict may depend on (R's own name excepted).
    references = [ref for ref in policy.references("Deny") if ref not in resolved]
    try:
        space = _space_once(policy, target, options, budget)
        if references:
            weak = find_counterexample(space, weak=Reading(True, resolved))
            strong = find_counterexample(space, weak=Reading(False, resolved)) if weak is not None else None
            if weak is not None and strong is None:
                return Verdict(
                    status="unresolved",
                    reason=("the verdict depends on unresolved " + ", ".join(references)
                            + " in a Deny statement's Action, Resource or Principal"),
                    notes=["give the value literally or as a variable default, or set VPCE_CHECKS_UNRESOLVED=skip"],
                )
            found = strong or weak
        else:
            found = find_counterexample(space, weak=None)
    except AnalysisLimit:
        return Verdict(status="unresolved",
                       reason=f"the policy is too large to prove within {options.max_steps} search steps or "
                              f"{options.max_seconds:g} seconds")
    if found is None:
        return Verdict(status="pass", reason="every request from outside the allowed origins is explicitly denied",
                       allowed_origins=space.allowed_origin_descriptions(), exemptions=exemptions,
                       excused=excused_log_account_notes(space.excused_log_accounts)
                       + [f"requests to route {route}: its method has authorization NONE and no Allow names it, so "
                          "API Gateway refuses them (docs/semantics.md)" for route in closed_routes])
    request, network = found
    if evaluate(policy, request).explicitly_denied and not references:
        return Verdict(status="unresolved", reason="internal inconsistency: the counterexample is denied")
    key_names = {c.key: c.written_key for c in policy.conditions()}
    tested = sorted(set(policy.keys("Deny")) | set(policy.variable_keys("Deny")))
    concretizer = Concretizer(policy)
    data, _ = concrete_request(request, network, tested, concretizer)
    # in the same example values as the counterexample, so the two read as one request
    why = [concretizer.text(f"{s.label}: {element_failure(s, request)}") for s in space.denies]
    stands_for = concretizer.notes()
    hypothetical = request.action in space.hypothetical_actions
    return Verdict(status="fail", reason=_reason(space), counterexample=request, network=network, why_not=why,
                   description=describe(data, request.principal.label, key_names, hypothetical),
                   allowed_origins=space.allowed_origin_descriptions(), exemptions=exemptions, request=data,
                   notes=stands_for)


def excused_log_account_notes(accounts: FrozenSet[str]) -> List[str]:
    """What a verdict relied on when it excused ELB access-log accounts, in words (one line per account)."""
    return [f"requests by principals of the Elastic Load Balancing access-log account {account_label(account)}, "
            "which an Allow grants by exact account ID (docs/semantics.md)" for account in sorted(accounts)]


def beyond_bound(policy: Policy, options: AnalysisOptions) -> Optional[str]:
    """Why the policy is too large to analyse, or None: past the bound the checks fail closed at once."""
    patterns = len(policy.patterns())
    values = sum(len(c.values) for c in policy.conditions())
    if len(policy.statements) > options.max_statements or patterns + values > options.max_patterns:
        return (f"the policy has {len(policy.statements)} statements, {patterns} action/resource patterns and "
                f"{values} condition values; the analysis is bounded at {options.max_statements} statements and "
                f"{options.max_patterns} patterns and values together")
    return None


def prepared(policy: Policy, target: Target) -> Tuple[Policy, Target]:
    """The policy and resource as AWS reads them: R's unknown account/region settled from the ARNs the policy
    writes for it, and resource shorthands expanded. The analysis and the test oracle both start here."""
    target = settle_target(target, list(policy.resource_patterns()))
    # Where R's account or region is known, the policy's symbolic "this account/region" is that literal value: a
    # principal of R's account is one caller whether the policy names the account by ID or by the token.
    elb = elb_account_for_region(target.region) or ELB_ACCOUNT_TOKEN
    tokens = [(token, value) for token, value in ((THIS_ACCOUNT, target.account), (THIS_REGION, target.region),
                                                  (ELB_ACCOUNT_TOKEN, elb))
              if value != token]
    if tokens:
        def concrete(text: str) -> str:
            for token, value in tokens:
                text = text.replace(token, value)
            return text
        policy = policy.map_strings(concrete)
    profile = profile_for(target.service)
    policy = _expanded(policy, profile, target)
    return policy, _open_routes(policy, profile, target)


def _open_routes(policy: Policy, profile: ServiceProfile, target: Target) -> Target:
    """R without the declared routes no request gets through: a method with authorization NONE is refused unless
    an Allow names its route (docs/semantics.md), so a route of such a method that no Allow statement's Resource
    can match is no sample of the request space (SAM's extra "Stage" stage, which SAM's per-route statements do not
    name). A route stays whenever that is not certain: NotResource, policy variables or unresolved references in
    an Allow, a pattern that could name R while R's ARN is not literal; and all stay when none would be left."""
    if not target.routes_needing_allow or not target.routes or not profile.sub_resource:
        return target
    arn = profile.resource_arn(target)
    allows = [s for s in policy.statements if not s.is_deny]

    def reachable(route: str) -> bool:
        route_arn = profile.sub_resource.format(arn=arn, key=route)
        for statement in allows:
            if statement.resource is None:
                return True  # NotResource: leave it to the search
            for pattern in statement.resource:
                own = pattern.startswith(arn + "/")  # written for R (as "execute-api:/..." expands)
                if "${" in (pattern[len(arn):] if own else pattern) or resource_matches(pattern, route_arn):
                    return True
                if "${" in arn and not own:
                    return True  # a pattern written for another ARN may name R once R's ARN is known
        return False

    kept = tuple(r for r in target.routes if r not in target.routes_needing_allow or reachable(r))
    return replace(target, routes=kept) if kept and kept != target.routes else target


def _expanded(policy: Policy, profile: ServiceProfile, target: Target) -> Policy:
    """Resource shorthands written as AWS expands them ("execute-api:/*" is R's ARN + "/*")."""
    if not profile.resource_shorthand:
        return policy

    def expand(values: Optional[Tuple[str, ...]]) -> Optional[Tuple[str, ...]]:
        return tuple(profile.expand(v, target) for v in values) if values is not None else None

    return replace(policy, statements=tuple(
        replace(s, resource=expand(s.resource), not_resource=expand(s.not_resource)) for s in policy.statements))


def _reason(space: RequestSpace) -> str:
    if not space.denies:
        return ("the policy has no Deny statement: Allow statements do not stop a principal whose own IAM policy "
                "allows the request")
    perimeter_denies = [s for s in space.denies if any(c.key in PERIMETER_KEYS for c in s.conditions)]
    if not perimeter_denies:
        return "no Deny statement conditions on the VPC endpoint (aws:SourceVpce or aws:SourceVpc)"
    if not any(space.allowed_literals.values()):
        return "the Deny statements name no VPC endpoint or VPC literally, so no origin is confined"
    return "the Deny statements leave a request from outside the VPC endpoint perimeter undenied"


__all__ = ["AnalysisOptions", "RequestSpace", "Verdict", "perimeter_of", "find_counterexample", "iter_requests",
           "describe_request", "SEARCHES"]


class _OriginSpace(RequestSpace):
    """The requests an ordinary, untagged principal of R's account can make through one allowed origin."""

    def __init__(self, base: RequestSpace, origin: Dict[str, Sequence[str]]):
        self.__dict__.update(base.__dict__)
        self.origin = origin  # key -> the values a request through the origin can carry
        self.networks = ["endpoint"]
        self.principals = [p for p in base.principals
                           if p.kind == "iam" and p.account == base.target.account and p.arn
                           and ":user/any-user" in p.arn]

    def domain(self, key: str, principal: Principal, network: str) -> List[RequestValue]:
        if key in self.origin:
            return list(self.origin[key])
        if key.startswith("aws:principaltag/"):
            return [ABSENT]
        return super().domain(key, principal, network)

    def request(self, principal: Principal, network: str, assignment: Dict[str, RequestValue]) -> Request:
        request = super().request(principal, network, assignment)
        for key, values in self.origin.items():
            if request.context.get(key) not in values:  # a key the search did not choose: the origin's first
                request.context[key] = values[0]
        return request


@dataclass
class Lockout:
    """An allowed origin that no ordinary request can pass, and the Deny statements that stop it."""

    origin: str
    blocked_by: List[str]
    example: str = ""  # one request through the origin, in words, that a Deny stops


def origin_spaces(policy: Policy, target: Target, options: AnalysisOptions = AnalysisOptions(),
                  budget: Optional[List[float]] = None,
                  endpoint_vpcs: Optional[Dict[str, str]] = None) -> List[Tuple[str, str, RequestSpace]]:
    """For each allowed origin (key, value), the requests an ordinary principal of R's account makes through it.
    ``policy`` must be prepared. ``endpoint_vpcs``: the VPC each known endpoint is in (its requests carry that
    aws:SourceVpc; a request from a VPC may come through its known endpoints). The lockout search and the test
    oracle both enumerate these."""
    base = _space_once(policy, target, options, budget)
    links = endpoint_vpcs or {}
    spaces = []
    for key in PERIMETER_KEYS:
        for value in sorted(base.allowed_literals[key]):
            origin: Dict[str, Sequence[str]] = {key: (value,)}
            if key == "aws:sourcevpc":
                origin["aws:sourcevpce"] = tuple(sorted(e for e, vpc in links.items() if vpc == value)) + (
                    FRESH["aws:sourcevpce"],)
            elif value in links:
                origin["aws:sourcevpc"] = (links[value],)
            spaces.append((key, value, _OriginSpace(base, origin)))
    return spaces


def lockouts(policy: Policy, target: Target, options: AnalysisOptions = AnalysisOptions(),
             budget: Optional[List[float]] = None, endpoint_vpcs: Optional[Dict[str, str]] = None) -> List[Lockout]:
    """SPEC section 4, no lockout: for each allowed origin, some request through it escapes every Deny. Raises
    AnalysisLimit when the bound stops a search before every origin is decided (the caller fails closed)."""
    policy, target = _prepared_once(policy, target, budget)
    found = []
    budget = budget if budget is not None else new_budget(options)
    spaces = origin_spaces(policy, target, options, budget, endpoint_vpcs)
    for key, value, space in spaces:
        escaped = False
        exhausted = set()
        for principal in space.principals:
            search = _Search(space, principal, "endpoint", None, budget, None)
            if not all(search.dims.values()) or search.signature() in exhausted:
                continue
            if search.run() is not None:
                escaped = True
                break
            exhausted.add(search.signature())
        if escaped or not space.principals:
            continue
        dims = space.dimensions(space.principals[0], "endpoint", None)
        sample = space.request(space.principals[0], "endpoint", _complete(dims, {}))
        blocked = [s.label for s in evaluate(policy, sample).denied_by]
        origin_text = space.allowed_origin_descriptions_for(key, value)
        example = (f"{sample.action} on {sample.resource} by {sample.principal.label} through {origin_text} is "
                   f"denied by {', '.join(blocked) or 'a Deny'}")
        found.append(Lockout(origin=origin_text, blocked_by=blocked, example=example))
    return found
