"""Texts built from data and locale keys (HTML). No literals shown to users live here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from html import escape

from bot.domain.draft import Draft, Moment, Step
from bot.domain.rules import Decision
from bot.domain.rules.models import Arrival, Duration
from bot.domain.vocab import Cause, EvidenceKind, Outcome
from bot.i18n import Translator
from bot.storage.models import CaseEvent


def join(t: Translator, items: Iterable[str]) -> str:
    """A list in running text, with the language's own separator."""
    return t("format.separator").join(items)


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def local_time(moment: datetime | None, tz: tzinfo) -> str:
    if moment is None:
        return "-"
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def duration(t: Translator, spec: Duration) -> str:
    return t(f"unit.{spec.unit}", n=spec.amount)


def due(start: datetime, spec: Duration) -> datetime:
    """When a deadline of `spec` from `start` ends (working days skip Saturday and Sunday)."""
    if spec.unit == "hours":
        return start + timedelta(hours=spec.amount)
    if spec.unit == "days":
        return start + timedelta(days=spec.amount)
    moment, left = start, spec.amount
    while left:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            left -= 1
    return moment


def arrival(t: Translator, spec: Arrival | None) -> str:
    if spec is None:
        return t("arrival.unknown")
    low, high = spec.min_days, spec.max_days
    if high == 0:
        return t("arrival.instant")
    if low == 0 and high == 1:
        return t("arrival.next_day")
    key = "arrival.working_days" if spec.working_days else "arrival.days"
    return t(key, low=low, high=high)


def checklist(
    t: Translator, required: Iterable[EvidenceKind], provided: Iterable[EvidenceKind]
) -> str:
    have = set(provided)
    lines = [f"{'✅' if kind in have else '⬜'} {t(f'evidence.{kind.value}')}" for kind in required]
    return "\n".join(lines) if lines else t("evidence.none_required")


REFUNDS = frozenset({Outcome.FULL_REFUND, Outcome.PARTIAL_REFUND})
MONEY_MAY_MOVE = frozenset({Outcome.FULL_REFUND, Outcome.PARTIAL_REFUND, Outcome.NEEDS_REVIEW})


def decision(t: Translator, result: Decision, amount: Decimal, basis: Sequence[str] = ()) -> str:
    """The preliminary decision: outcome, money, who decides, deadlines, arrival, and the
    titles of the rules it rests on (never their internal ids)."""
    lines = [t("decision.title"), "", t(f"outcome.{result.outcome.value}")]
    if result.outcome in REFUNDS and result.refund_amount is not None:
        lines.append(t("decision.amount", refund=money(result.refund_amount), amount=money(amount)))
        if result.fee_percent > 0:
            lines.append(t("decision.fee", fee=f"{result.fee_percent.normalize():f}"))
    lines.append(t("decision.route", route=t(f"route.{result.route.value}")))
    lines.append(t("decision.liable", liable=t(f"liable.{result.liable.value}")))
    if result.deadlines:
        lines.append(t("decision.deadlines"))
        lines += [
            t("draft.deadline_item", name=t(f"deadline.{name}"), duration=duration(t, spec))
            for name, spec in result.deadlines.items()
        ]
    if result.outcome in MONEY_MAY_MOVE:
        lines.append(t("decision.arrival", arrival=arrival(t, result.expected_arrival)))
    explanation = result.explanation.zh if t.lang == "zh" else result.explanation.en
    if explanation:
        lines += ["", f"<i>{escape(explanation)}</i>"]
    if basis:
        lines += ["", t("case.preliminary_basis", basis=escape(join(t, basis)))]
    else:
        lines += ["", t("case.preliminary")]
    return "\n".join(lines)


def deadlines_from(t: Translator, result: Decision, start: datetime, tz: tzinfo) -> list[str]:
    """The deadlines of a submitted case as dates."""
    return [
        f"  • {t('case.deadline_by', name=t(f'deadline.{name}'), date=local_time(due(start, spec), tz))}"
        for name, spec in result.deadlines.items()
    ]


