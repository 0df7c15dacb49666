"""Alembic on PostgreSQL: the migration builds the schema from nothing, is idempotent and
matches the SQLModel tables exactly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bot.storage import models  # noqa: F401  (registers the tables)
from bot.storage.db import alembic_config, migrate

pytestmark = pytest.mark.postgres


def _tables(connection: Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


async def tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(_tables)


async def version(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return list(
            (await connection.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars()
        )


async def test_migrate_creates_every_table_and_a_second_run_is_a_no_op(
    pg_engine: AsyncEngine,
) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert await tables(pg_engine) == set()

    await migrate(pg_engine)

    expected = set(SQLModel.metadata.tables) | {"alembic_version"}
    assert await tables(pg_engine) == expected
    assert await version(pg_engine) == [head]

    async with pg_engine.begin() as connection:
        await connection.execute(
            sa.text("INSERT INTO users (id, created_at, updated_at) VALUES (42, now(), now())")
        )

    await migrate(pg_engine)  # again: nothing to do, nothing lost

    assert await tables(pg_engine) == expected
    assert await version(pg_engine) == [head]
    async with pg_engine.connect() as connection:
        assert (await connection.execute(sa.text("SELECT count(*) FROM users"))).scalar_one() == 1


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, SQLModel.metadata))


async def test_migration_matches_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []
