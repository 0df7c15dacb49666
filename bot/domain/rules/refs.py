"""Knowledge-base section ids: Markdown headings ending in a Pandoc-style id, `## Title {#id}`."""

from __future__ import annotations

import re

_HEADING_ID = re.compile(r"^#{1,6}\s.*\{#([A-Za-z0-9_-]+)\}\s*$", re.MULTILINE)


def section_ids(markdown: str) -> set[str]:
    """The section ids declared by the headings of one Markdown text."""
    return set(_HEADING_ID.findall(markdown))
