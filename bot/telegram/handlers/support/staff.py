"""The support group's side: card buttons, the relay from a case's topic to its buyer,
internal notes and the operators' commands. Mounted under a parent router that only lets
the support chat's updates in; every action is authorized here, at the edge, and bound to
the case of the topic it happens in."""

from __future__ import annotations

import logging
import re
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InputMediaDocument, InputMediaPhoto, Message

from bot.config import Settings
from bot.domain.cases import CaseStatus
from bot.i18n import LANGUAGES, Translator
from bot.services.support import Action, Authorization, Operators, SupportService, local_day_start
from bot.storage.models import Case
from bot.telegram import render
from bot.telegram.handlers.support.cards import DeskAction, DeskCb
from bot.telegram.handlers.support.workspace import Albums, Workspace, classify

log = logging.getLogger(__name__)
router = Router(name="support-staff")

PENDING = "desk_pending"  # FSM data: a button that waits for the operator's text
ALBUM_WAIT = 0.8
RELAYABLE = F.text | F.photo | F.document | F.video | F.voice | F.audio | F.sticker | F.animation
CASE_NUMBER = re.compile(r"^RF-\d{8}-[0-9A-Z]{4}$", re.IGNORECASE)
REPLY_NAME = re.compile(r"^[a-z0-9_-]{1,48}$")
MAX_NOTE = 1000


def staff_t(settings: Settings) -> Translator:
    return Translator(settings.default_language)


async def _refuse_message(message: Message, t: Translator, auth: Authorization) -> None:
    await message.reply(t(f"support.refused.{auth.reason}"))


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


# --- card buttons -----------------------------------------------------------------------------


@router.callback_query(DeskCb.filter())
async def card_button(
    query: CallbackQuery,
    callback_data: DeskCb,
    state: FSMContext,
    settings: Settings,
    support: SupportService,
    operators: Operators,
    workspace: Workspace,
) -> None:
    t = staff_t(settings)
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t("support.refused.no_topic"), show_alert=True)
        return
    action = Action(callback_data.action.value)
    auth = await support.authorize(
        operators,
        actor_id=query.from_user.id,
        chat_id=message.chat.id,
        thread_id=_thread(message),
        action=action,
        claimed_case_id=callback_data.case_id,
    )
    if not auth.allowed:
        await query.answer(t(f"support.refused.{auth.reason}"), show_alert=True)
        return
    if callback_data.action in (DeskAction.REJECT, DeskAction.EVIDENCE):
        await state.update_data(
            {
                PENDING: {
                    "action": action.value,
                    "case_id": auth.case_id,
                    "thread_id": _thread(message),
                }
            }
        )
        await query.answer()
        key = (
            "support.ask_reason"
            if callback_data.action is DeskAction.REJECT
            else "support.ask_what"
        )
        await message.answer(t(key, name=escape(query.from_user.first_name)))
        return
    result = await support.act(
        auth, actor_id=query.from_user.id, actor_name=query.from_user.first_name, action=action
    )
    if not result.ok:
        await query.answer(t(f"support.refused.{result.reason}"), show_alert=True)
        return
    await query.answer(t("support.done"))
    await workspace.refresh(auth.case_id)
    await workspace.deliver_due()


@router.callback_query()
async def forged_button(query: CallbackQuery, settings: Settings, support: SupportService) -> None:
    """Callback data that is not one of our buttons: refused and audited."""
    message = query.message
    await support.audit(
        actor_id=query.from_user.id,
        action="forged",
        case_id=None,
        allowed=False,
        reason="forged",
        payload={
            "data": (query.data or "")[:64],
            "thread": message.message_thread_id if isinstance(message, Message) else None,
        },
    )
    await query.answer(staff_t(settings)("support.refused.forged"), show_alert=True)


# --- commands anywhere in the support group -----------------------------------------------------


async def _operator(
    message: Message,
    action: Action,
    settings: Settings,
    support: SupportService,
    operators: Operators,
    *,
    need_topic: bool,
) -> Authorization | None:
    assert message.from_user is not None
    auth = await support.authorize(
        operators,
        actor_id=message.from_user.id,
        chat_id=message.chat.id,
        thread_id=_thread(message),
        action=action,
        need_topic=need_topic,
    )
    if not auth.allowed:
        await _refuse_message(message, staff_t(settings), auth)
        return None
    return auth


def _case_line(t: Translator, case: Case, due: Any = None, settings: Settings | None = None) -> str:
    status = t(f"case_status.{CaseStatus(case.status).value}")
    due_text = (
        render.local_time(due, settings.tz) if due is not None and settings is not None else "-"
    )
    return t(
        "support.queue_line",
        number=case.number,
        status=status,
        amount=render.money(case.amount),
        due=due_text,
    )


