"""The console's actions on a case, through the same service calls as the Telegram side:
`SupportService.authorize` (the operator now, the case of the topic), `act` (transitions,
outbox, audit), `note`, `relayed` (the relay's record and first response), `request_topic`.

A reply typed in the console goes to the buyer exactly as an operator's message in the
topic does (signed as the support team), and a copy is posted in the case's topic so the
team sees the whole conversation in Telegram too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from aiogram.exceptions import TelegramAPIError

from bot.i18n import Translator
from bot.services.support import ACTION_STATUS, Action, Authorization, CardData, Role, aware
from bot.storage.models import CaseEvent, Evidence
from bot.storage.support_models import MessageLink
from bot.web.auth import SignedIn
from bot.web.context import WebContext

log = logging.getLogger(__name__)
MAX_REPLY = 3500
MAX_NOTE = 1000
MAX_FILE = 20 * 1024 * 1024
# a buyer's ban from the case page: the form's value -> the mode stored (None: lifted)
BAN_MODES: dict[str, str | None] = {"ban": "ban", "shadow": "shadow", "lift": None}
NOTICES = frozenset(
    {a.value for a in Action} | {"reply", "note", "escalate"} | {f"ban_{m}" for m in BAN_MODES}
)
IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif"}

__all__ = ["ACTION_STATUS", "NOTICES"]


async def _authorize(
    ctx: WebContext, user: SignedIn, case_id: int, action: Action
) -> Authorization:
    """The Telegram check, as if the operator acted in the case's topic: an operator now
    (a lead for lead actions), and the case is the topic's case. Refusals are audited."""
    topic = await ctx.support.topic_for_case(case_id)
    chat_id = ctx.support.chat_id
    return await ctx.support.authorize(
        ctx.operators_of(),
        actor_id=user.user_id,
        chat_id=chat_id if chat_id is not None else 0,
        thread_id=topic.thread_id if topic is not None else None,
        action=action,
        claimed_case_id=case_id,
    )


async def act(
    ctx: WebContext, user: SignedIn, *, case_id: int, action: Action, detail: str | None
) -> str:
    """A card button pressed in the console; returns "" or the reason it was refused."""
    if action in (Action.REJECT, Action.EVIDENCE) and not detail:
        return "detail_missing"
    auth = await _authorize(ctx, user, case_id, action)
    if not auth.allowed:
        return auth.reason
    result = await ctx.support.act(
        auth,
        actor_id=user.user_id,
        actor_name=user.first_name or str(user.user_id),
        action=action,
        detail=detail,
    )
    if not result.ok:
        return result.reason
    if action is Action.REOPEN:
        await ctx.support.request_topic(
            case_id=case_id, trigger="reopened", actor=f"support:{user.user_id}"
        )
    await _settle(ctx, case_id)
    return ""


async def _settle(ctx: WebContext, case_id: int) -> None:
    try:
        await ctx.after_change(case_id)
    except Exception:  # the worker delivers the outbox anyway
        log.exception("refreshing case %s after a console action failed", case_id)


async def note(ctx: WebContext, user: SignedIn, *, case_id: int, text: str) -> str:
    if not text:
        return "detail_missing"
    auth = await _authorize(ctx, user, case_id, Action.NOTE)
    if not auth.allowed:
        return auth.reason
    await ctx.support.note(auth, actor_id=user.user_id, text=text[:MAX_NOTE])
    return ""


async def escalate(ctx: WebContext, user: SignedIn, *, case_id: int) -> str:
    """Open the case's topic (a case the bot had not handed to a person yet)."""
    role = await ctx.role(user.user_id)
    allowed = role is not Role.NONE and ctx.support.chat_id is not None
    await ctx.support.audit(
        actor_id=user.user_id,
        action="escalate",
        case_id=case_id,
        allowed=allowed,
        reason="" if allowed else "not_operator",
        payload={"via": "web"},
    )
    if not allowed:
        return "not_operator" if role is Role.NONE else "wrong_chat"
    if not await ctx.support.request_topic(
        case_id=case_id, trigger="operator", actor=f"support:{user.user_id}"
    ):
        return "topic_exists"
    return ""


