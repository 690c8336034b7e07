"""Tables. Natural keys are unique constraints, so retries and duplicates cannot double up."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which stores naive text) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
        int: Integer,
    }


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164, for channels that reach one
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    opted_out_at: Mapped[datetime | None]  # from every survey, whatever the channel
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Contact(Base):
    """One way to reach a customer: an address on a channel (a Telegram chat, a Zalo user,
    a Messenger PSID, a WhatsApp number). An address reaches one customer at a time."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    unreachable_at: Mapped[datetime | None]  # the platform said so; cleared when they write
    last_inbound_at: Mapped[datetime | None]  # when they last wrote to us from here
    opted_out_at: Mapped[datetime | None]  # no more messages on this channel
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    store: Mapped[str | None] = mapped_column(String(64), index=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    occurred_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class FlowVersion(Base):
    """The exact flow file a survey ran, so answers can always be traced to their question."""

    __tablename__ = "flow_versions"

    flow_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[str] = mapped_column(String(16), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime]


class Survey(Base):
    """One customer's run of one flow (for one order, or a walk-in)."""

    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("order_id", "flow_id"),
        ForeignKeyConstraint(
            ["flow_id", "flow_version"], ["flow_versions.flow_id", "flow_versions.version"]
        ),
        Index("ix_surveys_customer_status", "customer_id", "status"),
        Index("ix_surveys_customer_scheduled", "customer_id", "scheduled_for"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    flow_id: Mapped[str] = mapped_column(String(32))
    flow_version: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    channel: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    current_step: Mapped[str | None] = mapped_column(String(32))
    visit: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
    # The outbox row of the question on screen (edited once it is answered).
    question_outbox_id: Mapped[int | None]
    event_id: Mapped[str | None] = mapped_column(String(128))
    skip_reason: Mapped[str | None] = mapped_column(String(32))
    skip_detail: Mapped[str | None] = mapped_column(String(200))
    scheduled_for: Mapped[datetime | None]  # when it is (or was) to be sent
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class AnswerRow(Base):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("survey_id", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    flow_id: Mapped[str] = mapped_column(String(32), index=True)
    flow_version: Mapped[str] = mapped_column(String(16))
    step_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    value_int: Mapped[int | None]
    value_text: Mapped[str | None] = mapped_column(Text)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime]


class OutboxMessage(Base):
    """A message to deliver. Written in the same transaction as the change that causes it,
    so a crash between "answer stored" and "next question sent" loses nothing."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "priority", "not_before"),
        # Per-address ordering: "is there an earlier undelivered message for this address?"
        Index("ix_outbox_address_status", "address", "status", "id"),
        # A platform reporting back on a sent message by its own id (a rated template).
        Index("ix_outbox_sent_message", "sent_message_id", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))  # on `channel`: a chat id, a user id...
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # send | edit
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(default=0)  # lower goes first
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    sent_message_id: Mapped[str | None] = mapped_column(String(128))  # the platform's id
    last_error: Mapped[str | None] = mapped_column(Text)
    # Why this address and not an earlier choice (the survey's contact was unreachable...).
    routed_because: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class InboundMessage(Base):
    """What a channel delivered and was handled: a redelivery is processed once.
    `external_id` is the platform's own id (Telegram: bot id and update id)."""

    __tablename__ = "inbound_messages"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class ChannelToken(Base):
    """A channel's OAuth tokens as the platform last rotated them (Zalo: the refresh token
    works once, so the new pair is stored before it is used). One row per channel; workers
    refresh under a lock on it."""

    __tablename__ = "channel_tokens"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None]
    refresh_token: Mapped[str | None] = mapped_column(Text)
    refresh_expires_at: Mapped[datetime | None]
    # A digest of the configured first refresh token this pair descends from: a new one
    # in the settings (the shop authorised again) replaces the stored pair.
    seeded_from: Mapped[str | None] = mapped_column(String(64))
    refreshed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)  # why the last refresh failed
    failed_at: Mapped[datetime | None]


