"""The case card pinned at the top of a case's topic, its buttons, and the buyer's rating
buttons. Pure functions of the data: every text is a locale key."""

from __future__ import annotations

from enum import StrEnum
from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.config import Settings
from bot.domain.cases import CaseStatus, can_transition
from bot.domain.vocab import EvidenceKind
from bot.i18n import Translator
from bot.services.support import ACTION_STATUS, Action, CardData, SupportService, aware
from bot.telegram import keyboards, render
from bot.telegram.fraud import evidence_scam_lines


class DeskAction(StrEnum):
    TAKE = "take"
    APPROVE = "approve"
    REJECT = "reject"
    EVIDENCE = "evidence"
    REFUNDED = "refunded"
    CLOSE = "close"


class DeskCb(CallbackData, prefix="s2"):
    """A card button. The case id is checked against the topic the card sits in: it is
    never trusted on its own."""

    action: DeskAction
    case_id: int


class RatingCb(CallbackData, prefix="r1"):
    case_id: int
    score: int


def card_keyboard(t: Translator, data: CardData) -> InlineKeyboardMarkup | None:
    case_id = data.case.id or 0
    builder = keyboards.Builder()
    for action in DeskAction:
        target = ACTION_STATUS.get(Action(action.value))
        if target is not None and not can_transition(data.case.status, target):
            continue
        if action is DeskAction.TAKE and CaseStatus(data.case.status) not in (
            CaseStatus.SUBMITTED,
            CaseStatus.WITH_MERCHANT,
            CaseStatus.IN_REVIEW,
            CaseStatus.NEEDS_EVIDENCE,
            CaseStatus.APPEALED,
        ):
            continue
        builder.button(
            text=t(f"support.btn.{action.value}"),
            callback_data=DeskCb(action=action, case_id=case_id),
        )
    builder.adjust(2)
    markup = builder.as_markup()
    return markup if markup.inline_keyboard else None


def rating_keyboard(t: Translator, case_id: int) -> InlineKeyboardMarkup:
    builder = keyboards.Builder()
    for score in range(1, 6):
        builder.button(
            text=t("support_notify.rate_button", score=score),
            callback_data=RatingCb(case_id=case_id, score=score),
        )
    builder.adjust(5)
    return builder.as_markup()


def _label(t: Translator, prefix: str, value: str | None) -> str:
    if not value:
        return "-"
    key = f"{prefix}.{value}"
    return t(key) if t.has(key) else escape(value)


def card_text(
    t: Translator,
    data: CardData,
    support: SupportService,
    settings: Settings,
    model_summary: str | None = None,
) -> str:
    """Facts, decision (rule and policy references), evidence checklist, summary of the
    conversation (and the language model's, when there is one), deadlines, the buyer's
    language and profile."""
    case, decision, tz = data.case, data.decision, settings.tz
    status = CaseStatus(case.status)
    lines = [
        t("support.card_title", number=case.number, status=t(f"case_status.{status.value}")),
        "",
        t("support.card_facts"),
        t("field.order_number", value=escape(case.order_number)),
        t("field.platform_type", value=_label(t, "platform", case.platform_type)),
        t("field.order_status", value=_label(t, "status", case.order_status)),
        t(
            "field.cause",
            value=_label(t, "cause", case.cause)
            + (f" ({escape(case.cause_text[:100])})" if case.cause_text else ""),
        ),
        t("field.payment_channel", value=_label(t, "channel", case.payment_channel)),
        t("field.amount", value=render.money(case.amount)),
        t("field.payment_time", value=render.local_time(aware(case.paid_at), tz)),
    ]
    if case.completed_at is not None:
        lines.append(
            t("field.completion_time", value=render.local_time(aware(case.completed_at), tz))
        )
    refs = ", ".join(escape(str(r)) for r in decision.get("policy_refs") or []) or "-"
    lines += [
        "",
        t(
            "support.card_decision",
            outcome=_label(t, "outcome", str(decision.get("outcome") or case.outcome)),
            route=_label(t, "route", str(decision.get("route") or "")),
            rule=escape(str(decision.get("rule_id") or case.rule_id)),
            refs=refs,
            version=escape(str(decision.get("policy_version") or case.policy_version)),
        ),
        "",
        t("support.card_evidence", count=len(data.evidence)),
        render.checklist(
            t,
            [EvidenceKind(str(k)) for k in decision.get("required_evidence") or []],
            [
                EvidenceKind(e.kind)
                for e in data.evidence
                if e.kind in EvidenceKind.__members__.values()
            ],
        ),
    ]
    lines += evidence_scam_lines(t, data.events)  # scams found in the evidence's pictures
    summary = support.summary_lines(data)
    if summary:
        lines += ["", t("support.card_summary")]
        for event in summary:
            what = (
                t(f"support.event.{event.kind}")
                if t.has(f"support.event.{event.kind}")
                else escape(event.kind)
            )
            detail = event.detail
            if event.kind == "status" and detail:
                detail = t(f"case_status.{CaseStatus(detail).value}")
            lines.append(
                t(
                    "support.card_event",
                    at=render.local_time(event.at, tz),
                    what=what,
                    detail=escape(detail),
                )
            )
    if model_summary:
        lines += ["", t("llm.summary_label"), escape(model_summary)]
    if data.timers:
        lines += ["", t("support.card_deadlines")]
        for timer in data.timers:
            lines.append(
                t(
                    "support.card_deadline",
                    what=t(f"support.timer.{timer.kind}"),
                    at=render.local_time(aware(timer.due_at), tz),
                )
            )
    buyer = data.buyer
    username = f"@{escape(buyer.username)}" if buyer and buyer.username else "-"
    lines += [
        "",
        t(
            "support.card_buyer",
            name=escape(buyer.first_name or "-") if buyer else "-",
            username=username,
            lang=t(f"support.lang.{case.language}"),
        ),
    ]
    if data.history:
        outcomes = ", ".join(
            f"{h.number} {t(f'case_status.{CaseStatus(h.status).value}')}" for h in data.history
        )
        lines.append(t("support.card_history", count=len(data.history), cases=outcomes))
    else:
        lines.append(t("support.card_first_case"))
    if data.topic is not None and data.topic.assignee_id is not None:
        lines.append(
            t(
                "support.card_assignee",
                name=escape(data.topic.assignee_name or str(data.topic.assignee_id)),
            )
        )
    return "\n".join(lines)[:4000]
