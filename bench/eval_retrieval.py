"""Retrieval quality: what the buyer gets ("confident and right": a confident answer whose
first section is a labelled one; unsure counts as a miss; confidently wrong; off-topic
answered confidently), hit@1, hit@3 and MRR per retriever configuration, and the accuracy of
the confidence gate, on the labelled questions in tests/data/retrieval_questions.jsonl,
overall, per language and per split (dev, forms, holdout..holdout10).

    python bench/eval_retrieval.py                 # lexical configurations (+ embeddings if installed)
    python bench/eval_retrieval.py --no-embeddings
    python bench/eval_retrieval.py --misses        # list the questions missed at 3
    python bench/eval_retrieval.py --no-own-memory # the reranker's memory without each split

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.knowledge import KnowledgeBase  # noqa: E402
from bot.knowledge.evaluation import answer_metrics, gate_metrics, load_questions, retrieval_metrics  # noqa: E402

LEXICAL_MODES = ("bm25", "tfidf", "lexical")
DENSE_MODES = ("embeddings", "hybrid")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", default=str(ROOT / "tests" / "data" / "retrieval_questions.jsonl")
    )
    parser.add_argument("--knowledge-dir", default=None)
    parser.add_argument(
        "--no-embeddings", action="store_true", help="skip the embedding configurations"
    )
    parser.add_argument("--cache-dir", default=None, help="vector cache directory")
    parser.add_argument("--misses", action="store_true", help="include the questions missed at 3")
    parser.add_argument(
        "--no-own-memory",
        action="store_true",
        help="answer each split with a reranker memory that leaves its questions out",
    )
    args = parser.parse_args(argv)

    questions = load_questions(args.questions)
    kb = KnowledgeBase.load(args.knowledge_dir)
    report: dict[str, object] = {
        "questions": sum(1 for q in questions if q.answerable),
        "offtopic_questions": sum(1 for q in questions if not q.answerable),
        "default": kb.default_mode,
        "configurations": {},
    }
    configs: dict[str, object] = {}
    answers = answer_metrics(kb, questions, own_memory=not args.no_own_memory)
    if not args.misses:
        answers.pop("misses")
    report["answers"] = answers
    for mode in LEXICAL_MODES:
        configs[mode] = _strip(retrieval_metrics(kb, questions, mode=mode), args.misses)
    gate = gate_metrics(kb, questions)
    if not args.misses:
        gate.pop("wrong")
    report["confidence_gate"] = gate

    if not args.no_embeddings:
        try:
            started = time.perf_counter()
            dense = KnowledgeBase.load(
                args.knowledge_dir, embeddings=True, cache_dir=args.cache_dir
            )
            load_s = time.perf_counter() - started
        except RuntimeError as exc:
            report["embeddings"] = f"unavailable: {exc}"
        else:
            report["embeddings"] = {
                "model": getattr(dense.embedder, "model_name", "?"),
                "load_s": round(load_s, 3),
            }
            for mode in DENSE_MODES:
                configs[mode] = _strip(retrieval_metrics(dense, questions, mode=mode), args.misses)
            hybrid_answers = answer_metrics(dense, questions)
            if not args.misses:
                hybrid_answers.pop("misses")
            report["answers_hybrid"] = hybrid_answers
            hybrid_gate = gate_metrics(dense, questions)
            if not args.misses:
                hybrid_gate.pop("wrong")
            report["confidence_gate_hybrid"] = hybrid_gate
    report["configurations"] = configs
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


def _strip(metrics: dict[str, object], keep_misses: bool) -> dict[str, object]:
    if not keep_misses:
        metrics.pop("misses_at_3", None)
    return metrics


if __name__ == "__main__":
    raise SystemExit(main())
