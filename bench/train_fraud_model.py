"""Train the fraud text classifier and write its weights into the package.

    python bench/train_fraud_model.py            retrain, write bot/domain/fraud/data/text_model.json
    python bench/train_fraud_model.py --check    cross-validate only, write nothing

Run it whenever the labelled data grows. It reads every `tests/data/fraud_*.jsonl` file
listed in TRAIN_FILES (one message a line: {"text", "label": "scam"|"benign"}), turns
each text into the detector's features (`bot.domain.fraud.model.features` of the same
normalised, URL-masked prose the rules read), fits an L2-regularised logistic
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

from bot.domain.fraud.detector import LOW_AT, MEDIUM_AT, prose_of  # noqa: E402
from bot.domain.fraud.model import FEATURE_VERSION, MODEL_FILE, features, scale  # noqa: E402

TRAIN_FILES = [
    ROOT / "tests" / "data" / "fraud_cases.jsonl",
    ROOT / "tests" / "data" / "fraud_train.jsonl",
    ROOT / "tests" / "data" / "fraud_train_intents.jsonl",
    ROOT / "tests" / "data" / "fraud_train_techniques.jsonl",
]
OUT = ROOT / "bot" / "domain" / "fraud" / "data" / MODEL_FILE
L2 = 1e-5
ITERATIONS = 400
KEEP = 0.02  # weights smaller than this are dropped from the shipped model


def read_cases(files: list[Path]) -> list[dict]:
    """The labelled messages of the files, each a dict as written (text, label, ...)."""
    cases = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                cases.append(json.loads(line))
    return cases


def load(
    files: list[Path], *, keep: list[dict] | None = None
) -> tuple[list[list[str]], np.ndarray]:
    """Features and labels of the messages with features; `keep` collects their cases."""
    feats: list[list[str]] = []
    labels: list[int] = []
    for case in read_cases(files):
        f = features(prose_of(case.get("text", "")))
        if f:
            feats.append(f)
            labels.append(1 if case["label"] == "scam" else 0)
            if keep is not None:
                keep.append(case)
    return feats, np.array(labels, dtype=np.float64)


class Matrix:
    """Rows of binary features, each row scaled by `scale(its length)` as when scoring."""

    def __init__(self, rows: list[list[str]], vocab: dict[str, int]) -> None:
        idx = [[vocab[f] for f in r if f in vocab] or [0] for r in rows]
        self.lengths = np.array([len(r) for r in idx])
        self.cols = np.concatenate([np.array(r, dtype=np.int64) for r in idx])
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])
        self.scale = np.array([scale(len(r)) for r in rows], dtype=np.float64)
        self.n = len(rows)

    def dot(self, w: np.ndarray) -> np.ndarray:
        return np.add.reduceat(w[self.cols], self.starts) * self.scale

    def rdot(self, g: np.ndarray, size: int) -> np.ndarray:
        return np.bincount(
            self.cols, weights=np.repeat(g * self.scale, self.lengths), minlength=size
        )


def fit(rows: list[list[str]], y: np.ndarray) -> tuple[dict[str, int], np.ndarray, float]:
    vocab: dict[str, int] = {"": 0}  # index 0: padding for rows without known features
    for r in rows:
        for f in r:
            vocab.setdefault(f, len(vocab))
    x = Matrix(rows, vocab)
    pos = max(1.0, y.sum())
    neg = max(1.0, len(y) - y.sum())
    sw = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg))
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


def cross_validate(rows: list[list[str]], y: np.ndarray, folds: int) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(13)
    order = rng.permutation(len(rows))
    probs = np.zeros(len(rows))
    for k in range(folds):
        test = order[k::folds]
        mask = np.ones(len(rows), dtype=bool)
        mask[test] = False
        train = np.flatnonzero(mask)
        vocab, w, b = fit([rows[i] for i in train], y[train])
        probs[test] = predict([rows[i] for i in test], vocab, w, b)
    out = {}
    for name, th in (("low_at", LOW_AT), ("medium_at", MEDIUM_AT)):
        flagged = probs >= th
        tp = int((flagged & (y == 1)).sum())
        fp = int((flagged & (y == 0)).sum())
        out[f"{name}_{th}"] = {
            "recall": round(tp / max(1, int(y.sum())), 4),
            "false_positive_rate": round(fp / max(1, int((y == 0).sum())), 4),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="cross-validate only, write nothing")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args(argv)
    started = time.perf_counter()
    rows, y = load(TRAIN_FILES)
    result: dict[str, object] = {
        "messages": len(rows),
        "scams": int(y.sum()),
        "benign": int(len(y) - y.sum()),
        "cross_validated": cross_validate(rows, y, args.folds),
    }
    if not args.check:
        vocab, w, b = fit(rows, y)
        names = {i: f for f, i in vocab.items()}
        kept = {names[i]: round(float(w[i]), 4) for i in np.flatnonzero(np.abs(w) >= KEEP) if i}
        model = {
            "feature_version": FEATURE_VERSION,
            "trained_on": [str(p.relative_to(ROOT)) for p in TRAIN_FILES],
            "messages": len(rows),
            "bias": round(b, 4),
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