@router.message(Command("queue"))
async def queue_command(
    message: Message, settings: Settings, support: SupportService, operators: Operators
) -> None:
    if (
        await _operator(message, Action.COMMAND, settings, support, operators, need_topic=False)
        is None
    ):
        return
    t = staff_t(settings)
    rows = await support.queue()
    if not rows:
        await message.reply(t("support.queue_empty"))
        return
    lines = [t("support.queue_title", count=len(rows))] + [
        _case_line(t, case, due, settings) for case, _topic, due in rows
    ]
    await message.reply("\n".join(lines))


@router.message(Command("case"))
async def case_command(
    message: Message,
    command: CommandObject,
    settings: Settings,
    support: SupportService,
    operators: Operators,
) -> None:
    if (
        await _operator(message, Action.COMMAND, settings, support, operators, need_topic=False)
        is None
    ):
        return
    t = staff_t(settings)
    number = (command.args or "").strip()
    if not CASE_NUMBER.fullmatch(number):
        await message.reply(t("support.case_usage"))
        return
    found = await support.case_by_number(number)
    if found is None:
        await message.reply(t("support.case_not_found", number=escape(number)))
        return
    case, topic = found
    link = t("support.case_topic_none")
    if topic is not None and topic.thread_id is not None:
        link = t(
            "support.case_topic",
            url=f"https://t.me/c/{str(topic.chat_id).removeprefix('-100')}/{topic.thread_id}",
        )
    await message.reply(_case_line(t, case) + "\n" + link)


@router.message(Command("find"))
async def find_command(
    message: Message,
    command: CommandObject,
    settings: Settings,
    support: SupportService,
    operators: Operators,
) -> None:
    if (
        await _operator(message, Action.COMMAND, settings, support, operators, need_topic=False)
        is None
    ):
        return
    t = staff_t(settings)
    order = (command.args or "").strip()
    if not order or len(order) > 64:
        await message.reply(t("support.find_usage"))
        return
    cases = await support.cases_by_order(order)
    if not cases:
        await message.reply(t("support.find_none", order=escape(order)))
        return
    await message.reply(
        "\n".join(
            [t("support.find_title", order=escape(order))] + [_case_line(t, c) for c in cases]
        )
    )


@router.message(Command("stats"))
async def stats_command(
    message: Message, settings: Settings, support: SupportService, operators: Operators
) -> None:
    if (
        await _operator(message, Action.COMMAND, settings, support, operators, need_topic=False)
        is None
    ):
        return
    t = staff_t(settings)
    since, day = local_day_start(support.clock(), settings.timezone)
    stats = await support.stats(since=since)
    lines = [
        t(
            "support.stats",
            day=day.isoformat(),
            new=stats.new,
            decided=stats.decided,
            refunded=stats.refunded,
            breached=stats.breached,
        )
    ]
    for operator_id, (count, average) in sorted(stats.ratings.items()):
        lines.append(
            t("support.stats_rating", operator=operator_id, count=count, average=f"{average:.1f}")
        )
    await message.reply("\n".join(lines))


@router.message(Command("reply_set"))
async def reply_set_command(
    message: Message,
    command: CommandObject,
    settings: Settings,
    support: SupportService,
    operators: Operators,
) -> None:
    """`/reply_set NAME LANG TEXT`: a lead edits a saved reply."""
    if (
        await _operator(message, Action.REPLY_EDIT, settings, support, operators, need_topic=False)
        is None
    ):
        return
    t = staff_t(settings)
    parts = (command.args or "").split(maxsplit=2)
    if len(parts) < 3 or not REPLY_NAME.fullmatch(parts[0]) or parts[1] not in LANGUAGES:
        await message.reply(t("support.reply_set_usage"))
        return
    assert message.from_user is not None
    await support.set_saved_reply(
        name=parts[0], lang=parts[1], text=parts[2][:3000], by_id=message.from_user.id
    )
    await message.reply(t("support.reply_saved", name=escape(parts[0]), lang=parts[1]))


# --- inside a case's topic ---------------------------------------------------------------------


@router.message(Command("note"))
async def note_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    settings: Settings,
    support: SupportService,
    operators: Operators,
) -> None:
    """Internal: stored with the case, never sent to the buyer."""
    auth = await _operator(message, Action.NOTE, settings, support, operators, need_topic=True)
    if auth is None:
        return
    t = staff_t(settings)
    text = (command.args or "").strip()
    if not text:
        await message.reply(t("support.note_usage"))
        return
    assert message.from_user is not None
    await support.note(auth, actor_id=message.from_user.id, text=text[:MAX_NOTE])
    await message.reply(t("support.note_saved"))


