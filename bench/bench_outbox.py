"""Speed of claiming the support outbox when a backlog has built up (Telegram down for a
while): how long one `claim_outbox` takes with `--rows` pending messages spread over
`--chats` chats, on SQLite and, with `--postgres URL`, on PostgreSQL.

    python bench/bench_outbox.py [--rows N] [--chats N] [--rounds N] [--postgres URL]

A claim keeps each chat's order: a message is claimable only while no older message to the
same chat (or topic) is still pending or being sent, a NOT EXISTS subquery per candidate.
`baseline_ms` is the bare query the claim starts from (due messages by id, with the same
limit and no order check), measured in the same run on the same rows, so the order
check's cost is the difference. Each round claims, then releases what it claimed (the
rows go back to pending), so every round sees the same backlog. Prints ONE JSON object;
every figure comes with the load average (1 min, before and after) and the process CPU
time of its loop.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from bot.policy_files import DEFAULT_POLICY_PATH, load_policy  # noqa: E402
from bot.services.support import SupportService  # noqa: E402
from bot.storage.db import create_engine, migrate, session_factory  # noqa: E402
from bot.storage.support_models import OutboxMessage  # noqa: E402

CHAT = -100500


async def seed(service: SupportService, rows: int, chats: int) -> None:
    async with service.sessions() as session:
        now = service.clock()
        for n in range(rows):
            service._outbox(
                session, key=f"bench:{n}", chat_id=1000 + n % chats, text=str(n), now=now
            )
        await session.commit()


async def release(service: SupportService) -> None:
    async with service.sessions() as session:
        await session.exec(
            sa.update(OutboxMessage)
            .where(col(OutboxMessage.state) == "sending")
            .values(state="pending", lease_until=None)
            .execution_options(synchronize_session=False)
        )
        await session.commit()


async def bare(service: SupportService) -> int:
    async with service.sessions() as session:
        now = service.clock()
        query = (
            select(OutboxMessage.id)
            .where(col(OutboxMessage.state) == "pending", col(OutboxMessage.next_attempt_at) <= now)
            .order_by(col(OutboxMessage.id))
            .limit(20)
        )
        return len((await session.exec(query)).all())


async def timed(loop: Any, rounds: int, after: Any = None) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    cpu, wall, got = time.process_time(), 0.0, 0
    for _ in range(rounds):
        start = time.perf_counter()
        got = await loop()
        wall += time.perf_counter() - start
        if after is not None:
            await after()
    return {
        "ms": round(wall / rounds * 1000, 3),
        "claimed": got,
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


async def measure(url: str, rows: int, chats: int, rounds: int) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        await migrate(engine)
        service = SupportService(
            sessions=session_factory(engine),
            policy=load_policy(DEFAULT_POLICY_PATH),
            chat_id=CHAT,
        )
        async with service.sessions() as session:
            await session.exec(sa.delete(OutboxMessage))
            await session.commit()
        await seed(service, rows, chats)

        async def claim() -> int:
            return len(await service.claim_outbox())

        baseline = await timed(lambda: bare(service), rounds)
        claimed = await timed(claim, rounds, lambda: release(service))
        return {"baseline": baseline, "claim": claimed}
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--postgres", help="a PostgreSQL URL (its tables are migrated)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            "sqlite": asyncio.run(
                measure(
                    f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}",
                    args.rows,
                    args.chats,
                    args.rounds,
                )
            )
        }
    if args.postgres:
        results["postgresql"] = asyncio.run(
            measure(args.postgres, args.rows, args.chats, args.rounds)
        )
    print(
        json.dumps(
            {
                "rows": args.rows,
                "chats": args.chats,
                "rounds": args.rounds,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                **results,
            }
        )
    )


if __name__ == "__main__":
    main()
