"""What `surveybot status` shows: the state of surveys, timers and deliveries, and of the
channels that keep tokens (Zalo: until when the token chain holds, the last event seen)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from bot.clock import Clock
from bot.storage.database import Database
from bot.storage.models import ChannelToken, InboundMessage, OutboxMessage, Survey
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
        tokens = (await tx.session.execute(select(ChannelToken))).scalars().all()
        channels = {
            token.channel: _token_line(
                token,
                await tx.session.scalar(
                    select(func.max(InboundMessage.received_at)).where(
                        InboundMessage.channel == token.channel
                    )
                ),
            )
            for token in tokens
        }
    return SystemStatus(surveys, timers, {**deliveries, "due": int(due or 0)}, channels)


def _token_line(token: ChannelToken, last_event: datetime | None) -> str:
    def at(moment: datetime | None) -> str:
        return f"{moment:%Y-%m-%d %H:%M}Z" if moment else "never"

    seen = f"last event {at(last_event)}"
    if token.last_error is not None:
        return f"NOT AUTHORISED since {at(token.failed_at)}: {token.last_error}; {seen}"
    return (
        f"token valid until {at(token.access_expires_at)}, re-authorise by "
        f"{at(token.refresh_expires_at)}; {seen}"
    )