@router.message(Command("reply"))
async def reply_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    settings: Settings,
    support: SupportService,
    operators: Operators,
) -> None:
    auth = await _operator(message, Action.RELAY, settings, support, operators, need_topic=True)
    if auth is None:
        return
    t = staff_t(settings)
    data = await support.card(auth.case_id)
    assert data is not None
    name = (command.args or "").strip()
    text = await support.saved_reply(name, data.case.language) if name else None
    if text is None:
        names = await support.reply_names(data.case.cause)
        await message.reply(t("support.reply_names", names=", ".join(names) or "-"))
        return
    await _send_text_to_buyer(message, bot, settings, support, auth, text=escape(text), t=t)


@router.message(Command("ban", "shadowban", "unban"))
async def ban_command(
    message: Message,
    command: CommandObject,
    settings: Settings,
    support: SupportService,
    operators: Operators,
) -> None:
    auth = await _operator(message, Action.BAN, settings, support, operators, need_topic=True)
    if auth is None:
        return
    assert message.from_user is not None and auth.topic is not None
    mode = {"ban": "ban", "shadowban": "shadow", "unban": None}[command.command]
    await support.set_ban(user_id=auth.topic.user_id, mode=mode, by_id=message.from_user.id)
    await message.reply(staff_t(settings)(f"support.ban_set.{mode or 'lifted'}"))


@router.message(Command("reopen"))
async def reopen_command(
    message: Message,
    settings: Settings,
    support: SupportService,
    operators: Operators,
    workspace: Workspace,
) -> None:
    auth = await _operator(message, Action.REOPEN, settings, support, operators, need_topic=True)
    if auth is None:
        return
    assert message.from_user is not None
    result = await support.act(
        auth,
        actor_id=message.from_user.id,
        actor_name=message.from_user.first_name,
        action=Action.REOPEN,
    )
    if not result.ok:
        await message.reply(staff_t(settings)(f"support.refused.{result.reason}"))
        return
    await support.request_topic(
        case_id=auth.case_id, trigger="reopened", actor=f"support:{message.from_user.id}"
    )
    await workspace.deliver_due()


# --- the relay: operator -> buyer -----------------------------------------------------------------

_albums = Albums(ALBUM_WAIT)


def _signature(t: Translator, settings: Settings, message: Message) -> str:
    if settings.show_agent_names and message.from_user is not None:
        return t("support_notify.sign_agent", name=escape(message.from_user.first_name))
    return t("support_notify.sign_team")


@router.message(RELAYABLE, F.is_topic_message, ~F.text.startswith("/"))
async def topic_message(
    message: Message,
    bot: Bot,
    state: FSMContext,
    settings: Settings,
    support: SupportService,
    operators: Operators,
    workspace: Workspace,
) -> None:
    """In a case's topic: the text a button asked for, or a message for the buyer."""
    assert message.from_user is not None
    if message.from_user.id == bot.id:
        return
    pending = (await state.get_data()).get(PENDING)
    if pending and pending.get("thread_id") == _thread(message) and message.text:
        await state.update_data({PENDING: None})
        action = Action(pending["action"])
        auth = await support.authorize(
            operators,
            actor_id=message.from_user.id,
            chat_id=message.chat.id,
            thread_id=_thread(message),
            action=action,
            claimed_case_id=int(pending["case_id"]),
        )
        t = staff_t(settings)
        if not auth.allowed:
            await _refuse_message(message, t, auth)
            return
        result = await support.act(
            auth,
            actor_id=message.from_user.id,
            actor_name=message.from_user.first_name,
            action=action,
            detail=message.text[:1000],
        )
        if not result.ok:
            await message.reply(t(f"support.refused.{result.reason}"))
            return
        await workspace.refresh(auth.case_id)
        await workspace.deliver_due()
        return
    auth = await support.authorize(
        operators,
        actor_id=message.from_user.id,
        chat_id=message.chat.id,
        thread_id=_thread(message),
        action=Action.RELAY,
    )
    if not auth.allowed:
        if auth.reason != "no_topic":  # a topic that is not a case's: ordinary team chat
            await _refuse_message(message, staff_t(settings), auth)
        return
    if message.media_group_id:
        _albums.add(message, lambda parts: _relay_album(parts, bot, settings, support, auth))
        return
    await _relay(message, bot, settings, support, auth)


async def _buyer_t(support: SupportService, auth: Authorization) -> tuple[Translator, int]:
    data = await support.card(auth.case_id)
    assert data is not None
    return Translator(data.case.language), data.case.user_id


async def _reply_target(support: SupportService, message: Message, buyer_id: int) -> int | None:
    if message.reply_to_message is None:
        return None
    link = await support.copy_of(
        chat_id=message.chat.id, message_id=message.reply_to_message.message_id
    )
    return link.dst_message_id if link is not None and link.dst_chat_id == buyer_id else None


