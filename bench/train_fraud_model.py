"""Train the fraud text classifier and write its weights into the package.

    python bench/train_fraud_model.py            retrain, write bot/domain/fraud/data/text_model.json
    python bench/train_fraud_model.py --check    cross-validate only, write nothing

Run it whenever the labelled data grows. It reads every `tests/data/fraud_*.jsonl` file
listed in TRAIN_FILES (one message a line: {"text", "label": "scam"|"benign"}), turns
each text into the detector's features (`bot.domain.fraud.model.features` of the same
normalised, URL-masked prose the rules read, with the rules' signals: `Detector.model_input`), fits an L2-regularised logistic
regression with numpy (full batch, Adam), and keeps the n-grams whose weight matters.
Prints JSON: data sizes, k-fold cross-validated recall and false-positive rate of the
classifier alone at the detector's two thresholds, and the size of the written model.
numpy is needed only here (it comes with the `test` extra), not to score messages.
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

from bot.domain.fraud.detector import LOW_AT, MEDIUM_AT, Detector  # noqa: E402
from bot.domain.fraud.model import (  # noqa: E402
    FEATURE_VERSION,
    MODEL_FILE,
    TextModel,
    features,
    value,
)
from bot.domain.fraud.resources import load_yaml  # noqa: E402

TRAIN_FILES = [
    ROOT / "tests" / "data" / "fraud_cases.jsonl",
    ROOT / "tests" / "data" / "fraud_train.jsonl",
    ROOT / "tests" / "data" / "fraud_train_intents.jsonl",
    ROOT / "tests" / "data" / "fraud_train_techniques.jsonl",
    ROOT / "tests" / "data" / "fraud_train_styles.jsonl",
    ROOT / "tests" / "data" / "fraud_train_wide.jsonl",
    ROOT / "tests" / "data" / "fraud_train_wide2.jsonl",
    ROOT / "tests" / "data" / "fraud_train_wide3.jsonl",
    ROOT / "tests" / "data" / "fraud_train_wide4.jsonl",
]
OUT = ROOT / "bot" / "domain" / "fraud" / "data" / MODEL_FILE
L2 = 1e-5
ITERATIONS = 400
KEEP = 0.02  # weights smaller than this are dropped from the shipped model
# the false-positive rates, on cross-validation grouped by technique, at which the model's
# medium and low thresholds are set
MEDIUM_FPR = 0.01
LOW_FPR = 0.05
# how much a message of no technique (the labelled set, the older general files) weighs
# against one of a technique: the technique messages come with hard negatives of the same
# topic and teach what a technique asks; the rest taught phrases, which do not carry over
# to a technique never seen (leave-one-technique-out, docs/fraud.md)
UNTAGGED_WEIGHT = 0.2


def read_cases(files: list[Path]) -> list[dict]:
    """The labelled messages of the files, each a dict as written (text, label, ...)."""
    cases = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                case.setdefault("source", path.name)
                cases.append(case)
    return cases


def technique_of(case: dict, also: dict[str, str] | None = None) -> str | None:
    """The technique of the taxonomy (data/techniques.yaml) a training message belongs to:
    its own `technique`, or the technique that lists its older category under `also`."""
    if case.get("technique"):
        return str(case["technique"])
    if also is None:
        also = technique_aliases()
    for key in ("category", "style"):
        if case.get(key) in also:
            return also[case[key]]
    return None


def technique_aliases() -> dict[str, str]:
    """The older training categories each technique of the taxonomy lists under `also`."""
    return {
        str(c): str(t["id"])
        for t in load_yaml("techniques.yaml")["techniques"]
        for c in t.get("also") or ()
    }


def sample_weights(cases: list[dict]) -> np.ndarray:
    """Each message's weight in training: 1 for a message of a technique, UNTAGGED_WEIGHT
    for one of none."""
    also = technique_aliases()
    return np.array(
        [1.0 if technique_of(c, also) else UNTAGGED_WEIGHT for c in cases], dtype=np.float64
    )


def load(
    files: list[Path], *, keep: list[dict] | None = None
) -> tuple[list[list[str]], np.ndarray]:
    """Features and labels of the messages with features; `keep` collects their cases."""
    feats: list[list[str]] = []
    labels: list[int] = []
    reader = Detector(model=TextModel.off())
    for case in read_cases(files):
        prose, signals = reader.model_input(case.get("text", ""))
        f = features(prose, signals)
        if f:
            feats.append(f)
            labels.append(1 if case["label"] == "scam" else 0)
            if keep is not None:
                keep.append(case)
    return feats, np.array(labels, dtype=np.float64)


class Matrix:
    """Rows of present features, each with the value it has when scoring (`model.value`:
    n-grams scaled by the row's length, intent features a constant)."""

    def __init__(self, rows: list[list[str]], vocab: dict[str, int]) -> None:
        idx: list[list[int]] = []
        vals: list[list[float]] = []
        for r in rows:
            known = [f for f in r if f in vocab]
            idx.append([vocab[f] for f in known] or [0])
            vals.append([value(f, len(r)) for f in known] or [0.0])
        self.lengths = np.array([len(r) for r in idx])
        self.cols = np.concatenate([np.array(r, dtype=np.int64) for r in idx])
        self.vals = np.concatenate([np.array(v, dtype=np.float64) for v in vals])
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])
        self.n = len(rows)

    def dot(self, w: np.ndarray) -> np.ndarray:
        return np.add.reduceat(w[self.cols] * self.vals, self.starts)

    def rdot(self, g: np.ndarray, size: int) -> np.ndarray:
        return np.bincount(
            self.cols, weights=np.repeat(g, self.lengths) * self.vals, minlength=size
        )


