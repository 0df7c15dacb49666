"""The support group's side: card buttons, the relay from a case's topic to its buyer,
internal notes and the operators' commands. Mounted under a parent router that only lets
the support chat's updates in; every action is authorized here, at the edge, and bound to
the case of the topic it happens in."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.domain.cases import CaseStatus
from bot.i18n import LANGUAGES, Translator
from bot.services.support import (
    Action,
    Authorization,
    Operators,
    SupportService,
    local_day_start,
    relay_said,
)
from bot.storage.models import Case
from bot.telegram import render
from bot.telegram.handlers.support.cards import DeskAction, DeskCb
from bot.telegram.handlers.support.workspace import Albums, Workspace, album_of

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


@dataclass(frozen=True)
class StaffCommand:
    """An operator's command that passed the check: who, where (the topic's case when the
    command needs one), its arguments, and the team's language to answer in."""

    message: Message
    auth: Authorization
    t: Translator
    args: str
    actor_id: int
    actor_name: str

    async def reply(self, text: str) -> None:
        await self.message.reply(text)


StaffHandler = Callable[..., Awaitable[None]]


def operator_command(
    action: Action, *, need_topic: bool = False
) -> Callable[[StaffHandler], StaffHandler]:
    """Every operator command's first steps in one place: the actor must be an operator
    now (a lead for lead actions), in the topic of a case when `need_topic`; a refusal is
    answered and audited. The handler gets `cmd` and the dependencies it names."""

    def decorate(handler: StaffHandler) -> StaffHandler:
        wanted = set(inspect.signature(handler).parameters)

        async def checked(message: Message, **data: Any) -> None:
            settings: Settings = data["settings"]
            auth = await _operator(
                message, action, settings, data["support"], data["operators"], need_topic=need_topic
            )
            if auth is None:
                return
            assert message.from_user is not None
            command: CommandObject | None = data.get("command")
            cmd = StaffCommand(
                message=message,
                auth=auth,
                t=staff_t(settings),
                args=((command.args if command else None) or "").strip(),
                actor_id=message.from_user.id,
                actor_name=message.from_user.first_name,
            )
            given = {"cmd": cmd, **data}
            await handler(**{name: given[name] for name in wanted if name in given})

        checked.__name__ = checked.__qualname__ = handler.__name__
        checked.__doc__ = handler.__doc__
        return checked

    return decorate


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
@operator_command(Action.COMMAND)
async def queue_command(cmd: StaffCommand, settings: Settings, support: SupportService) -> None:
    rows = await support.queue()
    if not rows:
        await cmd.reply(cmd.t("support.queue_empty"))
        return
    lines = [cmd.t("support.queue_title", count=len(rows))] + [
        _case_line(cmd.t, case, due, settings) for case, _topic, due in rows
    ]
    await cmd.reply("\n".join(lines))


@router.message(Command("case"))
@operator_command(Action.COMMAND)
async def case_command(cmd: StaffCommand, support: SupportService) -> None:
    if not CASE_NUMBER.fullmatch(cmd.args):
        await cmd.reply(cmd.t("support.case_usage"))
        return
    found = await support.case_by_number(cmd.args)
    if found is None:
        await cmd.reply(cmd.t("support.case_not_found", number=escape(cmd.args)))
        return
    case, topic = found
    link = cmd.t("support.case_topic_none")
    if topic is not None and topic.thread_id is not None:
        link = cmd.t(
            "support.case_topic",
            url=f"https://t.me/c/{str(topic.chat_id).removeprefix('-100')}/{topic.thread_id}",
        )
    await cmd.reply(_case_line(cmd.t, case) + "\n" + link)


@router.message(Command("find"))
@operator_command(Action.COMMAND)
async def find_command(cmd: StaffCommand, support: SupportService) -> None:
    order = cmd.args
    if not order or len(order) > 64:
        await cmd.reply(cmd.t("support.find_usage"))
        return
    cases = await support.cases_by_order(order)
    if not cases:
        await cmd.reply(cmd.t("support.find_none", order=escape(order)))
        return
    lines = [cmd.t("support.find_title", order=escape(order))]
    await cmd.reply("\n".join(lines + [_case_line(cmd.t, c) for c in cases]))


