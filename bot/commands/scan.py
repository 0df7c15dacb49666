"""`refund-bot scan`: scan texts for refund-scam links and scripts, print verdicts as JSON.

    refund-bot scan "您好我是淘宝客服，请提供验证码"        one verdict (JSON)
    refund-bot scan < messages.txt                       one text a line -> JSON Lines
    refund-bot scan --jsonl < messages.jsonl             one message object a line:
        {"text": ..., "links": [{"url": ..., "visible_text": ...}], "button_urls": [...]}
    refund-bot scan --image shot.png qr.jpg              one JSON line per picture: the verdict
        plus "file" and "extracted": {"qr": [...], "text": "..."} (QR payloads and OCR text)

Exit status: 0, or 1 with --fail-on RISK when some verdict reaches that risk; 2 when a
picture cannot be read (its line says why: {"file", "error"}).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from bot.domain.fraud import LinkRef, MessageInput, Risk, Verdict
from bot.services.scam import build_detector


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="refund-bot scan",
        description="Scan a text for refund-scam links and scripts; print the verdict as JSON.",
    )
    p.add_argument(
        "text", nargs="?", help="the text to scan; without it, read one text a line from stdin"
    )
    p.add_argument(
        "--link",
        action="append",
        default=[],
        metavar="URL[|SHOWN]",
        help="a text link: its target URL, optionally '|' and the text shown for it",
    )
    p.add_argument(
        "--button", action="append", default=[], metavar="URL", help="an inline-keyboard button URL"
    )
    p.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="a domain whose links pass (repeatable)",
    )
    p.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="one of the platform's own domains (repeatable)",
    )
    p.add_argument(
        "--brand",
        action="append",
        default=None,
        metavar="DOMAIN",
        help="protect this brand domain instead of the built-in list (repeatable)",
    )
    p.add_argument(
        "--lang",
        choices=("zh", "en", "both"),
        default="both",
        help="language of the advice and explanations (default: both)",
    )
    p.add_argument(
        "--jsonl",
        action="store_true",
        help="stdin lines are JSON message objects instead of plain texts",
    )
    p.add_argument("--brief", action="store_true", help="print only risk and check names")
    p.add_argument(
        "--fail-on",
        choices=[r.value for r in Risk if r is not Risk.NONE],
        help="exit 1 when a verdict reaches this risk",
    )
    p.add_argument("--pretty", action="store_true", help="indent the JSON (single text only)")
    p.add_argument(
        "--image",
        nargs="+",
        metavar="PATH",
        help="scan pictures (QR codes and text read by OCR); one JSON line each",
    )
    p.add_argument(
        "--max-mb", type=float, default=8.0, help="skip pictures larger than this (default 8)"
    )
    return p


def _scan_images(paths: list[str], detector: Any, args: argparse.Namespace) -> int:
    from bot.imagescan import ImageScanner, available

    if not available():
        print(
            json.dumps(
                {
                    "error": "picture scanning needs the images extra (zxing-cpp, rapidocr-onnxruntime)"
                }
            )
        )
        return 2
    scanner = ImageScanner(detector, max_bytes=int(args.max_mb * 1024 * 1024))
    status, worst = 0, 0
    for path in paths:
        try:
            with open(path, "rb") as fh:
                data = fh.read(scanner.max_bytes + 1)
        except OSError as exc:
            print(
                json.dumps(
                    {"file": path, "error": f"cannot open: {exc.strerror or exc}"},
                    ensure_ascii=False,
                )
            )
            status = 2
            continue
        result = scanner.scan_sync(data)
        if result.skipped in ("unreadable", "too_large"):
            what = (
                "not a picture that can be read"
                if result.skipped == "unreadable"
                else f"larger than {args.max_mb:g} MB"
            )
            print(json.dumps({"file": path, "error": what}, ensure_ascii=False))
            status = 2
            continue
        worst = max(worst, result.verdict.risk.rank)
        line = {
            "file": path,
            **_render(result.verdict, args.lang, args.brief),
            "extracted": result.extracted.model_dump(),
            "seconds": result.seconds,
        }
        print(json.dumps(line, ensure_ascii=False), flush=True)
    scanner.close()
    if status:
        return status
    return 1 if args.fail_on and worst >= Risk(args.fail_on).rank else 0


def _link(spec: str) -> LinkRef:
    url, sep, visible = spec.partition("|")
    return LinkRef(url=url.strip(), visible_text=visible.strip() or None)


def _render(verdict: Verdict, lang: str, brief: bool) -> dict[str, Any]:
    if brief:
        return {"risk": verdict.risk.value, "checks": verdict.checks}
    data = verdict.model_dump(mode="json")
    if lang != "both":
        data["advice"] = {lang: data["advice"].get(lang, "")}
        for f in data["findings"]:
            f["explain"] = {lang: f["explain"].get(lang, "")}
    return data


def _messages_from_stdin(lines: Iterable[str], jsonl: bool) -> Iterable[MessageInput | str]:
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if jsonl:
            try:
                yield MessageInput.model_validate(json.loads(line))
            except ValueError as exc:
                yield f"bad input line: {exc}".replace("\n", " ")
        else:
            yield MessageInput(text=line)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    detector = build_detector(
        allow_domains=args.allow, platform_domains=args.platform, protected_brands=args.brand
    )
    if args.image:
        return _scan_images(args.image, detector, args)
    fail_rank = Risk(args.fail_on).rank if args.fail_on else None
    worst = 0
    if args.text is not None or args.link or args.button:
        msg = MessageInput(
            text=args.text or "", links=[_link(s) for s in args.link], button_urls=args.button
        )
        verdict = detector.scan(msg)
        worst = verdict.risk.rank
        print(
            json.dumps(
                _render(verdict, args.lang, args.brief),
                ensure_ascii=False,
                indent=2 if args.pretty else None,
            )
        )
    else:
        for item in _messages_from_stdin(sys.stdin, args.jsonl):
            if isinstance(item, str):
                print(json.dumps({"error": item}, ensure_ascii=False))
                continue
            verdict = detector.scan(item)
            worst = max(worst, verdict.risk.rank)
            print(
                json.dumps(_render(verdict, args.lang, args.brief), ensure_ascii=False), flush=False
            )
        sys.stdout.flush()
    return 1 if fail_rank is not None and worst >= fail_rank else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
