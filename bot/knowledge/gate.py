"""The confidence gate: is a question covered by the texts well enough to answer it?

Two measures over the question's content words (each word counts when it, or a text word
that stands in for its buyer phrase, occurs):

- `coverage`: against the whole language's vocabulary; (known / words) * min(1, known / 2).
  Off-topic questions ("今天天气怎么样") share few words with a refund policy.
- `section_coverage`: against the best section's own words (title, aliases, text). A
  question the texts cover in general, but whose best section shares little of it, is a
  guess: the answer would be about something else.

The answer is confident when both reach their minimum. The minimums were set on
tests/data/retrieval_questions.jsonl (bench/eval_retrieval.py; docs/knowledge.md).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

MIN_CONFIDENCE = 0.4
MIN_SECTION_COVERAGE = 0.34

GateWords = Sequence[tuple[str, tuple[str, ...]]]


def _known(words: GateWords, vocabulary: Collection[str]) -> int:
    return sum(1 for w, stand_ins in words if w in vocabulary or any(s in vocabulary for s in stand_ins))


def coverage(words: GateWords, vocabulary: Collection[str]) -> float:
    if not words:
        return 0.0
    known = _known(words, vocabulary)
    return (known / len(words)) * min(1.0, known / 2)


def section_coverage(words: GateWords, section_words: Collection[str]) -> float:
    if not words:
        return 0.0
    return _known(words, section_words) / len(words)


def is_confident(vocabulary_score: float, section_score: float) -> bool:
    return vocabulary_score >= MIN_CONFIDENCE and section_score >= MIN_SECTION_COVERAGE
