"""The buyer's side of the support workspace (private chat): asking for a person, what
the buyer sends while a person has the case (relayed into the case's topic), edits that
follow their copies, the rating after closing, and the bans guard."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    Message,
    TelegramObject,
    User,
)

from bot.config import Settings
from bot.i18n import Translator
from bot.services.refunds import ActionNotAllowed, CaseNotFound, RefundService
from bot.services.support import SupportService, relay_said
from bot.services.users import Profile
from bot.telegram import keyboards
from bot.telegram.callbacks import FeedbackAction, FeedbackCb, MenuAction, MenuCb
from bot.telegram.evidence import EvidenceRefused, file_from_message, verify_document
from bot.telegram.handlers.support.cards import RatingCb
from bot.telegram.handlers.support.workspace import Albums, Workspace, album_of

log = logging.getLogger(__name__)
router = Router(name="support")
router.message.filter(F.chat.type == "private")
router.edited_message.filter(F.chat.type == "private")

ALBUM_WAIT = 0.8  # seconds to gather the parts of an album before relaying it
# an edit that comes while its copy is being sent waits this long for the link, in all
# (a send is one Bot API call; a lease gone stale is not waited out)
COPY_IN_FLIGHT_PAUSES = (0.05, 0.1, 0.2, 0.4, 0.8, 1.5)
RELAYABLE = F.text | F.photo | F.document | F.video | F.voice | F.audio | F.sticker | F.animation


class Bans(BaseMiddleware):
    """In front of the private-chat routers: a banned buyer is told once, then ignored; a
    shadow-banned one is ignored silently."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        support: SupportService | None = data.get("support")
        user: User | None = data.get("event_from_user")
        if support is None or user is None:
            return await handler(event, data)
        profile: Profile | None = data.get("profile")
        if profile is not None:
            mode = profile.ban
        else:
            ban = await support.ban_of(user.id)
            mode = ban.mode if ban is not None else None
        if mode is None:
            return await handler(event, data)
        if mode == "ban" and isinstance(event, Message) and await support.ban_told(user.id):
            t: Translator = data.get("t") or Translator("zh")
            await event.answer(t("support_notify.banned"))
        return None


# --- asking for a person ---------------------------------------------------------------


async def handoff(
    message: Message,
    user: User,
    state: FSMContext,
    t: Translator,
    settings: Settings,
    refunds: RefundService,
    support: SupportService,
) -> None:
    await state.clear()
    if settings.support_chat_id is None:
        await message.answer(t("support.no_team"), reply_markup=keyboards.main_menu(t))
        return
    cases = await refunds.list_cases(user_id=user.id)
    if not cases or cases[0].id is None:
        await message.answer(t("support_notify.no_case"), reply_markup=keyboards.main_menu(t))
        return
    case = cases[0]
    assert case.id is not None
    if await support.request_topic(
        case_id=case.id, trigger="buyer_asked", actor=f"buyer:{user.id}"
    ):
        await message.answer(
            t("support.handed_over", number=case.number), reply_markup=keyboards.main_menu(t)
        )
    else:
        await message.answer(
            t("support_notify.already_with_person", number=case.number),
            reply_markup=keyboards.main_menu(t),
        )


@router.message(Command("human"))
async def human_command(
    message: Message,
    state: FSMContext,
    t: Translator,
    settings: Settings,
    refunds: RefundService,
    support: SupportService,
) -> None:
    assert message.from_user is not None
    await handoff(message, message.from_user, state, t, settings, refunds, support)


