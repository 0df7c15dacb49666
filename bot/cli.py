"""The `refund-bot` command line: one entry point, one module per sub-command.

`refund-bot` with no sub-command runs the bot: long polling (or a webhook) when a token is
configured, the local console chat when it is not.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

# sub-command -> module in bot.commands exposing `main(argv: list[str]) -> int`
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", "run the bot (polling or webhook; console chat when no BOT_TOKEN is set)"),
    "console": ("console", "chat with the bot in this terminal, no Telegram needed"),
    "check": ("check", "decide refund facts (JSON / JSON Lines) with the refund policy"),
    "policy": ("policy", "policy file tools: `policy validate FILE`"),
    "ask": ("ask", "answer a question from the knowledge base, with its sources"),
    "knowledge": ("knowledge", "knowledge tools: `knowledge report` (unanswered), `knowledge check DIR`"),
    "scan": ("scan", "scan a text for refund-scam links and scripts"),
    "db": ("db", "database tools: `db upgrade`"),
}


def _usage() -> str:
    lines = ["usage: refund-bot [COMMAND] [ARGS...]", "", "commands:"]
    lines += [f"  {name:<9} {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "With no command, `run` is assumed."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    name = args.pop(0) if args and not args[0].startswith("-") else "run"
    if name not in COMMANDS:
        print(f"refund-bot: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bot.commands.{COMMANDS[name][0]}")
    return int(module.main(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
