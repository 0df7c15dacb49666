"""Quality gate: accuracy targets on the labelled set, and the set's own hygiene."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from bot.domain.fraud import Detector
from bot.domain.fraud.normalize import compact, normalize
from bot.services.scam import fraud_texts

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "data" / "fraud_cases.jsonl"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    return [
        json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(texts=fraud_texts())


def test_labelled_set_shape(cases: list[dict]) -> None:
    assert len(cases) >= 300
    labels = Counter(c["label"] for c in cases)
    assert set(labels) == {"scam", "benign"} and min(labels.values()) >= 100
    for c in cases:
        assert c["category"] and isinstance(c.get("text", ""), str)
    sources = Counter(c.get("source", "hand") for c in cases)
    assert sources["generated"] >= 150 and sources["hand"] >= 150


def test_generated_rows_are_up_to_date() -> None:
    gen = _load("gen_lookalikes", ROOT / "tests" / "data" / "gen_lookalikes.py")
    assert gen.main(["--check"]) == 0


def test_accuracy_targets(cases: list[dict], detector: Detector) -> None:
    ev = _load("eval_fraud", ROOT / "bench" / "eval_fraud.py")
    result = ev.evaluate(cases, detector)
    overall = result["overall"]
    assert overall["recall"] >= 0.95, result["errors"]
    assert overall["false_positive_rate"] <= 0.02, result["errors"]
    assert result["meets_targets"]


def test_trigger_words_cover_the_labelled_set(cases: list[dict], detector: Detector) -> None:
    """The literal trigger words must not hide any pattern match (see scripts.yaml)."""
    for c in cases:
        text = compact(normalize(c.get("text", "")))
        fast = detector.text.check(text, context=True)
        full = detector.text.check(text, context=True, exhaustive=True)
        assert (fast.requests, fast.scam_claims, fast.impersonation) == (
            full.requests,
            full.scam_claims,
            full.impersonation,
        ), c["text"]
