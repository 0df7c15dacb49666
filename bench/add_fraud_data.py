"""Add a new file of labelled fraud messages to the training data, without duplicates.

    python bench/add_fraud_data.py NEW.jsonl [NEW2.jsonl ...] [--alias new_id=old_id ...] [--write]

Each line of a new file is {"text", "label": "scam"|"benign"|"harmless", "category",
"technique"} ("harmless" is written as "benign", the training files' word). A
message is dropped when its text is an exact or near-exact duplicate of a message in any
existing `tests/data/*.jsonl` file or earlier in the new files: exact after folding (NFKC,
traditional to simplified, lower case, no spaces, punctuation or emoji), near-exact when
the character 3-grams of the folded texts overlap by NEAR_DUP (Jaccard) or more. A
technique the author named differently from the taxonomy's (`--alias fake_prize=prize_fee`)
is rewritten to the taxonomy's id, so leave-one-technique-out holds both out together.
Prints JSON (kept, dropped per reason, techniques not in the taxonomy); with `--write` the
kept messages go to `tests/data/<name of the new file>`. Add the file to TRAIN_FILES in
bench/train_fraud_model.py and its new techniques to data/techniques.yaml (`source: wide`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain.fraud.normalize import normalize  # noqa: E402
from bot.domain.fraud.resources import load_yaml  # noqa: E402

DATA = ROOT / "tests" / "data"
NEAR_DUP = 0.8
_NOISE = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """The text as duplicates are compared: normalised, without spaces and punctuation."""
    return _NOISE.sub("", normalize(text).lower())


def grams(folded: str) -> set[str]:
    return {folded[i : i + 3] for i in range(max(1, len(folded) - 2))}


class Seen:
    """The texts seen so far, for exact and near-exact lookups (an index of 3-grams)."""

    def __init__(self) -> None:
        self.exact: set[str] = set()
        self.sizes: list[int] = []
        self.index: dict[str, list[int]] = {}

    def add(self, text: str) -> None:
        folded = fold(text)
        self.exact.add(folded)
        g = grams(folded)
        n = len(self.sizes)
        self.sizes.append(len(g))
        for x in g:
            self.index.setdefault(x, []).append(n)

    def duplicate(self, text: str) -> str | None:
        """ "exact", "near" or None."""
        folded = fold(text)
        if folded in self.exact:
            return "exact"
        g = grams(folded)
        shared: Counter[int] = Counter()
        for x in g:
            shared.update(self.index.get(x, ()))
        for n, k in shared.items():
            if k / (len(g) + self.sizes[n] - k) >= NEAR_DUP:
                return "near"
        return None


def existing_texts(skip: set[str]) -> list[str]:
    out = []
    for path in sorted(DATA.glob("*.jsonl")):
        if path.name in skip:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(str(json.loads(line).get("text", "")))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--alias", action="append", default=[], help="new_id=taxonomy_id")
    ap.add_argument("--write", action="store_true", help="write the kept messages to tests/data/")
    args = ap.parse_args(argv)
    alias = dict(a.split("=", 1) for a in args.alias)
    known = {str(t["id"]) for t in load_yaml("techniques.yaml")["techniques"]}
    unknown_alias = sorted(set(alias.values()) - known)
    if unknown_alias:
        ap.error(f"aliases to techniques not in the taxonomy: {unknown_alias}")
    seen = Seen()
    for text in existing_texts({p.name for p in args.files}):
        seen.add(text)
    report: dict[str, object] = {}
    for path in args.files:
        kept: list[dict] = []
        dropped: Counter[str] = Counter()
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            case = json.loads(line)
            if case.get("label") not in ("scam", "benign", "harmless") or not case.get("text"):
                dropped["malformed"] += 1
                continue
            if case["label"] == "harmless":
                case["label"] = "benign"  # the training files' word
            why = seen.duplicate(case["text"])
            if why:
                dropped[why] += 1
                continue
            seen.add(case["text"])
            if case.get("technique") in alias:
                case["technique"] = alias[case["technique"]]
            kept.append(case)
        techniques = Counter(str(c.get("technique")) for c in kept)
        report[path.name] = {
            "kept": len(kept),
            "scams": sum(c["label"] == "scam" for c in kept),
            "benign": sum(c["label"] == "benign" for c in kept),
            "dropped": dict(dropped),
            "new_techniques": {t: n for t, n in sorted(techniques.items()) if t not in known},
        }
        if args.write:
            out = DATA / path.name
            out.write_text(
                "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in kept), encoding="utf-8"
            )
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
