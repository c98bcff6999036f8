"""The one matcher for action names, Resource elements and ARN condition values.

IAM globs: ``*`` matches any run of characters, ``?`` one character; ``${*}``, ``${?}`` and ``${$}`` are the
escapes for the literal characters. Action names are case-insensitive; ARNs and strings are not. The ARN
operators match each of the six colon-separated fields separately, so a wildcard never crosses a colon
before the resource part.
"""

from __future__ import annotations

import re
from functools import lru_cache

_ESCAPES = {"${*}": "*", "${?}": "?", "${$}": "$"}


@lru_cache(maxsize=16384)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        for escape, literal in _ESCAPES.items():
            if pattern.startswith(escape, i):
                out.append(re.escape(literal))
                i += len(escape)
                break
        else:
            char = pattern[i]
            if char == "*":
                out.append(".*")
            elif char == "?":
                out.append(".")
            else:
                out.append(re.escape(char))
            i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, text: str, ignore_case: bool = False) -> bool:
    """Whole-string IAM glob match."""
    return _compiled(pattern, ignore_case).fullmatch(text) is not None


def has_wildcard(pattern: str) -> bool:
    stripped = pattern
    for escape in _ESCAPES:
        stripped = stripped.replace(escape, "")
    return "*" in stripped or "?" in stripped


def action_matches(pattern: str, action: str) -> bool:
    """Action names are case-insensitive globs: ``s3:get*`` matches ``s3:GetObject``."""
    return glob_match(pattern, action, ignore_case=True)


def resource_matches(pattern: str, arn: str) -> bool:
    """The Resource element: a case-sensitive glob over the whole ARN."""
    return glob_match(pattern, arn)


def arn_matches(pattern: str, arn: str) -> bool:
    """ArnEquals/ArnLike (identical in AWS): each of the six ARN fields matched on its own."""
    pattern_fields = pattern.split(":", 5)
    arn_fields = arn.split(":", 5)
    if len(pattern_fields) != 6 or len(arn_fields) != 6:
        return False
    return all(glob_match(p, a) for p, a in zip(pattern_fields, arn_fields))


def witness(pattern: str, fill: str = "0") -> str:
    """One string the glob matches: wildcards replaced by ``fill``, escapes by their literal character."""
    if "$" not in pattern:  # no escape to read: a plain replacement (the common case, and much cheaper)
        return pattern.replace("*", fill).replace("?", fill)
    out = []
    i = 0
    while i < len(pattern):
        for escape, literal in _ESCAPES.items():
            if pattern.startswith(escape, i):
                out.append(literal)
                i += len(escape)
                break
        else:
            char = pattern[i]
            out.append(fill if char in "*?" else char)
            i += 1
    return "".join(out)
