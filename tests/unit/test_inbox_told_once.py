"""An update whose handling keeps failing on an outage is retried until it passes; the
buyer hears "temporarily unavailable" once, not on every retry (the error handler's
`first`), whichever part of the bot failed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from aiogram.methods import SendMessage
from aiogram.types import Chat, Message, Update, User
from sqlalchemy.exc import OperationalError

from bot.app import create_bot, create_dispatcher, create_services
from bot.config import Settings
from bot.i18n import Translator
from bot.storage import repo
from bot.telegram.inbox import InboxWorker
from tests.services.support import RecordingSession

USER_ID = 4242


async def test_a_failing_update_tells_the_buyer_once(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    services = await create_services(make_settings())
    dp = create_dispatcher(services)
    session = RecordingSession()
    bot = create_bot(services.settings, session=session, token="123456:TEST-TOKEN")
    failures = 0
    original = repo.list_cases

    async def list_cases(*args: object, **kwargs: object) -> object:
        nonlocal failures
        if failures < 3:  # the database is down for three tries
            failures += 1
            raise OperationalError("SELECT", {}, ConnectionRefusedError("database is down"))
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(repo, "list_cases", list_cases)
    worker = InboxWorker(bot, dp, services.inbox)
    buyer = User(id=USER_ID, is_bot=False, first_name="Li", language_code="en")
    update = Update(
        update_id=9_100_001,
        message=Message(
            message_id=1,
            date=datetime.now(UTC),
            chat=Chat(id=USER_ID, type="private"),
            from_user=buyer,
            text="/cases",
        ),
    )
    try:
        assert await worker.accept([update]) == 1
        for _ in range(400):
            if await services.inbox.status(bot.id, 9_100_001) == "done":
                break
            await asyncio.sleep(0.05)
        assert await services.inbox.status(bot.id, 9_100_001) == "done"
        unavailable = Translator("en")("error.unavailable")
        texts = [m.text for m in session.sent(SendMessage)]
        assert failures == 3
        assert texts.count(unavailable) == 1, texts
        assert texts[-1] == Translator("en")("cases.empty")  # and then the answer
    finally:
        await worker.close()
        await dp.storage.close()
        await services.close()
