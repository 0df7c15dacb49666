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

import heapq
import json
import math
import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import repeat
from operator import add

from .resources import load_yaml, read_text

MODEL_FILE = "text_model.json"
FEATURE_VERSION = 7
# default thresholds of the model's finding (low, medium), for a model file without
# calibrated ones
LOW_AT = 0.7
MEDIUM_AT = 0.9
# texts shorter than this (letters and characters, not spaces) are too short to judge
# by how they read: "hello" shares n-grams with half the scams
MIN_CHARS = 12
# a text's summed weights are divided by sqrt(features + SHRINK): a long text speaks with
# the confidence its length earns, a short one is pulled towards the prior
SHRINK = 40


def scale(count: int) -> float:
    return 1.0 / math.sqrt(count + SHRINK)


# Intent features ("c:" concepts, their pairs, "s:" slots, "r:" rule signals) are not diluted by the
# text's length like the n-grams: a request for money with "first" weighs the same in a
# short chat line and in a long script, and a technique never seen in training is still
# read through them when none of its n-grams is known.
INTENT_WEIGHT = 0.15
INTENT_PREFIXES = ("c:", "s:", "r:")
RULE_SIGNALS = True


def value(feature: str, count: int) -> float:
    """The value a present feature has in a text with `count` features."""
    return INTENT_WEIGHT if feature.startswith(INTENT_PREFIXES) else scale(count)


_SPACE = re.compile(r"\s+")
_MULTI_SPACE = re.compile(r"\s\s|[\t\n\r\f\v]")
_DIGIT = re.compile(r"\d")
_LONG_NUMBER = re.compile(r"\d{5,}")
_NUMBER = re.compile(r"\d+")
_WORD = re.compile(r"[a-z][a-z']+")


# Intent, not phrases: words grouped into the concepts a scam script is made of (paying,
# first, privately, proving, installing, authority, trust, urgency, threat, gain, the
# goods, "send it to me", money, refund, negation). A message gets a feature for each
# concept it names and one for each pair of them, so the classifier learns that "pay" with
# "first" or "privately" is the technique whatever the words, and that "negation" with
# "pay" reads like a warning. The words are data (data/concepts.yaml).
CONCEPTS_FILE = "concepts.yaml"


def _concept_index() -> tuple[
    dict[str, list[tuple[str, str]]], dict[str, str], dict[str, list[tuple[str, str]]]
]:
    by_char: dict[str, list[tuple[str, str]]] = {}  # Chinese words (and symbols) by first character
    words: dict[str, str] = {}  # English words
    phrases: dict[str, list[tuple[str, str]]] = {}  # English phrases by their first word
    for concept, spec in load_yaml(CONCEPTS_FILE).items():
        for w in map(str, spec.get("words") or ()):
            if w.isascii() and w[0].isalpha():
                words.setdefault(w, str(concept))
            else:
                by_char.setdefault(w[0], []).append((w, str(concept)))
        for phrase in map(str, spec.get("phrases") or ()):
            phrases.setdefault(phrase.split()[0], []).append((phrase, str(concept)))
    return by_char, words, phrases


_BY_CHAR, _WORDS, _PHRASES = _concept_index()
_CONCEPT_CHARS = frozenset(_BY_CHAR)
_EN_WORD = re.compile(r"[a-z][a-z']*")
# the same words by their first two characters (one-character words by their character): a
# text whose 2-grams are at hand tests only the words that start with one of them
_BY_PAIR: dict[str, list[tuple[str, str]]] = {}
_BY_SINGLE: dict[str, list[tuple[str, str]]] = {}
for _entries in _BY_CHAR.values():
    for _word, _concept in _entries:
        if len(_word) > 1:
            _BY_PAIR.setdefault(_word[:2], []).append((_word, _concept))
        else:
            _BY_SINGLE.setdefault(_word, []).append((_word, _concept))
