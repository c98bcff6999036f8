"""Witness strings that are complete by construction (SPEC section 4).

For a string element of a request (an object key, an API route, an endpoint ID) the policy's glob patterns cut the
element's well-formed values into classes: the values that match exactly the same subset of the patterns. This
module finds one value in every non-empty class, by a breadth-first search over the product of the patterns'
automata and an automaton of the element's well-formed values. Nothing is left to luck: a class that some
well-formed value falls into is reached, because the search visits every reachable combination of automaton states.

Globs follow docs/semantics.md: ``*`` any run of characters, ``?`` one character, ``${*}``/``${?}``/``${$}`` escapes.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple, Union

from vpce_checks.engine.matching import glob_match

ANY = None  # a transition on any character
_NONE: FrozenSet[int] = frozenset()
_STEP_MEMORY = 100_000  # remembered steps per automaton (bounded memory)


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
        # (states, char) -> next states: the search meets the same step many times (a lazily built DFA). Valid
        # because an automaton is complete once a constructor returns it and nothing changes it afterwards.
        self._steps: Dict[Tuple[FrozenSet[int], str], FrozenSet[int]] = {}

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
        known = self._steps.get((states, char))
        if known is not None:
            return known
        out = {edge.target for state in states for edge in self.edges[state] if edge.takes(char)}
        result = self.closure(frozenset(out)) if out else _NONE
        if len(self._steps) < _STEP_MEMORY:
            self._steps[(states, char)] = result
        return result

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


@lru_cache(maxsize=64)
def id_shape(prefix: str) -> Automaton:
    """Endpoint and VPC IDs: ``prefix`` then 8 or 17 lowercase hex digits (SPEC section 4)."""
    shape = Shape().literal(prefix).repeat(HEX, 8, 8)
    ends8 = list(shape._ends)
    shape.repeat(HEX, 9, 9)
    shape._ends = ends8 + shape._ends
    return shape.done()


@lru_cache(maxsize=64)
def account_shape() -> Automaton:
    return Shape().repeat(frozenset("0123456789"), 12, 12).done()


def literal_pattern(text: str) -> str:
    """A glob that matches exactly ``text`` (its own ``*``, ``?`` and ``$`` escaped)."""
    return text.replace("$", "${$}").replace("*", "${*}").replace("?", "${?}")


@lru_cache(maxsize=64)
def any_text(min_length: int = 1) -> Automaton:
    """Any UTF-8 text of at least ``min_length`` characters (S3 object keys)."""
    return Shape().repeat(ANY, min_length, None).done()


def api_route_shape(verbs: Sequence[str]) -> Automaton:
    """``stage/VERB/path``: a stage name (letters, digits, hyphen, underscore), an HTTP verb, any path."""
    return _api_route_shape(tuple(verbs))


@lru_cache(maxsize=64)
def _api_route_shape(verbs: Tuple[str, ...]) -> Automaton:
    """(Shapes are built once per process and shared: nothing changes an automaton once built.)"""
    stage = frozenset(_ALNUM | {"-", "_"})
    return Shape().repeat(stage, 1, None).literal("/").choice(verbs).literal("/").repeat(ANY, 0, None).done()


@lru_cache(maxsize=64)
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


def _literal_text(pattern: str) -> Optional[str]:
    """The one string a glob without wildcards matches (its escapes decoded), or None for a wildcard pattern."""
    out, i = [], 0
    while i < len(pattern):
        for escape, literal in _ESCAPES:
            if pattern.startswith(escape, i):
                out.append(literal)
                i += len(escape)
                break
        else:
            if pattern[i] in "*?":
                return None
            out.append(pattern[i])
            i += 1
    return "".join(out)


class _Trie:
    """Exact patterns (endpoint IDs, account IDs, literal keys) as one automaton: its state is one node, where a
    product of one automaton per literal would multiply; matching without case folds both sides."""

    DEAD = -1

    def __init__(self, fold: bool) -> None:
        self.fold = fold
        self.children: List[Dict[str, int]] = [{}]
        self.ends: Dict[int, List[int]] = {}
        self.chars: set = set()

    def add(self, text: str, index: int) -> None:
        node = 0
        for char in text.lower() if self.fold else text:
            self.chars.update({char, char.upper()} if self.fold else {char})
            nxt = self.children[node].get(char)
            if nxt is None:
                self.children.append({})
                nxt = self.children[node][char] = len(self.children) - 1
            node = nxt
        self.ends.setdefault(node, []).append(index)

    def step(self, node: int, char: str) -> int:
        if node == self.DEAD:
            return node
        return self.children[node].get(char.lower() if self.fold else char, self.DEAD)

    def walk(self, text: str, node: int = 0) -> int:
        for char in text:
            node = self.step(node, char)
        return node


def distinguishing_values(prefix: str, patterns: Sequence[str], shape: Automaton,
                          preferred: Sequence[str] = (), max_states: int = 20_000,
                          ignore_case: Union[bool, Sequence[bool]] = False,
                          deadline: Optional[float] = None, ordered: bool = True) -> Dict[Tuple[bool, ...], str]:
    """For every subset of ``patterns`` that some well-formed value matches exactly (``prefix`` + value against each
    whole pattern), one such value (without the prefix). A ``preferred`` value stands for its class when it has
    one, so counterexamples read well; the rest are the shortest values the search finds. ``ignore_case``: for all
    patterns, or one flag per pattern. Patterns without wildcards share one trie per case rule. ``deadline`` (a
    time.monotonic() value) bounds the search in time as ``max_states`` does in size. ``ordered`` False: the caller
    does not read the classes in the search's order (it sorts them), so exact patterns may take a shortcut."""
    folds = [ignore_case] * len(patterns) if isinstance(ignore_case, bool) else list(ignore_case)
    if not ordered and not prefix and not any(folds):
        shortcut = _exact_classes(patterns, shape, preferred)
        if shortcut is not None:
            return shortcut
    tries = (_Trie(False), _Trie(True))
    globs: List[Tuple[int, Automaton]] = []
    for index, (pattern, fold) in enumerate(zip(patterns, folds)):
        literal = _literal_text(pattern)
        if literal is None:
            globs.append((index, glob_automaton(pattern, fold)))
        else:
            tries[fold].add(literal, index)
    automata = [automaton for _, automaton in globs]
    states = []
    for automaton in automata:
        current = automaton.start()
        for char in prefix:
            current = automaton.step(current, char) if current else current
        states.append(current)
    nodes = tuple(trie.walk(prefix) for trie in tries)
    trie_chars = Automaton()
    trie_chars.literals = tries[0].chars | tries[1].chars
    alphabet = _alphabet(automata + [shape, trie_chars])

    def signature(glob_states: Sequence[FrozenSet[int]], trie_nodes: Sequence[int]) -> Tuple[bool, ...]:
        matched = [False] * len(patterns)
        for (index, automaton), current in zip(globs, glob_states):
            matched[index] = automaton.accepts(current)
        for trie, node in zip(tries, trie_nodes):
            for index in trie.ends.get(node, ()):
                matched[index] = True
        return tuple(matched)

    start = (tuple(states), nodes, shape.start())
    found: Dict[Tuple[bool, ...], str] = {}
    seen = {start}
    queue = deque([(start, "")])
    exact, folded = tries
    dead = _Trie.DEAD
    shape_step, shape_accepting, shape_steps = shape.step, shape.accepting, shape._steps
    while queue:
        (pattern_states, trie_nodes, shape_states), text = queue.popleft()
        if not shape_accepting.isdisjoint(shape_states):
            found.setdefault(signature(pattern_states, trie_nodes), text)
        exact_node, folded_node = trie_nodes
        for char in alphabet:
            nxt_shape = shape_steps.get((shape_states, char))
            if nxt_shape is None:
                nxt_shape = shape_step(shape_states, char)
            if not nxt_shape:
                continue
            # (inlined _Trie.step and Automaton.step: this loop is most of a verdict's time)
            nxt = (tuple([(a._steps.get((s, char)) or a.step(s, char)) if s else s
                          for a, s in zip(automata, pattern_states)]) if automata else (),
                   (dead if exact_node == dead else exact.children[exact_node].get(char, dead),
                    dead if folded_node == dead else folded.children[folded_node].get(char.lower(), dead)),
                   nxt_shape)
            if nxt in seen:
                continue
            seen.add(nxt)
            if len(seen) > max_states:
                raise WitnessLimit(f"the {len(patterns)} patterns combine into more than {max_states} cases")
            if deadline is not None and not len(seen) % 256 and time.monotonic() > deadline:
                raise WitnessLimit(f"the {len(patterns)} patterns could not be combined within the time bound")
            queue.append((nxt, text + char))
    taken = set()
    for value in preferred:
        if not accepts(shape, value):
            continue
        key = _signature_of(prefix + value, patterns, folds, globs, tries)
        if key in found and key not in taken:
            found[key] = value
            taken.add(key)
    return found


