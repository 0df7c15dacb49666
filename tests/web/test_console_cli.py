"""`refund-bot web`: the console alone, and its settings told in one line when wrong."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import ConfigError
from bot.web.config import load_web_settings


def test_web_without_a_token_stops_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["web"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "refund-bot web: invalid setting BOT_TOKEN: missing"


def test_a_bad_console_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_PORT", "70000")
    with pytest.raises(ConfigError, match=r"^invalid setting WEB_PORT: "):
        load_web_settings(_env_file=None)


def test_links_are_made_from_the_public_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_PORT", "8081")
    monkeypatch.setenv("WEB_HOST", "0.0.0.0")
    web = load_web_settings(_env_file=None)
    assert web.public_url() == "http://127.0.0.1:8081" and not web.secure_cookies
    monkeypatch.setenv("WEB_BASE_URL", "https://support.example.com/")
    web = load_web_settings(_env_file=None)
    assert web.public_url() == "https://support.example.com" and web.secure_cookies


def test_help_lists_the_web_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "web " in capsys.readouterr().out
