"""The last resort: an error is logged, and the user gets a polite line instead of silence.
Nothing the user typed so far is lost: the conversation state is kept."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.i18n import Translator, pick_language

log = logging.getLogger(__name__)
router = Router(name="errors")


@router.errors()
async def on_error(event: ErrorEvent, t: Translator | None = None) -> bool:
    update = event.update
    storage_down = isinstance(event.exception, OperationalError | DBAPIError | PoolTimeout | ConnectionError | OSError)
    log.error("error while handling update %s: %r", update.update_id, event.exception, exc_info=event.exception)
    user = update.message.from_user if update.message else update.callback_query.from_user if update.callback_query else None
    translator = t or Translator(pick_language(user.language_code if user else None))
    text = translator("error.unavailable" if storage_down else "error.internal")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.message is not None and update.message.chat.type == "private":
            await update.message.answer(text)
    except Exception:  # noqa: BLE001 - telling the user failed too; it is logged above
        log.warning("could not tell the user about the error", exc_info=True)
    return True
