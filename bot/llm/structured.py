"""Reading a structured answer out of a model message: tool call arguments, or JSON in the
text (bare, in a ``` fence, or after some words). Pure functions."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


class NotJSON(ValueError):
    """No JSON object could be read from the text."""


def json_from_text(text: str) -> dict[str, Any]:
    """The first JSON object in `text`; NotJSON when there is none."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        candidate = candidate.strip()
        start = candidate.find("{")
        while start != -1:
            try:
                value, _end = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                start = candidate.find("{", start + 1)
                continue
            if isinstance(value, dict):
                return value
            start = candidate.find("{", start + 1)
    raise NotJSON("no JSON object in the answer")
