"""Whether two checkouts' fraud detectors give the same verdicts, message by message.

    python bench/verdict_diff.py OTHER_CHECKOUT        # compare this checkout with another
    python bench/verdict_diff.py --dump OUT.jsonl      # only write this checkout's verdicts

The messages: every text of tests/data/fraud*.jsonl, every string literal of the fraud tests
(tests/unit/test_fraud_*.py) that reads like a message, each of them once alone and once
with a link to an unknown domain after it (the text checks look for more words when a
message has links), and 3,000 messages of `bench_fraud.py`'s mix (with their links and
buttons). The messages always come from this checkout, so both sides read the same ones.

Per message: the risk, the sorted check names, the sorted finding details (they quote the
words a rule matched), the rule signals the classifier reads and its score rounded to
1e-9. Any difference is printed; the exit status is 1 when there is one.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_MESSAGE_LIKE = re.compile(r"[\u4e00-\u9fff]|[a-zA-Z]{3,}\s+[a-zA-Z]{2,}")
_LINK = " https://refund-desk-77.top/r"


def corpus(root: Path = ROOT) -> list[dict[str, Any]]:
    """The messages to compare: {"text", "links", "buttons"} each, in a fixed order."""
    texts: list[str] = []
    for path in sorted((root / "tests" / "data").glob("fraud*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(str(json.loads(line)["text"]))
    for path in sorted((root / "tests" / "unit").glob("test_fraud_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and 4 <= len(node.value) <= 2000
                and _MESSAGE_LIKE.search(node.value)
            ):
                texts.append(node.value)
    texts = list(dict.fromkeys(texts))
    out: list[dict[str, Any]] = [{"text": t, "links": [], "buttons": []} for t in texts]
    out += [{"text": t + _LINK, "links": [], "buttons": []} for t in texts]
    sys.path.insert(0, str(root))
    try:
        from bench.bench_fraud import build
    finally:
        sys.path.remove(str(root))
    for m in build(3000, seed=20)[0]:
        out.append(
            {
                "text": m.text,
                "links": [[x.url, x.visible_text] for x in m.links],
                "buttons": list(m.button_urls),
            }
        )
    return out


def dump(messages: list[dict[str, Any]], out: Path) -> None:
    """The verdicts of this checkout's detector (the one on sys.path) for `messages`."""
    from bench.bench_fraud import build_detector
    from bot.domain.fraud import LinkRef, MessageInput

    det = build_detector()
    with out.open("w", encoding="utf-8") as f:
        for m in messages:
            msg = MessageInput(
                text=m["text"],
                links=[LinkRef(url=u, visible_text=v) for u, v in m["links"]],
                button_urls=m["buttons"],
            )
            v = det.scan(msg)
            prose, signals = det.model_input(m["text"])
            score = det.model.score(prose, signals=signals).probability
            row = [
                v.risk.value,
                sorted(x.check for x in v.findings),
                sorted(x.detail for x in v.findings),
                list(signals),
                round(score, 9),
            ]
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _dump_in(checkout: Path, messages_file: Path, out: Path) -> None:
    """`dump` run in a fresh process on the package of `checkout` (this script's code)."""
    subprocess.run(
        [sys.executable, __file__, "--worker", str(checkout), str(messages_file), str(out)],
        check=True,
        cwd=checkout,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("other", type=Path, nargs="?", help="the checkout to compare with")
    ap.add_argument("--dump", type=Path, help="only write this checkout's verdicts here")
    ap.add_argument("--worker", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        checkout, messages_file, out = args.worker
        sys.path.insert(0, str(checkout))
        dump(json.loads(messages_file.read_text(encoding="utf-8")), out)
        return 0
    messages = corpus()
    with tempfile.TemporaryDirectory() as tmp:
        msgs_file = Path(tmp) / "messages.json"
        msgs_file.write_text(json.dumps(messages, ensure_ascii=False), encoding="utf-8")
        if args.dump:
            _dump_in(ROOT, msgs_file, args.dump)
            print(json.dumps({"messages": len(messages), "written": str(args.dump)}))
            return 0
        if args.other is None:
            ap.error("give OTHER_CHECKOUT or --dump")
        mine, theirs = Path(tmp) / "this.jsonl", Path(tmp) / "other.jsonl"
        _dump_in(ROOT, msgs_file, mine)
        _dump_in(args.other.resolve(), msgs_file, theirs)
        a = mine.read_text(encoding="utf-8").splitlines()
        b = theirs.read_text(encoding="utf-8").splitlines()
    diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    for i in diffs[:20]:
        print(
            json.dumps(
                {"text": messages[i]["text"], "this": a[i], "other": b[i]}, ensure_ascii=False
            )
        )
    print(json.dumps({"messages": len(messages), "differences": len(diffs)}))
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
