"""What `surveybot status` shows: the state of surveys, timers and deliveries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from bot.clock import Clock
from bot.storage.database import Database
from bot.storage.models import OutboxMessage, Survey
from bot.storage.repositories.outbox import PENDING


@dataclass(frozen=True)
class SystemStatus:
    surveys: dict[str, int]
    timers: dict[str, int]
    deliveries: dict[str, int]

    def lines(self) -> list[str]:
        def row(title: str, counts: dict[str, int]) -> str:
            shown = "  ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"
            return f"{title:<11}{shown}"

        return [
            row("surveys", self.surveys),
            row("timers", self.timers),
            row("deliveries", self.deliveries),
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
    return SystemStatus(surveys, timers, {**deliveries, "due": int(due or 0)})
