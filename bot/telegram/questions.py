"""Answering a question from the knowledge base, with the passages it relied on."""

from __future__ import annotations

import asyncio
from html import escape
from typing import Any

from aiogram.types import Message

from bot.domain.intake import looks_like_question
from bot.i18n import Translator
from bot.telegram import keyboards

MAX_QUESTION = 500


async def ask_kb(kb: Any, text: str, lang: str) -> Any:
    """The lexical default answers in well under a millisecond; with embeddings a new
    question takes tens of milliseconds, so it runs off the event loop."""
    return await asyncio.to_thread(kb.ask, text[:MAX_QUESTION], lang=lang)


def format_answer(t: Translator, answer: Any) -> str:
    lines = [escape(answer.answer)]
    if answer.sources:
        lines += ["", t("ask.sources")]
        lines += [f"• {escape(source.title)} <code>#{escape(source.id)}</code>" for source in answer.sources[:3]]
    return "\n".join(lines)


async def answer_question(message: Message, t: Translator, kb: Any, text: str) -> bool:
    """Reply with an answer and its sources; when not confident, say so and offer a person.
    Returns whether the knowledge base was confident."""
    if kb is None:
        await message.answer(t("ask.unavailable"), reply_markup=keyboards.human_only(t))
        return False
    answer = await ask_kb(kb, text, t.lang)
    if not answer.confident:
        await message.answer(t("ask.not_sure"), reply_markup=keyboards.human_only(t))
        return False
    ref = answer.sources[0].id if answer.sources else ""
    await message.answer(format_answer(t, answer), reply_markup=keyboards.answer_feedback(t, ref[:40]))
    return True


async def try_answer_question(message: Message, t: Translator, kb: Any, text: str) -> bool:
    """In the middle of a flow: answer only a confident question, else leave it to the step."""
    if kb is None or not looks_like_question(text):
        return False
    answer = await ask_kb(kb, text, t.lang)
    if not answer.confident:
        return False
    ref = answer.sources[0].id if answer.sources else ""
    await message.answer(format_answer(t, answer), reply_markup=keyboards.answer_feedback(t, ref[:40]))
    return True
