"""Durable timers: one row per (survey, kind), claimed when due by exactly one worker.

A worker takes a batch of due timers inside its transaction (FOR UPDATE SKIP LOCKED on
PostgreSQL; SQLite serialises writers), acts on each and marks it done in that same
transaction. A worker that dies mid-batch rolls back: the timers are simply due again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialect import is_postgres, upsert
from bot.storage.models import Timer


class TimerKind(StrEnum):
    SEND = "send"
    REMIND = "remind"
    EXPIRE = "expire"
    FOLLOWUP = "followup"  # ask "is it resolved?" after a support case is closed
    IDLE_ESCALATION = "idle_escalation"  # a case for a customer who stopped part-way


PENDING, DONE, CANCELLED = "pending", "done", "cancelled"


class TimerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def set(self, survey_id: int, kind: TimerKind, due_at: datetime, now: datetime) -> None:
        """Arm (or re-arm) the survey's timer of this kind."""
        statement = upsert(self.session, Timer).values(
            survey_id=survey_id,
            kind=kind.value,
            due_at=due_at,
            status=PENDING,
            attempts=0,
            created_at=now,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Timer.survey_id, Timer.kind],
                set_={"due_at": due_at, "status": PENDING, "attempts": 0, "done_at": None},
            )
        )

    async def claim_due(self, now: datetime, limit: int) -> list[Timer]:
        statement = (
            select(Timer)
            .where(Timer.status == PENDING, Timer.due_at <= now)
            .order_by(Timer.due_at, Timer.id)
            .limit(limit)
        )
        if is_postgres(self.session):
            statement = statement.with_for_update(skip_locked=True)
        return list((await self.session.execute(statement)).scalars())

    async def finish(self, timer: Timer, now: datetime) -> None:
        timer.status = DONE
        timer.done_at = now
        await self.session.flush()

    async def postpone(self, timer: Timer, due_at: datetime) -> None:
        """Leave a claimed timer pending, due again at `due_at`."""
        timer.due_at = due_at
        await self.session.flush()

    async def cancel_for_survey(self, survey_id: int, *kinds: TimerKind) -> None:
        statement = (
            update(Timer)
            .execution_options(synchronize_session=False)
            .where(Timer.survey_id == survey_id, Timer.status == PENDING)
        )
        if kinds:
            statement = statement.where(Timer.kind.in_([k.value for k in kinds]))
        await self.session.execute(statement.values(status=CANCELLED))

    async def counts(self, now: datetime) -> dict[str, int]:
        by_status = dict(
            (
                await self.session.execute(
                    select(Timer.status, func.count()).group_by(Timer.status)
                )
            ).all()
        )
        due = await self.session.scalar(
            select(func.count())
            .select_from(Timer)
            .where(Timer.status == PENDING, Timer.due_at <= now)
        )
        return {**by_status, "due": int(due or 0)}
