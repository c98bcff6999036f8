"""Witness strings that are complete by construction (SPEC section 4).

For a string element of a request (an object key, an API route, an endpoint ID) the policy's glob patterns cut the
element's well-formed values into classes: the values that match exactly the same subset of the patterns. This
module finds one value in every non-empty class, by a breadth-first search over the product of the patterns'
automata and an automaton of the element's well-formed values. Nothing is left to luck: a class that some
well-formed value falls into is reached, because the search visits every reachable combination of automaton states.

Globs follow docs/semantics.md: ``*`` any run of characters, ``?`` one character, ``${*}``/``${?}``/``${$}`` escapes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple, Union

from vpce_checks.engine.matching import glob_match

ANY = None  # a transition on any character


class WitnessLimit(Exception):
    """The patterns combine into more automaton states than the bound allows: the caller fails closed."""


@dataclass(frozen=True)
class _Edge:
    accepts: Optional[FrozenSet[str]]  # ANY, or the characters this edge takes
    negated: bool  # True: every character except ``accepts``
    target: int

    def takes(self, char: str) -> bool:
        if self.accepts is ANY:
            return True
        return (char in self.accepts) != self.negated


class Automaton:
    """A small NFA over characters with epsilon moves; built by the constructors below, never by callers."""

    def __init__(self) -> None:
        self.edges: List[List[_Edge]] = [[]]
        self.epsilon: List[List[int]] = [[]]
        self.accepting: set = set()
        self.literals: set = set()  # characters an edge names one by one
        self.classes: set = set()  # character classes an edge names (a shape's hex digits, stage characters)

    def _new(self) -> int:
        self.edges.append([])
        self.epsilon.append([])
        return len(self.edges) - 1

    def closure(self, states: FrozenSet[int]) -> FrozenSet[int]:
        stack, seen = list(states), set(states)
        while stack:
            for nxt in self.epsilon[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return frozenset(seen)

    def start(self) -> FrozenSet[int]:
        return self.closure(frozenset({0}))

    def step(self, states: FrozenSet[int], char: str) -> FrozenSet[int]:
        out = {edge.target for state in states for edge in self.edges[state] if edge.takes(char)}
        return self.closure(frozenset(out)) if out else frozenset()

    def accepts(self, states: FrozenSet[int]) -> bool:
        return bool(states & self.accepting)


_ESCAPES = (("${*}", "*"), ("${?}", "?"), ("${$}", "$"))


def glob_automaton(pattern: str, ignore_case: bool = False) -> Automaton:
    """The NFA of one IAM glob (whole-string match)."""
    nfa = Automaton()
    state, i = 0, 0
    while i < len(pattern):
        for escape, literal in _ESCAPES:
            if pattern.startswith(escape, i):
                char, i = literal, i + len(escape)
                kind = "lit"
                break
        else:
            char, i = pattern[i], i + 1
            kind = "star" if char == "*" else "one" if char == "?" else "lit"
        if kind == "star":
            nfa.edges[state].append(_Edge(ANY, False, state))
            continue
        nxt = nfa._new()
        if kind == "one":
            nfa.edges[state].append(_Edge(ANY, False, nxt))
        else:
            chars = {char, char.lower(), char.upper()} if ignore_case else {char}
            nfa.literals.update(chars)
            nfa.edges[state].append(_Edge(frozenset(chars), False, nxt))
        state = nxt
    nfa.accepting.add(state)
    return nfa


class Shape:
    """The well-formed values of an element, as a sequence of parts; each part a literal, a character class
    repeated between ``low`` and ``high`` times (``high`` None: no upper bound), or a choice of literals."""

    def __init__(self) -> None:
        self.nfa = Automaton()
        self._ends = [0]

    def _each_end(self) -> List[int]:
        return list(self._ends)

    def literal(self, text: str) -> Shape:
        ends = []
        for end in self._each_end():
            state = end
            for char in text:
                nxt = self.nfa._new()
                self.nfa.edges[state].append(_Edge(frozenset({char}), False, nxt))
                self.nfa.literals.add(char)
                state = nxt
            ends.append(state)
        self._ends = ends
        return self

    def choice(self, texts: Sequence[str]) -> Shape:
        starts, ends = self._each_end(), []
        for text in texts:
            self._ends = starts
            self.literal(text)
            ends.extend(self._ends)
        self._ends = ends
        return self

    def repeat(self, chars: Optional[FrozenSet[str]], low: int, high: Optional[int], negated: bool = False) -> Shape:
        """``chars`` ANY for any character; ``negated`` for every character but ``chars``."""
        if chars is not None:
            self.nfa.classes.add(chars)
        ends = []
        for end in self._each_end():
            state = end
            for _ in range(low):
                nxt = self.nfa._new()
                self.nfa.edges[state].append(_Edge(chars, negated, nxt))
                state = nxt
            if high is None:
                self.nfa.edges[state].append(_Edge(chars, negated, state))
                ends.append(state)
            else:
                ends.append(state)
                for _ in range(high - low):
                    nxt = self.nfa._new()
                    self.nfa.edges[state].append(_Edge(chars, negated, nxt))
                    state = nxt
                    ends.append(state)
        self._ends = ends
        return self

    def done(self) -> Automaton:
        self.nfa.accepting.update(self._ends)
        return self.nfa


HEX = frozenset("0123456789abcdef")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
# Characters tried for the part of a value no pattern names: one of each kind a shape or pattern may tell apart.
_REPRESENTATIVES = "x7Q-_./ ~é"


def id_shape(prefix: str) -> Automaton:
    """Endpoint and VPC IDs: ``prefix`` then 8 or 17 lowercase hex digits (SPEC section 4)."""
    shape = Shape().literal(prefix).repeat(HEX, 8, 8)
    ends8 = list(shape._ends)
    shape.repeat(HEX, 9, 9)
    shape._ends = ends8 + shape._ends
    return shape.done()


def account_shape() -> Automaton:
    return Shape().repeat(frozenset("0123456789"), 12, 12).done()


def literal_pattern(text: str) -> str:
    """A glob that matches exactly ``text`` (its own ``*``, ``?`` and ``$`` escaped)."""
    return text.replace("$", "${$}").replace("*", "${*}").replace("?", "${?}")


def any_text(min_length: int = 1) -> Automaton:
    """Any UTF-8 text of at least ``min_length`` characters (S3 object keys)."""
    return Shape().repeat(ANY, min_length, None).done()


def api_route_shape(verbs: Sequence[str]) -> Automaton:
    """``stage/VERB/path``: a stage name (letters, digits, hyphen, underscore), an HTTP verb, any path."""
    stage = frozenset(_ALNUM | {"-", "_"})
    return Shape().repeat(stage, 1, None).literal("/").choice(verbs).literal("/").repeat(ANY, 0, None).done()


def index_shape() -> Automaton:
    """DynamoDB index names: 3 or more of letters, digits, ``_``, ``-``, ``.``."""
    return Shape().repeat(frozenset(_ALNUM | {"_", "-", "."}), 3, None).done()


def _alphabet(automata: Sequence[Automaton]) -> List[str]:
    """Every character an edge names, plus one character per class of the rest: two characters no edge names
    one by one and that belong to the same classes are interchangeable for every automaton."""
    literals = set().union(*(a.literals for a in automata))
    classes = sorted(set().union(*(a.classes for a in automata)), key=sorted)
    out = sorted(literals)
    seen = set()
    for char in sorted(set().union(*classes)) + list(_REPRESENTATIVES) if classes else list(_REPRESENTATIVES):
        if char in literals:
            continue
        membership = tuple(char in c for c in classes)
        if membership not in seen:
            seen.add(membership)
            out.append(char)
    return out


def distinguishing_values(prefix: str, patterns: Sequence[str], shape: Automaton,
                          preferred: Sequence[str] = (), max_states: int = 20_000,
                          ignore_case: Union[bool, Sequence[bool]] = False) -> Dict[Tuple[bool, ...], str]:
    """For every subset of ``patterns`` that some well-formed value matches exactly (``prefix`` + value against each
    whole pattern), one such value (without the prefix). A ``preferred`` value stands for its class when it has
    one, so counterexamples read well; the rest are the shortest values the search finds. ``ignore_case``: for all
    patterns, or one flag per pattern."""
    folds = [ignore_case] * len(patterns) if isinstance(ignore_case, bool) else list(ignore_case)
    automata = [glob_automaton(p, fold) for p, fold in zip(patterns, folds)]
    states = []
    for automaton in automata:
        current = automaton.start()
        for char in prefix:
            current = automaton.step(current, char) if current else current
        states.append(current)
    alphabet = _alphabet(automata + [shape])
    start = (tuple(states), shape.start())
    found: Dict[Tuple[bool, ...], str] = {}
    seen = {start}
    queue = deque([(start, "")])
    while queue:
        (pattern_states, shape_states), text = queue.popleft()
        if shape.accepts(shape_states):
            signature = tuple(a.accepts(s) for a, s in zip(automata, pattern_states))
            found.setdefault(signature, text)
        for char in alphabet:
            nxt_shape = shape.step(shape_states, char)
            if not nxt_shape:
                continue
            nxt = (tuple(a.step(s, char) if s else s for a, s in zip(automata, pattern_states)), nxt_shape)
            if nxt in seen:
                continue
            seen.add(nxt)
            if len(seen) > max_states:
                raise WitnessLimit(f"the {len(patterns)} patterns combine into more than {max_states} cases")
            queue.append((nxt, text + char))
    taken = set()
    for value in preferred:
        if not accepts(shape, value):
            continue
        signature = tuple(glob_match(p, prefix + value, fold) for p, fold in zip(patterns, folds))
        if signature in found and signature not in taken:
            found[signature] = value
            taken.add(signature)
    return found


def accepts(automaton: Automaton, text: str) -> bool:
    """Whether ``text`` is one of the automaton's strings (a well-formed value of a shape)."""
    states = automaton.start()
    for char in text:
        states = automaton.step(states, char)
        if not states:
            return False
    return automaton.accepts(states)


def preferred_first(found: Dict[Tuple[bool, ...], str], preferred: Sequence[str]) -> List[str]:
    """The class representatives, the preferred (readable) ones first."""
    values = list(found.values())
    order = {value: i for i, value in enumerate(preferred)}
    return sorted(values, key=lambda v: (order.get(v, len(order)), len(v), v))
