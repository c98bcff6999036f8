"""The policy model: every shape IAM accepts, normalised into one typed form.

Adapters hand the engine a plain IAM JSON document (a dict). Unresolved template references stay in strings as
``${...}`` (Terraform ``${aws_vpc_endpoint.s3.id}``, CloudFormation ``${Ref.VpceId}``); the caller's own account
and region are the tokens ``THIS_ACCOUNT`` and ``THIS_REGION`` so that the resource ARN and the policy agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Tuple

from vpce_checks.engine.operators import OPERATORS, Operator, names

THIS_ACCOUNT = "${AWS::AccountId}"
THIS_REGION = "${AWS::Region}"
PSEUDO_TOKENS = (THIS_ACCOUNT, THIS_REGION)

# IAM policy variables (resolved per request by AWS): ${aws:username}, ${s3:prefix}, and the escapes ${*} ${?} ${$}.
_POLICY_VARIABLE = re.compile(r"\$\{(?:[A-Za-z0-9-]+:[^}]+|\*|\?|\$)\}")
_TEMPLATE_REFERENCE = re.compile(r"\$\{[^}]*\}")

# Operator sets, derived from the one operator table (vpce_checks.engine.operators).
STRING_OPERATORS = names("string")
NUMERIC_OPERATORS = names("numeric")
DATE_OPERATORS = names("date")
ARN_OPERATORS = names("arn")
OTHER_OPERATORS = names("bool") | names("binary") | names("ip") | names("null")
KNOWN_OPERATORS = frozenset(OPERATORS)
NEGATED_OPERATORS = names(negated=True)
# The spelling AWS documents, for messages and generated fixes.
OPERATOR_SPELLING = {name: op.spelling for name, op in OPERATORS.items()}


class PolicyError(ValueError):
    """The document is not a policy IAM would accept; the message says what and where."""


# A policy variable naming a request key, with an optional default: ${aws:SourceVpce}, ${aws:username, 'none'}.
_VARIABLE = re.compile(r"\$\{\s*([A-Za-z0-9-]+:[^:},'\s][^},']*?)\s*(?:,\s*'([^']*)'\s*)?\}")
# Operator families whose values AWS resolves policy variables in (IAM User Guide, "Policy variables"; see
# docs/semantics.md): String and ARN operators, never Numeric, Date, Bool, Binary, IP address or Null.
VARIABLE_OPERATORS = frozenset(name for name, op in OPERATORS.items() if op.accepts_variables)
VARIABLES_VERSION = "2012-10-17"


def variables_in(text: str) -> Tuple[str, ...]:
    """The request keys (lowercase) that IAM policy variables in ``text`` name."""
    return tuple(dict.fromkeys(m.group(1).strip().lower() for m in _VARIABLE.finditer(text)
                               if f"${{{m.group(1)}}}" not in PSEUDO_TOKENS))


def substitute_variables(text: str, lookup: Callable[[str], Any], literal: Callable[[str], str] = str
                         ) -> Optional[str]:
    """``text`` with each policy variable replaced by the request's value of its key (written by ``literal``, so a
    value's own ``*`` stays a character under a Like operator), or its default; None when a key is absent and the
    variable has no default: AWS cannot resolve it and the value matches nothing."""
    unresolved = False

    def one(match: re.Match) -> str:
        nonlocal unresolved
        if f"${{{match.group(1)}}}" in PSEUDO_TOKENS:
            return match.group(0)
        value = lookup(match.group(1).strip().lower())
        if isinstance(value, str):
            return literal(value)
        if match.group(2) is not None:
            return literal(match.group(2))
        unresolved = True
        return ""

    out = _VARIABLE.sub(one, text)
    return None if unresolved else out


def is_policy_variable(text: str) -> bool:
    """True when ``text`` holds an IAM policy variable such as ``${aws:username}`` (resolved by AWS per request)."""
    return bool(_POLICY_VARIABLE.search(text))


def references_in(text: str) -> list[str]:
    """Unresolved template references (``${...}`` that are neither IAM policy variables nor pseudo tokens)."""
    found = []
    for match in _TEMPLATE_REFERENCE.finditer(text):
        token = match.group(0)
        if token in PSEUDO_TOKENS or _POLICY_VARIABLE.fullmatch(token):
            continue
        found.append(token)
    return found


@dataclass(frozen=True)
class Condition:
    """One (operator, key) test of a Condition block; several values are OR-ed (NOR under a negated operator)."""

    operator: str  # base operator, lowercase, without qualifier or IfExists: "stringnotequals"
    key: str  # lowercase key name: "aws:sourcevpce"
    values: Tuple[str, ...]
    qualifier: Optional[str] = None  # "forallvalues" | "foranyvalue" | None
    if_exists: bool = False
    written_operator: str = ""  # as written in the policy, for messages
    written_key: str = ""
    # Request keys that policy variables in the values name (resolved per request); empty when AWS reads the
    # values literally (Version 2008-10-17, or an operator family without variables).
    variables: Tuple[str, ...] = ()

    @property
    def op(self) -> Operator:
        """The operator's row in the one operator table."""
        return OPERATORS[self.operator]

    @property
    def negated(self) -> bool:
        return self.op.negated

    def describe(self) -> str:
        values = ", ".join(self.values)
        return f"{self.written_operator or self.operator} {self.written_key or self.key} [{values}]"