async def reply(ctx: WebContext, user: SignedIn, *, case_id: int, text: str, saved: str) -> str:
    """A message to the buyer: a saved reply (in the buyer's language) or typed text."""
    auth = await _authorize(ctx, user, case_id, Action.RELAY)
    if not auth.allowed:
        return auth.reason
    data = await ctx.support.card(case_id)
    if data is None or auth.topic is None or auth.topic.thread_id is None:
        return "no_case"
    if saved:
        text = await ctx.support.saved_reply(saved, data.case.language) or ""
    text = text.strip()[:MAX_REPLY]
    if not text:
        return "detail_missing"
    buyer_t = Translator(data.case.language)
    staff = Translator(ctx.settings.default_language)
    name = escape(user.first_name or str(user.user_id))
    sign = (
        buyer_t("support_notify.sign_agent", name=name)
        if ctx.settings.show_agent_names
        else buyer_t("support_notify.sign_team")
    )
    chat_id = ctx.support.chat_id
    assert chat_id is not None  # authorize refuses otherwise
    try:
        mirror = await ctx.bot.send_message(
            chat_id,
            staff("web.topic_reply", name=name, text=escape(text)),
            message_thread_id=auth.topic.thread_id,
        )
        sent = await ctx.bot.send_message(
            data.case.user_id, buyer_t("support_notify.agent_says", sign=sign, text=escape(text))
        )
    except TelegramAPIError as exc:
        from bot.telegram.handlers.support.workspace import classify

        reason, _retry, _permanent = classify(exc)
        return f"why.{reason}"
    await ctx.support.relayed(
        case_id=case_id,
        src=(chat_id, mirror.message_id),
        dst=(data.case.user_id, sent.message_id),
        by_operator=user.user_id,
        said=["text", text],
    )
    async with ctx.sessions() as session:  # what was said, for the console's conversation
        session.add(
            CaseEvent(
                case_id=case_id,
                actor=f"support:{user.user_id}",
                kind="web_reply",
                payload={"text": text, "message_id": sent.message_id},
                created_at=ctx.clock(),
            )
        )
        await session.commit()
    return ""


async def ban(ctx: WebContext, user: SignedIn, *, case_id: int, mode: str | None) -> str:
    """A lead bans, shadow-bans or lets back the case's buyer, through the same service
    function and check as `/ban`, `/shadowban` and `/unban` in the topic (audited)."""
    auth = await _authorize(ctx, user, case_id, Action.BAN)
    if not auth.allowed:
        return auth.reason
    assert auth.topic is not None  # authorize refuses a case without its topic
    await ctx.support.set_ban(user_id=auth.topic.user_id, mode=mode, by_id=user.user_id)
    return ""


async def evidence_bytes(
    ctx: WebContext, user: SignedIn, evidence_id: int
) -> tuple[bytes, str] | None:
    """An evidence file, fetched through the bot (the browser never sees the token or a
    Telegram file URL). Audited: evidence holds personal data."""
    async with ctx.sessions() as session:
        row = await session.get(Evidence, evidence_id)
    if row is None:
        return None
    await ctx.support.audit(
        actor_id=user.user_id,
        action="web_evidence",
        case_id=row.case_id,
        allowed=True,
        payload={"via": "web", "evidence": evidence_id},
    )
    try:
        file = await ctx.bot.get_file(row.file_id)
        if file.file_path is None or (file.file_size or 0) > MAX_FILE:
            return None
        buffer = await ctx.bot.download_file(file.file_path)
    except TelegramAPIError:
        return None
    if buffer is None:
        return None
    body = buffer.read()
    mime = row.mime_type if row.mime_type in IMAGE_TYPES else _sniff(body)
    return body, mime


def _sniff(body: bytes) -> str:
    if body.startswith(b"\x89PNG"):
        return "image/png"
    if body.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


