"""Settings from the environment (prefix SURVEYBOT_) or a `.env` file.

Every setting has a default that works on a laptop: SQLite in the current directory, the
shipped flows and templates, HTTP on 127.0.0.1:8080, Telegram off until a token is set.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.durations import parse_duration
from bot.surveys.timing import is_valid_zone

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"


class TelegramMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
CHANNEL_NAMES = ("telegram", "zalo", "messenger", "whatsapp")  # channels with contacts


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
    zalo_app_id: str | None = Field(
        default=None,
        description="Zalo app id (developers.zalo.me); with the app secret and the OA secret "
        "key it turns the Zalo channel on.",
    )
    zalo_app_secret: SecretStr | None = Field(
        default=None, description="Zalo app secret: sent as `secret_key` to refresh tokens."
    )
    zalo_oa_secret: SecretStr | None = Field(
        default=None, description="The OA secret key that signs Zalo's webhooks."
    )
    zalo_refresh_token: SecretStr | None = Field(
        default=None,
        description="The first refresh token (from authorising the app for the OA); each "
        "refresh rotates it and the new pair is kept in the database.",
    )
    zalo_oauth_url: str = Field(default="https://oauth.zaloapp.com")
    zalo_api_url: str = Field(default="https://openapi.zalo.me")
    zalo_business_api_url: str = Field(default="https://business.openapi.zalo.me")
    zalo_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long one Zalo API request may take."
    )
    messenger_page_id: str | None = Field(
        default=None,
        description="The Facebook Page's id; with its token, the app secret and a verify "
        "token it turns the Messenger channel on.",
    )
    messenger_page_token: SecretStr | None = Field(
        default=None, description="The Page access token the Send API is called with."
    )
    messenger_app_secret: SecretStr | None = Field(
        default=None, description="The Meta app's secret: it signs Messenger's webhooks."
    )
    messenger_verify_token: SecretStr | None = Field(
        default=None,
        description="Any secret text, given again in the app's webhook settings: Meta "
        "echoes it in the GET that verifies /messenger/webhook.",
    )
    messenger_api_url: str = Field(default="https://graph.facebook.com")
    messenger_human_agent: bool = Field(
        default=False,
        description="The Page has Meta's Human Agent permission: staff replies may go up to "
        "7 days after the customer last wrote (tagged HUMAN_AGENT).",
    )
    messenger_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long one Graph API request may take."
    )
    database_url: str = Field(default="sqlite+aiosqlite:///./surveybot.db")
    flows_dir: Path = Field(default=Path("./flows"))
    templates_dir: Path = Field(default=Path("./templates"))
    campaigns_dir: Path = Field(
        default=Path("./campaigns"), description="Incentive campaigns (campaigns/*.yaml)."
    )
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
    privacy_url: str | None = Field(
        default=None,
        description="The shop's privacy page, which Messenger's feedback template links to; "
        "leave out for the one surveybot serves at SURVEYBOT_PUBLIC_URL + /privacy.",
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
    channel_order: str = Field(
        default=",".join(CHANNEL_NAMES),
        description="Which channel a customer with several contacts hears from first "
        "(after the one they last wrote from); comma-separated.",
    )
    support_chat_id: int | None = Field(
        default=None, description="Telegram group where support cases are posted."
    )
    escalation_chat_id: int | None = Field(
        default=None, description="Managers' chat for cases past their SLA."
    )
    support_locale: str = Field(default="vi", description="Language of the support cards.")
    support_timezone: str | None = Field(
        default=None, description="Times on cards; default SURVEYBOT_DEFAULT_TIMEZONE."
    )
    show_staff_names: bool = Field(
        default=False, description="Sign relayed replies with the staff member's name."
    )
    followup_flow: str | None = Field(
        default="recovery",
        description="Flow asked after a case is resolved ('' to ask nothing).",
    )
    followup_delay: str = Field(default="1h", description="Wait this long after resolving.")
    dashboard: bool = Field(
        default=False, description="Serve the staff dashboard (/dashboard, sign-in required)."
    )
    dashboard_secure_cookies: bool = Field(
        default=True,
        description="Mark dashboard cookies Secure. Browsers still keep them on "
        "http://localhost and http://127.0.0.1; set 0 only to try the dashboard over plain "
        "http on another address.",
    )
    dashboard_session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="How long a dashboard sign-in lasts."
    )
    demo: bool = Field(
        default=False,
        description="Demo mode (make run): /demo opens a sample survey in the browser; "
        "the dashboard is on.",
    )
    managers_chat_id: int | None = Field(
        default=None, description="Managers' Telegram chat for the weekly digest."
    )
    digest_schedule: str = Field(
        default="0 9 * * mon", description="When the digest is sent (cron, shop time)."
    )
    digest_locale: str = Field(default="vi", description="Language of the weekly digest.")
    sla_check_seconds: float = Field(default=30.0, gt=0, le=3600)
    redis_url: str | None = Field(
        default=None, description="Redis for FSM state and event isolation across workers."
    )
    log_json: bool = Field(default=False, description="One JSON object per log line.")
    log_level: str = Field(default="INFO")

    @field_validator(
        "telegram_token",
        "zalo_app_id",
        "zalo_app_secret",
        "zalo_oa_secret",
        "zalo_refresh_token",
        "messenger_page_id",
        "messenger_page_token",
        "messenger_app_secret",
        "messenger_verify_token",
        mode="before",
    )
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("zalo_oauth_url", "zalo_api_url", "zalo_business_api_url", "messenger_api_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        """A channel's URL settings are base URLs: scheme, host, optional port, no path
        (../shared/contracts/channels.md); the project appends the platform's paths."""
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not a base URL like https://openapi.zalo.me")
        if parts.path.strip("/") or parts.query or parts.fragment:
            raise ValueError(
                f"{value!r} has a path; give the base URL only (https://graph.facebook.com), "
                "surveybot appends the platform's paths"
            )
        return f"{parts.scheme}://{parts.netloc}"

    @model_validator(mode="after")
    def _zalo_is_complete(self) -> Settings:
        given = {
            "SURVEYBOT_ZALO_APP_ID": self.zalo_app_id,
            "SURVEYBOT_ZALO_APP_SECRET": self.zalo_app_secret,
            "SURVEYBOT_ZALO_OA_SECRET": self.zalo_oa_secret,
        }
        missing = [name for name, value in given.items() if value is None]
        if 0 < len(missing) < len(given):
            raise ValueError(
                f"the Zalo channel needs {', '.join(missing)} too (from developers.zalo.me: "
                "the app's id and secret, and the OA secret key under Webhook)"
            )
        return self

    @model_validator(mode="after")
    def _messenger_is_complete(self) -> Settings:
        given = {
            "SURVEYBOT_MESSENGER_PAGE_ID": self.messenger_page_id,
            "SURVEYBOT_MESSENGER_PAGE_TOKEN": self.messenger_page_token,
            "SURVEYBOT_MESSENGER_APP_SECRET": self.messenger_app_secret,
            "SURVEYBOT_MESSENGER_VERIFY_TOKEN": self.messenger_verify_token,
        }
        missing = [name for name, value in given.items() if value is None]
        if 0 < len(missing) < len(given):
            raise ValueError(
                f"the Messenger channel needs {', '.join(missing)} too (the Page's id and "
                "access token, the Meta app's secret, and a verify token of your choice)"
            )
        if self.messenger_page_id is not None and not self.messenger_page_id.isdigit():
            raise ValueError(
                f"SURVEYBOT_MESSENGER_PAGE_ID {self.messenger_page_id!r} is not a Page id "
                "(digits, from the Page's About > Page transparency)"
            )
        return self

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
    def _demo_shows_the_dashboard(self) -> Settings:
        if self.demo:
            if self.http_host not in LOOPBACK_HOSTS:
                raise ValueError(
                    f"demo mode prints an admin password and serves /demo to anyone who can "
                    f"reach it, so it listens on this machine only; SURVEYBOT_HTTP_HOST is "
                    f"{self.http_host!r}: use 127.0.0.1, or SURVEYBOT_DEMO=0"
                )
            self.dashboard = True
        return self

    @model_validator(mode="after")
    def _lease_outlasts_a_request(self) -> Settings:
        # A claimed message may wait up to a second for the rate limiter before its send.
        if self.delivery_lease_seconds <= self.telegram_timeout_seconds + 1:
            raise ValueError(
                "SURVEYBOT_DELIVERY_LEASE_SECONDS must exceed "
                "SURVEYBOT_TELEGRAM_TIMEOUT_SECONDS by more than a second, "
                "or a slow send could be sent twice"
            )
        return self

    @field_validator("default_timezone", "support_timezone")
    @classmethod
    def _real_zone(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_zone(value):
            raise ValueError(f"{value!r} is not an IANA timezone, e.g. Asia/Ho_Chi_Minh")
        return value

    @field_validator("followup_delay")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)  # raises with the accepted forms
        return value

    @field_validator("channel_order")
    @classmethod
    def _known_channels(cls, value: str) -> str:
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in CHANNEL_NAMES]
        if unknown or not names:
            raise ValueError(
                f"{', '.join(unknown) or 'nothing'}: list channels from {', '.join(CHANNEL_NAMES)}"
            )
        return ",".join(dict.fromkeys(names))

    @property
    def channel_order_list(self) -> tuple[str, ...]:
        return tuple(self.channel_order.split(","))

    @field_validator("followup_flow", mode="before")
    @classmethod
    def _blank_flow_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

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
    def privacy_page(self) -> str:
        return self.privacy_url or f"{self.base_url}/privacy"

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None

    @property
    def zalo_enabled(self) -> bool:
        return self.zalo_app_id is not None

    @property
    def messenger_enabled(self) -> bool:
        return self.messenger_page_id is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
