"""`refund-bot web` alone: the console serves from its own process (no bot polling there),
resolves operators through the Bot API like the bot, and a reply sent from it reaches the
buyer through the fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

import httpx
import pytest

from bot.storage.db import create_engine, migrate, session_factory
from bot.web.command import _serve
from tests.conversation.conftest import (  # noqa: F401  (fixture)
    TOKEN,
    Harness,
    free_port,
    harness,
)
from tests.conversation.test_support_workspace import seed_case
from tests.fakeapi.forum import ForumGroup
from tests.web.conftest import SUPPORT, _wait_port


async def test_the_console_alone_signs_in_an_operator_and_relays_a_reply(
    harness: Harness,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tg = harness.tg
    operator = tg.user(7001, first_name="小王", language_code="zh")
    lead = tg.user(7002, first_name="老张", language_code="zh")
    group = ForumGroup(tg, SUPPORT, "客服工作台", owner=lead)
    await group.ensure()
    await group.set_bot_admin(True)
    await group.set_member(operator, "administrator")
    buyer = tg.user(1001, first_name="李雷", language_code="zh")
    await buyer.open_chat()
    settings = harness.settings(support_chat_id=SUPPORT, operator_ids="7001", lead_ids="7002")
    engine = create_engine(settings.database_url)
    await migrate(engine)
    case_id = await seed_case(settings, user_id=1001, number="RF-20261130-S0A1")
    async with httpx.AsyncClient() as api:  # the topic, made as the bot makes it
        made = await api.post(
            f"{harness.base_url}/bot{TOKEN}/createForumTopic",
            json={"chat_id": SUPPORT, "name": "RF-20261130-S0A1"},
        )
    thread = int(made.json()["result"]["message_thread_id"])
    async with session_factory(engine)() as session:
        from bot.storage.support_models import SupportTopic

        session.add(
            SupportTopic(
                case_id=case_id, chat_id=SUPPORT, thread_id=thread, user_id=1001, state="open"
            )
        )
        await session.commit()
    port = free_port()
    monkeypatch.setenv("WEB_PORT", str(port))
    stop = asyncio.Event()
    task = asyncio.create_task(_serve(settings, host="127.0.0.1", port=port, stop=stop))
    try:
        await _wait_port(port, 60)
        from datetime import UTC, datetime, timedelta

        from bot.web.auth import Logins

        logins = Logins(
            session_factory(engine),
            clock=lambda: datetime.now(UTC),
            link_ttl=timedelta(minutes=5),
            session_ttl=timedelta(hours=1),
        )
        token = await logins.create_link(user_id=7001, first_name="小王", lang="zh")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            signed = await client.post(f"/login/{token}")
            assert signed.status_code == 303
            page = await client.get(f"/case/{case_id}")
            assert page.status_code == 200 and "RF-20261130-S0A1" in page.text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf
            sent = await client.post(
                f"/case/{case_id}/reply", data={"csrf": csrf.group(1), "text": "独立运行的回复"}
            )
            assert sent.status_code == 303
        message = await buyer.wait_for_message(10, lambda m: "独立运行的回复" in (m.text or ""))
        assert message is not None
        # no bot polls from this process: the console alone never calls getUpdates
        calls: list[Any] = tg.requests("getUpdates")
        assert calls == []
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 20)
        await engine.dispose()
