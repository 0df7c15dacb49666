"""Speed of two checkouts' fraud detectors, alternated in one process.

    python bench/ab_fraud.py OTHER_CHECKOUT [--rounds N]

Loads the detector of OTHER_CHECKOUT (e.g. a worktree of main) and of this checkout into one
process and scans batches of 1,000 messages of `bench_fraud.py`'s mix with each in turn
(the order swapped every round), so both see the same load, caches and CPU frequency; the
shared machine's noise that separate runs suffer cancels out. Prints the messages per
CPU-second of each, with and without the classifier.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _load(root: Path) -> tuple[Any, Any, Any]:
    """(bench_fraud module, detector, rules-only detector) of the checkout at `root`."""
    for name in [m for m in sys.modules if m.split(".")[0] in ("bot", "bench")]:
        del sys.modules[name]
    from sqlmodel import SQLModel

    SQLModel.metadata.clear()  # the second checkout defines the same tables again
    sys.path.insert(0, str(root))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bench = importlib.import_module("bench.bench_fraud")
            fraud = importlib.import_module("bot.domain.fraud")
            model = importlib.import_module("bot.domain.fraud.model")
            scam = importlib.import_module("bot.services.scam")
    finally:
        sys.path.remove(str(root))
    rules = fraud.Detector(texts=scam.fraud_texts(), model=model.TextModel.off())
    return bench, bench.build_detector(), rules


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("other", type=Path, help="the checkout to compare with (e.g. main)")
    ap.add_argument("--rounds", type=int, default=40)
    args = ap.parse_args(argv)
    sides = {"other": _load(args.other.resolve()), "this": _load(ROOT)}
    totals = {name: [0.0, 0.0, 0] for name in sides}
    for bench, det, rules in sides.values():  # warm-up: compiled patterns, caches
        for m in bench.build(1000, seed=999)[0]:
            det.scan(m)
            rules.scan(m)
    for r in range(args.rounds):
        names = ["other", "this"] if r % 2 == 0 else ["this", "other"]
        for name in names:
            bench, det, rules = sides[name]
            msgs = bench.build(1000, seed=100 + r)[0]
            c0 = time.process_time()
            for m in msgs:
                det.scan(m)
            c1 = time.process_time()
            for m in msgs:
                rules.scan(m)
            c2 = time.process_time()
            totals[name][0] += c1 - c0
            totals[name][1] += c2 - c1
            totals[name][2] += len(msgs)
    out: dict[str, Any] = {
        name: {
            "messages_per_cpu_second": round(n / d),
            "rules_without_classifier_messages_per_cpu_second": round(n / ru),
            "messages": n,
        }
        for name, (d, ru, n) in totals.items()
    }
    out["ratio"] = round(
        out["this"]["messages_per_cpu_second"] / out["other"]["messages_per_cpu_second"], 3
    )
    out["load_average_1min"] = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
