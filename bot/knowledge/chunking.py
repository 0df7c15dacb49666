"""Heading-aware chunking: every chunk keeps the id and title of its section.

Short sections (the usual case in a policy text) are one chunk. A long section is split at
paragraph and list-item boundaries into chunks of at most `max_chars` characters; each
chunk is indexed together with its section title so that a question naming the topic finds
every part of the section.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.knowledge.loader import Section, markdown_to_text

DEFAULT_MAX_CHARS = 600


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage of one section."""

    chunk_id: str  # "<section id>@<lang>#<n>"
    section_id: str
    title: str
    text: str  # plain text of the passage (no heading)
    lang: str
    position: int = 0
    aliases: str = ""  # the section's aliases (buyer words), indexed but never shown

    @property
    def index_text(self) -> str:
        """What the retrievers index: the title, the section's aliases, then the passage."""
        if self.aliases:
            return f"{self.title}\n{self.aliases}\n{self.text}"
        return f"{self.title}\n{self.text}"


_BLOCK_SPLIT = re.compile(r"\n\s*\n")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)、])\s+")


def _blocks(text: str) -> list[str]:
    """Paragraphs, with list items as separate blocks."""
    blocks: list[str] = []
    for paragraph in _BLOCK_SPLIT.split(text):
        lines = paragraph.strip().splitlines()
        current: list[str] = []
        for line in lines:
            if _ITEM.match(line) and current:
                blocks.append("\n".join(current))
                current = []
            current.append(line)
        if current:
            blocks.append("\n".join(current))
    return [b.strip() for b in blocks if b.strip()]


def chunk_section(section: Section, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    text = markdown_to_text(section.body)
    pieces: list[str] = []
    if len(text) <= max_chars:
        pieces = [text]
    else:
        current = ""
        for block in _blocks(text):
            if current and len(current) + len(block) + 1 > max_chars:
                pieces.append(current)
                current = block
            else:
                current = f"{current}\n{block}" if current else block
            while len(current) > max_chars * 2:  # one enormous paragraph: hard split
                pieces.append(current[:max_chars])
                current = current[max_chars:]
        if current:
            pieces.append(current)
    return [
        Chunk(
            chunk_id=f"{section.id}@{section.lang}#{n}",
            section_id=section.id,
            title=section.title,
            text=piece,
            lang=section.lang,
            position=n,
            aliases=" ".join(section.aliases),
        )
        for n, piece in enumerate(pieces or [""])
    ]


def chunk_sections(sections: Iterable[Section], max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    return [chunk for section in sections for chunk in chunk_section(section, max_chars)]