def cause_label(t: Translator, cause: Cause | None, text: str | None) -> str:
    label = t(f"cause.{cause.value}") if cause is not None else "-"
    if text:
        label += t("case.cause_text", text=escape(text[:100]))
    return label


def answers(t: Translator, draft: Draft, tz: tzinfo) -> list[str]:
    """One line per answer of the wizard (for the summary and the case card)."""
    lines = [
        t("field.order_number", value=escape(draft.order_number or "-")),
        t(
            "field.platform_type",
            value=t(f"platform.{draft.platform_type.value}") if draft.platform_type else "-",
        ),
        t(
            "field.order_status",
            value=t(f"status.{draft.order_status.value}") if draft.order_status else "-",
        ),
        t("field.cause", value=cause_label(t, draft.cause, draft.cause_text)),
        t(
            "field.payment_channel",
            value=t(f"channel.{draft.payment_channel.value}") if draft.payment_channel else "-",
        ),
        t("field.amount", value=money(draft.amount) if draft.amount is not None else "-"),
    ]
    if draft.applies(Step.PAYMENT_TIME):
        lines.append(t("field.payment_time", value=moment_label(t, draft.paid, tz)))
    if draft.needs_completion and draft.completion_answered:
        value = moment_label(t, draft.completed, tz, completion=True)
        lines.append(t("field.completion_time", value=value))
    return lines


def moment_label(
    t: Translator, moment: Moment | None, tz: tzinfo, *, completion: bool = False
) -> str:
    """A time as the buyer gave it: a typed time as a date, a quick choice by its label."""
    if moment is None:
        return t("quick_completion.unknown") if completion else "-"
    if moment.choice is not None:
        prefix = "quick_completion" if completion else "quick_time"
        return t(
            "case.quick_at", choice=t(f"{prefix}.{moment.choice}"), at=local_time(moment.at, tz)
        )
    return local_time(moment.at, tz)


def answer_of(t: Translator, draft: Draft, step: Step, tz: tzinfo) -> str | None:
    """The current answer of one step, to show when it is asked again; None if unanswered."""
    if not draft.answered(step) or step in (Step.EVIDENCE, Step.SUMMARY):
        return None
    if step is Step.ORDER_NUMBER:
        return escape(draft.order_number or "")
    if step is Step.PLATFORM_TYPE and draft.platform_type:
        return t(f"platform.{draft.platform_type.value}")
    if step is Step.ORDER_STATUS and draft.order_status:
        return t(f"status.{draft.order_status.value}")
    if step is Step.CAUSE:
        return cause_label(t, draft.cause, draft.cause_text)
    if step is Step.PAYMENT_CHANNEL and draft.payment_channel:
        return t(f"channel.{draft.payment_channel.value}")
    if step is Step.AMOUNT and draft.amount is not None:
        return "¥" + money(draft.amount)
    if step is Step.PAYMENT_TIME:
        return moment_label(t, draft.paid, tz)
    if step is Step.COMPLETION_TIME:
        return moment_label(t, draft.completed, tz, completion=True)
    return None


def timeline(t: Translator, events: Sequence[CaseEvent], tz: tzinfo) -> str:
    lines = []
    for event in events:
        payload = event.payload or {}
        if event.kind == "submitted":
            count = int(payload.get("evidence") or 0)
            label = t("case.event_submitted_with", count=count) if count else t("event.submitted")
        elif event.kind == "status":
            status = t(f"case_status.{payload.get('status')}")
            reason = payload.get("reason")
            label = (
                t("case.event_appealed", status=status, reason=escape(str(reason)))
                if reason
                else t("event.status", status=status)
            )
        elif event.kind == "evidence_added":
            label = t("event.evidence_added", count=payload.get("count", 1))
        elif event.kind == "appeal":
            label = t("event.appeal")
        else:
            label = t(f"event.{event.kind}") if t.has(f"event.{event.kind}") else escape(event.kind)
        lines.append(f"• {local_time(event.created_at, tz)} {label}")
    return "\n".join(lines)