_CONCEPT_PAIRS = frozenset(_BY_PAIR)
_SINGLE_CHARS = frozenset(_BY_SINGLE)


def concepts(text: str, pairs: set[str] | None = None) -> set[str]:
    """The concepts a normalised text names. `pairs`: a set holding every 2-gram of the text
    (and anything else), when the caller has one (`_feature_sets`): the words are then
    looked up by their first two characters instead of their first one."""
    found: set[str] = set()
    if pairs is None:
        for ch in _CONCEPT_CHARS.intersection(text):
            for word, concept in _BY_CHAR[ch]:
                if concept not in found and word in text:
                    found.add(concept)
    else:
        # a word is in the text only if its first two characters are one of its 2-grams
        for pair in _CONCEPT_PAIRS.intersection(pairs):
            for word, concept in _BY_PAIR[pair]:
                if concept not in found and word in text:
                    found.add(concept)
        for ch in _SINGLE_CHARS.intersection(text):
            for _word, concept in _BY_SINGLE[ch]:
                found.add(concept)
    if text.isascii() or _EN_WORD.search(text):
        for w in set(_EN_WORD.findall(text)):
            named = _WORDS.get(w)
            if named is not None:
                found.add(named)
            for phrase, concept in _PHRASES.get(w, ()):
                if concept not in found and phrase in text:
                    found.add(concept)
    return found


def features(text: str, signals: Iterable[str] = ()) -> list[str]:
    """The distinct features of a normalised, URL-masked text: character 2- and 3-grams
    (numbers folded: "#" for 5 digits or more, "0" for shorter ones), English word
    unigrams and bigrams, the concepts it names with their pairs, its intent slots, and
    the rule signals the text checks found in it (`text.signals_of`: a request of a kind,
    a claim, an impersonation, talk about scams), each and in pairs."""
    grams, intent = _feature_sets(text, tuple(signals))
    return [*grams, *intent]


def _feature_sets(text: str, signals: tuple[str, ...] = ()) -> tuple[set[str], set[str]]:
    """The n-gram features and the intent features (by `INTENT_PREFIXES`) of a text."""
    grams, odd, found = _gram_set(text)
    if grams is None:
        return set(), set()
    return grams, _intent_set(signals, found, odd)


def _intent_set(
    signals: tuple[str, ...], found: AbstractSet[str], odd: AbstractSet[str] = frozenset()
) -> set[str]:
    """The intent features of a text: its rule signals and their pairs, the n-grams that
    read like intent features (`odd`), its concepts with their pairs and its slots (always
    built in this order: the set, and so the order a sum over it adds in, is the same)."""
    intent: set[str] = set()
    if signals and RULE_SIGNALS:
        named_signals = sorted(set(signals))
        intent.update(["r:" + x for x in named_signals])
        intent.update(
            [f"r:{a}+{b}" for i, a in enumerate(named_signals) for b in named_signals[i + 1 :]]
        )
    if odd:
        intent |= odd
    if found:
        named = sorted(found)
        intent.update(["c:" + c for c in named])
        intent.update([f"c:{a}+{b}" for i, a in enumerate(named) for b in named[i + 1 :]])
        intent.update(slot_features(set(found)))
    return intent


