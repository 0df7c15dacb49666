"""From a Telegram message to the detector's input, and from a verdict to a warning."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from html import escape
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardMarkup, Message, TelegramObject

from bot.domain.fraud import LinkRef, MessageInput, Risk, Verdict
from bot.domain.fraud.detector import technique_ids, unsure
from bot.i18n import Translator
from bot.imagescan import ImageScanner, ImageVerdict
from bot.llm import Gateway, Turn, current_turn
from bot.llm.budget import carried
from bot.llm.uses import classify_scam
from bot.ops.metrics import record_fraud_findings
from bot.services.scam import EVIDENCE_SCAM, flag_evidence
from bot.storage.models import CaseEvent
from bot.telegram import keyboards
from bot.telegram.states import Wizard

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


async def scan_checked(detector: Any, message: Message, gateway: Gateway | None) -> Verdict | None:
    """`scan`, then `second_opinion` on the message's text and caption."""
    verdict = scan(detector, message)
    if verdict is None or gateway is None or not unsure(verdict):
        return verdict
    data = message_input(message)
    text = "\n".join(part for part in (data.text, data.caption) if part)
    return await second_opinion(detector, verdict, text, gateway)


async def second_opinion(
    detector: Any, verdict: Verdict, text: str, gateway: Gateway | None
) -> Verdict:
    """A second opinion from the language model when the verdict is in the unsure band
    (`bot.domain.fraud.detector.unsure`) and a model is configured. The call counts against
    the message's one model call (the turn budget) and runs under the gateway's guardrails
    (masked PII, validated JSON, timeout); on any fault, or when the model says no, the
    verdict stays what the other layers said. It can raise an unsure verdict to medium,
    never higher, never lower."""
    if gateway is None or not unsure(verdict) or not text.strip():
        return verdict
    opinion = await classify_scam(gateway, text, technique_ids())
    if opinion is None:
        return verdict
    probability = opinion.confidence if opinion.scam else 1.0 - opinion.confidence
    checked: Verdict = detector.with_second_opinion(
        verdict, probability, opinion.technique if opinion.scam else ""
    )
    if checked is not verdict:
        record_fraud_findings(["model.second_opinion"])
    return checked


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


