"""Questions the knowledge base could not answer: kept anonymised so the platform can see
what its texts are missing (`refund-bot knowledge report`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.knowledge.missing import (
    REASONS,
    UNHELPFUL,
    UNSURE,
    Gap,
    SectionTitles,
    anonymise,
    frequent,
    question_key,
)
from bot.storage import questions as repo

log = logging.getLogger(__name__)

__all__ = ["UNHELPFUL", "UNSURE", "QuestionLog"]


class QuestionLog:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def record(
        self,
        *,
        question: str,
        lang: str,
        reason: str,
        sections: Sequence[str] = (),
        confidence: float = 0.0,
    ) -> bool:
        """Store one question, anonymised, without any user id. A question with nothing left
        after masking is not stored. Returns whether a row was written."""
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}; one of {', '.join(REASONS)}")
        text = anonymise(question)
        key = question_key(text)
        if not key:
            return False
        async with self.sessions() as session:
            await repo.add_unanswered(
                session,
                question=text,
                question_key=key,
                lang=lang,
                reason=reason,
                sections=list(sections)[:3],
                confidence=round(float(confidence), 4),
            )
        return True

    async def report(
        self,
        *,
        titles: SectionTitles | None = None,
        days: int | None = None,
        lang: str | None = None,
        limit: int = 20,
    ) -> list[Gap]:
        """The most frequent unanswered questions, with the sections that came closest."""
        since = datetime.now(UTC) - timedelta(days=days) if days else None
        async with self.sessions() as session:
            rows = await repo.list_unanswered(session, since=since, lang=lang)
        return frequent(rows, titles, limit=limit)
