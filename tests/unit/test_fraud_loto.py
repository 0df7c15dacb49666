"""The leave-one-technique-out bench (bench/loto_fraud.py) holds each technique out for
real: none of its messages, nor the older categories the taxonomy maps to it, reach the
classifier it is scored by."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> Any:
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("loto_fraud", ROOT / "bench" / "loto_fraud.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["loto_fraud"] = module
    spec.loader.exec_module(module)
    return module


def test_a_held_out_technique_never_reaches_its_classifier(monkeypatch: Any) -> None:
    loto = _bench()
    real_fit = loto.fit_calibrated
    seen: list[list[list[str]]] = []

    def spy(rows: list[list[str]], y: Any, cases: list[dict]) -> Any:
        seen.append(rows)
        return real_fit(rows, y, cases)

    monkeypatch.setattr(loto, "fit_calibrated", spy)
    cases: list[dict] = []
    rows, _ = loto.load(loto.TRAIN_FILES, keep=cases)
    also = {str(c): str(t["id"]) for t in loto.techniques() for c in t.get("also") or ()}
    result = loto.run(["fake_paid", "vip_cancel"])
    assert set(result["per_technique"]) == {"fake_paid", "vip_cancel"} and len(seen) == 2
    # folds run in the taxonomy's order, as the result lists them
    for tid, trained in zip(result["per_technique"], seen, strict=True):
        held = [r for r, c in zip(rows, cases, strict=True) if loto.technique_of(c, also) == tid]
        counts = result["per_technique"][tid]
        assert counts["scams"] + counts["benign"] == len(held) > 0
        trained_keys = {" ".join(sorted(r)) for r in trained}
        assert not any(" ".join(sorted(r)) in trained_keys for r in held), tid
        assert len(trained) == len(rows) - len(held)


def test_older_categories_belong_to_their_technique() -> None:
    loto = _bench()
    also = {str(c): str(t["id"]) for t in loto.techniques() for c in t.get("also") or ()}
    assert loto.technique_of({"category": "train_vip_agent_zh"}, also) == "vip_cancel"
    assert loto.technique_of({"style": "pay_private"}, also) == "off_platform"
    assert loto.technique_of({"category": "benign_chat_zh"}, also) is None
