"""Speed of the support web console's queue on a busy day: N cases in SQLite (open and
closed, a topic and pending deadlines for each open one, some breaches), the queue page and
its CSV export rendered through the ASGI app (no network), and the queue query alone.

    python bench/bench_web.py [--cases N] [--runs R]

Prints ONE JSON object. Every figure comes with the load average (1 min, before and after)
and the process CPU time of its loop; `baseline_ms` is a bare request to the same app (the
static CSS file: routing, middleware, response) measured in the same run, so the queue's
own cost is the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.config import load_settings  # noqa: E402
from bot.policy_files import DEFAULT_POLICY_PATH, load_policy  # noqa: E402
from bot.services.support import Operators, SupportService  # noqa: E402
from bot.storage.db import create_engine, migrate, session_factory  # noqa: E402
from bot.storage.models import Case, CaseEvent, User  # noqa: E402
from bot.storage.support_models import CaseTimer, SupportTopic  # noqa: E402
from bot.web import queries  # noqa: E402
from bot.web.app import create_app  # noqa: E402
from bot.web.config import WebSettings  # noqa: E402
from bot.web.context import WebContext  # noqa: E402

CAUSES = ("out_of_stock", "invalid_product", "duplicate_charge", "wrong_account", "system_fault")
OPEN = ("submitted", "with_merchant", "in_review", "needs_evidence", "appealed")
CLOSED = ("approved", "rejected", "refunded", "closed")


def load1() -> float:
    return round(os.getloadavg()[0], 2)


async def seed(sessions: Any, count: int, now: datetime) -> int:
    open_count = 0
    async with sessions() as session:
        for user in range(200):
            session.add(User(id=5000 + user, first_name=f"buyer{user}", username=f"b{user}"))
        await session.flush()
        for i in range(count):
            is_open = i % 3 != 0
            status = OPEN[i % len(OPEN)] if is_open else CLOSED[i % len(CLOSED)]
            created = now - timedelta(hours=i % 400)
            case = Case(
                number=f"RF-{created:%Y%m%d}-{i:04X}"[:32],
                draft_key=f"d{i}",
                user_id=5000 + i % 200,
                order_number=f"KM{i:014d}",
                platform_type="aggregator",
                order_status="paid_undelivered",
                cause=CAUSES[i % len(CAUSES)],
                payment_channel="alipay",
                amount=Decimal("50.00") + i % 100,
                status=status,
                outcome="full_refund",
                rule_id="undelivered-merchant",
                policy_version="bench",
                decision={
                    "route": ("platform_review", "human_agent")[i % 2],
                    "refund_amount": "50",
                },
                created_at=created,
                updated_at=created,
            )
            session.add(case)
            await session.flush()
            assert case.id is not None
            if is_open:
                open_count += 1
                session.add(
                    SupportTopic(
                        case_id=case.id,
                        chat_id=-1,
                        thread_id=i + 1,
                        user_id=case.user_id,
                        state="open",
                        assignee_id=7001 if i % 4 == 0 else None,
                        opened_at=created,
                    )
                )
                session.add(
                    CaseTimer(
                        case_id=case.id,
                        kind="first_response_deadline",
                        due_at=now + timedelta(hours=(i % 50) - 10),
                    )
                )
                if i % 17 == 0:
                    session.add(
                        CaseEvent(case_id=case.id, actor="timer", kind="breach", payload={})
                    )
        await session.commit()
    return open_count


async def timed(runs: int, call: Callable[[], Awaitable[Any]]) -> dict[str, float]:
    await call()  # warm-up
    before = load1()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(runs):
        await call()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "ms": round(1000 * wall / runs, 2),
        "cpu_ms": round(1000 * cpu / runs, 2),
        "load1_before": before,
        "load1_after": load1(),
    }


async def main(count: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            database_url=f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
            support_chat_id=-1,
            operator_ids="7001",
            _env_file=None,
        )
        engine = create_engine(settings.database_url)
        await migrate(engine)
        sessions = session_factory(engine)
        now = datetime.now(UTC)
        open_count = await seed(sessions, count, now)
        policy = load_policy(DEFAULT_POLICY_PATH)
        support = SupportService(sessions=sessions, policy=policy, chat_id=-1)

        async def lookup(_user: int) -> str:
            return "administrator"

        operators = Operators(lookup=lookup, operator_ids=[7001])
        ctx = WebContext(
            settings=settings,
            web=WebSettings(port=8081, _env_file=None),  # type: ignore[call-arg]
            support=support,
            sessions=sessions,
            policy=policy,
            bot=None,  # type: ignore[arg-type]
            operators_of=lambda: operators,
            workspace_of=lambda: None,
        )
        token = await ctx.logins.create_link(user_id=7001, first_name="bench", lang="zh")
        transport = httpx.ASGITransport(app=create_app(ctx))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            assert (await client.post(f"/login/{token}")).status_code == 303

            async def get(path: str) -> None:
                answer = await client.get(path)
                assert answer.status_code == 200, answer.status_code

            flt = queries.QueueFilter()
            results = {
                "baseline_ms": await timed(runs, lambda: get("/static/app.css")),
                "queue_query_ms": await timed(
                    runs, lambda: queries.queue(sessions, flt, me=7001, now=now)
                ),
                "queue_page_ms": await timed(runs, lambda: get("/")),
                "queue_rows_refresh_ms": await timed(runs, lambda: get("/queue/rows")),
                "queue_search_ms": await timed(
                    runs, lambda: get("/?status=all&q=KM00000000000042")
                ),
                "csv_export_all_ms": await timed(runs, lambda: get("/export.csv?status=all")),
            }
        await engine.dispose()
    return {
        "cases": count,
        "open_cases": open_count,
        "rows_shown": min(open_count, flt.limit),
        "runs": runs,
        "database": "sqlite (file, temporary)",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        **results,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.cases, args.runs)), indent=2))