@dataclass(frozen=True)
class PrincipalSet:
    """A Principal or NotPrincipal element: ``everyone`` for "*" / {"AWS": "*"}, else typed identifiers."""

    everyone: bool = False
    aws: Tuple[str, ...] = ()
    service: Tuple[str, ...] = ()
    federated: Tuple[str, ...] = ()
    canonical_user: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Statement:
    """One statement; exactly one of each pair (action/not_action, ...) is set, per IAM's grammar."""

    effect: str  # "Allow" | "Deny"
    index: int
    sid: Optional[str] = None
    principal: Optional[PrincipalSet] = None
    not_principal: Optional[PrincipalSet] = None
    action: Optional[Tuple[str, ...]] = None
    not_action: Optional[Tuple[str, ...]] = None
    resource: Optional[Tuple[str, ...]] = None
    not_resource: Optional[Tuple[str, ...]] = None
    conditions: Tuple[Condition, ...] = ()

    @property
    def label(self) -> str:
        """How a message names this statement: by Sid when it has one, else by position."""
        return f'statement "{self.sid}"' if self.sid else f"statement #{self.index + 1}"

    @property
    def is_deny(self) -> bool:
        return self.effect == "Deny"


@dataclass(frozen=True)
class Policy:
    statements: Tuple[Statement, ...]
    version: Optional[str] = None
    warnings: Tuple[str, ...] = field(default=())

    @property
    def denies(self) -> Tuple[Statement, ...]:
        return tuple(s for s in self.statements if s.is_deny)

    def has_principal_element(self) -> bool:
        """A resource policy names a principal; identity policies never do."""
        return any(s.principal is not None or s.not_principal is not None for s in self.statements)

    def map_strings(self, change: Callable[[str], str]) -> Policy:
        """The same policy with ``change`` applied to every principal, action, resource and condition value (to
        write the resource's own account where the policy names it symbolically)."""

        def each(values: Optional[Tuple[str, ...]]) -> Optional[Tuple[str, ...]]:
            return tuple(change(v) for v in values) if values is not None else None

        def principals(element: Optional[PrincipalSet]) -> Optional[PrincipalSet]:
            if element is None:
                return None
            return replace(element, aws=each(element.aws) or (), service=each(element.service) or (),
                           federated=each(element.federated) or (),
                           canonical_user=each(element.canonical_user) or ())

        return replace(self, statements=tuple(
            replace(s, principal=principals(s.principal), not_principal=principals(s.not_principal),
                    action=each(s.action), not_action=each(s.not_action), resource=each(s.resource),
                    not_resource=each(s.not_resource),
                    conditions=tuple(replace(c, values=each(c.values) or ()) for c in s.conditions))
            for s in self.statements))

    # -- queries: what the analyses ask of a policy, in statement order (of one effect, when given) ----------
    def statements_of(self, effect: Optional[str] = None) -> Tuple[Statement, ...]:
        """The statements of one effect ("Allow" or "Deny"), or all of them."""
        return tuple(s for s in self.statements if effect is None or s.effect == effect)

    def patterns(self, effect: Optional[str] = None) -> Tuple[str, ...]:
        """Every Action, NotAction, Resource and NotResource pattern (of one effect, when given)."""
        return tuple(p for s in self.statements_of(effect)
                     for element in (s.action, s.not_action, s.resource, s.not_resource) for p in element or ())

    def action_patterns(self, effect: Optional[str] = None) -> Tuple[str, ...]:
        """Every Action and NotAction pattern."""
        return tuple(p for s in self.statements_of(effect) for p in (s.action or ()) + (s.not_action or ()))

    def resource_patterns(self, effect: Optional[str] = None) -> Tuple[str, ...]:
        """Every Resource and NotResource pattern: what the resource's own ARN is read from."""
        return tuple(p for s in self.statements_of(effect) for p in (s.resource or ()) + (s.not_resource or ()))

    def principals(self, effect: Optional[str] = None) -> Tuple[str, ...]:
        """Every AWS principal (account, ARN or "*") named in a Principal or NotPrincipal element."""
        return tuple(value for s in self.statements_of(effect) for element in (s.principal, s.not_principal)
                     if element is not None for value in element.aws)

    def condition_uses(self, key: Optional[str] = None, effect: Optional[str] = None
                       ) -> Tuple[Tuple[Statement, Condition], ...]:
        """Every condition (on ``key``, lowercase, when given) with the statement it belongs to."""
        return tuple((s, c) for s in self.statements_of(effect) for c in s.conditions if key is None or c.key == key)

    def conditions(self, key: Optional[str] = None, effect: Optional[str] = None) -> Tuple[Condition, ...]:
        """Every condition (on ``key``, lowercase, when given)."""
        return tuple(c for _, c in self.condition_uses(key, effect))

    def keys(self, effect: Optional[str] = None) -> Tuple[str, ...]:
        """The condition keys the policy tests (lowercase, first use first)."""
        return tuple(dict.fromkeys(c.key for c in self.conditions(effect=effect)))

    def variable_keys(self, effect: Optional[str] = None) -> Tuple[str, ...]:
        """The request keys that policy variables in condition values name (lowercase, first use first)."""
        return tuple(dict.fromkeys(v for c in self.conditions(effect=effect) for v in c.variables))

    def values(self, key: str, effect: Optional[str] = None) -> Tuple[str, ...]:
        """Every value the policy's conditions compare ``key`` (lowercase) with."""
        return tuple(v for c in self.conditions(key, effect) for v in c.values)

    def references(self, effect: Optional[str] = None) -> Tuple[str, ...]:
        """The unresolved template references in Action, Resource and AWS principal elements, the elements a
        verdict depends on beyond condition values (first use first)."""
        ordered: list[str] = []  # per statement: its patterns, then its principals
        for statement in self.statements_of(effect):
            ordered.extend(ref for element in (statement.action, statement.not_action, statement.resource,
                                               statement.not_resource) for value in element or ()
                           for ref in references_in(value))
            ordered.extend(ref for element in (statement.principal, statement.not_principal) if element is not None
                           for value in element.aws for ref in references_in(value))
        return tuple(dict.fromkeys(ordered))

    def strings(self) -> Tuple[str, ...]:
        """Every principal (of any type), action, resource and condition value: the text the policy names."""
        out: list[str] = []
        for s in self.statements:
            for element in (s.principal, s.not_principal):
                if element is not None:
                    out.extend(element.aws + element.service + element.federated + element.canonical_user)
            for values in (s.action, s.not_action, s.resource, s.not_resource):
                out.extend(values or ())
            out.extend(v for c in s.conditions for v in c.values)
        return tuple(out)


