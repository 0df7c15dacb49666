"""The learned layer: a logistic-regression text classifier over character n-grams.

The rules know phrases; the classifier knows how scam messages read as a whole (pay
first, pay privately, install this, trust me), including phrasings no rule names. It
is trained offline by `python bench/train_fraud_model.py` on the project's labelled
messages and its weights ship in `data/text_model.json` (only the n-grams seen in
training, with their weights): scoring is a dictionary lookup per n-gram, no numpy,
no download.

The feature function lives here so that training and scoring cannot drift apart.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from .resources import read_text

MODEL_FILE = "text_model.json"
FEATURE_VERSION = 2
# texts shorter than this (letters and characters, not spaces) are too short to judge
# by how they read: "hello" shares n-grams with half the scams
MIN_CHARS = 12

_SPACE = re.compile(r"\s+")
_LONG_NUMBER = re.compile(r"\d{5,}")
_NUMBER = re.compile(r"\d+")
_WORD = re.compile(r"[a-z][a-z']+")


def features(text: str) -> list[str]:
    """The distinct features of a normalised, URL-masked text: character 2- to 4-grams
    (numbers folded: "#" for 5 digits or more, "0" for shorter ones) and English word
    unigrams and bigrams."""
    s = _SPACE.sub(" ", text).strip()
    if not s:
        return []
    s = _NUMBER.sub("0", _LONG_NUMBER.sub("#", s))
    padded = f" {s} "
    n = len(padded)
    grams = {padded[i : i + k] for k in (2, 3, 4) for i in range(n - k + 1)}
    if s.isascii() or _WORD.search(s):
        words = _WORD.findall(s)
        grams.update(f"w:{w}" for w in words)
        grams.update(f"w:{a}_{b}" for a, b in zip(words, words[1:], strict=False))
    return list(grams)


@dataclass(frozen=True, slots=True)
class ModelScore:
    probability: float
    top: tuple[str, ...]
    """The n-grams that pushed the score up most, for the finding's detail."""


class TextModel:
    """Scores a normalised text: the probability that it is a scam message."""

    def __init__(self, weights: dict[str, float], bias: float, *, version: int = FEATURE_VERSION) -> None:
        if version != FEATURE_VERSION:
            raise ValueError(
                f"text model was trained with feature version {version}, this code uses "
                f"{FEATURE_VERSION}: retrain it with `python bench/train_fraud_model.py`"
            )
        self.weights = weights
        self.bias = bias

    @classmethod
    def off(cls) -> TextModel:
        """A model that never fires: for testing the other layers on their own."""
        return cls({}, -50.0)

    @classmethod
    def load(cls, name: str = MODEL_FILE) -> TextModel:
        data = json.loads(read_text(name))
        return cls(
            {str(k): float(v) for k, v in data["weights"].items()},
            float(data["bias"]),
            version=int(data["feature_version"]),
        )

    def score(self, text: str, *, explain: bool = False) -> ModelScore:
        if len(text) - text.count(" ") < MIN_CHARS:
            return ModelScore(0.0, ())
        feats = features(text)
        if not feats:
            return ModelScore(0.0, ())
        get = self.weights.get
        total = 0.0
        hits: list[tuple[float, str]] = []
        for f in feats:
            w = get(f)
            if w is not None:
                total += w
                if explain and w > 0:
                    hits.append((w, f))
        z = self.bias + total / math.sqrt(len(feats))
        p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        top: tuple[str, ...] = ()
        if explain:
            hits.sort(reverse=True)
            top = tuple(f.removeprefix("w:").replace("_", " ").strip() for _, f in hits[:3])
        return ModelScore(p, top)
