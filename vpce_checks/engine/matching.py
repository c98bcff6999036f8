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


_STAR, _ONE = object(), object()


@lru_cache(maxsize=16384)
def _tokens(pattern: str, ignore_case: bool) -> tuple:
    """The glob as tokens: a character, _ONE or _STAR (consecutive stars merged)."""
    out: list = []
    i = 0
    while i < len(pattern):
        for escape, literal in _ESCAPES.items():
            if pattern.startswith(escape, i):
                out.append(literal.lower() if ignore_case else literal)
                i += len(escape)
                break
        else:
            char = pattern[i]
            token = _STAR if char == "*" else _ONE if char == "?" else char.lower() if ignore_case else char
            if not (token is _STAR and out and out[-1] is _STAR):
                out.append(token)
            i += 1
    return tuple(out)


def _star_match(tokens: tuple, text: str) -> bool:
    """Greedy glob matching with one backtrack point: at most len(tokens) * len(text) steps, where a regular
    expression with many stars (``*a*a*a...``) backtracks for minutes on a text it does not match."""
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(tokens) and tokens[p] is _STAR:
            star, mark = p, t
            p += 1
        elif p < len(tokens) and (tokens[p] is _ONE or tokens[p] == text[t]):
            p += 1
            t += 1
        elif star >= 0:
            p, mark = star + 1, mark + 1
            t = mark
        else:
            return False
    while p < len(tokens) and tokens[p] is _STAR:
        p += 1
    return p == len(tokens)


def glob_match(pattern: str, text: str, ignore_case: bool = False) -> bool:
    """Whole-string IAM glob match (a regular expression for up to two stars, else the greedy matcher)."""
    if pattern.count("*") <= 2:
        return _compiled(pattern, ignore_case).fullmatch(text) is not None
    return _star_match(_tokens(pattern, ignore_case), text.lower() if ignore_case else text)


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
