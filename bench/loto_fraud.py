"""Leave-one-technique-out: how the detector generalises to a scam technique it never saw.

    python bench/loto_fraud.py [--technique ID ...]

For each technique T of the taxonomy (`bot/domain/fraud/data/techniques.yaml`) the text
classifier is retrained on all training messages except T's (its own messages in
`fraud_train_techniques.jsonl`, scams and hard negatives, and the older training
categories the taxonomy lists under `also`), then the whole detector (rules plus that
classifier) and the classifier alone score T's held-out scams (recall) and T's held-out
hard negatives (false-positive rate). Positive = risk medium or high, as in
`eval_fraud.py`; the classifier alone counts as positive at the detector's medium
threshold (and at its low one, shown as `model_low`). The pooled line adds up every fold:
each technique message is scored once, by a classifier that was trained without it.

The rules are the same in every fold (they were written knowing every technique), so the
`rules` column is an upper bound for what rules alone would catch of a really new
technique; `model` is the honest generalisation figure. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from train_fraud_model import (  # noqa: E402
    KEEP,
    TRAIN_FILES,
    fit,
    fit_calibrated,
    load,
    sample_weights,
    technique_of,
)

from bot.domain.fraud import Detector, Risk  # noqa: E402
from bot.domain.fraud.detector import LOW_AT, MEDIUM_AT  # noqa: E402
from bot.domain.fraud.model import TextModel  # noqa: E402
from bot.domain.fraud.resources import load_yaml  # noqa: E402


def techniques() -> list[dict]:
    return list(load_yaml("techniques.yaml")["techniques"])


def model_of(
    vocab: dict[str, int], w: np.ndarray, b: float, thresholds: dict[str, float] | None = None
) -> TextModel:
    names = {i: f for f, i in vocab.items()}
    kept = {names[i]: float(w[i]) for i in np.flatnonzero(np.abs(w) >= KEEP) if i}
    th = thresholds or {"low": LOW_AT, "medium": MEDIUM_AT}
    return TextModel(kept, float(b), low_at=th["low"], medium_at=th["medium"])


def _rate(hits: int, n: int) -> float | None:
    return round(hits / n, 4) if n else None


def run(only: list[str] | None = None, *, calibrated: bool = True, errors: bool = False) -> dict:
    taxonomy = techniques()
    also = {str(c): str(t["id"]) for t in taxonomy for c in t.get("also") or ()}
    cases: list[dict] = []
    rows, y = load(TRAIN_FILES, keep=cases)
    tags = [technique_of(c, also) for c in cases]
    rules = Detector(model=TextModel.off())
    per: dict[str, dict] = {}
    pooled = {k: 0 for k in ("scams", "benign", "det", "det_fp", "rules", "rules_fp", "model")}
    pooled |= {"model_fp": 0, "model_low": 0, "model_low_fp": 0}
    # the pooled counts per training file, so a figure can be compared on the same messages
    # before and after a file is added
    by_file: dict[str, dict[str, int]] = {}
    wrong: list[dict] = []
    for tech in taxonomy:
        tid = str(tech["id"])
        if only and tid not in only:
            continue
        held = [i for i, t in enumerate(tags) if t == tid]
        train = [i for i, t in enumerate(tags) if t != tid]
        train_rows = [rows[i] for i in train]
        if calibrated:
            vocab, w, b, th = fit_calibrated(train_rows, y[train], [cases[i] for i in train])
            model = model_of(vocab, w, b, th)
        else:
            vocab, w, b = fit(train_rows, y[train], sample_weights([cases[i] for i in train]))
            model = model_of(vocab, w, b)
        detector = Detector(model=model)
        c = {k: 0 for k in pooled}
        for i in held:
            text = cases[i]["text"]
            scam = y[i] == 1
            suffix = "" if scam else "_fp"
            f = by_file.setdefault(str(cases[i].get("source", "")), {k: 0 for k in pooled})
            hits = ["scams" if scam else "benign"]
            verdict = detector.scan_text(text)
            if verdict.at_least(Risk.MEDIUM):
                hits.append("det" + suffix)
            if errors and verdict.at_least(Risk.MEDIUM) != scam:
                wrong.append(
                    {
                        "technique": tid,
                        "label": cases[i]["label"],
                        "risk": verdict.risk.value,
                        "checks": [f"{f.check}:{f.severity.value}" for f in verdict.findings],
                        "text": text,
                    }
                )
            if rules.scan_text(text).at_least(Risk.MEDIUM):
                hits.append("rules" + suffix)
            prose, signals = rules.model_input(text)
            p = model.score(prose, signals=signals).probability
            if p >= model.medium_at:
                hits.append("model" + suffix)
            if p >= model.low_at:
                hits.append("model_low" + suffix)
            for k in hits:
                c[k] += 1
                f[k] += 1
        for k in pooled:
            pooled[k] += c[k]
        per[tid] = _summary(c)
    out = {
        "positive": "risk >= medium (detector, rules); probability >= the fold's medium "
        "threshold (model), >= its low one (model_low); thresholds "
        + (
            "calibrated on the fold's own training messages (grouped cross-validation)"
            if calibrated
            else f"fixed at {LOW_AT} / {MEDIUM_AT}"
        ),
        "training_messages": len(rows),
        "pooled": _summary(pooled),
        "pooled_by_file": {name: _summary(c) for name, c in sorted(by_file.items())},
        "per_technique": per,
    }
    if errors:
        out["errors"] = wrong
    return out


def _summary(c: dict[str, int]) -> dict:
    out: dict[str, object] = {"scams": c["scams"], "benign": c["benign"]}
    for name in ("det", "rules", "model", "model_low"):
        label = "detector" if name == "det" else name
        out[label] = {
            "recall": _rate(c[name], c["scams"]),
            "false_positive_rate": _rate(c[name + "_fp"], c["benign"]),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--technique", action="append", help="only this technique (repeatable)")
    ap.add_argument(
        "--fixed-thresholds",
        action="store_true",
        help=f"score every fold at {LOW_AT} / {MEDIUM_AT} instead of calibrating its thresholds",
    )
    ap.add_argument(
        "--errors", action="store_true", help="list the detector's held-out misses and false alarms"
    )
    args = ap.parse_args(argv)
    started = time.perf_counter()
    result = run(args.technique, calibrated=not args.fixed_thresholds, errors=args.errors)
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