def _gram_set(text: str) -> tuple[set[str] | None, set[str], set[str]]:
    """The n-gram features of a text (None when it is blank), the n-grams among them that
    read like intent features (taken out of the first set), and the concepts it names."""
    s = _SPACE.sub(" ", text).strip() if _MULTI_SPACE.search(text) else text.strip()
    if not s:
        return None, set(), set()
    if _DIGIT.search(s):
        s = _NUMBER.sub("0", _LONG_NUMBER.sub("#", s))
    padded = f" {s} "
    # the 2-grams by pairing each character with the next, the 3-grams by extending them
    # (the same sets as slicing every position, built at C speed)
    pairs = list(map(add, padded, padded[1:]))
    grams = set(pairs)
    # the concepts read with the text's 2-grams at hand (`grams` holds just them here: the
    # set `concepts` goes through is half the size it is once the 3-grams are in)
    found = concepts(s, grams)
    grams.update(map(add, pairs, padded[2:]))
    words = _WORD.findall(s)
    if words:
        grams.update(["w:" + w for w in words])
        grams.update([f"w:{a}_{b}" for a, b in zip(words, words[1:], strict=False)])
    odd: set[str] = set()
    if ":" in s:
        # an n-gram of the text that reads like an intent feature ("c: ") counts as one,
        # as `value` has it in training
        odd = {g for g in grams if g.startswith(INTENT_PREFIXES)}
        grams -= odd
    return grams, odd, found


# Intent slots: what a message asks of its reader, built from the concepts. A request
# (please / you / to me) for money, for a code, for an install; moving off the platform;
# secrecy; urgency or a threat; an authority claim; a promise of gain; "first". Scams
# combine several, so each slot, each pair and each triple of slots present is a feature,
# with the number of slots, and a mark when the message warns or negates (advice names
# the same slots).
_REQUEST = frozenset({"ask", "you", "to_me"})
_SLOTS: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = (
    # (slot, any of these concepts, and any of these; empty: no second condition)
    ("money", _REQUEST, frozenset({"pay", "money"})),
    ("code", _REQUEST, frozenset({"goods"})),
    ("install", _REQUEST, frozenset({"install"})),
    ("offsite", frozenset({"private"}), frozenset({"pay", "money", "asset", "refund"})),
    ("secret", frozenset({"secret"}), frozenset()),
    ("pressure", frozenset({"urgent", "threat"}), frozenset()),
    ("authority", frozenset({"authority"}), frozenset()),
    ("gain", frozenset({"gain", "invest", "release"}), frozenset()),
    ("first", frozenset({"first"}), frozenset()),
    ("expose", frozenset({"expose"}), frozenset({"money", "pay", "threat"})),
    ("lend", frozenset({"lend"}), frozenset({"asset", "money"})),
    ("paid", frozenset({"paid"}), frozenset({"goods", "ask", "urgent", "threat"})),
    ("login", frozenset({"login"}), frozenset({"you", "ask", "goods", "asset"})),
)
_MITIGATE = frozenset({"warn", "negation", "narrative", "channel"})


def slot_features(found: set[str]) -> list[str]:
    """The intent-slot features of a text's concepts."""
    slots = [
        name for name, first, second in _SLOTS if first & found and (not second or second & found)
    ]
    if not slots:
        return []
    out = ["s:" + x for x in slots]
    out += [f"s:{a}+{b}" for i, a in enumerate(slots) for b in slots[i + 1 :]]
    out += [
        f"s:{a}+{b}+{c}"
        for i, a in enumerate(slots)
        for j, b in enumerate(slots[i + 1 :], i + 1)
        for c in slots[j + 1 :]
    ]
    out.append(f"s:n{min(len(slots), 5)}")
    if _MITIGATE & found:
        out += ["s:mitigated", f"s:mitigated_n{min(len(slots), 5)}"]
    return out


@dataclass(frozen=True, slots=True)
class ModelScore:
    probability: float
    top: tuple[str, ...]
    """The n-grams that pushed the score up most, for the finding's detail."""


