"""Speed of the rules engine over the whole enumerated facts space.

    python bench/bench_rules.py [--policy FILE] [--min-seconds S]

Every order status x cause x platform type x payment channel, over a grid of hours since
payment (at and around each window), hours since completion (unknown, or at and around each
window, never after the payment), amounts and fee disclosure. Prints ONE JSON object:
`decisions_per_second` times `decide` alone on validated facts; `validations_per_second`
times turning raw dicts into Facts; `end_to_end_per_second` times what `refund-bot check`
does to a line (parse JSON, validate, decide, dump JSON) on a sample of the lines.
"""

from __future__ import annotations

import argparse
import json
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
        pays: list[float | None] = [None, *PAY_HOURS] if status is OrderStatus.UNPAID else list(PAY_HOURS)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default=str(DEFAULT_POLICY_PATH), help="policy file (default: the built-in one)")
    parser.add_argument("--min-seconds", type=float, default=1.0, help="repeat the decide loop at least this long")
    parser.add_argument("--sample", type=int, default=20_000, help="lines for the end-to-end measure")
    args = parser.parse_args()

    started = time.perf_counter()
    policy = load_policy(args.policy)
    load_seconds = time.perf_counter() - started

    rows = facts_space()
    started = time.perf_counter()
    facts = [Facts.model_validate(row) for row in rows]
    validate_seconds = time.perf_counter() - started

    # decide: whole passes over the space until min-seconds is reached
    decisions = 0
    rules_hit: set[str] = set()
    started = time.perf_counter()
    while True:
        for item in facts:
            decide(policy, item)
        decisions += len(facts)
        elapsed = time.perf_counter() - started
        if elapsed >= args.min_seconds:
            break
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
        "validations_per_second": rate(len(rows), validate_seconds),
        "end_to_end_lines": len(lines),
        "end_to_end_per_second": rate(len(lines), e2e_seconds),
        "policy_load_ms": round(load_seconds * 1000, 1),
        "python": platform.python_version(),
        "pydantic": pydantic.VERSION,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
