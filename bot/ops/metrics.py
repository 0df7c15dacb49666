"""Prometheus metrics (`/metrics`, text format, through `prometheus-client`).

Counted as they happen (process-wide, in `BASE`):

- `refundbot_updates_total{type,outcome}` and `refundbot_handler_seconds{type}`: every update
  the dispatcher handled (an update retried by the inbox counts once per attempt), from the
  outermost update middleware (`UpdateMetrics`);
- `refundbot_bot_api_calls_total{method,outcome}`: every Bot API request (each retry too);
- `refundbot_fraud_findings_total{check}`: every finding of the scam checks
  (`record_fraud_findings`, called where messages and pictures are scanned);
- the process (CPU seconds, resident memory, open files), the garbage collector, Python.

Read at scrape time (per `Metrics`):

- from the database, in one grouped query at most every `ttl` seconds (`StoreGauges`):
  `refundbot_cases{status}`, `refundbot_inbox_backlog{status}`, `refundbot_outbox_backlog{state}`,
  `refundbot_timers_due`, and `refundbot_store_up` (0 when the query failed);
- from the LLM gateway's counters, when there is a gateway (`LLMCollector`): calls by use,
  answers that passed, fallbacks, refusals, errors by kind, tokens in and out, a latency
  histogram.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST

BASE = CollectorRegistry()
ProcessCollector(registry=BASE)
PlatformCollector(registry=BASE)
GCCollector(registry=BASE)

UPDATES = Counter(
    "refundbot_updates",
    "Updates handled by the dispatcher, by update type and outcome (ok, error)",
    ["type", "outcome"],
    registry=BASE,
)
HANDLER_SECONDS = Histogram(
    "refundbot_handler_seconds",
    "Time from an update entering the dispatcher to its handling ending, by update type",
    ["type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=BASE,
)
BOT_API_CALLS = Counter(
    "refundbot_bot_api_calls",
    "Bot API requests, by method and outcome (ok, refused, failed)",
    ["method", "outcome"],
    registry=BASE,
)
FRAUD_FINDINGS = Counter(
    "refundbot_fraud_findings",
    "Findings of the scam checks on messages and pictures, by check",
    ["check"],
    registry=BASE,
)


def record_fraud_findings(checks: Iterable[str]) -> None:
    """Count the findings of one verdict (`Verdict.checks`)."""
    for check in checks:
        FRAUD_FINDINGS.labels(check=check).inc()


def record_bot_api_call(method: str, outcome: str) -> None:
    BOT_API_CALLS.labels(method=method, outcome=outcome).inc()


def _update_type(event: Any) -> str:
    try:
        kind = event.event_type
    except Exception:  # noqa: BLE001 - aiogram raises for an update of no known type
        return "unknown"
    return str(kind) if kind else "unknown"


class UpdateMetrics:
    """Outermost update middleware: counts updates by type and outcome and times them.
    An update whose error the error handler took (the inbox's `inbox_outcome`) counts as
    an error."""

    async def __call__(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        kind = _update_type(event)
        started = time.perf_counter()
        failed = True
        try:
            result = await handler(event, data)
            failed = getattr(data.get("inbox_outcome"), "error", None) is not None
            return result
        finally:
            HANDLER_SECONDS.labels(type=kind).observe(time.perf_counter() - started)
            UPDATES.labels(type=kind, outcome="error" if failed else "ok").inc()


# ------------------------------------------------------------------------- from the database


@dataclass
class StoreFigures:
    cases: dict[str, int] = field(default_factory=dict)
    inbox: dict[str, int] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    timers_due: int = 0
    up: bool = False
    seconds: float = 0.0


def store_query(now: datetime) -> Any:
    """The one grouped query behind the database gauges: (kind, label, count) rows."""
    import sqlalchemy as sa

    from bot.storage.models import Case, InboxUpdate
    from bot.storage.support_models import CaseTimer, OutboxMessage

    case: Any = Case.__table__.c  # type: ignore[attr-defined]
    update: Any = InboxUpdate.__table__.c  # type: ignore[attr-defined]
    message: Any = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    timer: Any = CaseTimer.__table__.c  # type: ignore[attr-defined]
    count = sa.func.count()
    cases = sa.select(sa.literal("cases"), case.status, count).group_by(case.status)
    inbox = (
        sa.select(sa.literal("inbox"), update.status, count)
        .where(update.status != "done")
        .group_by(update.status)
    )
    outbox = (
        sa.select(sa.literal("outbox"), message.state, count)
        .where(message.state != "sent")
        .group_by(message.state)
    )
    timers = sa.select(sa.literal("timers_due"), sa.literal(""), count).where(
        timer.fired_at.is_(None), timer.due_at <= now
    )
    return sa.union_all(cases, inbox, outbox, timers)


class StoreGauges(Collector):
    """Database figures, read by one grouped query when a scrape finds them older than
    `ttl` seconds (concurrent scrapes share one query); `collect` only reads the cache."""

    def __init__(self, engine: Any, *, ttl: float = 5.0, timeout: float = 3.0) -> None:
        self.engine = engine
        self.ttl = ttl
        self.timeout = timeout
        self.figures = StoreFigures()
        self.read_at: float | None = None
        self.queries = 0
        self._lock = asyncio.Lock()

    async def refresh(self) -> StoreFigures:
        async with self._lock:
            now = time.monotonic()
            if self.read_at is not None and now - self.read_at < self.ttl:
                return self.figures
            started = time.perf_counter()
            try:
                rows = await asyncio.wait_for(self._read(), self.timeout)
            except Exception as exc:  # noqa: BLE001 - a scrape must answer: store_up 0
                log.warning(
                    "metrics: the database figures could not be read (%s)", type(exc).__name__
                )
                self.figures = StoreFigures(up=False)
            else:
                figures = StoreFigures(up=True)
                for kind, label, count in rows:
                    if kind == "cases":
                        figures.cases[str(label)] = int(count)
                    elif kind == "inbox":
                        figures.inbox[str(label)] = int(count)
                    elif kind == "outbox":
                        figures.outbox[str(label)] = int(count)
                    elif kind == "timers_due":
                        figures.timers_due = int(count)
                self.figures = figures
            self.figures.seconds = time.perf_counter() - started
            self.read_at = time.monotonic()
            return self.figures

    async def _read(self) -> list[tuple[str, str, int]]:
        self.queries += 1
        async with self.engine.connect() as connection:
            result = await connection.execute(store_query(datetime.now(UTC)))
            return [(str(row[0]), str(row[1]), int(row[2])) for row in result.all()]

    def collect(self) -> Iterator[Metric]:
        figures = self.figures
        yield GaugeMetricFamily(
            "refundbot_store_up",
            "1 when the last read of the database figures succeeded",
            value=1 if figures.up else 0,
        )
        if not figures.up:
            return
        cases = GaugeMetricFamily("refundbot_cases", "Refund cases by status", labels=["status"])
        for status, count in sorted(figures.cases.items()):
            cases.add_metric([status], count)
        yield cases
        inbox = GaugeMetricFamily(
            "refundbot_inbox_backlog",
            "Updates stored but not handled: pending (waiting or being handled), parked",
            labels=["status"],
        )
        for status in sorted({"pending", "parked", *figures.inbox}):
            inbox.add_metric([status], figures.inbox.get(status, 0))
        yield inbox
        outbox = GaugeMetricFamily(
            "refundbot_outbox_backlog",
            "Outbox messages not delivered: pending, sending (leased), failed (given up)",
            labels=["state"],
        )
        for state in sorted({"pending", "sending", "failed", *figures.outbox}):
            outbox.add_metric([state], figures.outbox.get(state, 0))
        yield outbox
        yield GaugeMetricFamily(
            "refundbot_timers_due",
            "Case timers whose due time has passed and that have not fired",
            value=figures.timers_due,
        )


# ---------------------------------------------------------------------------- from the LLM


class LLMCollector(Collector):
    """The LLM gateway's counters (`bot.llm.counters.LLMCounters.snapshot()`), when the
    application has a gateway; nothing when it has none."""

    def __init__(self, gateway: Callable[[], Any]) -> None:
        self.gateway = gateway

    def collect(self) -> Iterator[Metric]:
        gateway = self.gateway()
        counters = getattr(gateway, "counters", None)
        if counters is None:
            return
        snap: dict[str, Any] = counters.snapshot()
        calls = CounterMetricFamily(
            "refundbot_llm_calls", "Requests sent to the model, by use", labels=["use"]
        )
        for use, count in sorted(snap.get("by_use", {}).items()):
            calls.add_metric([use], count)
        yield calls
        yield CounterMetricFamily(
            "refundbot_llm_answers_ok",
            "Model answers that passed validation and the guardrails",
            value=snap.get("ok", 0),
        )
        yield CounterMetricFamily(
            "refundbot_llm_fallbacks",
            "Model uses that ended on the path without a model",
            value=snap.get("fallbacks", 0),
        )
        errors = CounterMetricFamily(
            "refundbot_llm_errors", "Failed model uses, by kind", labels=["kind"]
        )
        for kind, count in sorted(snap.get("errors", {}).items()):
            errors.add_metric([kind], count)
        yield errors
        refused = CounterMetricFamily(
            "refundbot_llm_refused",
            "Model uses not sent (budget, disabled), by reason",
            labels=["reason"],
        )
        for reason, count in sorted(snap.get("refused", {}).items()):
            refused.add_metric([reason], count)
        yield refused
        tokens = CounterMetricFamily(
            "refundbot_llm_tokens", "Tokens used, by direction", labels=["direction"]
        )
        tokens.add_metric(["in"], snap.get("tokens_in", 0))
        tokens.add_metric(["out"], snap.get("tokens_out", 0))
        yield tokens
        buckets_ms: dict[Any, int] = snap.get("latency_ms_buckets", {})
        total = int(snap.get("calls", 0))
        latency_sum = float(getattr(counters, "latency_ms_sum", 0.0)) / 1000.0
        buckets = [(_go_float(int(bound) / 1000), n) for bound, n in buckets_ms.items()]
        yield HistogramMetricFamily(
            "refundbot_llm_latency_seconds",
            "Model call latency (retries included)",
            buckets=[*buckets, ("+Inf", total)],
            sum_value=latency_sum,
        )


# ------------------------------------------------------------------------------- together


class Metrics:
    """What `/metrics` answers: the process-wide counters plus this application's database
    figures and LLM counters."""

    def __init__(
        self, engine: Any, *, gateway: Callable[[], Any] = lambda: None, ttl: float = 5.0
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.store = StoreGauges(engine, ttl=ttl)
        self.registry.register(self.store)
        self.registry.register(LLMCollector(gateway))

    async def render(self) -> bytes:
        await self.store.refresh()
        return generate_latest(BASE) + generate_latest(self.registry)


def _go_float(value: float) -> str:
    """prometheus-client's bucket-bound format ("0.25", "+Inf"); its helper is untyped."""
    text: str = floatToGoString(value)  # type: ignore[no-untyped-call]
    return text