@router.callback_query(MenuCb.filter(F.action == MenuAction.HUMAN))
@router.callback_query(FeedbackCb.filter(F.action == FeedbackAction.HUMAN))
async def human_button(
    query: CallbackQuery,
    state: FSMContext,
    t: Translator,
    settings: Settings,
    refunds: RefundService,
    support: SupportService,
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await handoff(query.message, query.from_user, state, t, settings, refunds, support)


# --- the buyer writes while a person has the case -------------------------------------------

_albums = Albums(ALBUM_WAIT)


@router.message(StateFilter(None), RELAYABLE, ~F.text.startswith("/"))
async def buyer_message(
    message: Message,
    bot: Bot,
    t: Translator,
    settings: Settings,
    support: SupportService,
    refunds: RefundService,
    workspace: Workspace | None = None,  # set by the startup handler below
) -> Any:
    """Only while the buyer's case has an open topic; otherwise the next routers answer."""
    assert message.from_user is not None
    topic = await support.open_topic_for_buyer(message.from_user.id)
    if topic is None or topic.thread_id is None or settings.support_chat_id is None:
        raise SkipHandler  # not with a person: the other routers answer
    if (message.photo or message.document) and await _as_evidence(
        message, bot, settings, refunds, topic.case_id
    ):
        if workspace is not None:
            workspace.nudge()
        return None
    if message.media_group_id:
        chat_id, thread_id = settings.support_chat_id, topic.thread_id
        _albums.add(
            message,
            lambda parts: _relay_album(
                parts, chat_id, thread_id, topic.case_id, support, t, workspace
            ),
        )
        return None
    reply_to = message.reply_to_message
    # queued (the worker copies it into the topic, in order, once, retrying while Telegram
    # is unreachable); the buyer is told only if it is given up
    await support.queue_buyer_relay(
        case_id=topic.case_id,
        chat_id=settings.support_chat_id,
        thread_id=topic.thread_id,
        source=(message.chat.id, message.message_id),
        payload={
            "sources": [[message.chat.id, message.message_id]],
            "said": [relay_said(message)],
            "copy": [message.chat.id, message.message_id],
            "reply_to": None if reply_to is None else [message.chat.id, reply_to.message_id],
            "failed_notice": t("support.unreachable"),
        },
    )
    if workspace is not None:
        workspace.nudge()
    return None


async def _as_evidence(
    message: Message, bot: Bot, settings: Settings, refunds: RefundService, case_id: int
) -> bool:
    """A screenshot or document the buyer sends while a person has the case is evidence:
    stored with the case and, in the same transaction, queued for the topic (several in a
    row become one album). False when it cannot be evidence (too large, not a picture or
    PDF, the case's limit reached, sent before): it is then passed on as a message."""
    assert message.from_user is not None
    try:
        file = await verify_document(
            bot, file_from_message(message, max_bytes=settings.max_evidence_bytes)
        )
    except EvidenceRefused:
        return False
    if await refunds.evidence_count(case_id=case_id) >= settings.max_evidence_files * 2:
        return False
    try:
        return await refunds.add_evidence(
            user_id=message.from_user.id,
            case_id=case_id,
            file={**file, "kind": "other"},
            caption=message.caption,
            source=(message.chat.id, message.message_id),
        )
    except (CaseNotFound, ActionNotAllowed):
        return False


async def _relay_album(
    parts: list[Message],
    chat_id: int,
    thread_id: int,
    case_id: int,
    support: SupportService,
    t: Translator,
    workspace: Workspace | None,
) -> None:
    """The parts of a buyer's album, queued as one album for the topic (one part: a copy)."""
    album, sources, said = album_of(parts)
    if not album:
        return
    first = parts[0]
    payload: dict[str, Any] = {
        "sources": sources,
        "said": said,
        "failed_notice": t("support.unreachable"),
    }
    if len(album) == 1:
        payload["copy"] = sources[0]
    else:
        payload["album"] = album
    await support.queue_buyer_relay(
        case_id=case_id,
        chat_id=chat_id,
        thread_id=thread_id,
        source=(first.chat.id, first.message_id),
        payload=payload,
    )
    if workspace is not None:
        workspace.nudge()


@router.edited_message(StateFilter(None))
async def buyer_edit(
    message: Message, bot: Bot, settings: Settings, support: SupportService
) -> None:
    """An edit follows its copy in the topic. An edit that comes while the copy is being
    sent waits for its link (a copy not yet taken from the outbox carries the edit itself:
    Telegram copies a message as it is when copied)."""
    link = await support.copy_of(chat_id=message.chat.id, message_id=message.message_id)
    for pause in COPY_IN_FLIGHT_PAUSES:
        if link is not None or not await support.copy_in_flight(
            chat_id=message.chat.id, message_id=message.message_id
        ):
            break
        await asyncio.sleep(pause)
        link = await support.copy_of(chat_id=message.chat.id, message_id=message.message_id)
    if (
        link is None
        or settings.support_chat_id is None
        or link.dst_chat_id != settings.support_chat_id
    ):
        return
    await support.said_edited(src=(message.chat.id, message.message_id), said=relay_said(message))
    try:
        if message.text is not None:
            await bot.edit_message_text(
                message.text,
                chat_id=link.dst_chat_id,
                message_id=link.dst_message_id,
                parse_mode=None,
            )
        elif message.caption is not None:
            await bot.edit_message_caption(
                chat_id=link.dst_chat_id,
                message_id=link.dst_message_id,
                caption=message.caption,
                parse_mode=None,
            )
    except TelegramBadRequest:
        log.info("the copy of an edited buyer message could not be edited", exc_info=True)


# --- the rating after closing ----------------------------------------------------------------


@router.callback_query(RatingCb.filter())
async def rate(
    query: CallbackQuery, callback_data: RatingCb, t: Translator, support: SupportService, bot: Bot
) -> None:
    ok = await support.rate(
        case_id=callback_data.case_id, user_id=query.from_user.id, score=callback_data.score
    )
    await query.answer(t("support_notify.rated" if ok else "support_notify.rate_refused"))
    if ok and isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_reply_markup(reply_markup=None)


# --- the worker runs with the bot -------------------------------------------------------------


@router.startup()
async def start_workspace(
    bot: Bot, dispatcher: Any, settings: Settings, support: SupportService, gateway: Any = None
) -> None:
    from bot.services.support import Operators

    async def lookup(user_id: int) -> str:
        if settings.support_chat_id is None:
            return "left"
        member = await bot.get_chat_member(settings.support_chat_id, user_id)
        return str(member.status)

    dispatcher["operators"] = Operators(
        lookup=lookup, operator_ids=settings.operator_ids, lead_ids=settings.lead_ids
    )
    workspace = Workspace(bot, support, settings, gateway=gateway)
    stop = asyncio.Event()
    dispatcher["workspace"] = workspace
    dispatcher["workspace_stop"] = stop
    dispatcher["workspace_task"] = asyncio.create_task(workspace.run(stop))


@router.shutdown()
async def stop_workspace(dispatcher: Any) -> None:
    stop: asyncio.Event | None = dispatcher.workflow_data.get("workspace_stop")
    task: asyncio.Task[None] | None = dispatcher.workflow_data.get("workspace_task")
    if stop is not None:
        stop.set()
    if task is not None:
        await task
