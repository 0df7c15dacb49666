"""Which branches of the text checks' big alternations can match a given text.

A pattern group of `scripts.yaml` (the scam lines, the objects of a request kind, ...) runs as
one alternation of dozens of patterns, and `re` tries every branch at every position of the
text. Most branches need a literal word the text does not contain: "(?:转账|汇款|转)…(?:安全
账户|指定账户)" cannot match a text without "安全账户" or "指定账户". `needed` reads such a
requirement from the parsed pattern (a set of words of which every match contains one), and
`Branches` runs a group as the alternation of only its branches whose requirement the text
meets (any branch without one always runs).

A branch left out cannot match anywhere in the text, so the alternation of the others finds
exactly the matches of the whole group, in the same order, with the same groups: at each
position the first branch that matches is the same one. The same holds on any slice of the
text (`search(text, pos, endpos)`), since a word absent from the text is absent from its slices.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT)
_MAX_CLASS = 12  # a character class of more characters is no useful requirement
# characters of nearly every text: a poor key for the index (a rarer one of the word is chosen)
_COMMON = frozenset(" etaoinsrhldcu的一是不了我你在有人这他们个")

Need = frozenset[str] | None


def _best(candidates: list[frozenset[str]]) -> Need:
    """The most selective of several requirements a match meets all of: the one whose
    shortest word is longest, then the one with the fewest words."""
    if not candidates:
        return None
    return max(candidates, key=lambda c: (min(map(len, c)), -len(c)))


def _sequence(items: Any) -> Need:
    """What a sequence of parsed items needs: its runs of literal characters and the needs
    of its mandatory items, the most selective of them."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            candidates.append(frozenset({"".join(run)}))
            run = []
        need = _item(op, av)
        if need:
            candidates.append(need)
    if run:
        candidates.append(frozenset({"".join(run)}))
    return _best(candidates)


def _item(op: Any, av: Any) -> Need:
    if op is _c.LITERAL:
        return frozenset({chr(av)})
    if op is _c.IN:
        chars: set[str] = set()
        for kind, arg in av:
            if kind is _c.LITERAL:
                chars.add(chr(arg))
            elif kind is _c.RANGE and arg[1] - arg[0] < _MAX_CLASS:
                chars.update(map(chr, range(arg[0], arg[1] + 1)))
            else:
                return None  # a negated class, a category, a wide range
        return frozenset(chars) if 0 < len(chars) <= _MAX_CLASS else None
    if op is _c.BRANCH:
        words: set[str] = set()
        for alternative in av[1]:
            need = _sequence(alternative)
            if not need:
                return None  # one alternative needs nothing: the branch needs nothing
            words |= need
        return frozenset(words)
    if op is _c.SUBPATTERN:
        _group, add_flags, _del_flags, body = av
        if add_flags & re.IGNORECASE:
            return None
        return _sequence(body)
    if op is _c.ATOMIC_GROUP:
        return _sequence(av)
    if op in _REPEATS:
        low, _high, body = av
        return _sequence(body) if low >= 1 else None
    return None  # zero-width assertions, any character, back-references: no requirement


def needed(pattern: str, flags: int = re.ASCII) -> Need:
    """A set of words of which every match of `pattern` contains at least one, or None when
    no such set is known (the pattern ignores case, or can match without any fixed word)."""
    if flags & re.IGNORECASE:
        return None
    try:
        parsed = _parser.parse(pattern, flags)
    except re.error:
        return None
    if parsed.state.flags & re.IGNORECASE:  # an inline (?i) at the start
        return None
    return _sequence(parsed)


def _key(word: str, counts: dict[str, int]) -> str:
    """The character of `word` the index files it under: the rarest (by how many words
    contain it), a common character only when the word has no other."""
    return min(word, key=lambda ch: (ch in _COMMON, counts.get(ch, 0)))


class Branches:
    """A pattern group run with only the branches that can match a text:
    `for_text(text)` is the alternation of those branches (compiled by `compile_group`,
    cached per set of branches), None when no branch can match.

    Compiling an alternation of a big group takes milliseconds and keeps tens of kB, so at
    most `cache_size` of them are compiled; a text needing another set of branches gets the
    whole group (the same matches, without the shortcut)."""

    def __init__(
        self,
        patterns: Sequence[str],
        compile_group: Callable[[list[str]], re.Pattern[str]],
        flags: int = re.ASCII,
        cache_size: int = 128,
    ) -> None:
        self.patterns = list(patterns)
        self.whole = compile_group(self.patterns)
        self.cache_size = cache_size
        self.needs: list[Need] = [needed(p, flags) for p in self.patterns]
        self._compile = compile_group
        self._always = 0  # the bits of the branches with no requirement
        by_word: dict[str, int] = {}
        for i, need in enumerate(self.needs):
            if need is None:
                self._always |= 1 << i
            else:
                for w in need:
                    by_word[w] = by_word.get(w, 0) | 1 << i
        counts: dict[str, int] = {}
        for w in by_word:
            for ch in set(w):
                counts[ch] = counts.get(ch, 0) + 1
        index: dict[str, list[tuple[str, int]]] = {}
        for w, bits in by_word.items():
            index.setdefault(_key(w, counts), []).append((w, bits))
        self._index = index
        self._keys = frozenset(index)
        self._compiled: dict[int, re.Pattern[str]] = {}

    def live(self, text: str) -> int:
        """The bits of the branches that can match `text` (bit i: pattern i)."""
        live = self._always
        index = self._index
        for ch in self._keys.intersection(text):
            for word, bits in index[ch]:
                if bits & ~live and word in text:
                    live |= bits
        return live

    def for_text(self, text: str) -> re.Pattern[str] | None:
        """The alternation of the branches that can match `text`, None when none can."""
        live = self.live(text)
        found = self._compiled.get(live)
        if found is not None:
            return found
        if not live:
            return None
        if len(self._compiled) >= self.cache_size:
            return self.whole  # no room for another compiled alternation
        chosen = [p for i, p in enumerate(self.patterns) if live >> i & 1]
        compiled = self._compile(chosen)
        self._compiled[live] = compiled
        return compiled
