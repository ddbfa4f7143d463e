"""The keyword and clause regexes, matched by compiled code when it is there (training/fastmatch.c).

``Matcher(pattern)`` answers two questions with ``re``'s own results:
``spans(text)``, the flat start/end list of ``pattern.finditer(text)``, and
``search(text, start, end)``, whether ``pattern.search(text[start:end])``
finds anything. When the compiled module was built and the pattern's syntax
is in its subset (literals, classes, greedy repeats of one character,
alternation, look-around, ^ and $; no flags, no empty match), the pattern is
translated from ``re``'s own parse into the module's program; otherwise
``re`` answers. Tests compare the two on the corpus and on fuzzed text.
"""
from __future__ import annotations

import re
from functools import partial

from .extensions import compiled_module

# re's parser is how the translation reads a pattern exactly as re does; if a later Python
# moves it, matching falls back to re.
try:
    from re import _constants as _sre_constants
    from re import _parser as _sre_parser
except ImportError:  # pragma: no cover - depends on the Python version
    _sre_constants = _sre_parser = None


fastmatch = compiled_module("_fastmatch", "matching with re")
"""The compiled module, or None (then ``re`` matches); training.keywords calls its functions too."""


class Unsupported(ValueError):
    """The pattern uses syntax outside the compiled matcher's subset."""


# Largest first-character class listed in the first-character index; larger ones try every position.
_MAX_FIRST_CHARS = 256
# Longest chain of nodes a match may go through (the C matcher recurses about once per node on the
# way): a bound on its stack use. The keyword patterns need a few dozen. Alternations and
# look-arounds may nest _MAX_NESTING deep (_fastmatch.c's MAX_NESTING refuses deeper programs).
_MAX_DEPTH = 200
_MAX_NESTING = 64


def _class_node(items, low: int, high: int) -> tuple:
    """(0, negate, categories, ranges, min, max) for one character matched by a class (re's IN items)."""
    c = _sre_constants
    categories = {c.CATEGORY_SPACE: fastmatch.CAT_SPACE, c.CATEGORY_NOT_SPACE: fastmatch.CAT_NOT_SPACE,
                  c.CATEGORY_DIGIT: fastmatch.CAT_DIGIT, c.CATEGORY_NOT_DIGIT: fastmatch.CAT_NOT_DIGIT,
                  c.CATEGORY_WORD: fastmatch.CAT_WORD, c.CATEGORY_NOT_WORD: fastmatch.CAT_NOT_WORD}
    negate, flags, ranges = 0, 0, []
    for index, (op, value) in enumerate(items):
        if op is c.NEGATE and index == 0:
            negate = 1
        elif op is c.LITERAL:
            ranges += [value, value]
        elif op is c.RANGE:
            ranges += list(value)
        elif op is c.CATEGORY and value in categories:
            flags |= categories[value]
        else:
            raise Unsupported(f"{op} {value} in a class")
    return (0, negate, flags, tuple(ranges), low, high)


def _nodes(op, value) -> list[tuple]:
    c = _sre_constants
    if op is c.LITERAL:
        return [(0, 0, 0, (value, value), 1, 1)]
    if op is c.NOT_LITERAL:
        return [(0, 1, 0, (value, value), 1, 1)]
    if op is c.IN:
        return [_class_node(value, 1, 1)]
    if op is c.MAX_REPEAT:
        low, high, body = value
        if len(body.data) != 1:
            raise Unsupported("a repeat of more than one character")
        nodes = _nodes(*body.data[0])
        if len(nodes) != 1 or nodes[0][0] != 0 or nodes[0][4:] != (1, 1):
            raise Unsupported("a repeat of more than one character")
        return [nodes[0][:4] + (low, high)]
    if op is c.SUBPATTERN:
        _, add_flags, del_flags, body = value
        if add_flags or del_flags:
            raise Unsupported("inline flags")
        return list(_sequence(body))
    if op is c.BRANCH:
        return [(1, tuple(_sequence(alternative) for alternative in value[1]))]
    if op is c.ASSERT or op is c.ASSERT_NOT:
        direction, body = value
        width = 0
        if direction < 0:
            low, high = body.getwidth()
            if low != high:
                raise Unsupported("a look-behind of varying width")
            width = low
        return [(2, int(direction < 0), int(op is c.ASSERT_NOT), width, _sequence(body))]
    if op is c.AT and value in (c.AT_BEGINNING, c.AT_END):
        return [(3, int(value is c.AT_END))]
    raise Unsupported(f"{op} {value}")


def _sequence(parsed) -> tuple:
    return tuple(node for op, value in parsed.data for node in _nodes(op, value))


def _depth(nodes: tuple) -> int:
    """How many nodes a match of ``nodes`` can pass through on its way, look-arounds included."""
    total = 0
    for node in nodes:
        if node[0] == 1:
            total += 1 + max((_depth(alternative) for alternative in node[1]), default=0)
        elif node[0] == 2:
            total += 1 + _depth(node[4])
        else:
            total += 1
    return total


