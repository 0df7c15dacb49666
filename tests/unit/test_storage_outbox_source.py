"""Migration 0012: the outbox rows still on their way get the message they copy as their
source columns (those written after it get them on insert: tests/unit/test_support_service.py)."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import text

from bot.storage import db


async def test_rows_on_their_way_get_their_source_when_the_columns_are_added(
    tmp_path: Path,
) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    try:

        def to(connection: object, revision: str) -> None:
            config = db.alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)

        await db.migrate(engine)
        async with engine.begin() as connection:
            await connection.run_sync(to, "0011")
        rows = [
            ("relay:7:11", "pending", {"op": "relay", "sources": [[7, 11]]}),
            ("relay:7:20", "sending", {"op": "relay", "sources": [[7, 20], [7, 21]]}),
            ("relay:7:13", "sent", {"op": "relay", "sources": [[7, 13]]}),
            ("card:1:x", "pending", {"op": "card"}),
        ]
        async with engine.begin() as connection:
            for key, state, payload in rows:
                await connection.execute(
                    text(
                        "INSERT INTO support_outbox (key, chat_id, payload, state, attempts,"
                        " next_attempt_at, created_at) VALUES (:key, -100, :payload, :state, 0,"
                        " '2026-12-01 00:00:00', '2026-12-01 00:00:00')"
                    ),
                    {"key": key, "payload": json.dumps(payload), "state": state},
                )
        await db.migrate(engine)
        async with engine.connect() as connection:
            found = (
                await connection.execute(
                    text(
                        "SELECT key, source_chat_id, source_message_id FROM support_outbox"
                        " ORDER BY id"
                    )
                )
            ).all()
        assert [tuple(row) for row in found] == [
            ("relay:7:11", 7, 11),
            ("relay:7:20", 7, 20),  # an album: its first part
            ("relay:7:13", None, None),  # sent: never in flight again
            ("card:1:x", None, None),  # copies no message
        ]
    finally:
        await engine.dispose()
