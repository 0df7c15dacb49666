"""From a Telegram message to the detector's input, and from a verdict to a warning."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram.types import InlineKeyboardMarkup, Message

from bot.domain.fraud import LinkRef, MessageInput, Risk, Verdict
from bot.i18n import Translator

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
    reasons = [f.explain.get(t.lang) or f.detail for f in verdict.findings if f.severity.rank >= Risk.MEDIUM.rank][:2]
    lines = [t(f"fraud.title.{verdict.risk.value}"), *[f"• {escape(r)}" for r in reasons], "", t("fraud.group_advice")]
    return "\n".join(lines)


def scan(detector: Any, message: Message) -> Verdict | None:
    data = message_input(message)
    if detector is None or not has_content(data):
        return None
    verdict: Verdict = detector.scan(data)
    return verdict
