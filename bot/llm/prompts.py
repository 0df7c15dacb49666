"""Prompts are Jinja2 templates in `prompts/`, rendered by this one function."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.paths import project_dir

PROMPTS_DIR = project_dir("prompts")
_environment = Environment(
    loader=FileSystemLoader(PROMPTS_DIR),
    undefined=StrictUndefined,
    autoescape=False,  # prompts are plain text, not HTML
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(name: str, **values: Any) -> str:
    """Render `prompts/<name>.j2`; a missing variable is an error, not an empty string."""
    return _environment.get_template(f"{name}.j2").render(**values).strip()
