"""Rows of `unanswered_questions` (see `bot.knowledge.missing` for what is stored)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import UnansweredQuestion


async def add_unanswered(
    session: AsyncSession,
    *,
    question: str,
    question_key: str,
    lang: str,
    reason: str,
    sections: list[str],
    confidence: float,
) -> UnansweredQuestion:
    row = UnansweredQuestion(
        question=question,
        question_key=question_key,
        lang=lang,
        reason=reason,
        sections=sections,
        confidence=confidence,
    )
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return row


async def list_unanswered(
    session: AsyncSession,
    *,
    since: datetime | None = None,
    lang: str | None = None,
    limit: int = 10_000,
) -> Sequence[UnansweredQuestion]:
    query = (
        select(UnansweredQuestion).order_by(col(UnansweredQuestion.created_at).desc()).limit(limit)
    )
    if since is not None:
        query = query.where(col(UnansweredQuestion.created_at) >= since)
    if lang is not None:
        query = query.where(UnansweredQuestion.lang == lang)
    return (await session.exec(query)).all()