async def _undeliverable(message: Message, settings: Settings, exc: TelegramAPIError) -> None:
    reason, _retry, _permanent = classify(exc)
    t = staff_t(settings)
    await message.reply(t("support.undeliverable", reason=t(f"support.why.{reason}")))


async def _relay(
    message: Message, bot: Bot, settings: Settings, support: SupportService, auth: Authorization
) -> None:
    buyer_t, buyer_id = await _buyer_t(support, auth)
    sign = _signature(buyer_t, settings, message)
    reply_to = await _reply_target(support, message, buyer_id)
    try:
        if message.text is not None:
            sent = await bot.send_message(
                buyer_id,
                buyer_t("support_notify.agent_says", sign=sign, text=escape(message.text)),
                reply_to_message_id=reply_to,
            )
            copy_id = sent.message_id
        else:
            caption = sign + ("\n" + escape(message.caption) if message.caption else "")
            copied = await bot.copy_message(
                buyer_id,
                message.chat.id,
                message.message_id,
                caption=caption,
                reply_to_message_id=reply_to,
            )
            copy_id = copied.message_id
    except TelegramAPIError as exc:
        await _undeliverable(message, settings, exc)
        return
    assert message.from_user is not None
    await support.relayed(
        case_id=auth.case_id,
        src=(message.chat.id, message.message_id),
        dst=(buyer_id, copy_id),
        by_operator=message.from_user.id,
    )


async def _relay_album(
    parts: list[Message], bot: Bot, settings: Settings, support: SupportService, auth: Authorization
) -> None:
    buyer_t, buyer_id = await _buyer_t(support, auth)
    sign = _signature(buyer_t, settings, parts[0])
    media: list[Any] = []
    for index, part in enumerate(parts):
        caption = part.caption and escape(part.caption)
        if index == 0:
            caption = sign + ("\n" + caption if caption else "")
        if part.photo:
            media.append(InputMediaPhoto(media=part.photo[-1].file_id, caption=caption))
        elif part.document:
            media.append(InputMediaDocument(media=part.document.file_id, caption=caption))
    if len(parts) == 1:
        await _relay(parts[0], bot, settings, support, auth)
        return
    try:
        sent = await bot.send_media_group(buyer_id, media)
    except TelegramAPIError as exc:
        await _undeliverable(parts[0], settings, exc)
        return
    assert parts[0].from_user is not None
    for part, copy in zip(parts, sent, strict=False):
        await support.relayed(
            case_id=auth.case_id,
            src=(part.chat.id, part.message_id),
            dst=(buyer_id, copy.message_id),
            by_operator=parts[0].from_user.id,
        )


async def _send_text_to_buyer(
    message: Message,
    bot: Bot,
    settings: Settings,
    support: SupportService,
    auth: Authorization,
    *,
    text: str,
    t: Translator,
) -> None:
    buyer_t, buyer_id = await _buyer_t(support, auth)
    try:
        sent = await bot.send_message(
            buyer_id,
            buyer_t(
                "support_notify.agent_says", sign=_signature(buyer_t, settings, message), text=text
            ),
        )
    except TelegramAPIError as exc:
        await _undeliverable(message, settings, exc)
        return
    assert message.from_user is not None
    await support.relayed(
        case_id=auth.case_id,
        src=(message.chat.id, message.message_id),
        dst=(buyer_id, sent.message_id),
        by_operator=message.from_user.id,
    )
    await message.reply(t("support.delivered"))


@router.edited_message(F.is_topic_message)
async def topic_edit(
    message: Message, bot: Bot, settings: Settings, support: SupportService, operators: Operators
) -> None:
    """An operator's edit follows the copy the buyer has."""
    if message.from_user is None:
        return
    auth = await support.authorize(
        operators,
        actor_id=message.from_user.id,
        chat_id=message.chat.id,
        thread_id=_thread(message),
        action=Action.RELAY,
    )
    if not auth.allowed:
        return
    link = await support.copy_of(chat_id=message.chat.id, message_id=message.message_id)
    buyer_t, buyer_id = await _buyer_t(support, auth)
    if link is None or link.dst_chat_id != buyer_id:
        return
    sign = _signature(buyer_t, settings, message)
    try:
        if message.text is not None:
            await bot.edit_message_text(
                buyer_t("support_notify.agent_says", sign=sign, text=escape(message.text)),
                chat_id=buyer_id,
                message_id=link.dst_message_id,
            )
        elif message.caption is not None:
            await bot.edit_message_caption(
                chat_id=buyer_id,
                message_id=link.dst_message_id,
                caption=sign + "\n" + escape(message.caption),
            )
    except TelegramBadRequest as exc:
        await _undeliverable(message, settings, exc)