class ChannelLimitError(Base):
    """A platform's "not now" for the whole channel (Zalo: -32 the app's per-minute call
    limit, -211 quota used up, the template quota), one row each and kept a week, so
    `surveybot status` and the dashboard, in other processes, can say how often it
    happens. Rows, not a counter on channel_tokens: a count over the last 24 hours, and
    no wait on the row a refresh keeps locked while it calls the platform."""

    __tablename__ = "channel_limit_errors"
    __table_args__ = (Index("ix_channel_limit_errors_channel_at", "channel", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    code: Mapped[int]
    message: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime]


class Event(Base):
    """A purchase event received once: a retry with the same id gets the same answer."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime]


class Timer(Base):
    """A durable timer: send, remind or expire one survey at `due_at`.

    Rows, not APScheduler jobs: they survive restarts, cost no memory while pending, and
    are claimed by one worker at a time (FOR UPDATE SKIP LOCKED on PostgreSQL)."""

    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("survey_id", "kind"),
        Index("ix_timers_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # a TimerKind: send, remind, expire...
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class Case(Base):
    """A support case opened for an unhappy answer: one per survey."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("survey_id"),
        Index("ix_cases_status_sla", "status", "sla_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    flow_id: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # open | claimed | resolved
    sla_due_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[int | None] = mapped_column(BigInteger)  # a user id on `claimed_via`
    claimed_by_name: Mapped[str | None] = mapped_column(String(200))
    # Where the claimer works: telegram (a Telegram user id) or dashboard (a dashboard
    # user id); None before the dashboard could claim, which was Telegram.
    claimed_via: Mapped[str | None] = mapped_column(String(16))
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by_name: Mapped[str | None] = mapped_column(String(200))
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    reannounced_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    support_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    card_outbox_id: Mapped[int | None]
    followup_survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"))
    updated_at: Mapped[datetime]


class CaseMessage(Base):
    """What was said on a case, both ways, relayed through the bot (each once)."""

    __tablename__ = "case_messages"
    __table_args__ = (UniqueConstraint("source_chat_id", "source_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(16))  # to_customer | from_customer | note
    author_id: Mapped[str | None] = mapped_column(String(128))
    author_name: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    source_chat_id: Mapped[str] = mapped_column(String(128))  # the address it came from
    source_message_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class CaseEvent(Base):
    """What staff did on a case, with who and when (its timeline, with its messages)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # claimed | resolved | reopened | voucher
    actor_via: Mapped[str] = mapped_column(String(16))  # telegram | dashboard
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)  # the reason, the voucher's code
    created_at: Mapped[datetime]


class CampaignState(Base):
    """What a marketer changed at run time (campaigns themselves are YAML files)."""

    __tablename__ = "campaign_states"

    campaign_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


class CampaignCounter(Base):
    """How much of a campaign's budget is spent, raised by one conditional UPDATE per
    voucher: concurrent issuers can never go past the budget."""

    __tablename__ = "campaign_counters"

    campaign_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    issued: Mapped[int] = mapped_column(default=0)
    issued_value: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=0)


class PoolCode(Base):
    """An imported code waiting in a campaign's pool."""

    __tablename__ = "pool_codes"
    __table_args__ = (
        UniqueConstraint("campaign_id", "code"),
        Index("ix_pool_codes_available", "campaign_id", "taken"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(64))
    taken: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[datetime]


class Voucher(Base):
    """An issued voucher. At most one per (campaign, survey) and per (campaign, case)."""

    __tablename__ = "vouchers"
    __table_args__ = (
        UniqueConstraint("campaign_id", "survey_id"),
        UniqueConstraint("campaign_id", "case_id"),
        Index("ix_vouchers_customer", "campaign_id", "customer_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    campaign_id: Mapped[str] = mapped_column(String(32), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"))
    percent: Mapped[int | None]
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    redeemed_at: Mapped[datetime | None]
    redeemed_order: Mapped[str | None] = mapped_column(String(128))


class VoucherMiss(Base):
    """A voucher that could not be given (budget spent, pool empty, paused...): what the
    marketer needs to see in the report."""

    __tablename__ = "voucher_misses"
    __table_args__ = (UniqueConstraint("campaign_id", "survey_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(32), index=True)
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    reason: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]


class Draw(Base):
    """One lucky draw: its period, the candidates, the seed, the winners: re-runnable."""

    __tablename__ = "draws"
    __table_args__ = (UniqueConstraint("campaign_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(32))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    seed: Mapped[str] = mapped_column(String(64))
    candidates: Mapped[list[Any]] = mapped_column(JSON)
    winners: Mapped[list[Any]] = mapped_column(JSON)
    drawn_at: Mapped[datetime]


class DashboardUser(Base):
    """A person who signs in to the web dashboard (`surveybot users add`). `login` is kept
    folded (NFC, casefold), so "Lan@Shop.vn" and "lan@shop.vn" are one account."""

    __tablename__ = "dashboard_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # admin | support | marketer
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, PHC string
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class DashboardSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored,
    so a database dump does not hand out sessions. Logging out deletes the row."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginThrottle(Base):
    """Sign-in attempts per key ("account:<login>", "ip:<address>"), shared by every worker
    and kept across restarts. An attempt is counted in `failures` before its password is
    checked (and given back when it was right); each one past the free ones doubles the
    wait, `blocked_until`."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]
