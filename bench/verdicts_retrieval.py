"""Every labelled question's verdict, and what changed since a saved run.

    python bench/verdicts_retrieval.py --save before.json        ask every question, save
    python bench/verdicts_retrieval.py --diff before.json        ask again, list changes

A change of the texts, the tables or the gate is measured by its counts, and the counts hide
a right answer lost for a wrong one gained. This asks every question of
tests/data/retrieval_questions.jsonl (lexical configuration, the shipped reranker) in-sample and
with its own split left out of the reranker's memory, and records its
verdict (right / wrong / unsure / offtopic_confident / offtopic_unsure) and the section
answered. `--diff` prints every question whose verdict or section changed, then the counts of
each verdict before and after. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge import KnowledgeBase  # noqa: E402
from bot.knowledge.evaluation import Question, load_questions, verdict_of  # noqa: E402
from bot.knowledge.rerank import Memory  # noqa: E402

QUESTIONS = ROOT / "tests" / "data" / "retrieval_questions.jsonl"


def _key(q: Question) -> str:
    return f"{q.split or '-'}|{q.lang or '-'}|{q.q}"


def run(questions: list[Question]) -> dict[str, dict[str, str | None]]:
    """Each question's verdict and answered section, in-sample (`verdict`, `got`) and with
    its split left out of the reranker's memory (`left_out`, `got_left_out`), as
    `evaluation.answer_metrics` asks them."""
    kb = KnowledgeBase.load()
    model = kb.reranker
    out: dict[str, dict[str, str | None]] = {}
    for q in questions:
        answer = kb.ask(q.q, q.lang)
        out[_key(q)] = {
            "verdict": verdict_of(q, answer),
            "got": answer.sources[0].id if answer.sources else None,
        }
    if model is None or model.memory is None:
        return out
    for split in sorted({q.split for q in questions}, key=str):
        asked = [q for q in questions if q.split == split]
        texts = {q.q for q in asked}
        kb.reranker = replace(
            model, memory=Memory([e for e in model.memory.questions if e[0] not in texts])
        )
        for q in asked:
            answer = kb.ask(q.q, q.lang)
            out[_key(q)]["left_out"] = verdict_of(q, answer)
            out[_key(q)]["got_left_out"] = answer.sources[0].id if answer.sources else None
    kb.reranker = model
    return out


def _counts(verdicts: dict[str, dict[str, str | None]]) -> dict[str, dict[str, int]]:
    return {
        field: dict(Counter(str(v.get(field)) for v in verdicts.values()))
        for field in ("verdict", "left_out")
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(QUESTIONS))
    parser.add_argument("--save", help="write the verdicts to this file")
    parser.add_argument("--diff", help="compare with the verdicts saved in this file")
    args = parser.parse_args(argv)
    now = run(load_questions(args.questions))
    if args.save:
        Path(args.save).write_text(json.dumps(now, ensure_ascii=False, indent=0), "utf-8")
    report: dict[str, object] = {"counts": _counts(now)}
    if args.diff:
        before = json.loads(Path(args.diff).read_text("utf-8"))
        changed = [
            {"q": key, "before": before.get(key), "after": value}
            for key, value in now.items()
            if before.get(key) != value
        ]
        report["changed"] = changed
        report["counts_before"] = _counts(before)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
