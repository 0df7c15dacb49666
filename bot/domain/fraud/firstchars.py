"""A guard for the big alternations of the text checks: the characters a match can start with.

Python's `re` tries every branch of an alternation at every position of the text unless the
pattern starts with a literal. The script patterns are alternations of dozens of branches
that begin with groups and classes, so most of their time goes to positions where no branch
can start. `guarded` prefixes such a pattern with a lookahead for the set of characters any
match can begin with (`first_chars`, read from the parsed pattern): a position that cannot
start a match is rejected by one set test. The set is a superset of the real first
characters, so the guarded pattern finds exactly the matches of the pattern.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

# what the ASCII classes hold (the text patterns are compiled with re.ASCII)
_DIGITS = frozenset("0123456789")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") | _DIGITS
_SPACE = frozenset(" \t\n\r\f\v")
_CATEGORIES = {
    _c.CATEGORY_DIGIT: _DIGITS,
    _c.CATEGORY_WORD: _WORD,
    _c.CATEGORY_SPACE: _SPACE,
}
_ZERO_WIDTH = (_c.AT, _c.ASSERT, _c.ASSERT_NOT)
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT)
_MAX_RANGE = 256  # a wider class range is not worth listing: no guard


class _Unknown(Exception):
    """A construct whose first characters are not listed (a negated class, `.`, a
    back-reference): the pattern gets no guard."""


def _sequence(items: Any) -> tuple[set[str], bool]:
    """The first characters of a sequence of parsed items, and whether it can match empty."""
    out: set[str] = set()
    for op, av in items:
        chars, empty = _item(op, av)
        out |= chars
        if not empty:
            return out, False
    return out, True


def _item(op: Any, av: Any) -> tuple[set[str], bool]:
    if op is _c.LITERAL:
        return {chr(av)}, False
    if op is _c.IN:
        chars: set[str] = set()
        for kind, arg in av:
            if kind is _c.LITERAL:
                chars.add(chr(arg))
            elif kind is _c.RANGE and arg[1] - arg[0] <= _MAX_RANGE:
                chars.update(map(chr, range(arg[0], arg[1] + 1)))
            elif kind is _c.CATEGORY and arg in _CATEGORIES:
                chars |= _CATEGORIES[arg]
            else:
                raise _Unknown(kind)
        return chars, False
    if op is _c.BRANCH:
        chars, empty = set(), False
        for alternative in av[1]:
            first, can_be_empty = _sequence(alternative)
            chars |= first
            empty = empty or can_be_empty
        return chars, empty
    if op is _c.SUBPATTERN:
        return _sequence(av[3])
    if op is _c.ATOMIC_GROUP:
        return _sequence(av)
    if op in _REPEATS:
        first, empty = _sequence(av[2])
        return first, empty or av[0] == 0
    if op in _ZERO_WIDTH:
        return set(), True  # consumes nothing: the next item gives the first character
    raise _Unknown(op)


def first_chars(pattern: str, flags: int = re.ASCII) -> frozenset[str] | None:
    """Every character a match of `pattern` can start with, or None when that is not
    known (the pattern can match the empty string, ignores case, or uses a construct
    not listed here)."""
    if flags & re.IGNORECASE or not flags & re.ASCII:
        return None
    try:
        chars, empty = _sequence(_parser.parse(pattern, flags))
    except _Unknown:
        return None
    return None if empty or not chars else frozenset(chars)


def guarded(pattern: str, flags: int = re.ASCII) -> str:
    """`pattern` behind a lookahead for its first characters (unchanged when not known)."""
    chars = first_chars(pattern, flags)
    if chars is None:
        return pattern
    cls = "".join(re.escape(ch) for ch in sorted(chars))
    return f"(?=[{cls}])(?:{pattern})"
