"""`refund-bot policy validate [FILE] [--knowledge DIR]`: check a refund policy file.

Exit 0 with a one-line OK summary, or exit 1 with one line per problem (file, rule, field):
the schema, the texts (every key in zh and en, same placeholders) and whether each rule makes
sense as a whole (outcome, route, liable party, deadlines, texts; see docs/rules.md).
Rules that no facts can reach (shadowed by the rules above) are reported as warnings.
With --knowledge, every `policy_refs` id must be a section id of the knowledge base there
(headings ending in `{#id}` in DIR/**/*.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.commands.check import policy_path
from bot.policy_files import PolicyError, knowledge_ids, load_policy


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="refund-bot policy", description="Refund policy file tools."
    )
    sub = parser.add_subparsers(dest="action", required=True)
    validate = sub.add_parser(
        "validate", help="check a policy file; exit 0 if it is valid, 1 if not"
    )
    validate.add_argument(
        "file",
        nargs="?",
        default=None,
        help="policy file (default: $POLICY_FILE or knowledge/policy.yaml)",
    )
    validate.add_argument(
        "--knowledge",
        metavar="DIR",
        default=None,
        help="also check policy_refs against the section ids in DIR",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    path = policy_path(args.file)
    known = None
    if args.knowledge is not None:
        folder = Path(args.knowledge)
        if not folder.is_dir():
            print(f"refund-bot policy: {folder}: not a folder", file=sys.stderr)
            return 1
        known = knowledge_ids(folder)
    try:
        policy = load_policy(path, known_refs=known)
    except PolicyError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"{len(exc.errors)} problem(s) found", file=sys.stderr)
        return 1
    for rule_id in policy.unreachable_rules():
        print(
            f"warning: {policy.source}: rule {rule_id!r}: never reached "
            "(the rules above it catch every case it matches)",
            file=sys.stderr,
        )
    refs = len(policy.policy_refs)
    checked = " (all found in the knowledge base)" if known is not None else ""
    print(
        f"OK {policy.source}: version {policy.version}, {len(policy.rules)} rules, "
        f"fee cap {policy.fee_cap_percent:g}%, {refs} section refs{checked}"
    )
    return 0
