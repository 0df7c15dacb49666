"""Accuracy of the fraud detector on the labelled set (tests/data/fraud_cases.jsonl).

    python bench/eval_fraud.py [--cases FILE] [--errors] [--fresh]

The labelled set must reach recall >= 0.97 at a false-positive rate <= 1 %; a fresh
batch (written after the code was final, scored once: `--fresh`) recall >= 0.95 at <= 2 %.

Prints JSON: precision, recall and false-positive rate overall and per category.
A case counts as positive (flagged) when the verdict's risk is "medium" or "high";
scam cases are the positives of the labels.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain.fraud import Detector, LinkRef, MessageInput, Risk  # noqa: E402
from bot.services.scam import build_detector  # noqa: E402

CASES = ROOT / "tests" / "data" / "fraud_cases.jsonl"
TARGETS = {"recall": 0.97, "false_positive_rate": 0.01}
FRESH_TARGETS = {"recall": 0.95, "false_positive_rate": 0.02}


def load_cases(path: Path = CASES) -> list[dict]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def to_message(case: dict) -> MessageInput:
    return MessageInput(
        text=case.get("text", ""),
        links=[LinkRef(**link) for link in case.get("links", [])],
        button_urls=case.get("button_urls", []),
    )


def _rates(tp: int, fp: int, tn: int, fn: int) -> dict:
    out: dict[str, float | int | None] = {
        "n": tp + fp + tn + fn,
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
    }
    out["precision"] = round(tp / (tp + fp), 4) if tp + fp else None
    out["recall"] = round(tp / (tp + fn), 4) if tp + fn else None
    out["false_positive_rate"] = round(fp / (fp + tn), 4) if fp + tn else None
    return out


def evaluate(
    cases: list[dict], detector: Detector | None = None, targets: dict[str, float] = TARGETS
) -> dict:
    detector = detector or build_detector()
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # tp fp tn fn
    errors = []
    started = time.perf_counter()
    for case in cases:
        verdict = detector.scan(to_message(case))
        flagged = verdict.risk.rank >= Risk.MEDIUM.rank
        scam = case["label"] == "scam"
        idx = 0 if flagged and scam else 1 if flagged else 2 if not scam else 3
        for key in ("overall", case["category"]):
            counts[key][idx] += 1
        if idx in (1, 3):
            errors.append(
                {
                    "category": case["category"],
                    "label": case["label"],
                    "risk": verdict.risk.value,
                    "text": case.get("text", ""),
                    "links": case.get("links"),
                    "button_urls": case.get("button_urls"),
                    "checks": [f"{f.check}:{f.severity.value}" for f in verdict.findings],
                }
            )
    elapsed = time.perf_counter() - started
    overall = _rates(*counts.pop("overall"))
    result = {
        "cases": len(cases),
        "positive": "risk >= medium",
        "overall": overall,
        "targets": targets,
        "meets_targets": bool(
            overall["recall"] is not None
            and overall["recall"] >= targets["recall"]
            and (overall["false_positive_rate"] or 0.0) <= targets["false_positive_rate"]
        ),
        "per_category": {k: _rates(*v) for k, v in sorted(counts.items())},
        "seconds": round(elapsed, 3),
    }
    result["errors"] = errors
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=Path, default=CASES)
    ap.add_argument("--errors", action="store_true", help="list the misclassified cases too")
    ap.add_argument("--fresh", action="store_true", help="a fresh batch: its targets (0.95 / 0.02)")
    args = ap.parse_args(argv)
    result = evaluate(load_cases(args.cases), targets=FRESH_TARGETS if args.fresh else TARGETS)
    if not args.errors:
        result.pop("errors")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
