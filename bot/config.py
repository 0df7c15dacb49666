"""Typed settings, read once from the environment (and an optional `.env` file).

A bad setting stops the bot with one line naming it: see `load_settings`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.paths import project_dir

DEFAULT_KNOWLEDGE_DIR = project_dir("knowledge")
DEFAULT_POLICY_FILE = DEFAULT_KNOWLEDGE_DIR / "policy.yaml"

Language = Literal["zh", "en"]


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class ConfigError(Exception):
    """A setting is missing or invalid; the message is one line naming it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Telegram
    bot_token: SecretStr | None = None
    telegram_api_url: AnyHttpUrl | None = None
    webhook_url: AnyHttpUrl | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_path: str = "/webhook"
    telegram_timeout_seconds: float = Field(default=60.0, gt=0, le=600)  # one Bot API call
    telegram_retry_seconds: float = Field(
        default=30.0, ge=0, le=600
    )  # retrying a failed Bot API call

    # operations: /healthz and /metrics on their own port (polling mode; webhook mode serves
    # them on the webhook server too); how long a stop (SIGTERM) may take
    metrics_host: str = "0.0.0.0"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    shutdown_timeout: float = Field(default=20.0, gt=0, le=600)

    # storage
    database_url: str = "sqlite+aiosqlite:///data/refund-bot.sqlite3"
    redis_url: str | None = None

    # conversation
    default_language: Language = "zh"
    timezone: str = "Asia/Shanghai"
    order_number_pattern: str = r"^[A-Za-z0-9][A-Za-z0-9_-]{5,39}$"
    order_number_example: str = "KM20261121000123"
    max_amount: Decimal = Field(default=Decimal("50000"), gt=0)
    max_evidence_files: int = Field(default=10, ge=1, le=50)
    max_evidence_mb: int = Field(default=10, ge=1, le=20)
    rate_limit: int = Field(default=20, ge=1)  # updates per user ...
    rate_window_seconds: float = Field(default=10.0, gt=0)  # ... in this many seconds

    # policy and knowledge
    policy_file: Path = DEFAULT_POLICY_FILE
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    knowledge_embeddings: bool = False  # needs `pip install .[embeddings]`
    knowledge_cache_dir: Path | None = None

    # privacy: personal data of cases closed this many days ago is removed (0: kept)
    retention_days: int = Field(default=180, ge=0)

    # support team
    support_chat_id: int | None = None
    operator_ids: Annotated[list[int], NoDecode] = []  # empty: the support chat's admins
    lead_ids: Annotated[list[int], NoDecode] = []
    show_agent_names: bool = False
    support_outbox_attempts: int = Field(default=8, ge=1, le=50)

    # anti-fraud
    fraud_allow_domains: Annotated[list[str], NoDecode] = []
    platform_domains: Annotated[list[str], NoDecode] = []
    group_delete_scams: bool = False
    fraud_dry_run: bool = False
    fraud_images: bool = True
    fraud_image_max_mb: int = Field(default=8, ge=1, le=20)
    fraud_image_workers: int = Field(default=1, ge=1, le=8)

    # language model (optional; off without LLM_BASE_URL; see docs/llm.md)
    llm_base_url: AnyHttpUrl | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(default=8.0, gt=0, le=120)
    llm_max_retries: int = Field(default=1, ge=0, le=5)
    llm_structured: Literal["tools", "json_schema", "json"] = "tools"
    llm_max_tokens: int = Field(default=400, ge=16, le=4096)
    llm_allowed_domains: Annotated[list[str], NoDecode] = []

    @field_validator(
        "fraud_allow_domains", "platform_domains", "llm_allowed_domains", mode="before"
    )
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("operator_ids", "lead_ids", mode="before")
    @classmethod
    def _id_lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("order_number_pattern")
    @classmethod
    def _pattern_compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone_known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _database_async(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite://") and not value.startswith("sqlite+aiosqlite://"):
            value = "sqlite+aiosqlite://" + value.split("://", 1)[1]
        if not (
            value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")
        ):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"\d{1,20}:[A-Za-z0-9_-]{6,100}", value.get_secret_value()
        ):
            raise ValueError(
                "not a bot token (expected digits, a colon and the secret part, as BotFather gives it)"
            )
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_strong(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()
        ):
            raise ValueError(
                "must be 16 to 256 characters of A-Z, a-z, 0-9, _ and - (or unset: one is generated)"
            )
        return value

    @field_validator("webhook_path")
    @classmethod
    def _path_absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with '/'")
        return value

    @model_validator(mode="after")
    def _order_example_matches(self) -> Settings:
        if not re.fullmatch(self.order_number_pattern, self.order_number_example):
            raise ValueError("ORDER_NUMBER_EXAMPLE: does not match ORDER_NUMBER_PATTERN")
        return self

    @model_validator(mode="after")
    def _ports_differ(self) -> Settings:
        if self.use_webhook and self.metrics_port == self.webhook_port:
            raise ValueError(
                "METRICS_PORT: must differ from WEBHOOK_PORT (the webhook server serves /healthz and /metrics too)"
            )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def max_evidence_bytes(self) -> int:
        return self.max_evidence_mb * 1024 * 1024

    @property
    def use_webhook(self) -> bool:
        return self.webhook_url is not None


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise ConfigError with one line naming the bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        location = ".".join(str(part) for part in error.get("loc", ()))
        name = location.upper() if location else ""
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if ":" in message and not name:
            name, message = (part.strip() for part in message.split(":", 1))
        raise ConfigError(
            f"invalid setting {name}: {message}" if name else f"invalid settings: {message}"
        ) from None