def _exact_classes(patterns: Sequence[str], shape: Automaton,
                   preferred: Sequence[str]) -> Optional[Dict[Tuple[bool, ...], str]]:
    """The classes of patterns without wildcards or case folding, without a search: a well-formed value matches
    exactly the patterns written as it (its class's only value is itself), or none of them. The class of values
    matching none is represented by the first preferred value in it, as the search's result would be; None (do the
    search) when a pattern has a wildcard or no preferred value stands for that class."""
    literals = [_literal_text(pattern) for pattern in patterns]
    if any(literal is None for literal in literals):
        return None
    named = set(literals)
    outside = next((value for value in preferred if value not in named and accepts(shape, value)), None)
    if outside is None:
        return None
    found: Dict[Tuple[bool, ...], str] = {tuple(False for _ in literals): outside}
    for literal in dict.fromkeys(literals):
        if accepts(shape, literal):  # type: ignore[arg-type]
            found.setdefault(tuple(other == literal for other in literals), literal)  # type: ignore[arg-type]
    return found


def _signature_of(text: str, patterns: Sequence[str], folds: Sequence[bool], globs: Sequence[Tuple[int, Automaton]],
                  tries: Sequence[_Trie]) -> Tuple[bool, ...]:
    """Which patterns match ``text``: the globs one by one, the exact patterns by one trie walk each."""
    matched = [False] * len(patterns)
    for index, _ in globs:
        matched[index] = glob_match(patterns[index], text, folds[index])
    for trie in tries:
        for index in trie.ends.get(trie.walk(text), ()):
            matched[index] = True
    return tuple(matched)


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