async def check_picture(
    bot: Bot, message: Message, scanner: ImageScanner, gateway: Gateway | None = None
) -> ImageVerdict | None:
    """Download the message's picture and scan it, with its caption, in the scanner's pool
    (the event loop goes on meanwhile), then, when the verdict is unsure and a model is
    configured, ask its `second_opinion` on what the picture said (its caption, the text
    read from it, its QR codes). None when the message carries no picture."""
    picture = picture_of(message)
    if picture is None:
        return None
    file_id, size = picture
    caption = message_input(message)
    if size is not None and size > scanner.max_bytes:
        # skipped as too large, not downloaded: the caption is still read
        return await scanner.scan(b"\0" * (scanner.max_bytes + 1), caption)
    try:
        buffer = await bot.download(file_id)
    except TelegramAPIError:
        log.warning("could not download a picture to check it", exc_info=True)
        return None
    if buffer is None:  # pragma: no cover - download() returns the buffer it was given
        return None
    result = await scanner.scan(buffer.read(), caption)
    record_fraud_findings(result.verdict.checks)
    if gateway is not None and unsure(result.verdict):
        said = [caption.text, caption.caption, result.extracted.text, *result.extracted.qr]
        text = "\n".join(part for part in said if part)
        checked = await second_opinion(scanner.detector, result.verdict, text, gateway)
        if checked is not result.verdict:
            result = result.model_copy(update={"verdict": checked})
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
    """Pictures a buyer sends in a private chat are checked, with their captions, in the
    background: the message is handled at once as usual (the wizard stores its evidence),
    and when the picture turns out to hold a scam (a QR code to a phishing site, a
    screenshot of a scam script) the buyer gets the same warning as for a scam text,
    saying it was found in the picture.

    A picture that is evidence of a case is flagged on that case for support (a case event
    `evidence_scam`, shown on the case card), and the warning says so. In the refund
    wizard, before the case exists, the finding waits in the conversation's data
    (`scam_evidence`) and is recorded when the case is submitted; a check that ends after
    the submission finds the case by the file."""

    # how long the flagging waits for the message's own handler (which stores the evidence)
    HANDLER_WAIT_SECONDS = 30.0

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        scanner = data.get("image_scanner")
        if not (
            isinstance(event, Message)
            and event.chat.type == "private"
            and scanner is not None
            and picture_of(event)
        ):
            return await handler(event, data)
        state: FSMContext | None = data.get("state")
        in_wizard = state is not None and await state.get_state() == Wizard.evidence.state
        handled = asyncio.Event()
        # a context of its own: the check outlives the update, whose state writes are
        # committed when it is done (bot.telegram.fsm); the check's writes go straight on.
        # It still spends the update's one model call (a second opinion on the picture).
        task = asyncio.create_task(
            self._check(event, data, scanner, handled, in_wizard, current_turn()),
            context=contextvars.Context(),
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            return await handler(event, data)
        finally:
            handled.set()

    async def _check(
        self,
        message: Message,
        data: dict[str, Any],
        scanner: ImageScanner,
        handled: asyncio.Event,
        in_wizard: bool,
        budget: Turn | None,
    ) -> None:
        t: Translator = data["t"]
        try:
            with carried(budget):
                result = await check_picture(data["bot"], message, scanner, data.get("gateway"))
            if result is None:
                return
            log.info(
                "checked a picture from %s: %s %s",
                message.chat.id,
                result.skipped or result.verdict.risk.value,
                result.verdict.checks,
            )
            if result.skipped == "too_large" and not result.at_least(WARN_AT):
                await message.reply(
                    t("fraud_advice.picture_skipped", limit_mb=scanner.max_bytes // (1024 * 1024))
                )
                return
            if not result.at_least(WARN_AT):
                return
            log.info("risky picture from %s: %s", message.chat.id, result.verdict.checks)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(handled.wait(), self.HANDLER_WAIT_SECONDS)
            text = picture_warning(t, result)
            if await self._flag_evidence(message, data, result, in_wizard):
                text += "\n\n" + t("fraud_evidence.buyer_flagged")
            await message.reply(
                text, reply_markup=keyboards.scam_warning(t, str(message.message_id))
            )
        except Exception:  # noqa: BLE001 - a background check must never take the bot down
            log.exception("checking a picture failed")

    @staticmethod
    async def _flag_evidence(
        message: Message, data: dict[str, Any], result: ImageVerdict, in_wizard: bool
    ) -> bool:
        """Record the finding on the case that holds the picture as evidence, or, for a
        picture sent at the wizard's evidence step, keep it for the case the wizard will
        create; whether the picture was evidence."""
        file_unique_id = _unique_id(message)
        refunds = data.get("refunds")
        if file_unique_id is None or message.from_user is None or refunds is None:
            return False
        found = evidence_finding(file_unique_id, result)
        case_id = await flag_evidence(
            refunds.sessions,
            user_id=message.from_user.id,
            file_unique_id=file_unique_id,
            finding=found,
        )
        if case_id is not None:
            log.info("scam in the evidence of case %s: %s", case_id, found["checks"])
            return True
        state: FSMContext | None = data.get("state")
        if not in_wizard or state is None:
            return False
        side = _findings_context(state)
        kept = (await side.get_data()).get("scam_evidence", [])
        await side.update_data(scam_evidence=[*kept, found])
        return True


# findings about the pictures of an unfinished wizard live beside its state (another FSM
# "destiny" of the same chat): the wizard's own writes never overwrite them
_FINDINGS_DESTINY = "antifraud"


def _findings_context(state: FSMContext) -> FSMContext:
    return FSMContext(
        storage=state.storage, key=dataclasses.replace(state.key, destiny=_FINDINGS_DESTINY)
    )


async def pending_evidence_findings(state: FSMContext) -> list[dict[str, Any]]:
    """The scams found in the pictures of the wizard's draft, handed over once (for the
    case being submitted) and forgotten."""
    side = _findings_context(state)
    found: list[dict[str, Any]] = (await side.get_data()).get("scam_evidence", [])
    if found:
        await side.set_data({})
    return found


def evidence_finding(file_unique_id: str, result: ImageVerdict) -> dict[str, Any]:
    """What is stored on a case about a scam found in one of its pictures."""
    verdict = result.verdict
    top = verdict.findings[0] if verdict.findings else None
    return {
        "file_unique_id": file_unique_id,
        "risk": verdict.risk.value,
        "checks": ",".join(verdict.checks),
        "reason": top.detail[:200] if top else "",
        "explain": dict(top.explain) if top else {},
        "qr": result.extracted.qr[:5],
    }


def evidence_scam_lines(t: Translator, events: Sequence[CaseEvent]) -> list[str]:
    """For the case card: which pieces of evidence hold a scam, and the first reason."""
    found = [e for e in events if e.kind == EVIDENCE_SCAM]
    if not found:
        return []
    files = {str((e.payload or {}).get("file_unique_id")) for e in found}
    payload = found[0].payload or {}
    explain = payload.get("explain") or {}
    reason = explain.get(t.lang) or payload.get("reason") or ""
    return ["", t("fraud_evidence.card", count=len(files), reason=escape(str(reason)))]


def _unique_id(message: Message) -> str | None:
    if message.photo:
        return max(message.photo, key=lambda p: p.width * p.height).file_unique_id
    return message.document.file_unique_id if message.document else None
