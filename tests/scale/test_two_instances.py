"""Two instances of the bot, one buyer: the wizard goes on across instances, the case is
made once, a repeated update is handled once, the flood limit counts across instances.

Each instance is a real `refund-bot run` process in webhook mode on the same PostgreSQL
database and the same Redis; the fake Bot API delivers the buyer's updates through a
round-robin proxy, so consecutive updates land on different instances.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.i18n import Translator
from bot.telegram.console import plain
from tests.fakeapi.client import FakeUser
from tests.scale.conftest import Cluster, start_cluster
from tests.services.support import RedisScope

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PNG = Path(__file__).resolve().parents[1] / "data" / "evidence.png"


def needle(t: Translator, key: str, **values: Any) -> str:
    return next(line.strip() for line in plain(t(key, **values)).splitlines() if line.strip())


def with_button(user: FakeUser, label: str) -> Any:
    for message in reversed(user.messages()):
        if message.has_button(label):
            return message
    raise AssertionError(f"no message shows {label!r}: {[m.text for m in user.messages()[-3:]]}")


async def wait_text(user: FakeUser, text: str, since: int, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await user.tg.sync()
        messages = user.messages()
        if any(
            text in (m.text or "") or m.has_button(text)
            for i, m in enumerate(messages)
            if i >= since or m.edited
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{text!r} never came; last: {[m.text for m in user.messages()[-3:]]}")


async def scalar(url: str, query: str, **params: Any) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(sa.text(query), params)).scalar_one()
    finally:
        await engine.dispose()


async def test_one_wizard_across_two_instances_makes_one_case(
    cluster_args: tuple[Path, str, RedisScope],
) -> None:
    tmp_path, database_url, scope = cluster_args
    async with start_cluster(tmp_path, database_url, scope) as cluster:
        await wizard_across_instances(cluster)


async def wizard_across_instances(cluster: Cluster) -> None:
    user_id = 7_000_000_000 + cluster.bot_id % 1_000_000
    user = cluster.tg.user(user_id, first_name="Li", language_code="en")
    t = Translator("en")
    sent: list[int] = []

    async def step(action: Callable[[], Awaitable[int | None]], expect: str) -> None:
        since = len(user.messages())
        update_id = await action()
        assert update_id is not None
        sent.append(update_id)
        await wait_text(user, expect, since)

    def press(key: str) -> Callable[[], Awaitable[int | None]]:
        async def go() -> int | None:
            label = t(key)
            return await user.press(with_button(user, label), label)

        return go

    def say(text: str) -> Callable[[], Awaitable[int | None]]:
        return lambda: user.send_text(text)

    async def document() -> int | None:
        return await user.send_document(
            PNG.read_bytes(), file_name="receipt.png", mime_type="image/png"
        )

    await step(say("/start"), needle(t, "start.welcome"))
    await step(press("menu.refund"), needle(t, "wizard.order_number", example="KM20261121000123"))
    await step(say("KM20261121000888"), needle(t, "wizard.platform_type"))
    await step(press("platform.aggregator"), needle(t, "wizard.order_status"))
    await step(press("status.paid_undelivered"), needle(t, "wizard.cause"))
    await step(press("cause_group.merchant"), t("cause.delivery_timeout"))
    await step(press("cause.delivery_timeout"), needle(t, "wizard.payment_channel"))
    await step(press("channel.alipay"), needle(t, "wizard.amount", max="50,000.00"))
    await step(say("¥100"), needle(t, "wizard.payment_time"))
    await step(press("quick_time.now"), needle(t, "wizard.evidence", max_files=10, max_mb=10))
    await step(document, needle(t, "evidence.received", n=1, max_files=10))
    await step(press("evidence.order_screenshot"), "✅ " + t("evidence.order_screenshot"))
    await step(press("btn.evidence_done"), needle(t, "summary.title"))
    await step(press("btn.confirm"), needle(t, "submitted.next"))

    # the buyer's updates went to both instances, alternately
    routed = dict(cluster.proxy.routed)
    where = [routed[update_id] for update_id in sent]
    assert set(where) == {0, 1}, where
    assert sum(1 for a, b in zip(where, where[1:], strict=False) if a != b) >= len(where) // 2

    url = cluster.database_url
    assert await scalar(url, "SELECT count(*) FROM cases WHERE user_id = :u", u=user_id) == 1
    assert (
        await scalar(
            url,
            "SELECT count(*) FROM evidence e JOIN cases c ON c.id = e.case_id WHERE c.user_id = :u",
            u=user_id,
        )
        == 1
    )
    # a finished conversation leaves no state behind, in Redis or the database
    from redis.asyncio import Redis

    redis = Redis.from_url(cluster.redis_url)
    try:
        left = [key async for key in redis.scan_iter(match=f"fsm:{cluster.bot_id}:{user_id}:*")]
    finally:
        await redis.aclose()
    assert left == []

    # the same update delivered to both instances at once: stored once, handled once
    await user.tg.sync()
    since = len(user.messages())
    repeated = {
        "update_id": 880_000_001,
        "message": {
            "message_id": 880_001,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Li"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Li", "language_code": "en"},
            "text": "/cases",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    async with aiohttp.ClientSession() as session:
        statuses = await asyncio.gather(
            *(instance.post(session, repeated) for instance in cluster.instances),
            *(instance.post(session, repeated) for instance in cluster.instances),
        )
    assert statuses == [200, 200, 200, 200]
    listing = needle(t, "cases.title", count=1)
    await wait_text(user, listing, since)
    await asyncio.sleep(1.0)  # time for a second answer, were there one
    await user.tg.sync()
    answers = [m for m in user.messages()[since:] if listing in (m.text or "")]
    assert len(answers) == 1, [m.text for m in user.messages()[since:]]
    assert (
        await scalar(
            url,
            "SELECT count(*) FROM inbox_updates WHERE update_id = :i AND status = 'done'",
            i=880_000_001,
        )
        == 1
    )
    # every update of the buyer is marked done, none is pending on either instance
    assert (
        await scalar(
            url,
            "SELECT count(*) FROM inbox_updates WHERE bot_id = :b AND status <> 'done'",
            b=cluster.bot_id,
        )
        == 0
    )


async def test_the_flood_limit_counts_updates_on_every_instance(
    cluster_args: tuple[Path, str, RedisScope],
) -> None:
    tmp_path, database_url, scope = cluster_args
    async with start_cluster(
        tmp_path, database_url, scope, RATE_LIMIT="4", RATE_WINDOW_SECONDS="120"
    ) as cluster:
        user_id = 7_100_000_000 + cluster.bot_id % 1_000_000
        user = cluster.tg.user(user_id, first_name="Li", language_code="en")
        t = Translator("en")
        slow_down = plain(t("hint.slow_down"))
        for _ in range(9):
            assert await user.send_text("/cases") is not None
        await user.wait_idle(quiet=1.5, timeout=60)
        await user.tg.sync()
        texts = [m.text or "" for m in user.messages()]
        # 4 answered (two per instance), the 5th is told to slow down once, the rest dropped
        assert sum(slow_down in text for text in texts) == 1, texts
        assert len(texts) == 5, texts
        assert {index for _, index in cluster.proxy.routed} == {0, 1}
