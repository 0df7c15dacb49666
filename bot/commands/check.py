"""`refund-bot check [--policy FILE] [FILE|-]`: decide refund facts with the refund policy.

Reads one JSON object, or JSON Lines (one facts object a line), from FILE or standard input
and prints one decision JSON a line, in input order (blank lines are skipped). A line with
invalid facts prints `{"error": ..., "fields": {field: reason}, "line": n}` instead; the other
lines are still decided, and the exit status is then 2. A policy that does not load: exit 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.domain.rules import (
    DEFAULT_POLICY_PATH,
    FactsError,
    PolicyError,
    decide,
    load_policy,
    parse_facts,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="refund-bot check",
        description="Decide refund facts (one JSON object, or JSON Lines) and print one decision JSON a line.",
    )
    parser.add_argument(
        "file", nargs="?", default="-", help="facts file; '-' or nothing reads standard input"
    )
    parser.add_argument(
        "--policy",
        default=None,
        help="policy file (default: $POLICY_FILE or the built-in knowledge/policy.yaml)",
    )
    return parser


def policy_path(option: str | None) -> Path:
    """--policy, else $POLICY_FILE, else the built-in policy."""
    return Path(option or os.environ.get("POLICY_FILE") or DEFAULT_POLICY_PATH)


def _records(text: str) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, parsed value, JSON error) for one object or each non-blank line."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines, 1) if line.strip()), None)
    if first is None:
        return
    try:
        whole = json.loads(text, parse_float=Decimal)
    except ValueError:
        whole = None
    if isinstance(whole, dict):  # one object, possibly pretty-printed over several lines
        yield first, whole, None
        return
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line, parse_float=Decimal), None
        except ValueError as exc:
            yield number, None, f"invalid JSON: {exc}"


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse: --help is 0, a usage error 2
        return int(exc.code or 0)
    try:
        policy = load_policy(policy_path(args.policy))
    except PolicyError as exc:
        for error in exc.errors:
            print(f"refund-bot check: {error}", file=sys.stderr)
        return 1
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"refund-bot check: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1

    status = 0
    out = sys.stdout
    for number, data, json_error in _records(text):
        if json_error is not None:
            out.write(_dump({"error": json_error, "fields": {}, "line": number}) + "\n")
            status = 2
            continue
        if not isinstance(data, dict):
            out.write(
                _dump({"error": "expected a JSON object", "fields": {}, "line": number}) + "\n"
            )
            status = 2
            continue
        try:
            facts = parse_facts(data)
        except FactsError as exc:
            out.write(
                _dump({"error": "invalid facts", "fields": exc.fields, "line": number}) + "\n"
            )
            status = 2
            continue
        out.write(_dump(decide(policy, facts).model_dump(mode="json")) + "\n")
    out.flush()
    return status
