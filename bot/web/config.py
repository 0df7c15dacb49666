"""The web console's settings, read from the environment (and `.env`) like the bot's."""

from __future__ import annotations

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config import ConfigError


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WEB_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # where the console listens; unset: not served by the bot's process
    port: int | None = Field(default=None, ge=1, le=65535)
    host: str = "127.0.0.1"
    # the address operators open (behind a proxy: https://support.example.com)
    base_url: str | None = None
    link_minutes: int = Field(default=5, ge=1, le=60)
    session_hours: float = Field(default=12.0, gt=0, le=24 * 14)
    # the Telegram Login Widget: the bot's username (the widget needs a domain set with
    # BotFather's /setdomain); unset: sign-in by /web link only
    login_bot_username: str | None = None
    # a signed-in operator's rights are re-read from the support group at most this often
    role_cache_seconds: float = Field(default=30.0, ge=0)

    def public_url(self) -> str | None:
        if self.base_url:
            return self.base_url.rstrip("/")
        if self.port is not None:
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
            return f"http://{host}:{self.port}"
        return None

    @property
    def secure_cookies(self) -> bool:
        url = self.public_url() or ""
        return url.startswith("https://")


def load_web_settings(**overrides: object) -> WebSettings:
    """Read the console's settings; raise ConfigError with one line naming a bad one."""
    try:
        return WebSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "WEB_" + ".".join(str(part) for part in error.get("loc", ())).upper()
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        raise ConfigError(f"invalid setting {name}: {message}") from None
