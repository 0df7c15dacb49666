"""Conversation throughput: many buyers file a refund case at once through the real
Dispatcher, handlers, FSM storage, database and rules module (the Bot API side is the
console session, so no network is measured). Prints one JSON object.

    python bench/bench_bot.py [--buyers 50] [--database-url URL] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import create_dispatcher, create_services  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.i18n import Translator  # noqa: E402
from bot.telegram.console import ConsoleChat  # noqa: E402

PNG = ROOT / "tests" / "data" / "evidence.png"


async def one_buyer(chat: ConsoleChat, latencies: list[float]) -> float:
    t = Translator("zh")

    def number(label: str) -> str:
        for index, (_message, text, _data) in enumerate(chat.session.buttons, start=1):
            if text == label:
                return str(index)
        raise RuntimeError(f"button {label!r} not shown")

    steps: list[Any] = [
        "/start",
        lambda: number(t("menu.refund")),
        "KM20261121000123",
        lambda: number(t("platform.aggregator")),
        lambda: number(t("status.paid_undelivered")),
        lambda: number(t("cause_group.merchant")),
        lambda: number(t("cause.delivery_timeout")),
        lambda: number(t("channel.alipay")),
        "100",
        lambda: number(t("quick_time.now")),
        f"/photo {PNG}",
        lambda: number(t("evidence.order_screenshot")),
        lambda: number(t("btn.evidence_done")),
        lambda: number(t("btn.confirm")),
    ]
    started = time.perf_counter()
    for step in steps:
        line = step() if callable(step) else step
        before = time.perf_counter()
        await chat.handle_line(line)
        latencies.append(time.perf_counter() - before)
    return time.perf_counter() - started


async def run(buyers: int, database_url: str | None, redis_url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            database_url=database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
            redis_url=redis_url,
            _env_file=None,
        )
        services = await create_services(settings)
        dp = create_dispatcher(services)
        chats = [
            ConsoleChat(dp, write=lambda _text: None, user_id=100_000 + i) for i in range(buyers)
        ]
        latencies: list[float] = []
        started = time.perf_counter()
        durations = await asyncio.gather(*(one_buyer(chat, latencies) for chat in chats))
        elapsed = time.perf_counter() - started
        cases = 0
        for i in range(buyers):
            cases += len(await services.refunds.list_cases(user_id=100_000 + i))
        for chat in chats:
            await chat.close()
        await dp.storage.close()
        await services.close()
    latencies.sort()
    return {
        "benchmark": "bot_conversation",
        "storage": "postgresql" if database_url and "postgresql" in database_url else "sqlite",
        "fsm": "redis" if redis_url else "database",
        "buyers": buyers,
        "cases_created": cases,
        "updates": len(latencies),
        "elapsed_s": round(elapsed, 3),
        "updates_per_second": round(len(latencies) / elapsed, 1),
        "cases_per_second": round(cases / elapsed, 2),
        "update_latency_ms_p50": round(latencies[len(latencies) // 2] * 1000, 2),
        "update_latency_ms_p99": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "wizard_seconds_median": round(statistics.median(durations), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=50)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args.buyers, args.database_url, args.redis_url))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
