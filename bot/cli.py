"""The `refund-bot` command line: one entry point, one module per sub-command.

`refund-bot` with no sub-command runs the bot: long polling (or a webhook) when a token is
configured, the local console chat when it is not.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import NoReturn

# sub-command -> module (in bot.commands unless dotted) exposing `main(argv: list[str]) -> int`
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", "run the bot (polling or webhook; console chat when no BOT_TOKEN is set)"),
    "console": ("console", "chat with the bot in this terminal, no Telegram needed"),
    "check": ("check", "decide refund facts (JSON / JSON Lines) with the refund policy"),
    "policy": ("policy", "policy file tools: `policy validate FILE`"),
    "ask": ("ask", "answer a question from the knowledge base, with its sources"),
    "knowledge": (
        "knowledge",
        "knowledge tools: `knowledge report` (unanswered), `knowledge check DIR`",
    ),
    "scan": ("scan", "scan a text for refund-scam links and scripts"),
    "db": ("db", "database tools: `db upgrade`"),
    "inbox": ("inbox", "updates that kept failing: `inbox` lists them, `inbox retry [ID...]`"),
    "web": ("bot.web.command", "the support web console alone (`web [--host H] [--port P]`)"),
}


class UsageError(Exception):
    """A command line that does not parse: told in one line."""


@contextmanager
def _one_line_usage_errors() -> Iterator[None]:
    """argparse prints a usage block and exits; every sub-command tells one line instead."""

    def error(parser: argparse.ArgumentParser, message: str) -> NoReturn:
        raise UsageError(f"{parser.prog}: {message} (see --help)")

    original = argparse.ArgumentParser.error
    argparse.ArgumentParser.error = error  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        argparse.ArgumentParser.error = original  # type: ignore[method-assign]


def _one_line(name: str, error: BaseException) -> str:
    """Why a command stopped, in one line, without a traceback."""
    from bot.logs import redact

    if isinstance(error, UsageError):
        return redact(str(error))
    if isinstance(error, UnicodeError):
        reason = "the input is not UTF-8 text"
    elif isinstance(error, RecursionError):
        reason = "the input is nested too deeply"
    elif isinstance(error, MemoryError):
        reason = "the input is too large"
    else:
        first = next((line for line in str(error).splitlines() if line.strip()), "")
        reason = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return redact(f"refund-bot {name}: {reason[:300]}")


def _usage() -> str:
    lines = ["usage: refund-bot [COMMAND] [ARGS...]", "", "commands:"]
    lines += [f"  {name:<9} {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "With no command, `run` is assumed."]
    return "\n".join(lines)


def _import_quietly(name: str) -> ModuleType:
    """Import a command without the garbage collector: importing aiogram and the app builds
    some 300k long-lived objects, and every full collection on the way walks them all (a
    third of the start-up's CPU time). They are then frozen (moved out of the collector's
    sight): later collections skip them too."""
    gc.disable()
    try:
        return importlib.import_module(name)
    finally:
        gc.freeze()
        gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    name = args.pop(0) if args and not args[0].startswith("-") else "run"
    if name not in COMMANDS:
        print(f"refund-bot: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    target = COMMANDS[name][0]
    module = _import_quietly(target if "." in target else f"bot.commands.{target}")
    try:
        with _one_line_usage_errors():
            return int(module.main(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader of our output went away (`| head`)
        return 0
    except Exception as error:  # noqa: BLE001 - the one place a command's error becomes a line
        print(_one_line(name, error), file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
