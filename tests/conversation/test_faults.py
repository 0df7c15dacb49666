"""Telegram on a bad day, the database failing under a button, hostile text and hostile
webhook calls: the real bot over HTTP against the fake Bot API with faults injected."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from sqlalchemy.exc import OperationalError

from bot.storage import repo
from tests.conversation.conftest import TOKEN, Harness
from tests.fakeapi.faults import Faults


def calls(harness: Harness, method: str) -> list[dict]:
    return [r for r in harness.server.requests if r["method"] == method]


async def test_sends_are_retried_on_429_5xx_and_timeouts(harness: Harness) -> None:
    await harness.start_bot(telegram_timeout_seconds=1.0, telegram_retry_seconds=20)
    buyer = harness.buyer(3001, "en")
    faults = harness.server.faults = Faults()
    harness.server.fail_next("sendMessage", 429, retry_after=1)
    harness.server.fail_next("sendMessage", 502)
    harness.server.fail_next("sendMessage", 500)
    faults.hang("sendMessage", 2.0)  # longer than the bot's 1 s request timeout
    messages = await buyer.say("/start")
    buyer.expect(messages, "start.welcome")
    welcome = [m for m in buyer.user.messages() if buyer.needle("start.welcome") in (m.text or "")]
    assert len(welcome) == 1  # retried, not repeated
    # retried call by call: the handler never failed, so the buyer never heard of an outage
    assert not any(
        buyer.needle("error.unavailable") in (m.text or "") for m in buyer.user.messages()
    )
    # every attempt carried the welcome: no outage notice was even tried
    assert len({str(r["params"].get("text")) for r in calls(harness, "sendMessage")}) == 1
    failed = [r.get("error_code") for r in calls(harness, "sendMessage") if not r["ok"]]
    assert failed == [429, 502, 500]
    assert ("sendMessage", "hang") in faults.hits


async def test_a_prompt_that_cannot_be_sent_comes_when_the_buyer_writes_again(
    harness: Harness,
) -> None:
    await harness.start_bot(telegram_retry_seconds=0.3)
    buyer = harness.buyer(3002, "en")
    harness.server.fail_next("sendMessage", 502, times=10_000)  # Telegram is down for a while
    await buyer.user.send_text("/start")
    await harness.tg.wait_confirmed(timeout=20)
    await asyncio.sleep(1.0)
    assert not buyer.user.messages()
    harness.server._failures.clear()  # Telegram is back
    messages = await buyer.say("/cases")
    texts = [m.text or "" for m in buyer.user.messages()]
    assert any(buyer.needle("start.welcome") in text for text in texts), texts
    welcome_at = next(i for i, text in enumerate(texts) if buyer.needle("start.welcome") in text)
    cases_at = next(i for i, text in enumerate(texts) if buyer.needle("cases.empty") in text)
    assert welcome_at < cases_at  # the lost prompt first, in order, then the answer to /cases
    assert sum(buyer.needle("start.welcome") in text for text in texts) == 1 and messages


async def test_a_button_whose_handler_fails_is_answered_once_and_recovers(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await harness.start_bot()
    buyer = harness.buyer(3003, "en")
    messages = await buyer.say("/start")
    welcome = buyer.expect(messages, "start.welcome")
    original = repo.list_cases
    broken = True

    async def list_cases(*args: object, **kwargs: object) -> object:
        if broken:
            raise OperationalError("SELECT", {}, ConnectionRefusedError("database is down"))
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(repo, "list_cases", list_cases)
    messages = await buyer.press(welcome, buyer.t("menu.cases"))
    buyer.expect(messages, "error.unavailable")
    answers = [r for r in calls(harness, "answerCallbackQuery")]
    assert len(answers) == 1 and all(r["ok"] for r in answers)  # the handler's own answer, once
    broken = False  # the database is back: the update is handled again by itself
    await asyncio.sleep(1.5)
    await buyer.settle()
    texts = [m.text or "" for m in buyer.user.messages()]
    assert any(buyer.needle("cases.empty") in text for text in texts), texts
    assert len(calls(harness, "answerCallbackQuery")) == 1  # the retry did not answer again


@pytest.mark.parametrize(
    "dirty", ["KM2026\x00113000", "KM2026113000\ud800", "KM2026\x07113000\x1b"]
)
async def test_text_with_nul_surrogates_or_controls_is_cleaned_at_the_edge(
    harness: Harness, dirty: str
) -> None:
    await harness.start_bot()
    buyer = harness.buyer(3004, "en")
    await buyer.say("/start")
    messages = await buyer.say(dirty)
    assert messages  # an answer, not silence
    assert not any(buyer.needle("error.unavailable") in (m.text or "") for m in messages)


async def test_webhook_refuses_calls_without_the_secret_and_malformed_bodies(
    harness: Harness,
) -> None:
    settings = harness.settings(webhook=True)
    await harness.start_bot(settings)
    url = f"http://127.0.0.1:{settings.webhook_port}{settings.webhook_path}"
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    good = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 9, "type": "private"},
            "text": "/start",
        },
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=json.dumps(update)) as resp:
            assert resp.status == 401
        async with http.post(
            url,
            data=json.dumps(update),
            headers={**good, "X-Telegram-Bot-Api-Secret-Token": "wrong-secret-value"},
        ) as resp:
            assert resp.status == 401
        for body in (
            b"{not json",
            b"\xff\xfe",
            b"[1, 2]",
            b'"text"',
            b'{"no_update_id": 1}',
            b"[" * 100_000,
        ):
            async with http.post(url, data=body, headers=good) as resp:
                assert resp.status == 400, body[:20]
    assert not calls(harness, "sendMessage")  # nothing was handled


async def test_webhook_mode_without_a_secret_generates_one(harness: Harness) -> None:
    settings = harness.settings(webhook=True, webhook_secret=None)
    await harness.start_bot(settings)
    given = harness.server.webhook or {}
    assert len(str(given.get("secret_token") or "")) >= 32
    buyer = harness.buyer(3005, "en")
    buyer.expect(await buyer.say("/start"), "start.welcome")  # Telegram's calls carry it


async def test_the_token_never_reaches_the_log_when_a_server_echoes_the_path(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from bot.logs import RedactingFilter

    caplog.handler.addFilter(RedactingFilter())
    caplog.set_level(logging.DEBUG)
    await harness.start_bot(telegram_retry_seconds=0.5)
    buyer = harness.buyer(3006, "en")
    faults = harness.server.faults = Faults()
    faults.echo_path("sendMessage", times=3)
    await buyer.user.send_text("/start")
    await harness.tg.wait_confirmed(timeout=20)
    await asyncio.sleep(1.5)
    assert ("sendMessage", "echo") in faults.hits
    secret_part = TOKEN.split(":", 1)[1]
    assert caplog.records
    for record in caplog.records:
        text = caplog.handler.format(record)
        assert secret_part not in text, text
