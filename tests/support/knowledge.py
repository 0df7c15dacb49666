"""The shipped knowledge base, loaded once, and what it answers a question with."""

from __future__ import annotations

from functools import cache

from bot.knowledge import KnowledgeBase
from bot.knowledge.textproc import detect_lang


@cache
def shipped() -> KnowledgeBase:
    return KnowledgeBase.load()


def top_answer(question: str) -> tuple[str | None, bool]:
    """The first source's section id (None without one) and whether the answer is confident."""
    answer = shipped().ask(question, detect_lang(question))
    return (answer.sources[0].id if answer.sources else None), answer.confident
