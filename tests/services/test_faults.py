"""Fault tests against the real servers: PostgreSQL refusing connections and coming back
(on a database this test creates), Redis stopped and started (a redis-server this test
starts on its own port). The real bot runs against the fake Bot API; the buyer is told
"temporarily unavailable" at once, nothing typed is lost, and the bot recovers by itself."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import URL, make_url

from tests.conversation import conftest as conversation
from tests.conversation.conftest import Buyer, Harness, free_port
from tests.services.conftest import asyncpg_dsn, under_ci

harness = conversation.harness  # the conversation tests' fixture, used here too

pytestmark = pytest.mark.postgres


async def wait_text(buyer: Buyer, needle: str, since: int = 0, within: float = 90.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        messages = buyer.user.messages()
        if any(needle in (m.text or "") for i, m in enumerate(messages) if i >= since or m.edited):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(
        f"{needle!r} never came; last: {[m.text for m in buyer.user.messages()[-3:]]}"
    )


async def set_connections(admin: URL, name: str, allowed: bool) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(admin), timeout=5)
    try:
        await connection.execute(
            f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'
        )
        if not allowed:
            await connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
    finally:
        await connection.close()


async def count(url: str, sql: str) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(make_url(url)), timeout=5)
    try:
        return int(await connection.fetchval(sql))
    finally:
        await connection.close()


async def test_postgres_refusing_connections_and_coming_back(
    harness: Harness,
    postgres_admin: URL,
    pg_url: str,
) -> None:
    name = make_url(pg_url).database
    assert name
    await harness.start_bot(database_url=pg_url, telegram_retry_seconds=2)
    buyer = harness.buyer(6001, "en")
    sent = 0
    buyer.expect(await buyer.say("/start"), "start.welcome")
    await buyer.choose("menu.refund")
    buyer.expect(await buyer.say("KM20261121000999"), "wizard.platform_type")
    sent += 3

    await set_connections(postgres_admin, name, allowed=False)  # the database goes away
    try:
        since = len(buyer.user.messages())
        label = buyer.t("platform.aggregator")
        await buyer.user.press(buyer.with_button(label), label)  # a button while it is down
        sent += 1
        await wait_text(buyer, buyer.needle("error.unavailable"), since, within=30)
        answer = await buyer.user.last_callback_answer(timeout=10)
        assert answer is not None and answer.text == buyer.t("error.unavailable")[:200]
        await asyncio.sleep(2.0)  # a while down: Telegram keeps the update, the bot retries
        told = sum(
            buyer.needle("error.unavailable") in (m.text or "") for m in buyer.user.messages()
        )
        assert told == 1  # told once, not on every retry
    finally:
        await set_connections(postgres_admin, name, allowed=True)  # and comes back

    await wait_text(buyer, buyer.needle("wizard.order_status"), since)  # the press was kept
    buyer.expect(await buyer.choose("status.paid_undelivered"), "wizard.cause")
    sent += 1
    figures = {
        "updates_sent": sent,
        "answers_received": len(buyer.user.messages()),
        "inbox_done": await count(
            pg_url, "SELECT count(*) FROM inbox_updates WHERE status = 'done'"
        ),
        "inbox_pending": await count(
            pg_url, "SELECT count(*) FROM inbox_updates WHERE status <> 'done'"
        ),
    }
    print("FAULT-FIGURES postgres", json.dumps(figures))
    assert figures["inbox_done"] == sent and figures["inbox_pending"] == 0


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    binary = shutil.which("redis-server")
    if binary is None:
        if under_ci():
            pytest.fail("redis-server is not installed; CI=true: this test must run", pytrace=False)
        pytest.skip("redis-server is not installed")
    port = free_port()
    data = tmp_path / "redis"
    data.mkdir()
    yield binary, port, data
    subprocess.run(
        ["redis-cli", "-p", str(port), "shutdown", "nosave"],
        capture_output=True,
        timeout=10,
        check=False,
    )


def start_redis(binary: str, port: int, data: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        ping = subprocess.run(
            ["redis-cli", "-p", str(port), "ping"], capture_output=True, timeout=5, check=False
        )
        if ping.stdout.strip() == b"PONG":
            return process
        time.sleep(0.05)
    process.kill()
    raise AssertionError("redis-server did not start")


@pytest.mark.redis
async def test_redis_stopped_and_started(
    harness: Harness,
    own_redis: tuple[str, int, Path],
) -> None:
    binary, port, data = own_redis
    redis = start_redis(binary, port, data)
    try:
        await harness.start_bot(redis_url=f"redis://127.0.0.1:{port}/0", telegram_retry_seconds=2)
        buyer = harness.buyer(6002, "en")
        buyer.expect(await buyer.say("/start"), "start.welcome")
        await buyer.choose("menu.refund")
        buyer.expect(await buyer.say("KM20261121000888"), "wizard.platform_type")

        redis.terminate()  # Redis goes away (it keeps its data on disk)
        redis.wait(timeout=20)
        since = len(buyer.user.messages())
        label = buyer.t("platform.official")
        await buyer.user.press(buyer.with_button(label), label)
        await wait_text(buyer, buyer.needle("error.unavailable"), since, within=30)
        await asyncio.sleep(1.0)

        redis = start_redis(binary, port, data)  # and comes back on the same port
        await wait_text(buyer, buyer.needle("wizard.order_status"), since)  # the press was kept
        told = sum(
            buyer.needle("error.unavailable") in (m.text or "") for m in buyer.user.messages()
        )
        print(
            "FAULT-FIGURES redis",
            json.dumps(
                {
                    "updates_sent": 4,
                    "answers_received": len(buyer.user.messages()),
                    "told_unavailable": told,
                }
            ),
        )
        assert told == 1
    finally:
        redis.terminate()
        redis.wait(timeout=20)