def _nesting(nodes: tuple) -> int:
    """How deep alternations and look-arounds nest in ``nodes``."""
    inner = [alternative for node in nodes if node[0] == 1 for alternative in node[1]]
    inner += [node[4] for node in nodes if node[0] == 2]
    return 1 + max(map(_nesting, inner), default=0)


def _class_chars(node: tuple) -> frozenset | None:
    """The characters one class node matches, when few enough to list."""
    _, negate, flags, ranges, _, _ = node
    if negate or flags or sum(hi - lo + 1 for lo, hi in zip(ranges[::2], ranges[1::2])) > _MAX_FIRST_CHARS:
        return None
    return frozenset(code for lo, hi in zip(ranges[::2], ranges[1::2]) for code in range(lo, hi + 1))


def first_chars(nodes: tuple) -> frozenset | None:
    """Every character a match of ``nodes`` can start with, or None when any can (or too many)."""
    for index, node in enumerate(nodes):
        kind = node[0]
        if kind in (2, 3):  # look-around and anchors consume nothing: the next node decides
            continue
        if kind == 0:
            if node[4] == 0:
                return None
            return _class_chars(node)
        # An alternation: the union over its alternatives, each followed by the rest.
        union: set = set()
        for alternative in node[1]:
            chars = first_chars(alternative + nodes[index + 1:])
            if chars is None:
                return None
            union |= chars
        return frozenset(union)
    return None


def program(pattern: re.Pattern) -> tuple:
    """(alternatives, firsts) for fastmatch.compile; Unsupported when outside its subset."""
    if _sre_parser is None or fastmatch is None:
        raise Unsupported("no compiled matcher")
    if not isinstance(pattern.pattern, str) or pattern.flags != re.UNICODE:
        raise Unsupported("flags or a bytes pattern")
    parsed = _sre_parser.parse(pattern.pattern, pattern.flags)
    if parsed.getwidth()[0] < 1:
        raise Unsupported("a pattern that can match the empty string")
    try:
        nodes = _sequence(parsed)
    except RecursionError:
        raise Unsupported("a pattern nested too deep") from None
    if _depth(nodes) > _MAX_DEPTH:
        raise Unsupported(f"a pattern with more than {_MAX_DEPTH} nodes in a row")
    if _nesting(nodes) > _MAX_NESTING:
        raise Unsupported(f"a pattern nested more than {_MAX_NESTING} deep")
    # A pattern that is one alternation is indexed by its alternatives' first characters.
    alternatives = nodes[0][1] if len(nodes) == 1 and nodes[0][0] == 1 else (nodes,)
    firsts = tuple(None if (chars := first_chars(a)) is None else tuple(sorted(chars)) for a in alternatives)
    return alternatives, firsts


class Matcher:
    """``spans`` and ``search`` of one pattern, compiled when possible (``compiled`` says which).

    A compiled instance binds the module's functions in place of the two methods below, which
    then describe what they answer; text may be any str, bounds any ints, as for slices."""

    def __init__(self, pattern: re.Pattern):
        self.pattern = pattern
        self.capsule = None
        """The compiled matcher, for the module's functions (None when not compiled)."""
        try:
            alternatives, firsts = program(pattern)
        except Unsupported:
            return
        self.capsule = fastmatch.compile(alternatives, firsts)
        # Bound C functions: one call per question, no Python frame.
        self.spans = partial(fastmatch.find_all, self.capsule)
        self.search = partial(fastmatch.search, self.capsule)

    @property
    def compiled(self) -> bool:
        return self.capsule is not None

    def spans(self, text: str) -> list[int]:
        """start, end, start, end, ... of the pattern's matches, as ``finditer`` finds them."""
        return [bound for match in self.pattern.finditer(text) for bound in match.span()]

    def search(self, text: str, start: int, end: int) -> bool:
        """Whether the pattern matches in ``text[start:end]``, taken as a string of its own."""
        return self.pattern.search(text[start:end]) is not None


class MatcherSet:
    """``spans`` of several patterns over one text: with the compiled module, one pass for all."""

    def __init__(self, patterns):
        self.matchers = tuple(Matcher(pattern) for pattern in patterns)
        self.capsule = None
        if self.matchers and len(self.matchers) <= 64 and all(m.compiled for m in self.matchers):
            self.capsule = fastmatch.compile_set(tuple(m.capsule for m in self.matchers))
            self.spans = partial(fastmatch.find_all_set, self.capsule)

    @property
    def compiled(self) -> bool:
        return self.capsule is not None

    def spans(self, text: str) -> tuple[list[int], ...]:
        """Per pattern, what its ``Matcher.spans`` gives."""
        return tuple(matcher.spans(text) for matcher in self.matchers)
