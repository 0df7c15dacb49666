"""Start-up checks the schema with one query; Alembic runs only when a migration is due."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.storage import db


def test_the_head_read_from_the_files_is_alembics() -> None:
    script = ScriptDirectory.from_config(db.alembic_config())
    assert db.head_revision() == script.get_current_head()


async def test_a_current_database_is_not_migrated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    try:
        assert not await db.schema_is_current(engine)  # a new file: no table yet
        await db.migrate(engine)
        assert await db.schema_is_current(engine)

        def must_not_run(_connection: object) -> None:
            raise AssertionError("Alembic ran on a current database")

        monkeypatch.setattr(db, "_upgrade", must_not_run)
        await db.migrate(engine)
    finally:
        await engine.dispose()


async def test_a_database_behind_is_brought_to_the_head(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    engine = db.create_engine(url)
    try:
        await db.migrate(engine)

        def one_back(connection: object) -> None:
            config = db.alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "-1")

        async with engine.begin() as connection:
            await connection.run_sync(one_back)
        assert not await db.schema_is_current(engine)
        await db.migrate(engine)
        async with engine.connect() as connection:
            found = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        assert found == db.head_revision()
    finally:
        await engine.dispose()
