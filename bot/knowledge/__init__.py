"""Knowledge base: the platform's policy and help texts, retrieval, extractive answers.

    from bot.knowledge import KnowledgeBase, Answer, Source
    kb = KnowledgeBase.load()            # <repo>/knowledge, or a directory of your own
    kb.ask("银行卡退款多久到账?")         # Answer(answer, confident, sources, lead)

No aiogram here: the Telegram layer calls this package, never the other way round.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.knowledge.answers import Answer, Source
from bot.knowledge.base import DEFAULT_DIR, KNOWLEDGE_DIR_ENV, KnowledgeBase
from bot.knowledge.index import MODES
from bot.knowledge.loader import KnowledgeError, Section

__all__ = [
    "DEFAULT_DIR",
    "MODES",
    "Answer",
    "KnowledgeBase",
    "KnowledgeError",
    "Section",
    "Source",
    "resolve_knowledge_dir",
]


def resolve_knowledge_dir(explicit: Path | str | None = None) -> Path:
    """The knowledge directory: `explicit`, else $KNOWLEDGE_DIR, else the repository's own."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(KNOWLEDGE_DIR_ENV)
    return Path(env).expanduser() if env else DEFAULT_DIR
