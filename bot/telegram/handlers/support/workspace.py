"""The Telegram side of the support workspace: the setup check, topics and their pinned
case cards, evidence albums, outbox delivery, and the worker that runs them with the
timers and the daily digest."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from html import escape
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
    Message,
)

from bot.config import ConfigError, Settings
from bot.domain.cases import CaseStatus
from bot.i18n import Translator
from bot.llm.cards import CaseSummaries
from bot.services.support import (
    CardData,
    Delivery,
    SupportService,
    TopicJob,
    aware,
    relay_said,
)
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


def album_of(parts: Sequence[Message]) -> tuple[list[dict[str, Any]], list[list[int]], list[Any]]:
    """The photos and documents of an album's parts as outbox entries (captions escaped),
    with their sources and what each said (`relay_said`); other parts are left out."""
    album: list[dict[str, Any]] = []
    sources: list[list[int]] = []
    said: list[Any] = []
    for part in parts:
        caption = part.caption and escape(part.caption)
        if part.photo:
            album.append({"media": "photo", "file_id": part.photo[-1].file_id, "caption": caption})
        elif part.document:
            album.append(
                {"media": "document", "file_id": part.document.file_id, "caption": caption}
            )
        else:
            continue
        sources.append([part.chat.id, part.message_id])
        said.append(relay_said(part))
    return album, sources, said


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


class Undeliverable(Exception):
    """A queued message that cannot be delivered for a reason of ours (not Telegram's)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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
        self._wake = asyncio.Event()

    def nudge(self) -> None:
        """Something was queued: deliver now instead of at the next turn."""
        self._wake.set()

    # --- the loop ---------------------------------------------------------------------------

    async def tick(self) -> None:
        if self._ticks % 10 == 0:  # a safety net: topic jobs are written with their cases
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
                await asyncio.wait_for(self._wait(stop), interval)
            self._wake.clear()

    async def _wait(self, stop: asyncio.Event) -> None:
        waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())}
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

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
        closed_at = aware(data.topic.closed_at) if data.topic is not None else None
        await self.support.topic_opened(case_id=job.case_id, card_message_id=card)
        # a new topic gets every file; a reopened one the files added while it was closed
        # (from now on, files added are queued for the open topic as they come)
        evidence = (await self.support.card(job.case_id) or data).evidence
        if not fresh:
            evidence = [
                e
                for e in evidence
                if closed_at is None or (aware(e.created_at) or closed_at) > closed_at
            ]
        if evidence:
            try:
                await self.send_evidence(chat_id, thread_id, evidence)
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

    def _kind(self, kind: str) -> str:
        return self.staff(f"evidence.{kind}") if self.staff.has(f"evidence.{kind}") else kind

    async def send_evidence(
        self,
        chat_id: int,
        thread_id: int,
        evidence: Sequence[Evidence],
        *,
        captions: Mapping[int | None, str] | None = None,
    ) -> list[tuple[Evidence, int]]:
        """The case's screenshots as albums of at most ten (photos and documents apart);
        returns each file with the message that carries it."""
        posted: list[tuple[Evidence, int]] = []
        for media in ("photo", "document"):
            items = [e for e in evidence if e.media == media]
            for start in range(0, len(items), 10):
                chunk = items[start : start + 10]
                texts = [
                    captions[e.id] if captions and e.id in captions else self._kind(e.kind)
                    for e in chunk
                ]
                if len(chunk) == 1:
                    if media == "photo":
                        one = await self.bot.send_photo(
                            chat_id, chunk[0].file_id, caption=texts[0], message_thread_id=thread_id
                        )
                    else:
                        one = await self.bot.send_document(
                            chat_id, chunk[0].file_id, caption=texts[0], message_thread_id=thread_id
                        )
                    posted.append((chunk[0], one.message_id))
                    continue
                album: list[Any] = [
                    InputMediaPhoto(media=e.file_id, caption=c)
                    if media == "photo"
                    else InputMediaDocument(media=e.file_id, caption=c)
                    for e, c in zip(chunk, texts, strict=True)
                ]
                sent = await self.bot.send_media_group(chat_id, album, message_thread_id=thread_id)
                posted.extend((e, m.message_id) for e, m in zip(chunk, sent, strict=False))
        return posted

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

    async def deliver_due(self, *, rounds: int = 5) -> int:
        """Deliver what is due; a chat's next message becomes due once the one before it
        went out, so a few rounds drain a short queue at once."""
        sent = 0
        for _round in range(rounds):
            deliveries = await self.support.claim_outbox()
            if not deliveries:
                break
            for delivery in deliveries:
                sent += await self.deliver(delivery)
        return sent

    async def deliver(self, delivery: Delivery) -> int:
        op = delivery.payload.get("op")
        links: list[tuple[int, tuple[int, int], tuple[int, int]]] = []
        message_id: int | None = None
        try:
            if op == "relay":
                message_id = await self._send_relay(delivery, links)
            elif op == "edit":
                message_id = await self._send_edit(delivery)
            elif op == "evidence":
                message_id = await self._send_new_evidence(delivery, links)
            elif op != "card":  # a card refresh follows below
                message_id = await self._send_notice(delivery)
        except (TelegramAPIError, Undeliverable) as exc:
            reason, retry_after, permanent = (
                (exc.reason, None, True) if isinstance(exc, Undeliverable) else classify(exc)
            )
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
        await self.support.outbox_sent(delivery.id, message_id, links=links)
        if op in ("evidence", "card") and delivery.case_id is not None:
            await self.refresh(delivery.case_id)  # the card's evidence checklist follows
        return 1

    async def _send_notice(self, delivery: Delivery) -> int:
        payload = delivery.payload
        markup = None
        if payload.get("rating_case"):
            lang = payload.get("lang")
            data = await self.support.card(int(payload["rating_case"]))
            t = Translator(
                str(lang or (data.case.language if data else self.settings.default_language))
            )
            markup = cards.rating_keyboard(t, int(payload["rating_case"]))
        message = await self.bot.send_message(
            delivery.chat_id,
            str(payload["text"]),
            message_thread_id=delivery.thread_id,
            reply_markup=markup,
        )
        return message.message_id

    async def _reply_target(self, delivery: Delivery) -> int | None:
        """The buyer's copy of the message an operator replied to (resolved now: it may
        have been queued just before)."""
        target = delivery.payload.get("reply_to")
        if not target:
            return None
        link = await self.support.copy_of(chat_id=int(target[0]), message_id=int(target[1]))
        return (
            link.dst_message_id
            if link is not None and link.dst_chat_id == delivery.chat_id
            else None
        )

    async def _send_relay(
        self, delivery: Delivery, links: list[tuple[int, tuple[int, int], tuple[int, int]]]
    ) -> int:
        """An operator's message, photo, document or album, as the buyer will see it; or a
        buyer's, copied into their case's topic (`delivery.thread_id`)."""
        payload, chat_id = delivery.payload, delivery.chat_id
        case_id = delivery.case_id or 0
        sources = [(int(c), int(m)) for c, m in payload.get("sources") or []]
        reply_to = await self._reply_target(delivery)
        if payload.get("album"):
            media: list[Any] = [
                InputMediaPhoto(media=item["file_id"], caption=item.get("caption"))
                if item["media"] == "photo"
                else InputMediaDocument(media=item["file_id"], caption=item.get("caption"))
                for item in payload["album"]
            ]
            sent = await self.bot.send_media_group(
                chat_id,
                media,
                message_thread_id=delivery.thread_id,
                reply_to_message_id=reply_to,
            )
            links.extend(
                (case_id, src, (chat_id, copy.message_id))
                for src, copy in zip(sources, sent, strict=False)
            )
            return sent[0].message_id
        if payload.get("copy"):
            from_chat, message_id = payload["copy"]
            copied = await self.bot.copy_message(
                chat_id,
                int(from_chat),
                int(message_id),
                message_thread_id=delivery.thread_id,
                caption=payload.get("caption"),
                reply_to_message_id=reply_to,
            )
            copy_id = copied.message_id
        else:
            message = await self.bot.send_message(
                chat_id,
                str(payload["text"]),
                message_thread_id=delivery.thread_id,
                reply_to_message_id=reply_to,
            )
            copy_id = message.message_id
        links.extend((case_id, src, (chat_id, copy_id)) for src in sources[:1])
        return copy_id

    async def _send_edit(self, delivery: Delivery) -> int | None:
        payload = delivery.payload
        source = payload["source"]
        link = await self.support.copy_of(chat_id=int(source[0]), message_id=int(source[1]))
        if link is None or link.dst_chat_id != delivery.chat_id:
            raise Undeliverable("not_delivered")  # the message itself never reached the buyer
        try:
            if payload.get("text") is not None:
                await self.bot.edit_message_text(
                    str(payload["text"]), chat_id=delivery.chat_id, message_id=link.dst_message_id
                )
            else:
                await self.bot.edit_message_caption(
                    chat_id=delivery.chat_id,
                    message_id=link.dst_message_id,
                    caption=str(payload.get("caption") or ""),
                )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise
        return link.dst_message_id

    async def _send_new_evidence(
        self, delivery: Delivery, links: list[tuple[int, tuple[int, int], tuple[int, int]]]
    ) -> int | None:
        """Files the buyer added while the case has a topic: an album when several."""
        items = {int(item["evidence_id"]): item for item in delivery.payload.get("items") or []}
        stored = [e for e in await self.support.evidence_rows(list(items)) if e.id in items]
        if not stored or delivery.thread_id is None:
            return None  # removed meanwhile (the buyer deleted their data)
        captions = {
            e.id: "\n".join(
                part for part in (self._kind(e.kind), items[e.id or 0].get("caption")) if part
            )
            for e in stored
        }
        first: int | None = None
        for e, copy_id in await self.send_evidence(
            delivery.chat_id, delivery.thread_id, stored, captions=captions
        ):
            first = first or copy_id
            source = items[e.id or 0].get("source")
            if source:
                links.append(
                    (
                        delivery.case_id or 0,
                        (int(source[0]), int(source[1])),
                        (delivery.chat_id, copy_id),
                    )
                )
        return first

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
