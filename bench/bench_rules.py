"""Speed of the rules engine over the whole enumerated facts space.

    python bench/bench_rules.py [--policy FILE] [--min-seconds S]

Every order status x cause x platform type x payment channel, over a grid of hours since
payment (at and around each window), hours since completion (unknown, or at and around each
window, never after the payment), amounts and fee disclosure. Prints ONE JSON object:
`decisions_per_second` times `decide` alone on validated facts; `validations_per_second`
times turning raw dicts into Facts; `end_to_end_per_second` times what `refund-bot check`
does to a line (parse JSON, validate, decide, dump JSON) on a sample of the lines.

Every figure comes with the load average (1 min, before and after) and the process CPU time of
its loop, and `baseline_per_second` is a bare loop over the same facts calling a function that
only reads the four fields `decide` indexes by, measured in the same run: the engine's cost is
the difference. `policy_load_ms` is reading, validating (schema, texts, consistency) and
compiling the policy file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from decimal import Decimal
from itertools import product
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pydantic  # noqa: E402

from bot.domain.rules import Facts, decide, parse_facts  # noqa: E402
from bot.domain.vocab import Cause, OrderStatus, PaymentChannel, PlatformType  # noqa: E402
from bot.policy_files import DEFAULT_POLICY_PATH, load_policy  # noqa: E402

PAY_HOURS = [0, 23.99, 24, 24.01, 72, 167.99, 168, 168.01, 720]
DONE_HOURS = [None, 0, 24, 167.99, 168, 168.01, 700]
AMOUNTS = ["0.01", "99.99", "12345.67"]


def facts_space() -> list[dict[str, Any]]:
    rows = []
    for status, cause, platform_type, channel, amount, disclosed in product(
        OrderStatus, Cause, PlatformType, PaymentChannel, AMOUNTS, (True, False)
    ):
        pays: list[float | None] = (
            [None, *PAY_HOURS] if status is OrderStatus.UNPAID else list(PAY_HOURS)
        )
        for pay in pays:
            for done in DONE_HOURS:
                if done is not None and (pay is None or done > pay):
                    continue
                rows.append(
                    {
                        "order_status": status.value,
                        "cause": cause.value,
                        "platform_type": platform_type.value,
                        "payment_channel": channel.value,
                        "amount": amount,
                        "hours_since_payment": pay,
                        "hours_since_completion": done,
                        "fee_disclosed": disclosed,
                    }
                )
    return rows


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else float("inf")


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def bare(item: Facts) -> tuple[Any, ...]:
    """The baseline's work: what any decision must at least read."""
    return (item.order_status, item.cause, item.platform_type, item.payment_channel)


def timed_passes(work: Any, items: list[Any], min_seconds: float) -> tuple[int, float, float]:
    """(calls, wall seconds, CPU seconds) of whole passes until min_seconds is reached."""
    calls = 0
    cpu = time.process_time()
    started = time.perf_counter()
    while True:
        for item in items:
            work(item)
        calls += len(items)
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return calls, elapsed, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--policy", default=str(DEFAULT_POLICY_PATH), help="policy file (default: the built-in one)"
    )
    parser.add_argument(
        "--min-seconds", type=float, default=1.0, help="repeat the decide loop at least this long"
    )
    parser.add_argument(
        "--sample", type=int, default=20_000, help="lines for the end-to-end measure"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    cpu = time.process_time()
    policy = load_policy(args.policy)
    load_seconds = time.perf_counter() - started
    load_cpu = time.process_time() - cpu

    rows = facts_space()
    started = time.perf_counter()
    facts = [Facts.model_validate(row) for row in rows]
    validate_seconds = time.perf_counter() - started

    load_before = load1()
    baseline_calls, baseline_seconds, baseline_cpu = timed_passes(bare, facts, args.min_seconds)
    decisions, elapsed, decide_cpu = timed_passes(
        lambda item: decide(policy, item), facts, args.min_seconds
    )
    rules_hit = {decide(policy, item).rule_id for item in facts}

    # end to end, as `refund-bot check` does per line
    step = max(1, len(rows) // max(1, args.sample))
    lines = [json.dumps(row) for row in rows[::step]]
    started = time.perf_counter()
    for line in lines:
        decision = decide(policy, parse_facts(json.loads(line, parse_float=Decimal)))
        json.dumps(decision.model_dump(mode="json"), ensure_ascii=False)
    e2e_seconds = time.perf_counter() - started

    result = {
        "benchmark": "rules",
        "policy_version": policy.version,
        "rules": len(policy.rules),
        "rules_reached": len(rules_hit),
        "facts": len(facts),
        "decisions": decisions,
        "seconds": round(elapsed, 3),
        "decisions_per_second": rate(decisions, elapsed),
        "microseconds_per_decision": round(elapsed / decisions * 1e6, 2),
        "decide_cpu_seconds": round(decide_cpu, 3),
        "decisions_per_cpu_second": rate(decisions, decide_cpu),
        "baseline_per_second": rate(baseline_calls, baseline_seconds),
        "baseline_cpu_seconds": round(baseline_cpu, 3),
        "baseline_per_cpu_second": rate(baseline_calls, baseline_cpu),
        "load_average_1min": {"before": load_before, "after": load1()},
        "validations_per_second": rate(len(rows), validate_seconds),
        "end_to_end_lines": len(lines),
        "end_to_end_per_second": rate(len(lines), e2e_seconds),
        "policy_load_ms": round(load_seconds * 1000, 1),
        "policy_load_cpu_ms": round(load_cpu * 1000, 1),
        "python": platform.python_version(),
        "pydantic": pydantic.VERSION,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
