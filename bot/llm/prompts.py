"""Prompts are Jinja2 templates in `prompts/`, rendered by this one function.

Anything a buyer (or a forwarded message, a caption, a case event) wrote goes through the
`data` filter (`data_attr` in attributes): phone and card numbers are masked and `<`, `>`
and `&` (and `"` in attributes) are escaped, so the text can never close the `<data ...>`
element it is wrapped in and pose as instructions.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.domain.pii import mask_pii
from bot.paths import project_dir

PROMPTS_DIR = project_dir("prompts")


def escape_data(value: object) -> str:
    """Mask personal numbers and escape the characters that could end a data element."""
    text = mask_pii(str(value))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(value: object) -> str:
    """`escape_data` for a value inside a double-quoted attribute."""
    return escape_data(value).replace('"', "&quot;")


_environment = Environment(
    loader=FileSystemLoader(PROMPTS_DIR),
    undefined=StrictUndefined,
    autoescape=False,  # prompts are plain text, not HTML; data is escaped by `data`
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["data"] = escape_data
_environment.filters["data_attr"] = escape_attribute


def render(name: str, **values: Any) -> str:
    """Render `prompts/<name>.j2`; a missing variable is an error, not an empty string."""
    return _environment.get_template(f"{name}.j2").render(**values).strip()
