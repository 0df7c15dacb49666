"""Shared fixtures: settings isolated from the host's environment, a fresh SQLite file."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings, load_settings
from bot.web.config import WebSettings

SETTING_NAMES = [name.upper() for name in Settings.model_fields]
SETTING_NAMES += [f"WEB_{name.upper()}" for name in WebSettings.model_fields]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's BOT_TOKEN, DATABASE_URL, ..."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
            "_env_file": None,
        }
        values.update(overrides)
        return load_settings(**values)

    return make


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated SQLite file of this test, made as `refund-bot run` makes it (a directory or
    a module may define its own, e.g. on PostgreSQL)."""
    from bot.storage.db import create_engine, migrate

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}")
    await migrate(engine)
    try:
        yield engine
    finally:
        await engine.dispose()
