"""Calibrate the confidence decision: which near ties between sections to call unsure.

For every labelled question (tests/data/retrieval_questions.jsonl) the default configuration
is asked once with the calibration switched off; the answer's evidence (margin between the
best two different sections, channel agreement, section coverage, kind match) is kept with
its verdict (right / wrong / unsure by the vocabulary gate / off-topic). Then:

- the trade-off curve: confident-right against confidently wrong over all answerable
  questions, for every rule `unsure when margin < m and agreement <= a`;
- leave-one-split-out cross-validation: for each split, the rule that maximises
  confident-right - cost x confidently wrong on the other splits is chosen and scored on the
  held-out split (never a threshold read off a single batch), for several costs; with
  `--blind`, also over the blind batches alone and over both together;
- how well each signal separates right from wrong answers on its own (quantiles).

    python bench/calibrate_gate.py            # JSON
    python bench/calibrate_gate.py --costs 2 4 8
    python bench/calibrate_gate.py --blind tests/data/calibration_blind.jsonl

`--blind` adds the same curve and a leave-one-batch-out cross-validation on the blind
batches at their first score: tests/data/calibration_blind.jsonl holds, for every answerable
question of `holdout5`..`holdout10`, the verdict and the margin and agreement computed with
the code of the commit where the batch was first scored (the calibration data that matter:
a tuned split's right answers are easier than a new batch's). A question answered without
ranking (a courtesy, an alias) has margin 1 there.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.knowledge import KnowledgeBase, calibration  # noqa: E402
from bot.knowledge.evaluation import load_questions, verdict_of  # noqa: E402

MARGINS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3)
AGREEMENTS = (0, 1, 2, 3)

Row = tuple[str, str, "calibration.Evidence | None"]  # (split, verdict, evidence)


def collect(kb: KnowledgeBase, path: str) -> list[Row]:
    rows: list[Row] = []
    saved = calibration.MIN_MARGIN
    calibration.MIN_MARGIN = 0.0  # the raw decision: the vocabulary gate alone
    saved_model = kb.reranker
    if saved_model is not None:  # the reranker's order, without its probability rule
        kb.reranker = replace(saved_model, min_probability=0.0)
    try:
        for q in load_questions(path):
            answer = kb.ask(q.q, q.lang)
            top = answer.sources[0].id if answer.sources else None
            found = answer.evidence
            asked = kb.smalltalk.strip(q.q.strip(), answer.lang)
            if top is not None and kb.smalltalk.alias(asked, answer.lang) == top:
                found = None  # a section named by its alias: ask() applies no rule to it
            rows.append((q.split, verdict_of(q, answer), found))
    finally:
        calibration.MIN_MARGIN = saved
        kb.reranker = saved_model
    return rows


def score(rows: list[Row], margin: float, agreement: int) -> dict[str, float]:
    n = sum(1 for _s, v, _e in rows if v in ("right", "wrong", "unsure")) or 1
    right = wrong = 0
    for _split, verdict, found in rows:
        if verdict not in ("right", "wrong"):
            continue
        # no evidence: a courtesy or a section named by its alias, answered without ranking
        if found is not None and not calibration.is_reliable(
            found, min_margin=margin, max_agreement=agreement
        ):
            continue
        if verdict == "right":
            right += 1
        else:
            wrong += 1
    return {"n": n, "confident_right": right / n, "confident_wrong": wrong / n}


def best_rule(rows: list[Row], cost: float) -> tuple[float, int]:
    best: tuple[float, float, int] | None = None
    for margin in MARGINS:
        for agreement in AGREEMENTS if margin > 0 else (0,):
            s = score(rows, margin, agreement)
            utility = s["confident_right"] - cost * s["confident_wrong"]
            # ties: the milder rule (smaller margin, then fewer agreeing channels needed)
            if best is None or utility > best[0] + 1e-12:
                best = (utility, margin, agreement)
    assert best is not None
    return best[1], best[2]


def cross_validate(rows: list[Row], cost: float) -> dict[str, object]:
    splits = sorted({s for s, _v, _e in rows})
    held: dict[str, object] = {}
    right = wrong = total = 0.0
    for split in splits:
        train = [r for r in rows if r[0] != split]
        test = [r for r in rows if r[0] == split]
        margin, agreement = best_rule(train, cost)
        s = score(test, margin, agreement)
        base = score(test, 0.0, 0)
        held[split] = {
            "rule": {"min_margin": margin, "max_agreement": agreement},
            "n": s["n"],
            "confident_right": round(s["confident_right"], 4),
            "confident_wrong": round(s["confident_wrong"], 4),
            "without": [round(base["confident_right"], 4), round(base["confident_wrong"], 4)],
        }
        right += s["confident_right"] * s["n"]
        wrong += s["confident_wrong"] * s["n"]
        total += s["n"]
    margin, agreement = best_rule(rows, cost)
    plain = score(rows, 0.0, 0)
    return {
        "pooled_held_out": {
            "confident_right": round(right / total, 4),
            "confident_wrong": round(wrong / total, 4),
            "utility": round((right - cost * wrong) / total, 4),
        },
        "without_calibration": {
            "confident_right": round(plain["confident_right"], 4),
            "confident_wrong": round(plain["confident_wrong"], 4),
            "utility": round(plain["confident_right"] - cost * plain["confident_wrong"], 4),
        },
        "rule_on_all": {"min_margin": margin, "max_agreement": agreement},
        "per_split": held,
    }


def _brief(result: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in result.items() if k != "per_split"}


def separation(rows: list[Row]) -> dict[str, object]:
    out: dict[str, object] = {}
    for verdict in ("right", "wrong"):
        found = [e for _s, v, e in rows if v == verdict and e is not None]
        if not found:
            continue
        margins = sorted(e.margin for e in found)
        cover = sorted(e.section_coverage for e in found)
        out[verdict] = {
            "n": len(found),
            "margin_p10_p25_p50": [_q(margins, p) for p in (0.1, 0.25, 0.5)],
            "section_coverage_p10_p25_p50": [_q(cover, p) for p in (0.1, 0.25, 0.5)],
            "agreement_0_1_2_3": [sum(1 for e in found if e.agreement == a) for a in AGREEMENTS],
            "dissent_0_1_2_3": [sum(1 for e in found if e.dissent == a) for a in AGREEMENTS],
            "kind_match": round(sum(1 for e in found if e.kind_match) / len(found), 4),
        }
    return out


def _q(values: list[float], p: float) -> float:
    return round(values[min(len(values) - 1, int(len(values) * p))], 4)


def load_blind(path: str) -> list[Row]:
    rows: list[Row] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            found = calibration.Evidence(margin=row["margin"], agreement=row["agreement"])
            rows.append((row["split"], row["verdict"], found))
    return rows


def curve_of(rows: list[Row]) -> list[dict[str, float]]:
    out = []
    for margin in MARGINS:
        for agreement in AGREEMENTS if margin > 0 else (0,):
            s = score(rows, margin, agreement)
            out.append(
                {
                    "min_margin": margin,
                    "max_agreement": agreement,
                    "confident_right": round(s["confident_right"], 4),
                    "confident_wrong": round(s["confident_wrong"], 4),
                }
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", default=str(ROOT / "tests" / "data" / "retrieval_questions.jsonl")
    )
    parser.add_argument("--knowledge-dir", default=None)
    parser.add_argument("--costs", type=float, nargs="+", default=[1.0, 2.0, 4.0, 8.0, 16.0])
    parser.add_argument("--blind", default=None, help="blind first-score evidence (JSON Lines)")
    args = parser.parse_args(argv)
    kb = KnowledgeBase.load(args.knowledge_dir)
    rows = collect(kb, args.questions)
    curve = curve_of(rows)
    report: dict[str, object] = {
        "questions": sum(1 for _s, v, _e in rows if v in ("right", "wrong", "unsure")),
        "current": {
            "min_margin": calibration.MIN_MARGIN,
            "max_agreement": calibration.MAX_AGREEMENT,
        },
        "separation": separation(rows),
        "curve": curve,
        "cross_validation": {str(c): cross_validate(rows, c) for c in args.costs},
    }
    if args.blind:
        blind = load_blind(args.blind)
        report["blind"] = {
            "questions": len(blind),
            "curve": curve_of(blind),
            "cross_validation": {str(c): cross_validate(blind, c) for c in args.costs},
        }
        # the labelled splits and the blind batches together, one fold each
        both = rows + [(f"blind-{split}", verdict, found) for split, verdict, found in blind]
        report["combined_cross_validation"] = {
            str(c): _brief(cross_validate(both, c)) for c in args.costs
        }
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
