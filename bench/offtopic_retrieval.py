"""How far the general off-topic gate (`gate.foreign_request`) generalises, measured against
the unserved-request families it should make unnecessary.

    python bench/offtopic_retrieval.py [--extra more_offtopic.jsonl ...]

For the gate off and on it prints:

- the labelled file's answers in-sample and with each split left out of the reranker's
  memory (the gate reads the memory, so a split's own questions must not be in it);
- leave-one-family-out: each family of `unserved_requests.toml` switched off in turn, how
  many off-topic questions (labelled and `--extra`) are answered with confidence;
- every family switched off at once, and the `--extra` questions with every family on.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.knowledge import KnowledgeBase, gate  # noqa: E402
from bot.knowledge.evaluation import Question, answer_metrics, load_questions  # noqa: E402


@contextmanager
def general_gate(on: bool) -> Iterator[None]:
    kept = gate.FOREIGN_SHARE
    if not on:
        gate.FOREIGN_SHARE = math.inf
    try:
        yield
    finally:
        gate.FOREIGN_SHARE = kept


@contextmanager
def families_off(kinds: Sequence[str]) -> Iterator[None]:
    patterns = gate.unserved_patterns
    kept = tuple(p for p in patterns() if p[0] not in kinds)
    gate.unserved_patterns = lambda path=gate.UNSERVED_FILE: kept  # type: ignore[assignment]
    try:
        yield
    finally:
        gate.unserved_patterns = patterns  # type: ignore[assignment]


def confident(kb: KnowledgeBase, questions: Sequence[Question]) -> list[str]:
    return [q.q for q in questions if kb.ask(q.q, q.lang).confident]


def _summary(metrics: dict[str, object]) -> dict[str, object]:
    keys = ("n", "confident_right", "confident_wrong", "unsure", "n_offtopic", "offtopic_confident")
    return {k: metrics[k] for k in keys}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", default=str(ROOT / "tests" / "data" / "retrieval_questions.jsonl")
    )
    parser.add_argument("--extra", action="append", default=[], help="more off-topic questions")
    args = parser.parse_args(argv)

    labelled = load_questions(args.questions)
    offtopic = [q for q in labelled if not q.answerable]
    extra = [q for path in args.extra for q in load_questions(path) if not q.answerable]
    kb = KnowledgeBase.load()
    kinds = sorted({kind for kind, _lang, _pattern in gate.unserved_patterns()})
    report: dict[str, object] = {"families": kinds}
    for on in (False, True):
        name = "general_gate_on" if on else "general_gate_off"
        with general_gate(on):
            part: dict[str, object] = {
                "in_sample": _summary(answer_metrics(kb, labelled)),
                "split_left_out_of_memory": _summary(
                    answer_metrics(kb, labelled, own_memory=False)
                ),
                "extra_confident": confident(kb, extra),
            }
            lofo: dict[str, object] = {}
            for kind in kinds:
                with families_off([kind]):
                    lofo[kind] = {
                        "labelled_offtopic_confident": confident(kb, offtopic),
                        "extra_confident": len(confident(kb, extra)),
                    }
            part["leave_one_family_out"] = lofo
            with families_off(kinds):
                part["every_family_off"] = {
                    "labelled_offtopic_confident": confident(kb, offtopic),
                    "extra_confident": confident(kb, extra),
                }
            report[name] = part
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
