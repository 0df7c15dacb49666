"""Texts built from data and locale keys (HTML). No literals shown to users live here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from decimal import Decimal
from html import escape
from typing import Any

from bot.i18n import Translator


def join(t: Translator, items: Iterable[str]) -> str:
    """A list in running text, with the language's own separator."""
    return t("format.separator").join(items)


def money(value: Any) -> str:
    return f"{Decimal(str(value)):,.2f}"


def local_time(moment: datetime | None, tz: tzinfo) -> str:
    if moment is None:
        return "-"
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def duration(t: Translator, spec: Mapping[str, Any]) -> str:
    return t(f"unit.{spec['unit']}", n=spec["amount"])


def arrival(t: Translator, spec: Mapping[str, Any] | None) -> str:
    if not spec:
        return t("arrival.unknown")
    low, high = int(spec.get("min_days", 0)), int(spec.get("max_days", 0))
    if high == 0:
        return t("arrival.instant")
    if low == 0 and high == 1:
        return t("arrival.next_day")
    key = "arrival.working_days" if spec.get("working_days") else "arrival.days"
    return t(key, low=low, high=high)


def checklist(t: Translator, required: Iterable[str], provided: Iterable[str]) -> str:
    have = set(provided)
    lines = [f"{'✅' if kind in have else '⬜'} {t(f'evidence.{kind}')}" for kind in required]
    return "\n".join(lines) if lines else t("evidence.none_required")


def decision(t: Translator, data: Mapping[str, Any], amount: Any) -> str:
    """The preliminary decision: outcome, money, who decides, deadlines, arrival."""
    lines = [t("decision.title"), "", t(f"outcome.{data['outcome']}")]
    fee = Decimal(str(data.get("fee_percent", 0)))
    if data["outcome"] in ("full_refund", "partial_refund"):
        lines.append(t("decision.amount", refund=money(data["refund_amount"]), amount=money(amount)))
        if fee > 0:
            lines.append(t("decision.fee", fee=f"{fee.normalize():f}"))
    lines.append(t("decision.route", route=t(f"route.{data['route']}")))
    lines.append(t("decision.liable", liable=t(f"liable.{data['liable']}")))
    deadlines = data.get("deadlines") or {}
    if deadlines:
        lines.append(t("decision.deadlines"))
        lines += [f"  • {t(f'deadline.{name}')}: {duration(t, spec)}" for name, spec in deadlines.items()]
    if data["outcome"] in ("full_refund", "partial_refund", "needs_review"):
        lines.append(t("decision.arrival", arrival=arrival(t, data.get("expected_arrival"))))
    explanation = (data.get("explanation") or {}).get(t.lang)
    if explanation:
        lines += ["", f"<i>{escape(explanation)}</i>"]
    lines += ["", t("decision.preliminary", rule=escape(str(data.get("rule_id", ""))))]
    return "\n".join(lines)


def answers(t: Translator, draft: Mapping[str, Any], tz: tzinfo) -> list[str]:
    """One line per answer of the wizard (for the summary and the case card)."""
    paid_at = datetime.fromisoformat(draft["paid_at"]) if draft.get("paid_at") else None
    cause = t(f"cause.{draft['cause']}") if draft.get("cause") else "-"
    if draft.get("cause_text"):
        cause += f" ({escape(draft['cause_text'][:100])})"
    return [
        t("field.order_number", value=escape(draft.get("order_number") or "-")),
        t("field.platform_type", value=t(f"platform.{draft['platform_type']}") if draft.get("platform_type") else "-"),
        t("field.order_status", value=t(f"status.{draft['order_status']}") if draft.get("order_status") else "-"),
        t("field.cause", value=cause),
        t("field.payment_channel", value=t(f"channel.{draft['payment_channel']}") if draft.get("payment_channel") else "-"),
        t("field.amount", value=money(draft["amount"]) if draft.get("amount") else "-"),
        t("field.payment_time", value=local_time(paid_at, tz)),
        *completion_line(t, draft, tz),
    ]


def completion_line(t: Translator, draft: Mapping[str, Any], tz: tzinfo) -> list[str]:
    if draft.get("order_status") not in ("redeemed", "completed") or "completed_at" not in draft:
        return []
    completed_at = datetime.fromisoformat(draft["completed_at"]) if draft["completed_at"] else None
    return [t("field.completion_time", value=local_time(completed_at, tz) if completed_at else t("quick_completion.unknown"))]


def timeline(t: Translator, events: Sequence[Any], tz: tzinfo) -> str:
    lines = []
    for event in events:
        payload = event.payload or {}
        if event.kind == "status":
            label = t("event.status", status=t(f"case_status.{payload.get('status')}"))
        elif event.kind == "evidence_added":
            label = t("event.evidence_added", count=payload.get("count", 1))
        elif event.kind == "appeal":
            label = t("event.appeal")
        else:
            label = t(f"event.{event.kind}") if t.has(f"event.{event.kind}") else escape(event.kind)
        lines.append(f"• {local_time(event.created_at, tz)} {label}")
    return "\n".join(lines)
