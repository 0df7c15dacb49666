"""Cleaning text at the edge: what a buyer sends may hold characters no database or
Telegram accepts back (NUL, other control characters, lone UTF-16 surrogates).

Each bad character is replaced by one of the same UTF-16 length (a space, or U+FFFD for a
lone surrogate), so Telegram's entity offsets stay right. Pure: no IO.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["clean_text", "clean_payload"]

# C0 controls except tab, line feed and carriage return; DEL; C1 controls
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` without NUL, control characters or lone surrogates."""
    if text.isprintable():
        return text
    return _SURROGATE.sub("\ufffd", _CONTROL.sub(" ", text))


def clean_payload(value: Any) -> Any:
    """Every string inside a JSON-like value (keys too) cleaned; other values as they are."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_payload(key): clean_payload(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_payload(item) for item in value]
    return value
