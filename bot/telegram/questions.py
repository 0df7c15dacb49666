"""Answering a question from the knowledge base: the answer quotes the question, names the
sections it came from by title, and offers feedback. Questions the knowledge base cannot
answer, and answers marked unhelpful, are kept anonymised (`QuestionLog`).

With a language model (`gateway`), a question the retriever is unsure about is rewritten in
policy words and retrieved again (`bot.llm.combine.ask_with_rewrite`), and a confident answer
is phrased from the retrieved sections (`grounded_answer`) with a footer saying so; any
fault, or an answer the guardrails drop, keeps the extractive answer."""

from __future__ import annotations

import asyncio
import logging
from html import escape
from typing import TYPE_CHECKING

from aiogram.types import Message

from bot.domain.intake import looks_like_question
from bot.i18n import Translator
from bot.llm import Gateway, grounded_answer
from bot.llm.combine import ask_with_rewrite
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


async def ask_kb_with_model(
    kb: KnowledgeBase, text: str, lang: str, gateway: Gateway | None
) -> Answer:
    """`ask_kb`, with the model's rewrite when the retriever is unsure (one model call)."""
    if gateway is None:
        return await ask_kb(kb, text, lang)

    first = await ask_kb(kb, text, lang)
    if first.confident:
        return first
    answer: Answer = await ask_with_rewrite(
        gateway, _Known(kb, text, lang, first), text[:MAX_QUESTION], lang
    )
    return answer


class _Known:
    """The knowledge base with the first retrieval already done (it ran off the loop)."""

    def __init__(self, kb: KnowledgeBase, text: str, lang: str, first: Answer) -> None:
        self.kb, self.first, self.text = kb, first, text[:MAX_QUESTION]

    def ask(self, question: str, lang: str | None = None) -> Answer:
        if question == self.text:
            return self.first
        return self.kb.ask(question[:MAX_QUESTION], lang=lang)


def format_answer(answer: Answer) -> str:
    """The answer as HTML: it already ends with the titles of its sections (never ids)."""
    return escape(answer.answer)


async def phrase(t: Translator, answer: Answer, question: str, gateway: Gateway | None) -> str:
    """The model's answer from the retrieved sections (with the extractive answer's line
    of sources and the footer), or the extractive answer (no model, or nothing usable)."""
    if gateway is None or not answer.sources:
        return format_answer(answer)
    grounded = await grounded_answer(gateway, question, answer.sources, lang=t.lang)
    if grounded is None:
        return format_answer(answer)
    cited = dict.fromkeys(s.title for s in answer.sources if s.id in grounded.cited)
    titles = t("knowledge.title_separator").join(t("knowledge.title", title=c) for c in cited)
    return "\n\n".join(
        [
            escape(grounded.text),
            escape(t("knowledge.from_titles", titles=titles)),
            t("llm.answer_footer"),
        ]
    )


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
    gateway: Gateway | None = None,
) -> bool:
    """Reply with an answer and its sources; when not confident, say so, offer a person and
    keep the question (anonymised). Returns whether the knowledge base was confident."""
    if kb is None:
        await message.answer(t("ask.unavailable"), reply_markup=keyboards.human_only(t))
        return False
    answer = await ask_kb_with_model(kb, text, t.lang, gateway)
    if not answer.confident:
        await not_sure(message, t, text, answer, questions)
        return False
    await reply_answer(message, t, answer, text, gateway)
    return True


async def not_sure(
    message: Message, t: Translator, text: str, answer: Answer, questions: QuestionLog | None
) -> None:
    """No confident answer: say so, offer a person, keep the question (anonymised)."""
    await message.answer(t("ask.not_sure"), reply_markup=keyboards.human_only(t))
    await remember(questions, text, answer, UNSURE)


async def reply_answer(
    message: Message, t: Translator, answer: Answer, text: str, gateway: Gateway | None = None
) -> None:
    ref = answer.sources[0].id if answer.sources else ""
    body = await phrase(t, answer, text, gateway)
    await message.reply(body, reply_markup=keyboards.answer_feedback(t, ref[:40]))


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