def _case_insensitive(mapping: Mapping[str, Any], name: str) -> Any:
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() == name.lower():
            return value
    return None


def _strings(value: Any, where: str) -> Tuple[str, ...]:
    """A string-or-list field as a tuple of strings; numbers and booleans become their JSON spelling."""
    items: Iterable[Any] = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (int, float)):
            out.append(str(item))
        elif isinstance(item, str):
            out.append(item)
        else:
            raise PolicyError(f"{where}: expected a string or a list of strings, got {type(item).__name__}")
    if not out:
        raise PolicyError(f"{where}: empty list")
    return tuple(out)


def _principal(value: Any, where: str) -> PrincipalSet:
    if isinstance(value, str):
        if value.strip() == "*":
            return PrincipalSet(everyone=True)
        raise PolicyError(f'{where}: a string principal must be "*", got {value!r}')
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: expected \"*\" or an object such as {{\"AWS\": [...]}}")
    kinds: dict[str, Tuple[str, ...]] = {"aws": (), "service": (), "federated": (), "canonicaluser": ()}
    for key, raw in value.items():
        if not isinstance(key, str) or key.startswith("__"):
            continue
        kind = key.lower()
        if kind not in kinds:
            raise PolicyError(f"{where}: unknown principal type {key!r} (AWS, Service, Federated, CanonicalUser)")
        kinds[kind] = kinds[kind] + _strings(raw, f"{where}.{key}")
    everyone = "*" in kinds["aws"]
    return PrincipalSet(
        everyone=everyone, aws=kinds["aws"], service=kinds["service"], federated=kinds["federated"],
        canonical_user=kinds["canonicaluser"],
    )


