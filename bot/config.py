"""Settings from the environment (prefix SURVEYBOT_) or a `.env` file.

Every setting has a default that works on a laptop: SQLite in the current directory, the
shipped flows and templates, HTTP on 127.0.0.1:8080, Telegram off until a token is set.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.timing import is_valid_zone

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
    public_url: str | None = Field(
        default=None,
        description="Base URL customers and shops reach (links, QR codes); default "
        "http://HOST:PORT.",
    )
    api_keys: SecretStr | None = Field(
        default=None, description="Comma-separated Bearer keys for the ingest API."
    )
    default_timezone: str = Field(
        default="Asia/Ho_Chi_Minh", description="For customers whose timezone is unknown."
    )
    timer_tick_seconds: float = Field(default=1.0, gt=0, le=60)
    rate_global_per_second: float = Field(
        default=30.0,
        gt=0,
        description="Messages per second for this worker; with N workers use 30/N.",
    )
    rate_chat_per_second: float = Field(default=1.0, gt=0)
    rate_group_per_minute: int = Field(default=20, gt=0)
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
    def _webhook_is_complete(self) -> Settings:
        if self.telegram_mode == TelegramMode.WEBHOOK and self.telegram_enabled:
            if not self.telegram_webhook_url:
                raise ValueError(
                    "webhook mode needs SURVEYBOT_TELEGRAM_WEBHOOK_URL (the public HTTPS URL "
                    "of /telegram/webhook)"
                )
            if self.telegram_webhook_secret is None:
                raise ValueError(
                    "webhook mode needs SURVEYBOT_TELEGRAM_WEBHOOK_SECRET, the same on every "
                    "worker (1-256 characters of A-Z a-z 0-9 _ -)"
                )
        return self

    @model_validator(mode="after")
    def _lease_outlasts_a_request(self) -> Settings:
        if self.delivery_lease_seconds <= self.telegram_timeout_seconds:
            raise ValueError(
                "SURVEYBOT_DELIVERY_LEASE_SECONDS must be longer than "
                "SURVEYBOT_TELEGRAM_TIMEOUT_SECONDS, or a slow send could be sent twice"
            )
        return self

    @field_validator("default_timezone")
    @classmethod
    def _real_zone(cls, value: str) -> str:
        if not is_valid_zone(value):
            raise ValueError(f"{value!r} is not an IANA timezone, e.g. Asia/Ho_Chi_Minh")
        return value

    @property
    def api_key_list(self) -> list[str]:
        raw = self.api_keys.get_secret_value() if self.api_keys else ""
        return [key.strip() for key in raw.split(",") if key.strip()]

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.http_host}]" if ":" in self.http_host else self.http_host
        return f"http://{host}:{self.http_port}"

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
