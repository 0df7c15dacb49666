"""The Telegram side of the support workspace: the setup check, topics and their pinned
case cards, evidence albums, outbox delivery, and the worker that runs them with the
timers and the daily digest."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import (
    ChatMemberAdministrator,
    ChatMemberOwner,
    InputMediaDocument,
    InputMediaPhoto,
)

from bot.config import ConfigError, Settings
from bot.domain.cases import CaseStatus
from bot.i18n import Translator
from bot.llm.cards import CaseSummaries
from bot.services.support import CardData, Delivery, SupportService, TopicJob, aware
from bot.storage.models import Evidence
from bot.telegram.handlers.support import cards

log = logging.getLogger(__name__)

# rights the bot needs in the support group, in the order they are reported
REQUIRED_RIGHTS = (
    ("can_manage_topics", "manage topics"),
    ("can_pin_messages", "pin messages"),
    ("can_delete_messages", "delete messages"),
)
DIGEST_HOUR = 9  # local time


async def check_setup(bot: Bot, settings: Settings) -> None:
    """The support chat must be a forum supergroup where the bot is an admin with the
    rights it needs; otherwise one line naming what is missing."""
    chat_id = settings.support_chat_id
    if chat_id is None:
        return
    try:
        chat = await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, bot.id)
    except (TelegramBadRequest, TelegramForbiddenError) as exc:
        raise ConfigError(f"invalid setting SUPPORT_CHAT_ID: {exc.message}") from None
    except TelegramNetworkError:
        log.warning("could not check the support chat %s now; going on", chat_id)
        return
    if member.status in ("left", "kicked"):
        raise ConfigError(
            f"invalid setting SUPPORT_CHAT_ID: the bot is not a member of chat {chat_id}"
        )
    if chat.type != "supergroup" or not chat.is_forum:
        raise ConfigError(
            f"invalid setting SUPPORT_CHAT_ID: chat {chat_id} is not a forum supergroup (turn topics on)"
        )
    if isinstance(member, ChatMemberOwner):
        return
    if not isinstance(member, ChatMemberAdministrator):
        raise ConfigError(
            f"invalid setting SUPPORT_CHAT_ID: the bot is not an administrator of chat {chat_id}"
        )
    for attr, label in REQUIRED_RIGHTS:
        if not getattr(member, attr, False):
            raise ConfigError(
                f"invalid setting SUPPORT_CHAT_ID: the bot lacks the admin right to {label} in chat {chat_id}"
            )


class Albums:
    """Gathers the parts of an album (one update per part) and hands them over together.

    Updates of one user are handled one after another (events isolation), so waiting in
    the handler would see one part only: the first part schedules the flush, which waits
    until no new part came for `wait` seconds (at most `limit`)."""

    def __init__(self, wait: float = 0.8, limit: float = 5.0) -> None:
        self.wait = wait
        self.limit = limit
        self._parts: dict[str, list[Any]] = {}
        self._last: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, message: Any, flush: Callable[[list[Any]], Awaitable[None]]) -> None:
        group = str(message.media_group_id)
        self._last[group] = time.monotonic()
        parts = self._parts.get(group)
        if parts is not None:
            parts.append(message)
            return
        self._parts[group] = [message]
        task = asyncio.create_task(self._flush(group, flush))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self, group: str, flush: Callable[[list[Any]], Awaitable[None]]) -> None:
        started = time.monotonic()
        while True:
            quiet = time.monotonic() - self._last.get(group, started)
            if quiet >= self.wait or time.monotonic() - started >= self.limit:
                break
            await asyncio.sleep(self.wait - quiet)
        self._last.pop(group, None)
        parts = sorted(self._parts.pop(group, []), key=lambda m: m.message_id)
        try:
            await flush(parts)
        except Exception:
            log.exception("could not relay an album")


def classify(exc: Exception) -> tuple[str, float | None, bool]:
    """(reason, retry_after, permanent) of a failed Telegram call."""
    if isinstance(exc, TelegramRetryAfter):
        return "flood", float(exc.retry_after), False
    if isinstance(exc, TelegramForbiddenError):
        return "blocked", None, True
    if isinstance(exc, TelegramBadRequest):
        text = exc.message.lower()
        if "too long" in text:
            return "too_long", None, True
        if "chat not found" in text or "user not found" in text:
            return "no_chat", None, True
        if "thread not found" in text or "topic" in text:
            return "no_topic", None, True
        return "bad_request", None, True
    return "network", None, False


class Workspace:
    """One instance's worker: topics to open, timers due, messages to deliver."""

    def __init__(
        self,
        bot: Bot,
        support: SupportService,
        settings: Settings,
        *,
        instance: str | None = None,
        gateway: Any = None,
    ) -> None:
        self.summaries = CaseSummaries(gateway)  # the model's summary on cards (None: off)
        self.bot = bot
        self.support = support
        self.settings = settings
        self.instance = instance or f"bot-{uuid.uuid4().hex[:8]}"
        self.staff = Translator(settings.default_language)
        self._ticks = 0

    # --- the loop ---------------------------------------------------------------------------

    async def tick(self) -> None:
        if self._ticks % 10 == 0:
            await self.support.reconcile()
        self._ticks += 1
        for job in await self.support.claim_topics():
            await self.open_topic(job)
        for case_id, kind, outcome in await self.support.fire_due_timers(instance=self.instance):
            log.info("timer %s of case %s: %s", kind, case_id, outcome)
            if outcome not in ("stale", "gone"):
                await self.refresh(case_id)
        await self.digest()
        await self.deliver_due()

    async def run(self, stop: asyncio.Event, interval: float = 0.5) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("support worker tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    # --- topics ---------------------------------------------------------------------------

    async def open_topic(self, job: TopicJob) -> None:
        """Create (or reopen) the case's topic, post and pin its card, then the evidence.
        A failure leaves the job to be tried again after its lease; a topic already
        created is never created twice."""
        chat_id = self.settings.support_chat_id
        if chat_id is None:
            return
        thread_id = job.thread_id
        try:
            if thread_id is None:
                data = await self.support.card(job.case_id)
                if data is None:
                    return
                topic = await self.bot.create_forum_topic(
                    chat_id, self.support.topic_title(data.case)
                )
                thread_id = topic.message_thread_id
                fresh = True
            else:
                with contextlib.suppress(TelegramBadRequest):
                    await self.bot.reopen_forum_topic(chat_id, thread_id)
                fresh = False
            await self.support.topic_created(case_id=job.case_id, thread_id=thread_id)
            data = await self.support.card(job.case_id)
            if data is None:
                return
            card = await self._send_card(chat_id, thread_id, data)
        except TelegramAPIError:
            log.exception("could not open the topic of case %s (tried again later)", job.case_id)
            return
        await self.support.topic_opened(case_id=job.case_id, card_message_id=card)
        if fresh:
            try:
                await self.send_evidence(chat_id, thread_id, data.evidence)
            except TelegramAPIError as exc:
                reason, _retry, _permanent = classify(exc)
                log.warning("evidence of case %s not posted: %s", job.case_id, exc)
                with contextlib.suppress(TelegramAPIError):
                    await self.bot.send_message(
                        chat_id,
                        self.staff(
                            "support.evidence_failed", reason=self.staff(f"support.why.{reason}")
                        ),
                        message_thread_id=thread_id,
                    )
        await self.refresh(job.case_id)

    async def _send_card(self, chat_id: int, thread_id: int, data: CardData) -> int:
        summary = await self.summaries.for_card(data, self.staff.lang)
        text = cards.card_text(self.staff, data, self.support, self.settings, summary)
        message = await self.bot.send_message(
            chat_id,
            text,
            message_thread_id=thread_id,
            reply_markup=cards.card_keyboard(self.staff, data),
        )
        with contextlib.suppress(TelegramBadRequest):
            await self.bot.pin_chat_message(chat_id, message.message_id, disable_notification=True)
        return message.message_id

    async def send_evidence(
        self, chat_id: int, thread_id: int, evidence: Sequence[Evidence]
    ) -> None:
        """The case's screenshots as albums of at most ten (photos and documents apart)."""
        for media in ("photo", "document"):
            items = [e for e in evidence if e.media == media]
            for start in range(0, len(items), 10):
                chunk = items[start : start + 10]
                captions = [
                    self.staff(f"evidence.{e.kind}")
                    if self.staff.has(f"evidence.{e.kind}")
                    else e.kind
                    for e in chunk
                ]
                if len(chunk) == 1:
                    if media == "photo":
                        await self.bot.send_photo(
                            chat_id,
                            chunk[0].file_id,
                            caption=captions[0],
                            message_thread_id=thread_id,
                        )
                    else:
                        await self.bot.send_document(
                            chat_id,
                            chunk[0].file_id,
                            caption=captions[0],
                            message_thread_id=thread_id,
                        )
                    continue
                album: list[Any] = [
                    InputMediaPhoto(media=e.file_id, caption=c)
                    if media == "photo"
                    else InputMediaDocument(media=e.file_id, caption=c)
                    for e, c in zip(chunk, captions, strict=True)
                ]
                await self.bot.send_media_group(chat_id, album, message_thread_id=thread_id)

    async def refresh(self, case_id: int) -> None:
        """The card, the topic's title and its open/closed state follow the case."""
        data = await self.support.card(case_id)
        chat_id = self.settings.support_chat_id
        if data is None or chat_id is None or data.topic is None or data.topic.thread_id is None:
            return
        thread_id = data.topic.thread_id
        if data.topic.card_message_id is not None:
            summary = await self.summaries.for_card(data, self.staff.lang)
            with contextlib.suppress(TelegramBadRequest):
                await self.bot.edit_message_text(
                    cards.card_text(self.staff, data, self.support, self.settings, summary),
                    chat_id=chat_id,
                    message_id=data.topic.card_message_id,
                    reply_markup=cards.card_keyboard(self.staff, data),
                )
        with contextlib.suppress(TelegramBadRequest):
            await self.bot.edit_forum_topic(
                chat_id, thread_id, name=self.support.topic_title(data.case)
            )
        if data.topic.state == "closed":
            with contextlib.suppress(TelegramBadRequest):
                await self.bot.close_forum_topic(chat_id, thread_id)

    # --- outbox ---------------------------------------------------------------------------

    async def deliver_due(self) -> int:
        sent = 0
        for delivery in await self.support.claim_outbox():
            sent += await self.deliver(delivery)
        return sent

    async def deliver(self, delivery: Delivery) -> int:
        payload = delivery.payload
        markup = None
        if payload.get("rating_case"):
            lang = payload.get("lang")
            data = await self.support.card(int(payload["rating_case"]))
            t = Translator(
                str(lang or (data.case.language if data else self.settings.default_language))
            )
            markup = cards.rating_keyboard(t, int(payload["rating_case"]))
        try:
            message = await self.bot.send_message(
                delivery.chat_id,
                str(payload["text"]),
                message_thread_id=delivery.thread_id,
                reply_markup=markup,
            )
        except TelegramAPIError as exc:
            reason, retry_after, permanent = classify(exc)
            gave_up = await self.support.outbox_failed(
                delivery,
                reason=self.staff(f"support.why.{reason}"),
                retry_after=retry_after,
                permanent=permanent,
            )
            log.warning(
                "outbox %s: %s (%s)%s", delivery.id, reason, exc, "; given up" if gave_up else ""
            )
            return 0
        await self.support.outbox_sent(delivery.id, message.message_id)
        return 1

    # --- digest ---------------------------------------------------------------------------

    async def digest(self) -> None:
        if self.settings.support_chat_id is None:
            return
        now = self.support.clock()
        local = now.astimezone(self.settings.tz)
        if local.hour < DIGEST_HOUR:
            return
        period = local.date().isoformat()
        if not await self.support.claim_digest(period=period):
            return
        if await self.support.queue(limit=1):  # nothing open: no digest that day
            await self.support.queue_digest(text=await self.digest_text(), period=period)

    async def digest_text(self) -> str:
        staff = self.staff
        now = self.support.clock()
        breached = await self.support.breached_cases()
        rows = await self.support.queue(limit=50)
        rows.sort(key=lambda row: aware(row[0].created_at) or now)
        lines = [staff("support.digest_title", count=len(rows))]
        for case, _topic, _due in rows:
            age_hours = int(((now - (aware(case.created_at) or now)).total_seconds()) // 3600)
            mark = staff("support.digest_breached") if case.id in breached else ""
            lines.append(
                staff(
                    "support.digest_line",
                    number=case.number,
                    status=staff(f"case_status.{CaseStatus(case.status).value}"),
                    hours=age_hours,
                    mark=mark,
                )
            )
        return "\n".join(lines)
