"""From a Telegram message to the detector's input, and from a verdict to a warning."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from html import escape
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup, Message, TelegramObject

from bot.domain.fraud import LinkRef, MessageInput, Risk, Verdict
from bot.i18n import Translator
from bot.imagescan import ImageScanner, ImageVerdict
from bot.ops.metrics import record_fraud_findings
from bot.telegram import keyboards
from bot.telegram.states import CaseFlow

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

WARN_AT = Risk.MEDIUM


def message_input(message: Message) -> MessageInput:
    """Text or caption, `text_link` targets with their visible text, and the URLs of inline
    buttons (a forwarded message keeps its keyboard)."""
    text, caption = message.text or "", message.caption or ""
    links: list[LinkRef] = []
    for body, entities in ((text, message.entities), (caption, message.caption_entities)):
        for entity in entities or ():
            if entity.type == "text_link" and entity.url:
                links.append(LinkRef(url=entity.url, visible_text=entity.extract_from(body)))
    buttons: list[str] = []
    markup = message.reply_markup
    if isinstance(markup, InlineKeyboardMarkup):
        buttons = [button.url for row in markup.inline_keyboard for button in row if button.url]
    return MessageInput(text=text, caption=caption, links=links, button_urls=buttons)


def has_content(data: MessageInput) -> bool:
    return bool(data.text.strip() or data.caption.strip() or data.links or data.button_urls)


def warning_text(t: Translator, verdict: Verdict) -> str:
    advice = verdict.advice.get(t.lang) or verdict.advice.get("zh", "")
    return f"{t(f'fraud.title.{verdict.risk.value}')}\n\n{escape(advice)}"


def short_warning(t: Translator, verdict: Verdict) -> str:
    """For groups: the headline and the first findings, not the whole lecture."""
    reasons = [
        f.explain.get(t.lang) or f.detail
        for f in verdict.findings
        if f.severity.rank >= Risk.MEDIUM.rank
    ][:2]
    lines = [
        t(f"fraud.title.{verdict.risk.value}"),
        *[f"• {escape(r)}" for r in reasons],
        "",
        t("fraud.group_advice"),
    ]
    return "\n".join(lines)


def scan(detector: Any, message: Message) -> Verdict | None:
    data = message_input(message)
    if detector is None or not has_content(data):
        return None
    verdict: Verdict = detector.scan(data)
    record_fraud_findings(verdict.checks)
    return verdict


# ---------------------------------------------------------------------------- pictures

_IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp")


def picture_of(message: Message) -> tuple[str, int | None] | None:
    """(file_id, size) of the picture a message carries: its largest photo size or an
    image document; None for anything else."""
    if message.photo:
        photo = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return photo.file_id, photo.file_size
    document = message.document
    if document is not None and (document.mime_type or "").lower() in _IMAGE_TYPES:
        return document.file_id, document.file_size
    return None


async def check_picture(bot: Bot, message: Message, scanner: ImageScanner) -> ImageVerdict | None:
    """Download the message's picture and scan it in the scanner's pool (the event loop
    goes on meanwhile). None when the message carries no picture."""
    picture = picture_of(message)
    if picture is None:
        return None
    file_id, size = picture
    if size is not None and size > scanner.max_bytes:
        return await scanner.scan(
            b"\0" * (scanner.max_bytes + 1)
        )  # skipped as too large, not downloaded
    try:
        buffer = await bot.download(file_id)
    except TelegramAPIError:
        log.warning("could not download a picture to check it", exc_info=True)
        return None
    if buffer is None:  # pragma: no cover - download() returns the buffer it was given
        return None
    result = await scanner.scan(buffer.read())
    record_fraud_findings(result.verdict.checks)
    return result


def picture_warning(t: Translator, result: ImageVerdict) -> str:
    verdict = result.verdict
    advice = verdict.advice.get(t.lang) or verdict.advice.get("zh", "")
    return f"{t(f'fraud.title.{verdict.risk.value}')} {t('fraud_advice.in_picture')}\n\n{escape(advice)}"


def short_picture_warning(t: Translator, result: ImageVerdict) -> str:
    lines = short_warning(t, result.verdict).split("\n")
    lines[0] = f"{lines[0]} {t('fraud_advice.in_picture')}"
    return "\n".join(lines)


class ScanPictures(BaseMiddleware):
    """Pictures a buyer sends in a private chat are checked in the background: the message
    is handled at once as usual (the wizard stores its evidence), and when the picture
    turns out to hold a scam (a QR code to a phishing site, a screenshot of a scam script)
    the buyer gets the same warning as for a scam text, saying it was found in the
    picture. Evidence added to a case that holds a scam is flagged on the case for
    support (a case event `evidence_scam`); in the wizard, before the case exists, the
    finding is kept in the draft under `scam_evidence`."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        scanner = data.get("image_scanner")
        if (
            isinstance(event, Message)
            and event.chat.type == "private"
            and scanner is not None
            and picture_of(event)
        ):
            task = asyncio.create_task(self._check(event, data, scanner))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await handler(event, data)

    async def _check(self, message: Message, data: dict[str, Any], scanner: ImageScanner) -> None:
        t: Translator = data["t"]
        try:
            result = await check_picture(data["bot"], message, scanner)
            if result is None:
                return
            log.info(
                "checked a picture from %s: %s %s",
                message.chat.id,
                result.skipped or result.verdict.risk.value,
                result.verdict.checks,
            )
            if result.skipped == "too_large":
                await message.reply(
                    t("fraud_advice.picture_skipped", limit_mb=scanner.max_bytes // (1024 * 1024))
                )
                return
            if not result.at_least(WARN_AT):
                return
            log.info("risky picture from %s: %s", message.chat.id, result.verdict.checks)
            await message.reply(
                picture_warning(t, result),
                reply_markup=keyboards.scam_warning(t, str(message.message_id)),
            )
            await self._flag_evidence(message, data, result)
        except Exception:  # noqa: BLE001 - a background check must never take the bot down
            log.exception("checking a picture failed")

    @staticmethod
    async def _flag_evidence(message: Message, data: dict[str, Any], result: ImageVerdict) -> None:
        state = data.get("state")
        if state is None:
            return
        current = await state.get_state()
        found = {
            "file_unique_id": _unique_id(message),
            "risk": result.verdict.risk.value,
            "checks": result.verdict.checks,
            "qr": result.extracted.qr,
        }
        fsm = await state.get_data()
        if (
            current == CaseFlow.add_evidence.state
            and "case_id" in fsm
            and data.get("refunds") is not None
        ):
            await data["refunds"].note(
                case_id=int(fsm["case_id"]), actor="antifraud", kind="evidence_scam", payload=found
            )
        elif "evidence" in fsm:
            await state.update_data(scam_evidence=[*fsm.get("scam_evidence", []), found])


def _unique_id(message: Message) -> str | None:
    if message.photo:
        return max(message.photo, key=lambda p: p.width * p.height).file_unique_id
    return message.document.file_unique_id if message.document else None
