"""`kill -9` of the real `refund-bot run` process at every step of the wizard, including
while it downloads a buyer's evidence document (a slow getFile), then a restart: no answer
and no file is lost, and the case is made once.

The bot runs as its own process (`python -m bot run`) against the fake Bot API of the
test; each step's first Bot API call is made slow, the process is killed while it waits on
it (the update was already acknowledged: the offset moved past it), and a new process
must take the update up again from the inbox.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conversation.bot_process import BotRun, process_env
from tests.conversation.conftest import PNG, TOKEN, Buyer, Harness
from tests.fakeapi.faults import Faults

SLOW = (
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "getFile",
)


@dataclass
class BotProcess(BotRun):
    starts: int = 0
    kills: int = 0

    async def start(self, harness: Harness) -> None:
        self.starts += 1
        await super().start(harness)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.kills += 1

    async def reap(self) -> None:
        if self.process is not None:
            await self.process.wait()
            self.process = None

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.kill()
                await self.process.wait()
        self.process = None


@dataclass
class Tally:
    updates_sent: int = 0
    answers: int = 0
    files_sent: int = 0
    steps: list[str] = field(default_factory=list)


@pytest.fixture
async def bot_process(harness: Harness, tmp_path: Path) -> AsyncIterator[BotProcess]:
    env = process_env(harness, tmp_path)
    process = BotProcess(env=env, cwd=tmp_path, log=tmp_path / "bot.log")
    try:
        yield process
    finally:
        await process.stop()


async def wait_text(buyer: Buyer, needle: str, since: int, within: float = 300.0) -> None:
    """`needle` (a text or a button) in a message sent after `since`, or in an earlier one
    edited to show it."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        messages = buyer.user.messages()
        if any(
            needle in (m.text or "") or m.has_button(needle)
            for i, m in enumerate(messages)
            if i >= since or m.edited
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(
        f"{needle!r} never came; last: {[m.text for m in buyer.user.messages()[-3:]]}"
    )


async def crash_during(
    harness: Harness, process: BotProcess, action: Callable[[], Awaitable[Any]]
) -> str:
    """Do `action` with every Bot API call the bot makes next made slow; kill -9 the bot
    while it waits on the first one; restart it. Returns the call it was killed in."""
    faults = harness.server.faults = Faults()
    for method in SLOW:
        faults.slow(method, 30.0)
    await action()
    deadline = time.monotonic() + 60
    while not faults.hits and time.monotonic() < deadline:  # noqa: ASYNC110 - the server's task fills it
        await asyncio.sleep(0.01)
    assert faults.hits, "the bot never called the Bot API for this step"
    killed_in = faults.hits[0][0]
    process.kill()
    await process.reap()
    harness.server.faults = None
    await process.start(harness)
    return killed_in


async def test_kill_9_at_every_wizard_step_loses_nothing(
    harness: Harness, bot_process: BotProcess, tmp_path: Path
) -> None:
    await bot_process.start(harness)
    buyer = harness.buyer(4001, "en")
    tally = Tally()
    killed_in: list[str] = []

    async def step(name: str, action: Callable[[], Awaitable[Any]], expect: str) -> None:
        since = len(buyer.user.messages())
        tally.updates_sent += 1
        started = time.monotonic()
        killed_in.append(await crash_during(harness, bot_process, action))
        await wait_text(buyer, expect, since)
        tally.steps.append(name)
        print(
            f"step {name}: killed in {killed_in[-1]}, recovered after {time.monotonic() - started:.1f}s",
            flush=True,
        )

    def press(label_key: str) -> Callable[[], Awaitable[Any]]:
        async def go() -> None:
            label = buyer.t(label_key)
            await buyer.user.press(buyer.with_button(label), label)

        return go

    def say(text: str) -> Callable[[], Awaitable[Any]]:
        async def go() -> None:
            await buyer.user.send_text(text)

        return go

    async def send_document() -> None:
        tally.files_sent += 1
        await buyer.user.send_document(
            PNG.read_bytes(), file_name="receipt.png", mime_type="image/png"
        )

    await step("start", say("/start"), buyer.needle("start.welcome"))
    await step(
        "refund",
        press("menu.refund"),
        buyer.needle("wizard.order_number", example="KM20261121000123"),
    )
    await step("order_number", say("KM20261121000777"), buyer.needle("wizard.platform_type"))
    await step("platform", press("platform.aggregator"), buyer.needle("wizard.order_status"))
    await step("status", press("status.paid_undelivered"), buyer.needle("wizard.cause"))
    await step("cause_group", press("cause_group.merchant"), buyer.t("cause.delivery_timeout"))
    await step("cause", press("cause.delivery_timeout"), buyer.needle("wizard.payment_channel"))
    await step("channel", press("channel.alipay"), buyer.needle("wizard.amount", max="50,000.00"))
    await step("amount", say("¥100"), buyer.needle("wizard.payment_time"))
    await step(
        "payment_time",
        press("quick_time.now"),
        buyer.needle("wizard.evidence", max_files=10, max_mb=10),
    )
    # the evidence document: killed while getFile (the download check) is slow
    await step(
        "evidence_download", send_document, buyer.needle("evidence.received", n=1, max_files=10)
    )
    await step(
        "evidence_label",
        press("evidence.order_screenshot"),
        "✅ " + buyer.t("evidence.order_screenshot"),
    )
    await step("evidence_done", press("btn.evidence_done"), buyer.needle("summary.title"))
    await step("confirm", press("btn.confirm"), buyer.needle("submitted.next"))
    await bot_process.stop()

    engine = create_async_engine(bot_process.env["DATABASE_URL"])
    try:
        async with engine.connect() as connection:
            cases = (
                await connection.execute(
                    sa.text("SELECT id, order_number, amount, cause, payment_channel FROM cases")
                )
            ).all()
            files = (
                await connection.execute(sa.text("SELECT count(*) FROM evidence"))
            ).scalar_one()
            kinds = (await connection.execute(sa.text("SELECT kind FROM evidence"))).scalars().all()
            states = (
                await connection.execute(
                    sa.text("SELECT count(*) FROM fsm_state WHERE state IS NOT NULL")
                )
            ).scalar_one()
            inbox = dict(
                (
                    await connection.execute(
                        sa.text("SELECT status, count(*) FROM inbox_updates GROUP BY status")
                    )
                ).all()
            )
    finally:
        await engine.dispose()
    tally.answers = len(buyer.user.messages())
    figures = {
        "updates_sent": tally.updates_sent,
        "answers_received": tally.answers,
        "kills": bot_process.kills,
        "killed_in": killed_in,
        "cases_created": len(cases),
        "cases_expected": 1,
        "files_stored": files,
        "files_sent": tally.files_sent,
        "inbox": inbox,
    }
    print("FAULT-FIGURES kill9", json.dumps(figures))
    assert len(cases) == 1
    assert (
        tuple(cases[0][1:2]) == ("KM20261121000777",)
        and cases[0][3] == "delivery_timeout"
        and cases[0][4] == "alipay"
    )
    assert files == tally.files_sent == 1 and kinds == ["order_screenshot"]
    assert states == 0  # the finished wizard left no conversation row behind
    assert inbox.get("pending", 0) == 0 and inbox.get("parked", 0) == 0
    assert "getFile" in killed_in
    log = (tmp_path / "bot.log").read_text(errors="replace")
    assert TOKEN.split(":", 1)[1] not in log  # the token never reached a log line
    assert "KM20261121000777" not in log  # nor what the buyer typed
