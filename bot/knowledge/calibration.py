"""Calibration: is the chosen section, not just the topic, right often enough to answer?

The vocabulary gate (`gate.py`) says whether the texts cover a question at all. Most wrong
answers pass it: the question is about refunds, but the best section is a sibling of the
right one (the right one is second or third). The signals here look at the ranking itself:

- **margin**: how far the best section is ahead of the best *different* section,
  ``(s1 - s2) / s1`` of the fused scores (0: a tie);
- **agreement**: how many of the fused channels (BM25 words, character n-grams, the nearest
  example question, embeddings when loaded) rank the chosen section first, and
  **dissent**: how many rank the runner-up first;
- **section coverage**: the share of the question's content words that the chosen section
  (its title, text, aliases and example questions) contains;
- **kind match**: a "how long" / "how much" / "what do I do" question needs a section with
  a sentence holding that kind of fact (a number with a time unit, an amount, a step).

`is_reliable` turns them into a decision: a near tie (the best section leads by less than
MIN_MARGIN) that no channel ranks first is unsure. The thresholds were chosen by
leave-one-out cross-validation over the labelled splits and the blind batches at their first
score (`bench/calibrate_gate.py --blind`, docs/knowledge.md), weighing a confidently wrong
answer at WRONG_COST unsure ones. Stronger rules stop more wrong answers but cost more
right ones than they save unless a wrong answer is weighed at about eight. Section coverage
and kind match are reported for analysis; measured, they did not separate wrong from right
answers (every confidently wrong answer of the labelled set had a matching kind), so they
do not decide.

The learned reranker (`rerank.py`) adds a second rule in `KnowledgeBase.ask`: the answer is
also unsure when the reranker's probability for its first section is below its
`min_probability` (measured against this margin in docs/knowledge.md).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

Ranking = list[tuple[int, float]]

# Chosen by bench/calibrate_gate.py --blind (leave-one-out over the labelled splits and the
# blind batches, utility confident-right minus WRONG_COST x confidently wrong); see
# docs/knowledge.md for the trade-off curve.
WRONG_COST = 2.0
MIN_MARGIN = 0.1  # a lead smaller than this is unsure ...
MAX_AGREEMENT = 0  # ... unless more channels than this rank the chosen section first


@dataclass(frozen=True)
class Evidence:
    """What the ranking says about its own best section (see the module docstring)."""

    margin: float = 1.0
    agreement: int = 0
    dissent: int = 0
    channels: int = 0
    section_coverage: float = 1.0
    kind_match: bool = True
    best: str = ""
    runner_up: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "margin": round(self.margin, 4),
            "agreement": self.agreement,
            "dissent": self.dissent,
            "channels": self.channels,
            "section_coverage": round(self.section_coverage, 4),
            "kind_match": self.kind_match,
        }


def section_ranking(ranking: Ranking, section_of: Callable[[int], str]) -> list[tuple[str, float]]:
    """Chunk scores to sections (best chunk), best first."""
    best: dict[str, float] = {}
    for chunk, score in ranking:
        section = section_of(chunk)
        if score > best.get(section, float("-inf")):
            best[section] = score
    return sorted(best.items(), key=lambda x: -x[1])


def margin(sections: Sequence[tuple[str, float]]) -> float:
    """(s1 - s2) / s1 between the best two different sections; 1.0 with a single section."""
    if not sections:
        return 0.0
    first = sections[0][1]
    if len(sections) == 1 or first <= 0:
        return 1.0 if first > 0 else 0.0
    return max(0.0, (first - sections[1][1]) / first)


def channel_votes(
    parts: Sequence[Ranking], section_of: Callable[[int], str], best: str, runner_up: str
) -> tuple[int, int]:
    """(agreement, dissent): channels whose first section is `best`, and `runner_up`."""
    agree = dissent = 0
    for ranking in parts:
        if not ranking:
            continue
        top = section_of(max(ranking, key=lambda x: x[1])[0])
        if top == best:
            agree += 1
        elif runner_up and top == runner_up:
            dissent += 1
    return agree, dissent


def coverage_of(question_words: Collection[str], section_words: Collection[str]) -> float:
    """The share of the question's words that the section contains (1.0 for no words)."""
    words = set(question_words)
    if not words:
        return 1.0
    return len(words & set(section_words)) / len(words)


def evidence(
    fused: Ranking,
    parts: Sequence[Ranking],
    section_of: Callable[[int], str],
    *,
    question_words: Collection[str] = (),
    section_words: Callable[[str], Collection[str]] | None = None,
    kind_match: Callable[[str], bool] | None = None,
) -> Evidence:
    sections = section_ranking(fused, section_of)
    if not sections:
        return Evidence(margin=0.0)
    best = sections[0][0]
    runner_up = sections[1][0] if len(sections) > 1 else ""
    agree, dissent = channel_votes(parts, section_of, best, runner_up)
    return Evidence(
        margin=margin(sections),
        agreement=agree,
        dissent=dissent,
        channels=sum(1 for p in parts if p),
        section_coverage=coverage_of(question_words, section_words(best))
        if section_words is not None
        else 1.0,
        kind_match=kind_match(best) if kind_match is not None else True,
        best=best,
        runner_up=runner_up,
    )


def is_reliable(
    found: Evidence, *, min_margin: float | None = None, max_agreement: int | None = None
) -> bool:
    """False for a near tie (margin below `min_margin`, default MIN_MARGIN) that no more
    than `max_agreement` (default MAX_AGREEMENT) channels confirm; True otherwise."""
    min_margin = MIN_MARGIN if min_margin is None else min_margin
    max_agreement = MAX_AGREEMENT if max_agreement is None else max_agreement
    return not (found.margin < min_margin and found.agreement <= max_agreement)
