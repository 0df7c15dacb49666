"""The anti-scam guard in groups the bot is added to: a risky message gets a warning as a
reply; when the group's admins turned deletion on and the bot may delete, it is removed.
FRAUD_DRY_RUN makes the bot only log what it would have done."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import ChatMemberAdministrator, ChatMemberOwner, Message

from bot.config import Settings
from bot.i18n import Translator
from bot.imagescan import ImageScanner
from bot.llm import Gateway
from bot.services.groups import GroupService
from bot.telegram.fraud import (
    WARN_AT,
    check_picture,
    picture_of,
    scan_checked,
    short_picture_warning,
    short_warning,
)

log = logging.getLogger(__name__)
router = Router(name="groups")
router.message.filter(F.chat.type.in_({"group", "supergroup"}))

_RIGHTS_TTL = 300.0  # seconds a check of the bot's own rights is reused
_rights: dict[int, tuple[float, bool]] = {}


async def bot_can_delete(bot: Bot, chat_id: int) -> bool:
    cached = _rights.get(chat_id)
    if cached and time.monotonic() - cached[0] < _RIGHTS_TTL:
        return cached[1]
    try:
        member = await bot.get_chat_member(chat_id, bot.id)
    except TelegramAPIError:
        return False
    can = isinstance(member, ChatMemberOwner) or (
        isinstance(member, ChatMemberAdministrator) and member.can_delete_messages
    )
    _rights[chat_id] = (time.monotonic(), can)
    return can


async def is_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramAPIError:
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.CREATOR)


@router.message(Command("scamdelete"))
async def toggle_delete(message: Message, bot: Bot, t: Translator, groups: GroupService) -> None:
    """`/scamdelete on|off`: a group admin turns deletion of scam messages on or off."""
    assert message.text is not None and message.from_user is not None
    choice = message.text.partition(" ")[2].strip().lower()
    if not await is_admin(bot, message.chat.id, message.from_user.id):
        await message.reply(t("groups.admins_only"))
        return
    if choice not in ("on", "off"):
        current = await groups.delete_enabled(chat_id=message.chat.id)
        await message.reply(t("groups.delete_status_on" if current else "groups.delete_status_off"))
        return
    await groups.set_delete(chat_id=message.chat.id, enabled=choice == "on")
    _rights.pop(message.chat.id, None)
    key = "groups.delete_on" if choice == "on" else "groups.delete_off"
    if choice == "on" and not await bot_can_delete(bot, message.chat.id):
        key = "groups.delete_on_no_rights"
    await message.reply(t(key))


@router.message(~F.text.startswith("/"))
async def guard(
    message: Message,
    bot: Bot,
    t: Translator,
    settings: Settings,
    groups: GroupService,
    detector: Any = None,
    image_scanner: ImageScanner | None = None,
    gateway: Gateway | None = None,
) -> None:
    if message.from_user is not None and message.from_user.id == bot.id:
        return
    verdict = await scan_checked(detector, message, gateway)
    if verdict is not None and verdict.at_least(WARN_AT):
        await act(message, bot, t, settings, groups, short_warning(t, verdict), verdict.checks)
        return
    if image_scanner is not None and picture_of(message):
        # OCR takes a while: the group's other messages are not kept waiting
        task = asyncio.create_task(
            _guard_picture(message, bot, t, settings, groups, image_scanner, gateway)
        )
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)


_tasks: set[asyncio.Task[None]] = set()


async def _guard_picture(
    message: Message,
    bot: Bot,
    t: Translator,
    settings: Settings,
    groups: GroupService,
    scanner: ImageScanner,
    gateway: Gateway | None = None,
) -> None:
    try:
        # the task copied the update's context: its one model call is this message's too
        result = await check_picture(bot, message, scanner, gateway)
        if result is None or not result.at_least(WARN_AT):
            if result is not None and result.skipped:
                log.info(
                    "picture %s in chat %s not checked: %s",
                    message.message_id,
                    message.chat.id,
                    result.skipped,
                )
            return
        await act(
            message,
            bot,
            t,
            settings,
            groups,
            short_picture_warning(t, result),
            result.verdict.checks,
        )
    except Exception:  # noqa: BLE001 - a background check must never take the bot down
        log.exception("checking a picture in a group failed")


async def act(
    message: Message,
    bot: Bot,
    t: Translator,
    settings: Settings,
    groups: GroupService,
    text: str,
    checks: list[str],
) -> None:
    """Warn about a risky message (as a reply), or delete it and say so when the group's
    admins turned deletion on and the bot may delete. FRAUD_DRY_RUN: only log it."""
    delete = await groups.delete_enabled(chat_id=message.chat.id) and await bot_can_delete(
        bot, message.chat.id
    )
    if settings.fraud_dry_run:
        log.info(
            "dry run: would warn%s in chat %s about message %s: %s",
            " and delete" if delete else "",
            message.chat.id,
            message.message_id,
            checks,
        )
        return
    if delete:
        try:
            await message.delete()
        except TelegramAPIError:
            log.warning(
                "could not delete scam message %s in %s",
                message.message_id,
                message.chat.id,
                exc_info=True,
            )
            delete = False
    if delete:
        await bot.send_message(message.chat.id, t("groups.deleted") + "\n\n" + text)
    else:
        await message.reply(text)
