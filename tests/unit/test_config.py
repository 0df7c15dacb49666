import subprocess
import sys
from collections.abc import Callable

import pytest

from bot.config import ConfigError, Settings


def test_defaults(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    assert settings.default_language == "zh"
    assert settings.bot_token is None
    assert not settings.use_webhook
    assert settings.max_evidence_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"max_amount": "-5"}, "MAX_AMOUNT"),
        ({"max_amount": "lots"}, "MAX_AMOUNT"),
        ({"order_number_pattern": "(("}, "ORDER_NUMBER_PATTERN"),
        ({"order_number_example": "??"}, "ORDER_NUMBER_EXAMPLE"),
        ({"database_url": "mysql://db"}, "DATABASE_URL"),
        ({"timezone": "Mars/Olympus"}, "TIMEZONE"),
        ({"default_language": "fr"}, "DEFAULT_LANGUAGE"),
        ({"webhook_port": "99999"}, "WEBHOOK_PORT"),
        ({"webhook_url": "not a url"}, "WEBHOOK_URL"),
        ({"webhook_path": "hook"}, "WEBHOOK_PATH"),
    ],
)
def test_bad_setting_names_itself_in_one_line(
    make_settings: Callable[..., Settings], overrides: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        make_settings(**overrides)
    message = str(caught.value)
    assert named in message
    assert "\n" not in message


def test_lists_and_urls_from_text(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(
        platform_domains="kameng.example, shop.example", database_url="postgresql://u@h/db"
    )
    assert settings.platform_domains == ["kameng.example", "shop.example"]
    assert settings.database_url == "postgresql+asyncpg://u@h/db"


def test_token_is_secret(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(bot_token="123456:SECRET")
    assert "SECRET" not in repr(settings)


def test_cli_stops_with_one_clear_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env={"MAX_AMOUNT": "-1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["refund-bot: invalid setting MAX_AMOUNT: Input should be greater than 0"]


def test_cli_help_and_unknown_command() -> None:
    from bot.cli import main

    assert main(["--help"]) == 0
    assert main(["no-such-command"]) == 2


def test_env_example_lists_every_setting() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    assert [name for name in Settings.model_fields if name.upper() not in text] == []
