"""Counters of model use, for logs and the metrics layer: plain numbers, no dependencies."""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

# latency buckets (milliseconds) in the Prometheus style: count of calls at or under each
LATENCY_BUCKETS_MS = (100, 250, 500, 1000, 2000, 4000, 8000, 16000, 30000)
MAX_CASES = 10_000  # token totals kept for this many case keys (the oldest are dropped)


@dataclass
class LLMCounters:
    """What the gateway did: calls, outcomes, tokens, errors by kind and latency."""

    calls: int = 0  # requests sent to the model (one per use, retries included)
    ok: int = 0  # calls whose answer passed validation and the guardrails
    fallbacks: int = 0  # calls that ended in the path without a model
    refused: Counter[str] = field(default_factory=Counter)  # not sent: budget, disabled
    errors: Counter[str] = field(default_factory=Counter)  # kind -> count
    guardrails: Counter[str] = field(default_factory=Counter)  # what a guardrail removed/dropped
    by_use: Counter[str] = field(default_factory=Counter)
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms_sum: float = 0.0
    latency_ms_max: float = 0.0
    latency_buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS_MS))
    tokens_by_case: OrderedDict[str, list[int]] = field(default_factory=OrderedDict)
    tokens_by_use: dict[str, list[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_call(self, use: str, latency_ms: float) -> None:
        with self._lock:
            self.calls += 1
            self.by_use[use] += 1
            self.latency_ms_sum += latency_ms
            self.latency_ms_max = max(self.latency_ms_max, latency_ms)
            for index, bound in enumerate(LATENCY_BUCKETS_MS):
                if latency_ms <= bound:
                    self.latency_buckets[index] += 1

    def record_tokens(
        self, tokens_in: int, tokens_out: int, case_key: str | None, use: str = ""
    ) -> None:
        with self._lock:
            self.tokens_in += tokens_in
            self.tokens_out += tokens_out
            if use:
                per_use = self.tokens_by_use.setdefault(use, [0, 0])
                per_use[0] += tokens_in
                per_use[1] += tokens_out
            if case_key:
                totals = self.tokens_by_case.setdefault(case_key, [0, 0])
                totals[0] += tokens_in
                totals[1] += tokens_out
                self.tokens_by_case.move_to_end(case_key)
                while len(self.tokens_by_case) > MAX_CASES:
                    self.tokens_by_case.popitem(last=False)

    def record_error(self, kind: str) -> None:
        with self._lock:
            self.errors[kind] += 1
            self.fallbacks += 1

    def record_ok(self) -> None:
        with self._lock:
            self.ok += 1

    def record_refused(self, reason: str) -> None:
        with self._lock:
            self.refused[reason] += 1

    def record_guardrail(self, kind: str, *, dropped: bool) -> None:
        with self._lock:
            self.guardrails[kind] += 1
            if dropped:
                self.fallbacks += 1

    def case_tokens(self, case_key: str) -> tuple[int, int]:
        totals = self.tokens_by_case.get(case_key, [0, 0])
        return totals[0], totals[1]

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy for logs and metrics."""
        with self._lock:
            return {
                "calls": self.calls,
                "ok": self.ok,
                "fallbacks": self.fallbacks,
                "refused": dict(self.refused),
                "errors": dict(self.errors),
                "guardrails": dict(self.guardrails),
                "by_use": dict(self.by_use),
                "tokens_in": self.tokens_in,
                "tokens_out": self.tokens_out,
                "latency_ms_avg": round(self.latency_ms_sum / self.calls, 1) if self.calls else 0.0,
                "latency_ms_max": round(self.latency_ms_max, 1),
                "latency_ms_buckets": dict(
                    zip(LATENCY_BUCKETS_MS, self.latency_buckets, strict=True)
                ),
                "tokens_by_use": {use: list(pair) for use, pair in self.tokens_by_use.items()},
                "cases_with_tokens": len(self.tokens_by_case),
            }