@router.message(Command("stats"))
@operator_command(Action.COMMAND)
async def stats_command(cmd: StaffCommand, settings: Settings, support: SupportService) -> None:
    since, day = local_day_start(support.clock(), settings.timezone)
    stats = await support.stats(since=since)
    lines = [
        cmd.t(
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
            cmd.t(
                "support.stats_rating", operator=operator_id, count=count, average=f"{average:.1f}"
            )
        )
    await cmd.reply("\n".join(lines))


@router.message(Command("reply_set"))
@operator_command(Action.REPLY_EDIT)
async def reply_set_command(cmd: StaffCommand, support: SupportService) -> None:
    """`/reply_set NAME LANG TEXT`: a lead edits a saved reply."""
    parts = cmd.args.split(maxsplit=2)
    if len(parts) < 3 or not REPLY_NAME.fullmatch(parts[0]) or parts[1] not in LANGUAGES:
        await cmd.reply(cmd.t("support.reply_set_usage"))
        return
    await support.set_saved_reply(
        name=parts[0], lang=parts[1], text=parts[2][:3000], by_id=cmd.actor_id
    )
    await cmd.reply(cmd.t("support.reply_saved", name=escape(parts[0]), lang=parts[1]))


# --- inside a case's topic ---------------------------------------------------------------------


@router.message(Command("note"))
@operator_command(Action.NOTE, need_topic=True)
async def note_command(cmd: StaffCommand, support: SupportService) -> None:
    """Internal: stored with the case, never sent to the buyer."""
    if not cmd.args:
        await cmd.reply(cmd.t("support.note_usage"))
        return
    await support.note(cmd.auth, actor_id=cmd.actor_id, text=cmd.args[:MAX_NOTE])
    await cmd.reply(cmd.t("support.note_saved"))


@router.message(Command("reply"))
@operator_command(Action.RELAY, need_topic=True)
async def reply_command(
    cmd: StaffCommand, settings: Settings, support: SupportService, workspace: Workspace
) -> None:
    data = await support.card(cmd.auth.case_id)
    assert data is not None
    text = await support.saved_reply(cmd.args, data.case.language) if cmd.args else None
    if text is None:
        names = await support.reply_names(data.case.cause)
        await cmd.reply(cmd.t("support.reply_names", names=", ".join(names) or "-"))
        return
    buyer_t = Translator(data.case.language)
    payload = {
        "text": buyer_t(
            "support_notify.agent_says",
            sign=_signature(buyer_t, settings, cmd.message),
            text=escape(text),
        ),
        "sources": [[cmd.message.chat.id, cmd.message.message_id]],
    }
    await _queue(cmd.message, support, workspace, cmd.auth, data.case.user_id, payload)
    await cmd.reply(cmd.t("support.delivered"))


@router.message(Command("ban", "shadowban", "unban"))
@operator_command(Action.BAN, need_topic=True)
async def ban_command(cmd: StaffCommand, command: CommandObject, support: SupportService) -> None:
    assert cmd.auth.topic is not None
    mode = {"ban": "ban", "shadowban": "shadow", "unban": None}[command.command]
    await support.set_ban(user_id=cmd.auth.topic.user_id, mode=mode, by_id=cmd.actor_id)
    await cmd.reply(cmd.t(f"support.ban_set.{mode or 'lifted'}"))


@router.message(Command("reopen"))
@operator_command(Action.REOPEN, need_topic=True)
async def reopen_command(cmd: StaffCommand, support: SupportService, workspace: Workspace) -> None:
    result = await support.act(
        cmd.auth, actor_id=cmd.actor_id, actor_name=cmd.actor_name, action=Action.REOPEN
    )
    if not result.ok:
        await cmd.reply(cmd.t(f"support.refused.{result.reason}"))
        return
    await support.request_topic(
        case_id=cmd.auth.case_id, trigger="reopened", actor=f"support:{cmd.actor_id}"
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
        _albums.add(message, lambda parts: _relay_album(parts, settings, support, workspace, auth))
        return
    await _relay(message, settings, support, workspace, auth)


async def _buyer_t(support: SupportService, auth: Authorization) -> tuple[Translator, int]:
    data = await support.card(auth.case_id)
    assert data is not None
    return Translator(data.case.language), data.case.user_id


def _reply_source(message: Message) -> list[int] | None:
    """The topic message an operator replied to: its copy at the buyer's is looked up when
    the reply is delivered (it may still be on its way itself)."""
    replied = message.reply_to_message
    if replied is None or replied.message_id == message.message_thread_id:
        return None  # a topic's own first message: not a reply to anything relayed
    return [message.chat.id, replied.message_id]


async def _queue(
    message: Message,
    support: SupportService,
    workspace: Workspace,
    auth: Authorization,
    buyer_id: int,
    payload: dict[str, Any],
) -> None:
    assert message.from_user is not None
    await support.queue_relay(
        auth,
        actor_id=message.from_user.id,
        buyer_id=buyer_id,
        source=(message.chat.id, message.message_id),
        payload={**payload, "reply_to": _reply_source(message)},
    )
    workspace.nudge()


async def _relay(
    message: Message,
    settings: Settings,
    support: SupportService,
    workspace: Workspace,
    auth: Authorization,
) -> None:
    """Queued in the outbox with the audit row; the worker sends it and links the copy."""
    buyer_t, buyer_id = await _buyer_t(support, auth)
    sign = _signature(buyer_t, settings, message)
    payload: dict[str, Any] = {
        "sources": [[message.chat.id, message.message_id]],
        "said": [relay_said(message)],
    }
    if message.text is not None:
        payload["text"] = buyer_t("support_notify.agent_says", sign=sign, text=escape(message.text))
    else:
        payload["copy"] = [message.chat.id, message.message_id]
        payload["caption"] = sign + ("\n" + escape(message.caption) if message.caption else "")
    await _queue(message, support, workspace, auth, buyer_id, payload)


async def _relay_album(
    parts: list[Message],
    settings: Settings,
    support: SupportService,
    workspace: Workspace,
    auth: Authorization,
) -> None:
    if len(parts) == 1:
        await _relay(parts[0], settings, support, workspace, auth)
        return
    buyer_t, buyer_id = await _buyer_t(support, auth)
    sign = _signature(buyer_t, settings, parts[0])
    album, sources, said = album_of(parts)
    if not album:
        return
    caption = album[0]["caption"]
    album[0]["caption"] = sign + ("\n" + caption if caption else "")
    await _queue(
        parts[0],
        support,
        workspace,
        auth,
        buyer_id,
        {"album": album, "sources": sources, "said": said},
    )


@router.edited_message(F.is_topic_message)
async def topic_edit(
    message: Message,
    settings: Settings,
    support: SupportService,
    operators: Operators,
    workspace: Workspace,
) -> None:
    """An operator's edit follows the copy the buyer has (through the outbox, after the
    message itself)."""
    if message.from_user is None or message.text is None and message.caption is None:
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
    buyer_t, buyer_id = await _buyer_t(support, auth)
    sign = _signature(buyer_t, settings, message)
    if message.text is not None:
        payload = {
            "text": buyer_t("support_notify.agent_says", sign=sign, text=escape(message.text))
        }
    else:
        payload = {"caption": sign + "\n" + escape(message.caption or "")}
    await support.queue_edit(
        auth,
        actor_id=message.from_user.id,
        buyer_id=buyer_id,
        source=(message.chat.id, message.message_id),
        version=message.edit_date or 0,
        payload=payload,
    )
    await support.said_edited(src=(message.chat.id, message.message_id), said=relay_said(message))
    workspace.nudge()
