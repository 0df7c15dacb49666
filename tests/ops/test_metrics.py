"""`/metrics`: the database figures from one grouped query (cached), the LLM counters, the
update and Bot API counters, in the Prometheus text format."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.llm.counters import LLMCounters
from bot.ops.metrics import Metrics, UpdateMetrics, record_fraud_findings
from bot.storage.db import create_engine, session_factory
from bot.storage.models import Case, InboxUpdate, User
from bot.storage.support_models import CaseTimer, OutboxMessage


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape: (name, sorted labels) -> value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, tuple(sorted(labels.items()))))


async def fill(engine: AsyncEngine) -> None:
    """3 cases (2 submitted, 1 refunded), inbox 2 pending + 1 parked + 4 done, outbox 2
    pending + 1 failed + 3 sent, timers: 2 due, 1 due but fired, 1 not yet due."""
    now = datetime.now(UTC)
    sessions = session_factory(engine)
    async with sessions() as session:
        session.add(User(id=501))
        await session.flush()
        for index, status in enumerate(["submitted", "submitted", "refunded"]):
            session.add(
                Case(
                    number=f"RF-{index}",
                    draft_key=f"draft-{index}",
                    user_id=501,
                    order_number=f"KM2026000{index}",
                    platform_type="aggregator",
                    order_status="paid_undelivered",
                    cause="delivery_timeout",
                    payment_channel="alipay",
                    amount=Decimal("10"),
                    status=status,
                    outcome="full_refund",
                    rule_id="r",
                    policy_version="1",
                )
            )
        await session.flush()
        for update_id, status in enumerate(["pending", "pending", "parked", *["done"] * 4]):
            session.add(InboxUpdate(bot_id=1, update_id=update_id, status=status, payload={}))
        for index, state in enumerate(["pending", "pending", "failed", "sent", "sent", "sent"]):
            session.add(OutboxMessage(key=f"k{index}", chat_id=501, state=state, payload={}))
        for kind, due, fired in [
            ("a", now - timedelta(minutes=5), None),
            ("b", now - timedelta(seconds=1), None),
            ("c", now - timedelta(hours=1), now),
            ("d", now + timedelta(hours=1), None),
        ]:
            session.add(CaseTimer(case_id=1, kind=kind, due_at=due, fired_at=fired))
        await session.commit()


def count_statements(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    @sa.event.listens_for(engine.sync_engine, "before_cursor_execute")
    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    return seen


async def test_database_figures_come_from_one_grouped_query(engine: AsyncEngine) -> None:
    await fill(engine)
    metrics = Metrics(engine, ttl=60.0)
    statements = count_statements(engine)
    text = (await metrics.render()).decode()
    assert len(statements) == 1, statements
    assert value(text, "refundbot_store_up") == 1
    assert value(text, "refundbot_cases", status="submitted") == 2
    assert value(text, "refundbot_cases", status="refunded") == 1
    assert value(text, "refundbot_inbox_backlog", status="pending") == 2
    assert value(text, "refundbot_inbox_backlog", status="parked") == 1
    assert value(text, "refundbot_inbox_backlog", status="done") is None
    assert value(text, "refundbot_outbox_backlog", state="pending") == 2
    assert value(text, "refundbot_outbox_backlog", state="failed") == 1
    assert value(text, "refundbot_outbox_backlog", state="sending") == 0
    assert value(text, "refundbot_timers_due") == 2


async def test_database_figures_are_cached_for_ttl_seconds(engine: AsyncEngine) -> None:
    metrics = Metrics(engine, ttl=60.0)
    statements = count_statements(engine)
    first = (await metrics.render()).decode()
    await fill(engine)
    statements.clear()
    second = (await metrics.render()).decode()
    assert statements == []  # served from the cache: no query
    assert value(first, "refundbot_cases", status="submitted") is None
    assert value(second, "refundbot_cases", status="submitted") is None
    metrics.store.ttl = 0.0
    third = (await metrics.render()).decode()
    assert len(statements) == 1
    assert value(third, "refundbot_cases", status="submitted") == 2


async def test_a_database_that_cannot_be_read_gives_store_up_0(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'x.sqlite3'}")
    try:
        text = (await Metrics(engine).render()).decode()
    finally:
        await engine.dispose()
    assert value(text, "refundbot_store_up") == 0
    assert value(text, "refundbot_timers_due") is None


async def test_llm_counters_are_exported_when_there_is_a_gateway(engine: AsyncEngine) -> None:
    counters = LLMCounters()
    counters.record_call("intent", 120.0)
    counters.record_call("field", 3000.0)
    counters.record_tokens(300, 40, "RF-1", use="intent")
    counters.record_error("timeout")
    counters.record_ok()
    counters.record_refused("budget")
    gateway: Any = None
    metrics = Metrics(engine, gateway=lambda: gateway)
    text = (await metrics.render()).decode()
    assert value(text, "refundbot_llm_calls_total", use="intent") is None  # no gateway yet
    gateway = SimpleNamespace(counters=counters)
    text = (await metrics.render()).decode()
    assert value(text, "refundbot_llm_calls_total", use="intent") == 1
    assert value(text, "refundbot_llm_calls_total", use="field") == 1
    assert value(text, "refundbot_llm_tokens_total", direction="in") == 300
    assert value(text, "refundbot_llm_tokens_total", direction="out") == 40
    assert value(text, "refundbot_llm_errors_total", kind="timeout") == 1
    assert value(text, "refundbot_llm_answers_ok_total") == 1
    assert value(text, "refundbot_llm_refused_total", reason="budget") == 1
    assert value(text, "refundbot_llm_latency_seconds_bucket", le="0.25") == 1
    assert value(text, "refundbot_llm_latency_seconds_bucket", le="4.0") == 2
    assert value(text, "refundbot_llm_latency_seconds_count") == 2
    assert value(text, "refundbot_llm_latency_seconds_sum") == pytest.approx(3.12)


async def test_updates_are_counted_by_type_and_outcome_and_timed(engine: AsyncEngine) -> None:
    observer = UpdateMetrics()
    metrics = Metrics(engine)
    before = (await metrics.render()).decode()

    def count(text: str, **labels: str) -> float:
        return value(text, "refundbot_updates_total", **labels) or 0.0

    async def handled(event: Any, data: dict[str, Any]) -> str:
        return "done"

    async def crashed(event: Any, data: dict[str, Any]) -> str:
        raise RuntimeError("bug")

    message = SimpleNamespace(event_type="message")
    press = SimpleNamespace(event_type="callback_query")
    assert await observer(handled, message, {}) == "done"
    # the error handler took it: the inbox's outcome says so
    await observer(handled, press, {"inbox_outcome": SimpleNamespace(error=ValueError())})
    with pytest.raises(RuntimeError):
        await observer(crashed, message, {})
    after = (await metrics.render()).decode()
    assert (
        count(after, type="message", outcome="ok") - count(before, type="message", outcome="ok")
        == 1
    )
    assert (
        count(after, type="message", outcome="error")
        - count(before, type="message", outcome="error")
        == 1
    )
    assert (
        count(after, type="callback_query", outcome="error")
        - count(before, type="callback_query", outcome="error")
        == 1
    )
    timed: Callable[[str], float] = lambda text: (  # noqa: E731
        value(text, "refundbot_handler_seconds_count", type="message") or 0.0
    )
    assert timed(after) - timed(before) == 2


async def test_fraud_findings_are_counted_by_check(engine: AsyncEngine) -> None:
    metrics = Metrics(engine)
    before = (
        value(
            (await metrics.render()).decode(),
            "refundbot_fraud_findings_total",
            check="url.lookalike",
        )
        or 0
    )
    record_fraud_findings(["url.lookalike", "text.scam_script", "url.lookalike"])
    after = (await metrics.render()).decode()
    assert value(after, "refundbot_fraud_findings_total", check="url.lookalike") == before + 2