def _conditions(block: Any, where: str, version: Optional[str] = VARIABLES_VERSION) -> Tuple[Condition, ...]:
    if block is None:
        return ()
    if not isinstance(block, Mapping):
        raise PolicyError(f"{where}: Condition must be an object of operators")
    out = []
    for written_operator, keys in block.items():
        if not isinstance(written_operator, str) or written_operator.startswith("__"):
            continue
        op = written_operator.strip()
        qualifier = None
        if ":" in op:
            prefix, op = op.split(":", 1)
            if prefix.lower() not in ("forallvalues", "foranyvalue"):
                raise PolicyError(f"{where}: unknown set operator {prefix!r} in {written_operator!r}")
            qualifier = prefix.lower()
        base = op.lower()
        if_exists = False
        if base.endswith("ifexists"):
            base = base[: -len("ifexists")]
            if_exists = True
        if base not in OPERATORS:
            raise PolicyError(f"{where}: unknown condition operator {written_operator!r}")
        if OPERATORS[base].family == "null" and if_exists:
            raise PolicyError(f"{where}: Null cannot take IfExists ({written_operator!r})")
        if not isinstance(keys, Mapping):
            raise PolicyError(f"{where}.{written_operator}: expected an object of condition keys")
        for written_key, values in keys.items():
            if not isinstance(written_key, str) or written_key.startswith("__"):
                continue
            strings = _strings(values, f"{where}.{written_operator}.{written_key}")
            variables: Tuple[str, ...] = ()
            if version == VARIABLES_VERSION and OPERATORS[base].accepts_variables:
                variables = tuple(dict.fromkeys(k for v in strings for k in variables_in(v)))
            out.append(
                Condition(
                    operator=base, key=written_key.strip().lower(), values=strings,
                    qualifier=qualifier, if_exists=if_exists, written_operator=written_operator,
                    written_key=written_key.strip(), variables=variables,
                )
            )
    return tuple(out)


def _statement(raw: Any, index: int, version: Optional[str] = VARIABLES_VERSION) -> Statement:
    where = f"Statement[{index}]"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: expected an object, got {type(raw).__name__}")
    effect_raw = _case_insensitive(raw, "Effect")
    if not isinstance(effect_raw, str) or effect_raw.strip().lower() not in ("allow", "deny"):
        raise PolicyError(f"{where}: Effect must be \"Allow\" or \"Deny\", got {effect_raw!r}")
    effect = "Allow" if effect_raw.strip().lower() == "allow" else "Deny"
    sid = _case_insensitive(raw, "Sid")

    def pair(name: str, negated: str) -> Tuple[Any, Any]:
        a, b = _case_insensitive(raw, name), _case_insensitive(raw, negated)
        if a is not None and b is not None:
            raise PolicyError(f"{where}: has both {name} and {negated}")
        return a, b

    principal, not_principal = pair("Principal", "NotPrincipal")
    action, not_action = pair("Action", "NotAction")
    resource, not_resource = pair("Resource", "NotResource")
    if action is None and not_action is None:
        raise PolicyError(f"{where}: has neither Action nor NotAction")
    return Statement(
        effect=effect, index=index, sid=str(sid) if sid is not None else None,
        principal=_principal(principal, f"{where}.Principal") if principal is not None else None,
        not_principal=_principal(not_principal, f"{where}.NotPrincipal") if not_principal is not None else None,
        action=_strings(action, f"{where}.Action") if action is not None else None,
        not_action=_strings(not_action, f"{where}.NotAction") if not_action is not None else None,
        resource=_strings(resource, f"{where}.Resource") if resource is not None else None,
        not_resource=_strings(not_resource, f"{where}.NotResource") if not_resource is not None else None,
        conditions=_conditions(_case_insensitive(raw, "Condition"), f"{where}.Condition", version),
    )


def parse_policy(document: Any) -> Policy:
    """Normalise an IAM policy document; raise PolicyError with the offending path when IAM would reject it."""
    if not isinstance(document, Mapping):
        raise PolicyError(f"the policy must be a JSON object, got {type(document).__name__}")
    raw_statements = _case_insensitive(document, "Statement")
    if raw_statements is None:
        raise PolicyError("the policy has no Statement")
    statements: Sequence[Any] = raw_statements if isinstance(raw_statements, list) else [raw_statements]
    version = _case_insensitive(document, "Version")
    version_text = str(version).strip() if version is not None else None
    return Policy(
        statements=tuple(_statement(s, i, version_text) for i, s in enumerate(statements)),
        version=str(version) if version is not None else None,
    )