class TextModel:
    """Scores a normalised text: the probability that it is a scam message."""

    def __init__(
        self,
        weights: dict[str, float],
        bias: float,
        *,
        version: int = FEATURE_VERSION,
        low_at: float = LOW_AT,
        medium_at: float = MEDIUM_AT,
    ) -> None:
        if version != FEATURE_VERSION:
            raise ValueError(
                f"text model was trained with feature version {version}, this code uses "
                f"{FEATURE_VERSION}: retrain it with `python bench/train_fraud_model.py`"
            )
        if not 0.0 < low_at <= medium_at < 1.0:
            raise ValueError(f"thresholds out of order: low {low_at}, medium {medium_at}")
        self.weights = weights
        self.bias = bias
        # the probabilities at which the model's finding is low and medium; training
        # chooses them on cross-validation (`calibrate` in bench/train_fraud_model.py)
        self.low_at = low_at
        self.medium_at = medium_at
        # (number, summed weight) of the intent features of a set of rule signals and
        # concepts: a few hundred combinations recur across all messages
        self._intent_sums: dict[tuple[tuple[str, ...], frozenset[str]], tuple[int, float]] = {}
        # the n-gram sets of the text scored last: a flagged text is scored again to explain
        # its score (`explain=True`), with the same sets (they are only read)
        self._last: tuple[str, set[str], set[str], set[str]] | None = None

    def _intents(self, signals: tuple[str, ...], found: frozenset[str]) -> tuple[int, float]:
        """The number and the summed weight of the intent features of `signals` and the
        concepts `found` (for a text with no n-gram that reads like an intent feature)."""
        key = (signals, found)
        cached = self._intent_sums.get(key)
        if cached is None:
            intents = _intent_set(signals, found)
            cached = (len(intents), sum(map(self.weights.get, intents, repeat(0.0))))
            if len(self._intent_sums) >= 4096:
                self._intent_sums.clear()
            self._intent_sums[key] = cached
        return cached

    @classmethod
    def off(cls) -> TextModel:
        """A model that never fires: for testing the other layers on their own."""
        return cls({}, -50.0)

    @classmethod
    def load(cls, name: str = MODEL_FILE) -> TextModel:
        data = json.loads(read_text(name))
        thresholds = data.get("thresholds") or {}
        return cls(
            {str(k): float(v) for k, v in data["weights"].items()},
            float(data["bias"]),
            version=int(data["feature_version"]),
            low_at=float(thresholds.get("low", LOW_AT)),
            medium_at=float(thresholds.get("medium", MEDIUM_AT)),
        )

    def score(self, text: str, *, signals: Iterable[str] = (), explain: bool = False) -> ModelScore:
        if not self.weights or len(text) - text.count(" ") < MIN_CHARS:
            return ModelScore(0.0, ())
        signals = tuple(signals)
        last = self._last
        if last is not None and last[0] == text:
            _, grams, odd, found = last
        else:
            new_grams, odd, found = _gram_set(text)
            if new_grams is None:
                return ModelScore(0.0, ())
            grams = new_grams
            self._last = (text, grams, odd, found)
        get = self.weights.get
        if odd or explain:
            intents = _intent_set(signals, found, odd)
            count, intent = len(intents), sum(map(get, intents, repeat(0.0)))
        else:
            count, intent = self._intents(signals, frozenset(found))
        n = len(grams) + count
        total = sum(map(get, grams, repeat(0.0)))
        z = self.bias + total * scale(n) + intent * INTENT_WEIGHT
        p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
        top: tuple[str, ...] = ()
        if explain:
            # the three largest positive contributions, as sorting them all would give (the
            # features are distinct, so no two pairs tie)
            hits = heapq.nlargest(
                3,
                (
                    h
                    for h in (
                        (get(f, 0.0) * value(f, n), f)
                        for f in (*grams, *_intent_set(signals, found, odd))
                    )
                    if h[0] > 0
                ),
            )
            top = tuple(_readable(f) for _, f in hits)
        return ModelScore(p, top)


_KIND = {"w:": "", "c:": "concept ", "s:": "intent ", "r:": "rule "}


def _readable(feature: str) -> str:
    """A feature as the finding's detail names it: "concept pay+first", "intent
    money+secret", "rule req transfer", a word or an n-gram as it is."""
    kind = _KIND.get(feature[:2])
    if kind is None:
        return feature.strip()
    return (kind + feature[2:].replace("_", " ")).strip()
