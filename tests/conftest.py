"""Shared fixtures: settings isolated from the host's environment, a fresh SQLite file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

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