def fit(
    rows: list[list[str]], y: np.ndarray, weights: np.ndarray | None = None
) -> tuple[dict[str, int], np.ndarray, float]:
    """Logistic regression; `weights` (one per row, `sample_weights`) scale each row's loss,
    on top of the balancing of scams against harmless messages."""
    vocab: dict[str, int] = {"": 0}  # index 0: padding for rows without known features
    for r in rows:
        for f in r:
            vocab.setdefault(f, len(vocab))
    x = Matrix(rows, vocab)
    pos = max(1.0, y.sum())
    neg = max(1.0, len(y) - y.sum())
    if weights is not None:
        weights = weights * (len(y) / weights.sum())
        pos = max(1e-9, float(weights[y == 1].sum()))
        neg = max(1e-9, float(weights[y == 0].sum()))
    sw = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg))
    if weights is not None:
        sw = sw * weights
    w = np.zeros(len(vocab))
    b = 0.0
    m, v = np.zeros_like(w), np.zeros_like(w)
    mb = vb = 0.0
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    for t in range(1, ITERATIONS + 1):
        z = x.dot(w) + b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        g = (p - y) * sw / len(y)
        gw = x.rdot(g, len(w)) + L2 * w
        gw[0] = 0.0
        gb = float(g.sum())
        m = b1 * m + (1 - b1) * gw
        v = b2 * v + (1 - b2) * gw * gw
        w -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        mb = b1 * mb + (1 - b1) * gb
        vb = b2 * vb + (1 - b2) * gb * gb
        b -= lr * (mb / (1 - b1**t)) / (np.sqrt(vb / (1 - b2**t)) + eps)
    return vocab, w, b


def predict(rows: list[list[str]], vocab: dict[str, int], w: np.ndarray, b: float) -> np.ndarray:
    z = Matrix(rows, vocab).dot(w) + b
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def fold_of(cases: list[dict], folds: int) -> np.ndarray:
    """Cross-validation folds grouped by technique: all messages of one technique (scams
    and hard negatives) fall in one fold, so every fold is scored by a classifier that
    never saw its techniques, as on a new style; messages without a technique are spread
    at random."""
    rng = np.random.default_rng(13)
    tags = sorted({str(c["technique"]) for c in cases if c.get("technique")})
    slot = {t: i % folds for i, t in enumerate(rng.permutation(tags))}
    out = np.array(
        [
            slot[str(c["technique"])] if c.get("technique") else int(rng.integers(folds))
            for c in cases
        ]
    )
    return out


