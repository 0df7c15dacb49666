"""/delete_my_data reaches the support workspace too: the buyer's topics are unlinked from
them, the relay pairs of their cases (with what the messages said) are deleted, and messages
still waiting for them in the outbox are dropped (those already sent, and other buyers' rows,
stay). The retention of closed cases clears what their relayed messages said."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import select

from bot.config import Settings
from bot.services.inbox import InboxService
from bot.services.privacy import ANONYMOUS_USER, PrivacyService
from bot.storage.db import create_engine, migrate, session_factory
from bot.storage.models import Case, utcnow
from bot.storage.support_models import MessageLink, OutboxMessage, SupportTopic
from tests.conversation.test_support_workspace import seed_case


async def test_deleting_a_buyer_unlinks_their_support_topics_and_relays(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    engine = create_engine(url)
    await migrate(engine)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    mine = await seed_case(settings, user_id=7001, number="RF-20261130-AAAA")
    other = await seed_case(settings, user_id=7002, number="RF-20261130-BBBB")
    async with session_factory(engine)() as session:
        for case_id, user_id, thread in ((mine, 7001, 11), (other, 7002, 12)):
            session.add(
                SupportTopic(case_id=case_id, chat_id=-100, thread_id=thread, user_id=user_id)
            )
            session.add(
                MessageLink(
                    case_id=case_id,
                    src_chat_id=-100,
                    src_message_id=thread,
                    dst_chat_id=user_id,
                    dst_message_id=1,
                    kind="text",
                    text=f"您好，用户{user_id}",
                )
            )
            session.add(OutboxMessage(key=f"pending-{user_id}", case_id=case_id, chat_id=user_id))
        session.add(
            OutboxMessage(
                key="sent-7001",
                case_id=mine,
                chat_id=7001,
                state="sent",
                sent_at=utcnow(),
                payload={"text": "您好，用户7001", "said": "您好"},
            )
        )
        for key, case_id in (("sent-topic-7001", mine), ("sent-topic-7002", other)):
            session.add(
                OutboxMessage(
                    key=key,
                    case_id=case_id,
                    chat_id=-100,
                    state="sent",
                    sent_at=utcnow(),
                    payload={"text": f"买家的话 {case_id}"},
                )
            )
        await session.commit()

    await PrivacyService(engine, InboxService(engine)).delete_user(7001)

    async with session_factory(engine)() as session:
        topics = {t.case_id: t.user_id for t in (await session.exec(select(SupportTopic))).all()}
        links = [
            (link.case_id, link.text) for link in (await session.exec(select(MessageLink))).all()
        ]
        outbox = {o.key: o.payload for o in (await session.exec(select(OutboxMessage))).all()}
    await engine.dispose()
    assert topics == {mine: ANONYMOUS_USER, other: 7002}
    assert links == [(other, "您好，用户7002")]
    # sent rows keep their keys (exactly-once) but not what they said; another buyer's stay
    assert outbox == {
        "pending-7002": {},
        "sent-7001": {},
        "sent-topic-7001": {},
        "sent-topic-7002": {"text": f"买家的话 {other}"},
    }


async def test_retention_clears_what_the_relayed_messages_of_old_closed_cases_said(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    engine = create_engine(url)
    await migrate(engine)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    old = await seed_case(settings, user_id=7001, number="RF-20261130-CCCC", status="closed")
    open_case = await seed_case(settings, user_id=7001, number="RF-20261130-DDDD")
    async with session_factory(engine)() as session:
        for case_id, message_id in ((old, 1), (open_case, 2)):
            session.add(
                MessageLink(
                    case_id=case_id,
                    src_chat_id=7001,
                    src_message_id=message_id,
                    dst_chat_id=-100,
                    dst_message_id=message_id,
                    kind="photo",
                    text="我的手机号 13800000000",
                )
            )
        await session.commit()
        await session.exec(
            sa.update(Case).values(updated_at=utcnow() - timedelta(days=100))  # type: ignore[call-overload]
        )
        await session.commit()

    changed = await PrivacyService(engine, InboxService(engine)).purge_closed(
        older_than=timedelta(days=30)
    )

    async with session_factory(engine)() as session:
        said = {
            link.case_id: (link.kind, link.text)
            for link in (await session.exec(select(MessageLink))).all()
        }
    await engine.dispose()
    assert changed == 1
    assert said == {old: ("photo", None), open_case: ("photo", "我的手机号 13800000000")}
