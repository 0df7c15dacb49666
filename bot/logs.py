"""Logging that keeps secrets and personal data out.

- Every log record passes `RedactingFilter`: the bot token (and anything shaped like a bot
  token, with or without the `bot` prefix of an API path) becomes `[token]`, whatever the
  message, its arguments or a server's answer held.
- Tracebacks keep their frames and exception types but not exception messages, which can
  quote SQL parameters, message text or a server's reply: log lines carry ids and event
  names only.
"""

from __future__ import annotations

import logging
import re
import traceback
from types import TracebackType

TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_secrets: list[str] = []


def add_secret(value: str | None) -> None:
    """Hide `value` (a token, a webhook secret) from every log line from now on."""
    if value and len(value) >= 6 and value not in _secrets:
        _secrets.append(value)
        _secrets.sort(key=len, reverse=True)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "[secret]")
    return TOKEN_SHAPE.sub("[token]", text)


def format_traceback(
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None],
) -> str:
    """Frames and exception types, no exception messages (they may quote data)."""
    kind, error, tb = exc_info
    lines = ["Traceback (most recent call last):\n", *traceback.format_tb(tb)]
    lines.append(f"{kind.__module__}.{kind.__qualname__}\n")
    cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    if cause is not None and cause is not error:
        lines.insert(
            0, format_traceback((type(cause), cause, cause.__traceback__)) + "\n(which led to)\n"
        )
    return redact("".join(lines)).rstrip("\n")


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not hide the record
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = format_traceback(record.exc_info)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(level: int = logging.INFO) -> None:
    """The process's logging: one handler on the root logger, every record redacted."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
