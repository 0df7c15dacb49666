"""SIGTERM to the real `refund-bot run` process (`python -m bot run`, the same entry point)
with an update in flight: it stops taking updates, lets the one being handled finish,
delivers the outbox messages that are due, closes and exits within SHUTDOWN_TIMEOUT."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.commands.run import WebhookEndpoint
from bot.config import ConfigError, load_settings
from bot.storage.db import create_engine, session_factory
from bot.storage.support_models import OutboxMessage
from tests.conversation.bot_process import BotRun, process_env
from tests.conversation.conftest import Harness
from tests.fakeapi.faults import Faults


@dataclass
class Bot(BotRun):
    @property
    def database(self) -> str:
        return self.env["DATABASE_URL"]

    async def terminate(self) -> tuple[int, float]:
        """SIGTERM; (exit status, seconds until the process was gone)."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(self.process.wait(), 120)
        return status, time.monotonic() - started


@pytest.fixture
async def bot(harness: Harness, tmp_path: Path) -> AsyncIterator[Bot]:
    env = process_env(harness, tmp_path, SHUTDOWN_TIMEOUT="12")
    running = Bot(env=env, cwd=tmp_path, log=tmp_path / "bot.log")
    try:
        yield running
    finally:
        if running.process is not None and running.process.returncode is None:
            running.process.kill()
            await running.process.wait()


async def queue_outbox(url: str, chat_id: int, text: str, due_in: float) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            session.add(
                OutboxMessage(
                    key=f"shutdown-test-{text}",
                    chat_id=chat_id,
                    payload={"text": text},
                    next_attempt_at=datetime.now(UTC) + timedelta(seconds=due_in),
                )
            )
            await session.commit()
    finally:
        await engine.dispose()


async def table(url: str, query: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in (await connection.execute(sa.text(query))).all()]
    finally:
        await engine.dispose()


async def test_sigterm_finishes_the_update_in_flight_flushes_the_outbox_and_exits(
    harness: Harness, bot: Bot
) -> None:
    await bot.start(harness)
    buyer = harness.buyer(8201, "en")
    faults = harness.server.faults = Faults()
    faults.slow("sendMessage", 4.0)  # the answer to /start takes 4 s
    first = await buyer.user.send_text("/start")
    await asyncio.wait_for(faults.reached("sendMessage").wait(), 60)  # in flight now
    # a notification that falls due while the bot is stopping
    await queue_outbox(bot.database, buyer.user.id, "due-while-stopping", due_in=1.0)
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    await asyncio.sleep(0.5)
    second = await buyer.user.send_text("are you there?")  # after SIGTERM: not taken
    status = await asyncio.wait_for(bot.process.wait(), 120)
    took = time.monotonic() - started
    log = bot.output()
    print(f"SHUTDOWN in-flight: exit {status} after {took:.2f}s (SHUTDOWN_TIMEOUT=12)")

    assert status == 0, log[-2000:]
    assert took < 12 + 2.0, f"stopped after {took:.1f}s; log: {log[-2000:]}"
    texts = [message.text or "" for message in buyer.user.messages()]
    assert any(buyer.needle("start.welcome") in text for text in texts), texts  # finished
    assert "due-while-stopping" in texts  # the outbox was flushed before exiting
    inbox = dict(await table(bot.database, "SELECT update_id, status FROM inbox_updates"))
    assert inbox.get(first) == "done"
    assert second not in inbox  # never taken: Telegram still holds it for the next start
    outbox = await table(bot.database, "SELECT state FROM support_outbox")
    assert outbox == [("sent",)]
    assert "stopped" in log


async def test_a_stop_stuck_on_telegram_still_ends_within_the_timeout(
    harness: Harness, bot: Bot
) -> None:
    bot.env["SHUTDOWN_TIMEOUT"] = "4"
    await bot.start(harness)
    buyer = harness.buyer(8202, "en")
    faults = harness.server.faults = Faults()
    faults.slow("sendMessage", 60.0, times=5)  # every message hangs for a minute
    # the support worker gets stuck delivering a notification, the update on its answer
    await queue_outbox(bot.database, buyer.user.id, "stuck-notification", due_in=0.0)
    await asyncio.wait_for(faults.reached("sendMessage").wait(), 60)
    first = await buyer.user.send_text("/start")
    deadline = time.monotonic() + 60
    while len(faults.hits) < 2 and time.monotonic() < deadline:  # noqa: ASYNC110 - the server fills it
        await asyncio.sleep(0.05)
    assert len(faults.hits) == 2, faults.hits  # the update waits on its answer too
    status, took = await bot.terminate()
    log = bot.output()
    print(f"SHUTDOWN stuck: exit {status} after {took:.2f}s (SHUTDOWN_TIMEOUT=4)")
    assert status == 0, log[-2000:]
    assert took < 4 + 2.0, f"stopped after {took:.1f}s; log: {log[-2000:]}"
    inbox = dict(await table(bot.database, "SELECT update_id, status FROM inbox_updates"))
    assert inbox.get(first) == "pending"  # stored, not finished: handled at the next start

    harness.server.faults = None
    await bot.start(harness)
    await buyer.user.wait_for_message(
        timeout=60, predicate=lambda m: buyer.needle("start.welcome") in (m.text or "")
    )
    status, _ = await bot.terminate()
    assert status == 0
    inbox = dict(await table(bot.database, "SELECT update_id, status FROM inbox_updates"))
    assert inbox.get(first) == "done"


async def test_the_webhook_answers_503_once_stopping() -> None:
    from aiohttp.test_utils import make_mocked_request

    secret = "a-webhook-secret-of-tests"
    endpoint = WebhookEndpoint(bot=None, worker=None, secret=secret)  # type: ignore[arg-type]
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    running = await endpoint.handle(make_mocked_request("POST", "/webhook", headers=headers))
    assert running.status == 400  # an empty body: refused as not an update
    endpoint.closing = True
    stopping = await endpoint.handle(make_mocked_request("POST", "/webhook", headers=headers))
    assert stopping.status == 503  # Telegram (or the proxy) delivers it again, elsewhere or later
    wrong = await endpoint.handle(
        make_mocked_request("POST", "/webhook", headers={"X-Telegram-Bot-Api-Secret-Token": "x"})
    )
    assert wrong.status == 401  # the secret is still checked first


def test_shutdown_timeout_and_metrics_port_settings() -> None:
    settings = load_settings(_env_file=None)
    assert settings.shutdown_timeout == 20.0 and settings.metrics_port is None
    with pytest.raises(ConfigError, match="SHUTDOWN_TIMEOUT"):
        load_settings(_env_file=None, shutdown_timeout=0)
    with pytest.raises(ConfigError, match="METRICS_PORT: must differ from WEBHOOK_PORT"):
        load_settings(_env_file=None, webhook_url="https://example.com/webhook", metrics_port=8080)
    assert load_settings(_env_file=None, metrics_port=8080).metrics_port == 8080  # polling
