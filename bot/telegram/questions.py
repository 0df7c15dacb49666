"""Answering a question from the knowledge base: the answer quotes the question, names the
sections it came from by title, and offers feedback. Questions the knowledge base cannot
answer, and answers marked unhelpful, are kept anonymised (`QuestionLog`)."""

from __future__ import annotations

import asyncio
import logging
from html import escape
from typing import TYPE_CHECKING

from aiogram.types import Message

from bot.domain.intake import looks_like_question
from bot.i18n import Translator
from bot.services.questions import UNSURE, QuestionLog
from bot.telegram import keyboards

if TYPE_CHECKING:
    from bot.knowledge import Answer, KnowledgeBase

log = logging.getLogger(__name__)

MAX_QUESTION = 500


async def ask_kb(kb: KnowledgeBase, text: str, lang: str) -> Answer:
    """The lexical default answers in about a millisecond; with embeddings a new question
    takes tens of milliseconds, so it runs off the event loop."""
    return await asyncio.to_thread(kb.ask, text[:MAX_QUESTION], lang=lang)


def format_answer(answer: Answer) -> str:
    """The answer as HTML: it already ends with the titles of its sections (never ids)."""
    return escape(answer.answer)


async def remember(questions: QuestionLog | None, text: str, answer: Answer, reason: str) -> None:
    """Keep an unanswered question for the knowledge report; a storage failure is logged,
    never shown to the buyer."""
    if questions is None:
        return
    try:
        await questions.record(
            question=text,
            lang=answer.lang,
            reason=reason,
            sections=[s.id for s in answer.sources[:3]],
            confidence=answer.confidence,
        )
    except Exception:  # noqa: BLE001 - the buyer's answer must not depend on the report
        log.exception("could not store an unanswered question")


async def answer_question(
    message: Message,
    t: Translator,
    kb: KnowledgeBase | None,
    text: str,
    questions: QuestionLog | None = None,
) -> bool:
    """Reply with an answer and its sources; when not confident, say so, offer a person and
    keep the question (anonymised). Returns whether the knowledge base was confident."""
    if kb is None:
        await message.answer(t("ask.unavailable"), reply_markup=keyboards.human_only(t))
        return False
    answer = await ask_kb(kb, text, t.lang)
    if not answer.confident:
        await message.answer(t("ask.not_sure"), reply_markup=keyboards.human_only(t))
        await remember(questions, text, answer, UNSURE)
        return False
    ref = answer.sources[0].id if answer.sources else ""
    await message.reply(format_answer(answer), reply_markup=keyboards.answer_feedback(t, ref[:40]))
    return True


async def try_answer_question(
    message: Message, t: Translator, kb: KnowledgeBase | None, text: str
) -> bool:
    """In the middle of a flow: answer only a confident question, else leave it to the step."""
    if kb is None or not looks_like_question(text):
        return False
    answer = await ask_kb(kb, text, t.lang)
    if not answer.confident:
        return False
    ref = answer.sources[0].id if answer.sources else ""
    await message.reply(format_answer(answer), reply_markup=keyboards.answer_feedback(t, ref[:40]))
    return True
