"""`refund-bot check [--policy FILE] [FILE|-]`: decide refund facts with the refund policy.

Reads facts from FILE or standard input, as one JSON object, a JSON array of objects, or JSON
Lines (one object a line; blank lines are skipped); a UTF-8 byte order mark is ignored. Prints
one decision JSON a line, in input order. Invalid facts print
`{"error": ..., "fields": {field: reason}, "line": n}` instead (`"index": i`, counted from 0,
for an element of an array); the other facts are still decided and the exit status is then 2.
A policy or facts file that cannot be read: exit 1. `--schema` prints the facts' JSON schema.
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

from bot.domain.rules import FactsError, decide, parse_facts
from bot.domain.rules.models import facts_json_schema
from bot.policy_files import DEFAULT_POLICY_PATH, PolicyError, load_policy

BOM = "\ufeff"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="refund-bot check",
        description="Decide refund facts (a JSON object, a JSON array of objects, or JSON Lines) "
        "and print one decision JSON a line.",
    )
    parser.add_argument(
        "file", nargs="?", default="-", help="facts file; '-' or nothing reads standard input"
    )
    parser.add_argument(
        "--policy",
        default=None,
        help="policy file (default: $POLICY_FILE or the built-in knowledge/policy.yaml)",
    )
    parser.add_argument(
        "--schema", action="store_true", help="print the JSON schema of the facts and exit"
    )
    return parser


def policy_path(option: str | None) -> Path:
    """--policy, else $POLICY_FILE, else the built-in policy."""
    return Path(option or os.environ.get("POLICY_FILE") or DEFAULT_POLICY_PATH)


#: (where, parsed value, JSON error); where is {"line": n} or {"index": i}
Record = tuple[dict[str, int], Any, str | None]


def _records(text: str) -> Iterator[Record]:
    """The facts records of one input: an object, an array's elements, or each line."""
    text = text.removeprefix(BOM)
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines, 1) if line.strip()), None)
    if first is None:
        return
    try:
        whole = json.loads(text, parse_float=Decimal)
    except ValueError:
        whole = None
    if isinstance(whole, dict):  # one object, possibly pretty-printed over several lines
        yield {"line": first}, whole, None
        return
    if isinstance(whole, list):  # an array of facts objects
        for index, item in enumerate(whole):
            yield {"index": index}, item, None
        return
    for number, line in enumerate(lines, 1):
        line = line.removeprefix(BOM)  # concatenated files may each carry a BOM
        if not line.strip():
            continue
        try:
            yield {"line": number}, json.loads(line, parse_float=Decimal), None
        except ValueError as exc:
            yield {"line": number}, None, f"invalid JSON: {exc}"


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _read(name: str) -> str:
    """The input as text; a BOM stays in it (`_records` drops it)."""
    if name == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is not None:
            return bytes(buffer.read()).decode("utf-8")
        return sys.stdin.read()
    return Path(name).read_bytes().decode("utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse: --help is 0, a usage error 2
        return int(exc.code or 0)
    if args.schema:
        print(json.dumps(facts_json_schema(), ensure_ascii=False, indent=2))
        return 0
    try:
        policy = load_policy(policy_path(args.policy))
    except PolicyError as exc:
        for error in exc.errors:
            print(f"refund-bot check: {error}", file=sys.stderr)
        return 1
    try:
        text = _read(args.file)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"refund-bot check: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1

    status = 0
    out = sys.stdout
    for where, data, json_error in _records(text):
        if json_error is not None:
            out.write(_dump({"error": json_error, "fields": {}, **where}) + "\n")
            status = 2
            continue
        if not isinstance(data, dict):
            out.write(_dump({"error": "expected a JSON object", "fields": {}, **where}) + "\n")
            status = 2
            continue
        try:
            facts = parse_facts(data)
        except FactsError as exc:
            out.write(_dump({"error": "invalid facts", "fields": exc.fields, **where}) + "\n")
            status = 2
            continue
        out.write(_dump(decide(policy, facts).model_dump(mode="json")) + "\n")
    out.flush()
    return status
