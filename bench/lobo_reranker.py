"""Leave-one-batch-out: how the reranker does on a batch of wording it was not trained on.

    python bench/lobo_reranker.py                 every batch of BATCHES, both recipes
    python bench/lobo_reranker.py --cost 1.0      another weight of a confidently wrong answer

The batches holdout10..holdout14 were each written after the code of their time was final.
For each of them, the reranker is trained (weights and `min_probability`, exactly as
bench/train_reranker.py does: the threshold chosen on out-of-fold probabilities of the
training splits) WITHOUT that batch, and the batch is then answered by `KnowledgeBase.ask`
with that model: the figures are what a buyer would have got, courtesies, aliases, the gate
and the near-tie rule included. The reranker's memory of labelled questions holds the
training splits' questions (each training question's memory features computed without its
own split), never the batch scored. Two recipes:

- `tuned`: trained on the tuned splits and the texts' example questions only (no batch of
  BATCHES seen), as the shipped model was before the batches were taken in;
- `pooled`: the same plus the other batches of BATCHES (the shipped recipe).

The pooled figures over the five batches (confident-right, confidently wrong, unsure, and
off-topic answered confidently) are the honest proxy for the next blind batch. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import train_reranker as tr  # noqa: E402

from bot.knowledge import KnowledgeBase, rerank  # noqa: E402
from bot.knowledge.evaluation import answer_summary, load_questions, verdict_of  # noqa: E402

BATCHES = ("holdout10", "holdout11", "holdout12", "holdout13", "holdout14")
RECIPES = ("tuned", "pooled")


def summary(verdicts: list[str]) -> dict[str, Any]:
    """The evaluation's answer summary, with the count of confidently wrong answers."""
    return {**answer_summary(verdicts), "wrong": verdicts.count("wrong")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cost", type=float, default=tr.WRONG_COST)
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--drop", default="", help="features left out (comma-separated)")
    parser.add_argument("--misses", action="store_true", help="list each batch's misses")
    parser.add_argument(
        "--thresholds",
        default="",
        help="also answer each batch at these min_probability values (comma-separated)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()

    kb = KnowledgeBase.load()
    kb.reranker = None
    questions = load_questions(tr.QUESTIONS)
    examples = tr.example_cases(kb)
    base = [q for q in questions if q.split not in tr.HELD_OUT and q.split not in BATCHES]
    all_cases = tr.cases(kb, base)
    batch_cases = {b: tr.cases(kb, [q for q in questions if q.split == b]) for b in BATCHES}

    dropped = [rerank.FEATURES.index(f) for f in args.drop.split(",") if f]
    for case in [*all_cases, *examples, *(c for cs in batch_cases.values() for c in cs)]:
        case.features[:, dropped] = 0.0  # a column of zeros keeps a weight of zero

    sweep = [float(t) for t in args.thresholds.split(",") if t]
    report: dict[str, object] = {"cost": args.cost, "dropped": args.drop.split(",")}
    for recipe in args.recipes.split(","):
        pooled: list[str] = []
        swept: dict[float, list[str]] = {t: [] for t in sweep}
        per_batch: dict[str, object] = {}
        for batch in BATCHES:
            train = all_cases + examples
            if recipe == "pooled":
                train = train + [c for b in BATCHES if b != batch for c in batch_cases[b]]
            pool = list(base)
            if recipe == "pooled":
                pool += [q for q in questions if q.split in BATCHES and q.split != batch]
            tr.with_memory(train + batch_cases[batch], pool)
            if dropped:
                for case in [*train, *batch_cases[batch]]:
                    case.features[:, dropped] = 0.0
            threshold, _curve = tr.choose_threshold(train, args.cost)
            w = tr.fit(train)
            memory = rerank.Memory(tr.memory_entries(pool))
            model = rerank.RerankModel(tuple(float(x) for x in w), threshold, memory=memory)
            asked = [q for q in questions if q.split == batch]
            for t in sweep:
                kb.reranker = replace(model, min_probability=t)
                swept[t] += [verdict_of(q, kb.ask(q.q, q.lang)) for q in asked]
            kb.reranker = model
            marks = []
            misses = []
            for q in asked:
                answer = kb.ask(q.q, q.lang)
                v = verdict_of(q, answer)
                marks.append(v)
                if v in ("wrong", "unsure", "offtopic_confident"):
                    got = answer.sources[0].id if answer.sources else None
                    misses.append({"q": q.q, "verdict": v, "expected": list(q.ids), "got": got})
            kb.reranker = None
            pooled += marks
            entry: dict[str, object] = {"min_probability": threshold, **summary(marks)}
            if args.misses:
                entry["misses"] = misses
            per_batch[batch] = entry
        result: dict[str, object] = {"pooled": summary(pooled), "batches": per_batch}
        if sweep:
            result["thresholds"] = {t: summary(v) for t, v in swept.items()}
        report[recipe] = result
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
