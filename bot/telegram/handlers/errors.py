"""The last resort: every update that fails still gets an answer.

The buyer gets the short "temporarily unavailable, your answers are kept" text (a pressed
button gets it as its answer, once); nothing typed is lost, because the conversation state of
a failed update is not written and the inbox handles the update again later. The log line
carries the update id and the error's type, never its message (which may quote data).
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.types import ErrorEvent

from bot.i18n import Translator
from bot.telegram.delivery import CallbackAnswers, is_transient, tell_unavailable

log = logging.getLogger(__name__)
router = Router(name="errors")


@router.errors()
async def on_error(
    event: ErrorEvent,
    bot: Bot,
    t: Translator | None = None,
    inbox_outcome: Any = None,
    inbox_attempt: int = 1,
    callback_answers: CallbackAnswers | None = None,
) -> bool:
    update, error = event.update, event.exception
    if inbox_outcome is not None:
        inbox_outcome.error = error
    if is_transient(error):
        log.warning("update %s failed: %s (an outage)", update.update_id, type(error).__name__)
    else:
        log.error("update %s failed: %s", update.update_id, type(error).__name__, exc_info=error)
    await tell_unavailable(bot, update, t, first=inbox_attempt <= 1, answers=callback_answers)
    return True
