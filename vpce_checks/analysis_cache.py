"""One analysis per resource and process: a bounded memory of what the checks of one resource share, and how
often the pack computed each part of a resource's analysis in this process (adapter answers, parsed
policies, request spaces, verdicts): each must happen once per resource, whatever the number of checks reading it.

Counts are kept in memory (``counts()``); when VPCE_CHECKS_ANALYSIS_LOG names a file, every computation is also
appended to it as one line ``PID<TAB>KIND<TAB>RESOURCE``, so a test or a benchmark can read them from Checkov's
runner processes (which leave without running exit handlers). Nothing is written when the variable is unset.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter, OrderedDict
from typing import Any, Callable, Dict, Hashable, Tuple, TypeVar

ANALYSIS_LOG = "VPCE_CHECKS_ANALYSIS_LOG"
ADAPTED, PARSED, SPACE, VERDICT, SOUNDNESS = "adapted", "parsed", "request_space", "verdict", "soundness"

_COUNTS: Counter = Counter()


def counted(kind: str, resource: str, times: int = 1) -> None:
    """Record that ``kind`` was computed for ``resource`` (``times`` times)."""
    if times <= 0:
        return
    _COUNTS[(kind, resource)] += times
    path = os.environ.get(ANALYSIS_LOG)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()}\t{kind}\t{resource}\n" * times)
    except OSError:
        pass  # a measurement channel only; the verdicts do not depend on it


def counts() -> Dict[Tuple[str, str], int]:
    """(kind, resource) -> how many times this process computed it."""
    return dict(_COUNTS)


def clear_counts() -> None:
    """Forget the counts (tests)."""
    _COUNTS.clear()


def content_digest(value: Any) -> str:
    """A digest of a parsed configuration or document, by content (two different resources never share it)."""
    try:
        text = json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)  # Checkov's nodes and other values JSON cannot write: their repr, with their types
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


_Value = TypeVar("_Value")


class Memo:
    """A bounded memory, oldest forgotten first. Checkov runs every check of one resource before the next one, so
    a short memory holds everything those checks share."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], _Value]) -> _Value:
        """The remembered value for ``key``, or ``compute()`` remembered (an exception is not remembered)."""
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        value = compute()
        self._entries[key] = value
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()
