"""Retrieval quality on a labelled question set: hit@k, MRR, confidence-gate accuracy.

The set is JSON Lines: `{"q": "...", "lang": "zh", "ids": ["arrival-times", ...]}`; `ids`
are the sections that answer the question (any of them counts as a hit). A question with
`"answerable": false` (and no ids) must get `confident: false`. An optional `"split"` names
the part of the set a question belongs to: `dev` (the default; the texts and the gate were
tuned while looking at these), `forms` (buyer wording: traditional, abbreviations, typos, full-width, non-native English), `holdout` .. `holdout10` (written later,
each scored once before any tuning on it; see docs/knowledge.md).
Metrics are reported for the whole set and for each split.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.knowledge.base import Answer, KnowledgeBase
from bot.knowledge.rerank import Memory


@dataclass(frozen=True)
class Question:
    q: str
    lang: str | None
    ids: tuple[str, ...]
    answerable: bool = True
    split: str = "dev"


def load_questions(path: Path | str) -> list[Question]:
    questions = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON: {exc}") from exc
        ids = tuple(row.get("ids") or ())
        answerable = bool(row.get("answerable", bool(ids)))
        questions.append(
            Question(row["q"], row.get("lang"), ids, answerable, str(row.get("split", "dev")))
        )
    return questions


def retrieval_metrics(
    kb: KnowledgeBase, questions: Iterable[Question], *, mode: str | None = None, depth: int = 10
) -> dict[str, Any]:
    """hit@1, hit@3, MRR@depth over the answerable questions (overall and per language)."""
    rows: list[tuple[str, int | None, Question, list[str]]] = []
    for question in questions:
        if not question.answerable:
            continue
        got = [s.id for s in kb.search(question.q, question.lang, depth, mode=mode)]
        rank = next((i for i, sid in enumerate(got, start=1) if sid in question.ids), None)
        rows.append((kb_lang(question), rank, question, got))
    result = _summary([r[1] for r in rows])
    for lang in sorted({r[0] for r in rows}):
        result[lang] = _summary([r[1] for r in rows if r[0] == lang])
    splits = sorted({r[2].split for r in rows})
    if len(splits) > 1:
        for split in splits:
            result[split] = _summary([r[1] for r in rows if r[2].split == split])
    result["misses_at_3"] = [
        {"q": q.q, "expected": list(q.ids), "got": got[:3]}
        for _l, rank, q, got in rows
        if rank is None or rank > 3
    ]
    return result


def kb_lang(question: Question) -> str:
    from bot.knowledge.textproc import detect_lang

    return question.lang or detect_lang(question.q)


def _summary(ranks: Sequence[int | None]) -> dict[str, Any]:
    n = len(ranks) or 1
    return {
        "n": len(ranks),
        "hit@1": round(sum(1 for r in ranks if r is not None and r <= 1) / n, 4),
        "hit@3": round(sum(1 for r in ranks if r is not None and r <= 3) / n, 4),
        "mrr": round(sum(1.0 / r for r in ranks if r is not None) / n, 4),
    }


def gate_metrics(
    kb: KnowledgeBase, questions: Iterable[Question], *, mode: str | None = None
) -> dict[str, Any]:
    """How often `confident` is right: True for answerable questions, False for the rest."""
    questions = list(questions)
    tp = tn = fp = fn = 0
    wrong: list[dict[str, Any]] = []
    per_split: dict[str, list[int]] = {}
    for question in questions:
        answer = kb.ask(question.q, question.lang, mode=mode)
        right = question.answerable == answer.confident
        per_split.setdefault(question.split, []).append(int(right))
        if question.answerable and answer.confident:
            tp += 1
        elif not question.answerable and not answer.confident:
            tn += 1
        else:
            if answer.confident:
                fp += 1
            else:
                fn += 1
            wrong.append(
                {
                    "q": question.q,
                    "answerable": question.answerable,
                    "confidence": round(answer.confidence, 3),
                }
            )
    total = (tp + tn + fp + fn) or 1
    result: dict[str, Any] = {
        "accuracy": round((tp + tn) / total, 4),
        "answerable_confident": round(tp / ((tp + fn) or 1), 4),
        "offtopic_not_confident": round(tn / ((tn + fp) or 1), 4),
        "n_answerable": tp + fn,
        "n_offtopic": tn + fp,
    }
    if len(per_split) > 1:
        for split, marks in sorted(per_split.items()):
            result[f"accuracy_{split}"] = round(sum(marks) / len(marks), 4)
    result["wrong"] = wrong
    return result


def verdict_of(question: Question, answer: Answer) -> str:
    """What the buyer got: right / wrong / unsure, or offtopic_confident / offtopic_unsure."""
    top = answer.sources[0].id if answer.sources else None
    if not question.answerable:
        return "offtopic_confident" if answer.confident else "offtopic_unsure"
    if not answer.confident:
        return "unsure"
    return "right" if top in question.ids else "wrong"


def answer_metrics(
    kb: KnowledgeBase,
    questions: Iterable[Question],
    *,
    mode: str | None = None,
    own_memory: bool = True,
) -> dict[str, Any]:
    """What the buyer gets: "confident and right" is a confident answer whose first section
    is one of the labelled ones; an unsure answer counts as a miss. Off-topic questions must
    never be confident. Figures overall and per split and language.

    The reranker remembers the labelled questions it was trained with (`rerank.Memory`), so
    on those questions it is asked in-sample; `own_memory=False` answers each split with a
    memory that leaves that split's questions out (as a new question would be answered)."""
    rows: list[tuple[Question, str]] = []  # (question, verdict)
    questions = list(questions)
    model = kb.reranker
    if own_memory or model is None or model.memory is None:
        for question in questions:
            answer = kb.ask(question.q, question.lang, mode=mode)
            rows.append((question, verdict_of(question, answer)))
    else:
        # each split answered with a memory that does not hold that split's questions
        try:
            for split in sorted({q.split for q in questions}):
                asked = [q for q in questions if q.split == split]
                texts = {q.q for q in asked}
                kept = [e for e in model.memory.questions if e[0] not in texts]
                kb.reranker = replace(model, memory=Memory(kept))
                for question in asked:
                    answer = kb.ask(question.q, question.lang, mode=mode)
                    rows.append((question, verdict_of(question, answer)))
        finally:
            kb.reranker = model
    result = answer_summary([v for _q, v in rows])
    for lang in sorted({kb_lang(q) for q, _v in rows}):
        result[lang] = answer_summary([v for q, v in rows if kb_lang(q) == lang])
    splits = sorted({q.split for q, _v in rows})
    if len(splits) > 1:
        for split in splits:
            result[split] = answer_summary([v for q, v in rows if q.split == split])
    result["misses"] = [
        {"q": q.q, "verdict": v, "expected": list(q.ids)}
        for q, v in rows
        if v in ("unsure", "wrong", "offtopic_confident")
    ]
    return result


def answer_summary(verdicts: Sequence[str]) -> dict[str, Any]:
    answerable = [v for v in verdicts if v in ("right", "wrong", "unsure")]
    offtopic = [v for v in verdicts if v.startswith("offtopic")]
    n = len(answerable) or 1
    return {
        "n": len(answerable),
        "confident_right": round(answerable.count("right") / n, 4),
        "confident_wrong": round(answerable.count("wrong") / n, 4),
        "unsure": round(answerable.count("unsure") / n, 4),
        "n_offtopic": len(offtopic),
        "offtopic_confident": offtopic.count("offtopic_confident"),
    }