@dataclass(frozen=True)
class Said:
    at: datetime | None
    side: str  # buyer, team
    text: str | None  # the text or caption; None: none was stored (or it was deleted)
    message_id: int
    kind: str | None = None  # text, photo, document, ... (None: not stored)


async def conversation(ctx: WebContext, data: CardData) -> list[Said]:
    """The relayed messages of the case, in order: who wrote when, and what (the text or
    caption and the kind stored with the relay; console replies from before the relay kept
    its text, from their `web_reply` event)."""
    from sqlmodel import col, select

    case = data.case
    assert case.id is not None
    async with ctx.sessions() as session:
        links = (
            await session.exec(
                select(MessageLink)
                .where(MessageLink.case_id == case.id)
                .order_by(col(MessageLink.created_at), col(MessageLink.id))
            )
        ).all()
    texts: dict[int, str] = {}
    for event in data.events:
        payload = event.payload or {}
        if event.kind == "web_reply" and "message_id" in payload:
            texts[int(payload["message_id"])] = str(payload.get("text") or "")
    out: list[Said] = []
    for link in links:
        from_buyer = link.src_chat_id == case.user_id
        buyer_message = link.src_message_id if from_buyer else link.dst_message_id
        text = link.text
        if text is None and link.kind is None and not from_buyer:
            text = texts.get(link.dst_message_id)
        out.append(
            Said(
                aware(link.created_at),
                "buyer" if from_buyer else "team",
                text,
                buyer_message,
                link.kind,
            )
        )
    return out


def actor_text(t: Translator, actor: str) -> str:
    kind, _, ident = actor.partition(":")
    if kind == "timer":
        return t("web.actor.timer")
    if kind == "support":
        return t("web.actor.operator", agent=ident)
    if kind == "buyer":
        return t("web.actor.buyer")
    if kind == "bot":
        return t("web.actor.bot")
    if kind == "rules":
        return t("web.actor.rules")
    return actor


def section_titles(
    ctx: WebContext, decision: Mapping[str, Any], lang: str
) -> list[tuple[str, str]]:
    """The policy sections a decision cites, with their titles from the knowledge base."""
    out: list[tuple[str, str]] = []
    for ref in decision.get("policy_refs") or []:
        title = ""
        if ctx.kb is not None:
            source = ctx.kb.section(str(ref), lang)
            title = source.title if source is not None else ""
        out.append((str(ref), title))
    return out


@dataclass(frozen=True)
class Finding:
    """A scam found in a picture of the case (an `evidence_scam` event), for the page."""

    risk: str
    checks: str
    reason: str
    qr: list[str]
    at: datetime | None


def scam_findings(data: CardData, lang: str) -> tuple[dict[int, list[Finding]], list[Finding]]:
    """The scam findings of the case's evidence: by evidence id (the picture they concern),
    and those whose picture the case no longer holds."""
    from bot.services.scam import EVIDENCE_SCAM

    by_file: dict[str, int] = {}
    for item in data.evidence:
        if item.id is not None:
            by_file.setdefault(item.file_unique_id, item.id)
    beside: dict[int, list[Finding]] = {}
    elsewhere: list[Finding] = []
    for event in data.events:
        if event.kind != EVIDENCE_SCAM:
            continue
        payload = event.payload or {}
        explain = payload.get("explain") or {}
        reason = explain.get(lang) if isinstance(explain, dict) else None
        qr = payload.get("qr") or []
        finding = Finding(
            risk=str(payload.get("risk") or ""),
            checks=str(payload.get("checks") or ""),
            reason=str(reason or payload.get("reason") or ""),
            qr=[str(code) for code in qr][:5] if isinstance(qr, list) else [],
            at=aware(event.created_at),
        )
        evidence_id = by_file.get(str(payload.get("file_unique_id")))
        if evidence_id is None:
            elsewhere.append(finding)
        else:
            beside.setdefault(evidence_id, []).append(finding)
    return beside, elsewhere
