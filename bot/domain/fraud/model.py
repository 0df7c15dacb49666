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
from itertools import repeat

from .resources import read_text

MODEL_FILE = "text_model.json"
FEATURE_VERSION = 4
# texts shorter than this (letters and characters, not spaces) are too short to judge
# by how they read: "hello" shares n-grams with half the scams
MIN_CHARS = 12
# a text's summed weights are divided by sqrt(features + SHRINK): a long text speaks with
# the confidence its length earns, a short one is pulled towards the prior
SHRINK = 40


def scale(count: int) -> float:
    return 1.0 / math.sqrt(count + SHRINK)


_SPACE = re.compile(r"\s+")
_MULTI_SPACE = re.compile(r"\s\s|[\t\n\r\f\v]")
_DIGIT = re.compile(r"\d")
_LONG_NUMBER = re.compile(r"\d{5,}")
_NUMBER = re.compile(r"\d+")
_WORD = re.compile(r"[a-z][a-z']+")


def features(text: str) -> list[str]:
    """The distinct features of a normalised, URL-masked text: character 2- and 3-grams
    (numbers folded: "#" for 5 digits or more, "0" for shorter ones) and English word
    unigrams and bigrams."""
    return list(_feature_set(text))


def _feature_set(text: str) -> set[str]:
    s = _SPACE.sub(" ", text).strip() if _MULTI_SPACE.search(text) else text.strip()
    if not s:
        return set()
    if _DIGIT.search(s):
        s = _NUMBER.sub("0", _LONG_NUMBER.sub("#", s))
    padded = f" {s} "
    n = len(padded)
    grams = {padded[i : i + 2] for i in range(n - 1)}
    grams.update([padded[i : i + 3] for i in range(n - 2)])
    words = _WORD.findall(s)
    if words:
        grams.update(["w:" + w for w in words])
        grams.update([f"w:{a}_{b}" for a, b in zip(words, words[1:], strict=False)])
    return grams


@dataclass(frozen=True, slots=True)
class ModelScore:
    probability: float
    top: tuple[str, ...]
    """The n-grams that pushed the score up most, for the finding's detail."""


class TextModel:
    """Scores a normalised text: the probability that it is a scam message."""

    def __init__(
        self, weights: dict[str, float], bias: float, *, version: int = FEATURE_VERSION
    ) -> None:
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
        if not self.weights or len(text) - text.count(" ") < MIN_CHARS:
            return ModelScore(0.0, ())
        feats = _feature_set(text)
        if not feats:
            return ModelScore(0.0, ())
        get = self.weights.get
        total = sum(map(get, feats, repeat(0.0)))
        z = self.bias + total * scale(len(feats))
        p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        top: tuple[str, ...] = ()
        if explain:
            hits = sorted(((get(f, 0.0), f) for f in feats), reverse=True)
            hits = [h for h in hits if h[0] > 0]
            top = tuple(f.removeprefix("w:").replace("_", " ").strip() for _, f in hits[:3])
        return ModelScore(p, top)
