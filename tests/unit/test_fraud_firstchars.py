"""The first-character guard of the text checks' alternations (`firstchars.py`): a lookahead
for every character a match can begin with, so that positions where no branch can start are
skipped by one set test. It must never change what a pattern matches."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain.fraud.detector import ready_of, reveal
from bot.domain.fraud.firstchars import first_chars, guarded
from bot.domain.fraud.normalize import compact
from bot.domain.fraud.resources import load_yaml
from bot.domain.fraud.text import TextChecker, joined

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize(
    ("pattern", "chars"),
    [
        ("(?:ab|c[de])x?", {"a", "c"}),
        ("(?:x)?y", {"x", "y"}),
        ("(?:x|)y", {"x", "y"}),
        ("x{0,3}(?:y|z)", {"x", "y", "z"}),
        ("(?<!被)举报|\\bfoo", {"举", "f"}),
        ("(?=a)ab|c", {"a", "c"}),
        ("\\d+元", set("0123456789")),
        ("[a-c]+|请", {"a", "b", "c", "请"}),
        ("\\s*@x", {" ", "\t", "\n", "\r", "\f", "\v", "@"}),
    ],
)
def test_first_characters_of_a_pattern(pattern: str, chars: set[str]) -> None:
    assert first_chars(pattern, re.ASCII) == frozenset(chars)


@pytest.mark.parametrize(
    "pattern",
    [
        "a?",  # can match the empty string: every position may match
        "(?:x|y?)",
        "[^，。]{1,4}转账",  # a negated class: anything can start it
        ".转账",
        "\\W转账",  # a negated category
    ],
)
def test_no_guard_when_the_first_characters_are_not_known(pattern: str) -> None:
    assert first_chars(pattern, re.ASCII) is None
    assert guarded(pattern, re.ASCII) == pattern


def test_no_guard_when_case_is_ignored() -> None:
    assert first_chars("abc", re.ASCII | re.IGNORECASE) is None


def _groups() -> Iterator[tuple[str, list[str]]]:
    data: dict[str, Any] = load_yaml("scripts.yaml")
    for name, patterns in data.items():
        if name == "triggers":
            continue
        if name == "requests":
            for kind, spec in patterns.items():
                yield f"requests.{kind}", list(spec["object"])
        elif isinstance(patterns, dict):
            for part, items in patterns.items():
                if isinstance(items, list) and all(isinstance(p, str) for p in items):
                    yield f"{name}.{part}", list(items)
        else:
            yield name, list(patterns)


def _texts() -> list[str]:
    out = []
    for path in sorted(DATA.glob("fraud_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line).get("text", "")
                out.append(compact(ready_of(reveal(raw)[0])))
    return out


def test_guarded_patterns_find_exactly_what_the_patterns_find() -> None:
    texts = _texts()
    assert len(texts) > 5000
    guarded_groups = 0
    for name, patterns in _groups():
        plain = re.compile(joined(patterns), re.ASCII)
        fast = re.compile(guarded(joined(patterns), re.ASCII), re.ASCII)
        guarded_groups += fast.pattern != plain.pattern
        for text in texts:
            want = [m.span() for m in plain.finditer(text)]
            assert [m.span() for m in fast.finditer(text)] == want, (name, text)
    assert guarded_groups >= 20


def test_the_checks_run_the_guarded_patterns() -> None:
    checker = TextChecker()
    assert checker.scam_claims.pattern.startswith("(?=[")
    assert checker.discussion.pattern.startswith("(?=[")
    assert sum(r.pattern.pattern.startswith("(?=[") for r in checker.requests) >= 15
