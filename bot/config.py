"""Settings from the environment (prefix SURVEYBOT_) or a `.env` file.

Every setting has a default that works on a laptop: SQLite in the current directory, the
shipped flows and templates, HTTP on 127.0.0.1:8080, Telegram off until a token is set.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"


class TelegramMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SURVEYBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    telegram_token: SecretStr | None = Field(
        default=None,
        description="Bot token from @BotFather; the Telegram channel is off without it.",
    )
    telegram_api_url: str = Field(
        default=DEFAULT_TELEGRAM_API_URL,
        description="Bot API server base URL (a self-hosted Bot API server, or a fake in tests).",
    )
    telegram_mode: TelegramMode = Field(default=TelegramMode.POLLING)
    telegram_webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL of /telegram/webhook (webhook mode)."
    )
    telegram_webhook_secret: SecretStr | None = Field(default=None)
    database_url: str = Field(default="sqlite+aiosqlite:///./surveybot.db")
    flows_dir: Path = Field(default=Path("./flows"))
    templates_dir: Path = Field(default=Path("./templates"))
    http_host: str = Field(default="127.0.0.1")
    http_port: int = Field(default=8080, ge=0, le=65535)
    telegram_timeout_seconds: float = Field(
        default=15.0, gt=0, description="How long one Bot API request may take."
    )
    delivery_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A message being sent is reserved this long; if its worker dies, another "
        "worker takes it after the lease. Must exceed the Telegram timeout.",
    )
    redis_url: str | None = Field(
        default=None, description="Redis for FSM state and event isolation across workers."
    )
    log_json: bool = Field(default=False, description="One JSON object per log line.")
    log_level: str = Field(default="INFO")

    @field_validator("telegram_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _lease_outlasts_a_request(self) -> Settings:
        if self.delivery_lease_seconds <= self.telegram_timeout_seconds:
            raise ValueError(
                "SURVEYBOT_DELIVERY_LEASE_SECONDS must be longer than "
                "SURVEYBOT_TELEGRAM_TIMEOUT_SECONDS, or a slow send could be sent twice"
            )
        return self

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
