"""What `surveybot status` shows: the state of surveys, timers and deliveries, and of the
channels that keep tokens or meet the platform's limits (Zalo: until when the token chain
holds; Messenger: whether Meta accepts the Page token; the last event seen, the call-limit
and quota errors of the last 24 hours)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from bot.clock import Clock
from bot.messaging.channel_health import (
    ChainState,
    ChannelHealth,
    TokenChain,
    read_channel_health,
)
from bot.storage.database import Database
from bot.storage.models import InboundMessage, OutboxMessage, Survey
from bot.storage.repositories.outbox import PENDING


@dataclass(frozen=True)
class SystemStatus:
    surveys: dict[str, int]
    timers: dict[str, int]
    deliveries: dict[str, int]
    channels: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        def row(title: str, counts: dict[str, int]) -> str:
            shown = "  ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"
            return f"{title:<11}{shown}"

        return [
            row("surveys", self.surveys),
            row("timers", self.timers),
            row("deliveries", self.deliveries),
            *(f"{name:<11}{state}" for name, state in sorted(self.channels.items())),
        ]


async def system_status(db: Database, clock: Clock) -> SystemStatus:
    now = clock.now()
    async with db.reading() as tx:
        surveys = dict(
            (
                await tx.session.execute(
                    select(Survey.status, func.count()).group_by(Survey.status)
                )
            ).all()
        )
        timers = await tx.timers.counts(now)
        deliveries = await tx.outbox.counts()
        due = await tx.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == PENDING, OutboxMessage.not_before <= now)
        )
        channels = {
            health.channel: _channel_line(
                health,
                await tx.session.scalar(
                    select(func.max(InboundMessage.received_at)).where(
                        InboundMessage.channel == health.channel
                    )
                ),
                now,
            )
            for health in await read_channel_health(tx, now)
        }
    return SystemStatus(surveys, timers, {**deliveries, "due": int(due or 0)}, channels)


def _at(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}Z" if moment else "never"


def _channel_line(health: ChannelHealth, last_event: datetime | None, now: datetime) -> str:
    parts = [_chain_text(health.chain, now)] if health.chain is not None else []
    parts.append(f"last event {_at(last_event)}")
    if health.limit_errors:
        parts.append(_limits_text(health))
    return "; ".join(parts)


def _chain_text(chain: TokenChain, now: datetime) -> str:
    renewed = f"last renewed {_at(chain.refreshed_at)}"
    if chain.state is ChainState.NOT_AUTHORISED:
        return f"NOT AUTHORISED since {_at(chain.failed_at)}: {chain.last_error}"
    if chain.access_expires_at is None and chain.refresh_expires_at is None:
        return f"token accepted (last checked {_at(chain.refreshed_at)})"  # it does not expire
    if chain.state is ChainState.EXPIRED:
        return (
            f"NOT AUTHORISED: the refresh token expired {_at(chain.refresh_expires_at)} ({renewed})"
        )
    text = (
        f"token valid until {_at(chain.access_expires_at)}, re-authorise by "
        f"{_at(chain.refresh_expires_at)}"
    )
    if chain.state is ChainState.EXPIRING and chain.refresh_expires_at is not None:
        days = (chain.refresh_expires_at - now).days
        return f"{text} (SOON: in {_days(days)}, {renewed})"
    return text


def _limits_text(health: ChannelHealth) -> str:
    """Like: 3 quota/call-limit errors in the last 24 h (-211 ×2, -32 ×1; last: -211 at ...)."""
    n = health.limit_errors
    counted = ""
    if len(health.limit_counts) > 1:
        by_code = sorted(health.limit_counts.items(), key=lambda item: (-item[1], item[0]))
        counted = ", ".join(f"{code} ×{count}" for code, count in by_code) + "; "
    last = health.recent_limits[0]
    return (
        f"{n} quota/call-limit error{'s' if n != 1 else ''} in the last 24 h "
        f"({counted}last: {last.code} at {_at(last.occurred_at)}: {last.message})"
    )


def _days(days: int) -> str:
    return "less than a day" if days < 1 else f"{days} day{'s' if days != 1 else ''}"
