"""Talking to the Bot API through faults.

- `RetryRequests` (a session middleware): a call that meets 429 (honouring `retry_after`),
  a 5xx, a timeout or a broken connection is tried again with growing pauses, within a
  bounded time (`TELEGRAM_RETRY_SECONDS`). What still fails raises; the inbox then handles the
  update again later, or as soon as the buyer writes again, so the lost prompt is sent then.
- `CallbackAnswers` (a session middleware + the `EnsureAnswered` update middleware): every
  callback query is answered exactly once. A second answer of the same query is dropped
  before it reaches Telegram; a handler that answered nothing gets an empty answer once it
  returns; the error handler answers what is still unanswered.
- `is_transient` tells an outage (database, Redis, network, Telegram) from a bug.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery, GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import CallbackQuery, TelegramObject, Update
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.i18n import Translator, pick_language

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def is_transient(error: BaseException) -> bool:
    """An outage that goes away by itself (the database, Redis, the network, Telegram)."""
    if isinstance(error, IntegrityError | DataError):
        return False
    if isinstance(error, TelegramEntityTooLarge):
        return False
    return isinstance(
        error,
        DBAPIError
        | PoolTimeout
        | ConnectionError
        | OSError
        | TimeoutError
        | RedisConnectionError
        | RedisTimeoutError
        | TelegramNetworkError
        | TelegramServerError
        | TelegramRetryAfter
        | ClientDecodeError,
    )


def _retryable(error: BaseException) -> bool:
    return isinstance(error, TelegramRetryAfter | TelegramServerError | ClientDecodeError) or (
        isinstance(error, TelegramNetworkError) and not isinstance(error, TelegramEntityTooLarge)
    )


class RetryRequests(BaseRequestMiddleware):
    def __init__(
        self, budget: float = 30.0, *, first_delay: float = 0.5, max_delay: float = 8.0
    ) -> None:
        self.budget = budget
        self.first_delay = first_delay
        self.max_delay = max_delay

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if method.__api_method__ == GetUpdates.__api_method__:  # the polling loop has its own pace
            return await make_request(bot, method)
        deadline = time.monotonic() + self.budget
        delay = self.first_delay
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except Exception as error:
                if not _retryable(error):
                    raise
                wait = (
                    float(error.retry_after)
                    if isinstance(error, TelegramRetryAfter)
                    else delay * random.uniform(0.8, 1.2)
                )
                left = deadline - time.monotonic()
                if wait > left:
                    log.warning(
                        "%s failed %d times (%s); giving up",
                        type(method).__name__,
                        attempt,
                        type(error).__name__,
                    )
                    raise
                log.info(
                    "%s failed (%s); trying again in %.1fs",
                    type(method).__name__,
                    type(error).__name__,
                    wait,
                )
                await asyncio.sleep(wait)
                delay = min(delay * 2, self.max_delay)
                attempt += 1


class CallbackAnswers(BaseRequestMiddleware):
    """Remembers which callback queries were answered (by whom does not matter)."""

    def __init__(self, size: int = 50_000) -> None:
        self._answered: OrderedDict[str, None] = OrderedDict()
        self.size = size
        self.dropped = 0

    def answered(self, query_id: str) -> bool:
        return query_id in self._answered

    def _remember(self, query_id: str) -> None:
        self._answered[query_id] = None
        while len(self._answered) > self.size:
            self._answered.popitem(last=False)

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if method.__api_method__ != AnswerCallbackQuery.__api_method__:
            return await make_request(bot, method)
        query_id = str(getattr(method, "callback_query_id", ""))
        if query_id in self._answered:
            self.dropped += 1
            log.info("callback query %s was answered already; second answer dropped", query_id)
            return Response[bool](ok=True, result=True)  # type: ignore[return-value]
        try:
            response = await make_request(bot, method)
        except TelegramBadRequest as error:
            if "query is too old" not in error.message:
                raise
            # answered before a restart, or too late to answer: either way nothing to do
            log.info("callback query %s can no longer be answered", query_id)
            self._remember(query_id)
            return Response[bool](ok=True, result=True)  # type: ignore[return-value]
        self._remember(query_id)
        return response


class EnsureAnswered(BaseMiddleware):
    """A callback query whose handler answered nothing gets an empty answer (the button
    stops spinning). On an error the error handler answers it."""

    def __init__(self, answers: CallbackAnswers) -> None:
        self.answers = answers

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        result = await handler(event, data)
        if isinstance(event, CallbackQuery) and not self.answers.answered(event.id):
            try:
                await event.answer()
            except Exception:  # noqa: BLE001 - the update is handled; the spinner times out
                log.warning("could not answer callback query %s", event.id, exc_info=True)
        return result


async def tell_unavailable(
    bot: Bot,
    update: Update,
    t: Translator | None = None,
    *,
    first: bool = True,
    answers: CallbackAnswers | None = None,
) -> None:
    """The short "temporarily unavailable, your answers are kept" text: the pressed button
    gets it as its answer (when still unanswered), a private chat gets it as a message (on
    the first failure of this update only, not on every retry)."""
    query = update.callback_query
    message = update.message or update.edited_message
    user = (
        message.from_user if message is not None else query.from_user if query is not None else None
    )
    translator = t or Translator(pick_language(user.language_code if user else None))
    text = translator("error.unavailable")
    chat = (
        message.chat
        if message is not None
        else query.message.chat
        if query is not None and query.message is not None
        else None
    )
    try:
        if query is not None and (answers is None or not answers.answered(query.id)):
            await bot.answer_callback_query(query.id, text=text[:200], show_alert=True)
        if first and chat is not None and chat.type == "private":
            await bot.send_message(chat.id, text)
    except Exception as exc:  # noqa: BLE001 - Telegram is down too; the update is retried
        log.warning("could not tell chat about the outage (%s)", type(exc).__name__)