def cv_probabilities(
    rows: list[list[str]], y: np.ndarray, folds: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    probs = np.zeros(len(rows))
    for k in sorted(set(folds.tolist())):
        test = np.flatnonzero(folds == k)
        train = np.flatnonzero(folds != k)
        vocab, w, b = fit(
            [rows[i] for i in train], y[train], None if weights is None else weights[train]
        )
        probs[test] = predict([rows[i] for i in test], vocab, w, b)
    return probs


def threshold_at(probs: np.ndarray, y: np.ndarray, fpr: float, floor: float) -> float:
    """The lowest threshold whose false-positive rate on `probs` is at most `fpr` (never
    below `floor`, rounded up to 0.01)."""
    neg = np.sort(probs[y == 0])[::-1]
    allowed = int(np.floor(fpr * len(neg)))
    above = float(neg[allowed]) if allowed < len(neg) else 0.0  # the first one not allowed
    return float(min(0.99, max(floor, np.ceil((above + 1e-9) * 100) / 100)))


def calibrate(probs: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The model's thresholds chosen on cross-validated probabilities: medium at a
    false-positive rate of at most MEDIUM_FPR, low at most LOW_FPR (low never above
    medium)."""
    medium = threshold_at(probs, y, MEDIUM_FPR, 0.5)
    low = min(medium, threshold_at(probs, y, LOW_FPR, 0.4))
    return {"low": low, "medium": medium}


def rates(probs: np.ndarray, y: np.ndarray, th: float) -> dict[str, float]:
    flagged = probs >= th
    tp = int((flagged & (y == 1)).sum())
    fp = int((flagged & (y == 0)).sum())
    return {
        "recall": round(tp / max(1, int(y.sum())), 4),
        "false_positive_rate": round(fp / max(1, int((y == 0).sum())), 4),
    }


def fit_calibrated(
    rows: list[list[str]], y: np.ndarray, cases: list[dict], folds: int = 5
) -> tuple[dict[str, int], np.ndarray, float, dict[str, float]]:
    """A model fitted on all rows, with thresholds calibrated on grouped cross-validation
    of the same rows."""
    weights = sample_weights(cases)
    thresholds = calibrate(cv_probabilities(rows, y, fold_of(cases, folds), weights), y)
    vocab, w, b = fit(rows, y, weights)
    return vocab, w, b, thresholds


def cross_validate(
    rows: list[list[str]], y: np.ndarray, cases: list[dict], folds: int
) -> dict[str, object]:
    probs = cv_probabilities(rows, y, fold_of(cases, folds), sample_weights(cases))
    thresholds = calibrate(probs, y)
    out: dict[str, object] = {"folds": "grouped by technique", "thresholds": thresholds}
    for name, th in (
        ("low_at", thresholds["low"]),
        ("medium_at", thresholds["medium"]),
        ("default_low_at", LOW_AT),
        ("default_medium_at", MEDIUM_AT),
    ):
        out[f"{name}_{th}"] = rates(probs, y, th)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="cross-validate only, write nothing")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args(argv)
    started = time.perf_counter()
    cases: list[dict] = []
    rows, y = load(TRAIN_FILES, keep=cases)
    cv = cross_validate(rows, y, cases, args.folds)
    result: dict[str, object] = {
        "messages": len(rows),
        "scams": int(y.sum()),
        "benign": int(len(y) - y.sum()),
        "cross_validated": cv,
    }
    if not args.check:
        vocab, w, b = fit(rows, y, sample_weights(cases))
        names = {i: f for f, i in vocab.items()}
        kept = {names[i]: round(float(w[i]), 4) for i in np.flatnonzero(np.abs(w) >= KEEP) if i}
        model = {
            "feature_version": FEATURE_VERSION,
            "trained_on": [str(p.relative_to(ROOT)) for p in TRAIN_FILES],
            "messages": len(rows),
            "bias": round(b, 4),
            "thresholds": cv["thresholds"],
            "weights": dict(sorted(kept.items())),
        }
        OUT.write_text(
            json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
        )
        result["features_kept"] = len(kept)
        result["features_seen"] = len(vocab) - 1
        result["bytes"] = OUT.stat().st_size
    result["seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
