"""Surveys: created per (order, flow), looked up by token, locked while being answered."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Survey
from bot.surveys.engine import SessionStatus

TOKEN_BYTES = 24  # 32 URL-safe characters, 192 random bits
TOKEN_MAX_LENGTH = 64  # Telegram's /start payload limit; the column's width


def new_token() -> str:
    """An unguessable deep-link token: at most 64 characters of A-Za-z0-9_-."""
    return secrets.token_urlsafe(TOKEN_BYTES)


class SurveyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        flow_id: str,
        flow_version: str,
        customer_id: int,
        order_id: int | None,
        locale: str,
        status: SessionStatus,
        channel: str | None,
        now: datetime,
        event_id: str | None = None,
    ) -> Survey:
        survey = Survey(
            token=new_token(),
            flow_id=flow_id,
            flow_version=flow_version,
            customer_id=customer_id,
            order_id=order_id,
            locale=locale,
            status=status.value,
            channel=channel,
            event_id=event_id,
            visit=0,
            failures=0,
            created_at=now,
            updated_at=now,
        )
        self.session.add(survey)
        await self.session.flush()
        return survey

    async def get(self, survey_id: int, *, lock: bool = False) -> Survey | None:
        statement = select(Survey).where(Survey.id == survey_id)
        if lock:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def lock_unless_busy(self, survey_id: int) -> Survey | None:
        """The survey, locked; None when another transaction holds its lock (PostgreSQL;
        SQLite has one writer at a time anyway) or it is gone. For a worker that must not
        wait for a survey (bot.surveys.timers says why)."""
        statement = select(Survey).where(Survey.id == survey_id).with_for_update(skip_locked=True)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def by_token(self, token: str, *, lock: bool = False) -> Survey | None:
        statement = select(Survey).where(Survey.token == token)
        if lock:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def states(self, survey_ids: Sequence[int]) -> dict[int, tuple[str, int]]:
        """(status, visit) of each survey: what the dispatcher needs to drop stale questions."""
        if not survey_ids:
            return {}
        statement = select(Survey.id, Survey.status, Survey.visit).where(
            Survey.id.in_(set(survey_ids))
        )
        return {row.id: (row.status, row.visit) for row in await self.session.execute(statement)}

    async def latest_active(self, customer_id: int, *, lock: bool = False) -> Survey | None:
        """The survey a typed message answers: the most recently started active one."""
        statement = (
            select(Survey)
            .where(Survey.customer_id == customer_id, Survey.status == SessionStatus.ACTIVE)
            .order_by(Survey.started_at.desc(), Survey.id.desc())
            .limit(1)
        )
        if lock:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def for_order(self, order_id: int, flow_id: str) -> Survey | None:
        statement = select(Survey).where(Survey.order_id == order_id, Survey.flow_id == flow_id)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def last_surveyed_at(
        self, customer_id: int, *, besides: int | None = None
    ) -> datetime | None:
        """When this customer was last surveyed (or is next due to be), for cooldowns."""
        moment = func.coalesce(Survey.sent_at, Survey.scheduled_for, Survey.started_at)
        statement = select(func.max(moment)).where(
            Survey.customer_id == customer_id,
            Survey.status.not_in([SessionStatus.SKIPPED, SessionStatus.FAILED]),
        )
        if besides is not None:
            statement = statement.where(Survey.id != besides)
        value = (await self.session.execute(statement)).scalar_one_or_none()
        return _as_utc(value)

    async def open_for_customer(self, customer_id: int) -> list[Survey]:
        statement = select(Survey).where(
            Survey.customer_id == customer_id,
            Survey.status.in_([SessionStatus.PENDING, SessionStatus.ACTIVE]),
        )
        return list((await self.session.execute(statement)).scalars())

    async def flush(self) -> None:
        await self.session.flush()


def _as_utc(value: datetime | None) -> datetime | None:
    """Aggregates skip the column type, so SQLite hands back naive text-parsed times."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
