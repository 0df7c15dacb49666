"""/web in a private chat: an operator gets a one-time sign-in link to the support web
console (bot.web). Only operators and leads (the same role resolution as in the support
group); a refusal is audited like any refused operator action."""

from __future__ import annotations

import logging
from datetime import timedelta
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import LinkPreviewOptions, Message

from bot.i18n import Translator
from bot.services.support import Operators, Role, SupportService

log = logging.getLogger(__name__)
router = Router(name="web")
router.message.filter(F.chat.type == "private")


@router.message(Command("web"))
async def web_link(
    message: Message,
    t: Translator,
    support: SupportService,
    services: Any,
    operators: Operators | None = None,
) -> None:
    from bot.web.auth import Logins
    from bot.web.config import load_web_settings

    assert message.from_user is not None
    user = message.from_user
    web = load_web_settings()
    base = web.public_url()
    if base is None:
        await message.answer(t("web.link.off"))
        return
    role = await operators.role(user.id) if operators is not None else Role.NONE
    allowed = role is not Role.NONE
    await support.audit(
        actor_id=user.id,
        action="web_link",
        case_id=None,
        allowed=allowed,
        reason="" if allowed else "not_operator",
        payload={"via": "telegram"},
    )
    if not allowed:
        await message.answer(t("web.link.not_operator"))
        return
    logins = Logins(
        services.sessions,
        clock=support.clock,
        link_ttl=timedelta(minutes=web.link_minutes),
        session_ttl=timedelta(hours=web.session_hours),
    )
    token = await logins.create_link(user_id=user.id, first_name=user.first_name or "", lang=t.lang)
    await message.answer(
        t("web.link.sent", minutes=web.link_minutes, url=escape(f"{base}/login/{token}")),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
