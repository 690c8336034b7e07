"""Support cases and what was said on them. State changes are conditional updates, so two
staff pressing Claim at once, or two workers checking SLAs, never both win."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialect import upsert
from bot.storage.models import Case, CaseEvent, CaseMessage, OutboxMessage
from bot.support.case_rules import CaseStatus

UNRESOLVED = (CaseStatus.OPEN.value, CaseStatus.CLAIMED.value)


@dataclass(frozen=True)
class CaseListQuery:
    """Which cases a list shows; every condition given must hold."""

    status: str | None = None
    holder: int | None = None  # claimed by this staff id on `holder_via` (and not open again)
    holder_via: str = "dashboard"
    unclaimed: bool = False  # nobody has taken it: still open
    breached_at: datetime | None = None  # past its SLA at this moment, or resolved late


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open(self, **values: object) -> Case | None:
        """A new case for a survey; None when that survey already has one."""
        result = await self.session.execute(
            upsert(self.session, Case)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[Case.survey_id])
            .returning(Case.id)
        )
        case_id = result.scalar_one_or_none()
        return await self.get(case_id) if case_id is not None else None

    async def get(self, case_id: int, *, lock: bool = False) -> Case | None:
        statement = (
            select(Case)
            .where(Case.id == case_id)
            .execution_options(
                populate_existing=True  # reflect conditional updates made in this session
            )
        )
        if lock:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def by_survey(self, survey_id: int) -> Case | None:
        statement = select(Case).where(Case.survey_id == survey_id)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def unresolved_for_customer(self, customer_id: int) -> Case | None:
        """The case a customer's message belongs to: their latest unresolved one."""
        statement = (
            select(Case)
            .where(Case.customer_id == customer_id, Case.status.in_(UNRESOLVED))
            .order_by(Case.opened_at.desc(), Case.id.desc())
            .limit(1)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def unresolved(self, *, lock: bool = False) -> list[Case]:
        """Open and claimed cases, oldest first."""
        statement = (
            select(Case).where(Case.status.in_(UNRESOLVED)).order_by(Case.opened_at, Case.id)
        )
        if lock:
            statement = statement.with_for_update(skip_locked=True)
        return list((await self.session.execute(statement)).scalars())

    async def all(self, limit: int = 200) -> list[Case]:
        statement = select(Case).order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit)
        return list((await self.session.execute(statement)).scalars())

    async def listed(self, query: CaseListQuery, limit: int = 200) -> list[Case]:
        """The work queue first: unresolved cases by their SLA's due time (so the most
        overdue first, then the least time left), then resolved ones, the latest resolved
        first; at most `limit` in all."""
        conditions = _list_conditions(query)
        unresolved = (
            select(Case)
            .where(Case.status.in_(UNRESOLVED), *conditions)
            .order_by(Case.sla_due_at, Case.opened_at, Case.id)
            .limit(limit)
        )
        found = list((await self.session.execute(unresolved)).scalars())
        if len(found) < limit:
            resolved = (
                select(Case)
                .where(Case.status == CaseStatus.RESOLVED.value, *conditions)
                .order_by(Case.resolved_at.desc(), Case.id.desc())
                .limit(limit - len(found))
            )
            found += (await self.session.execute(resolved)).scalars()
        return found

    async def claim(
        self, case_id: int, staff_id: int, staff_name: str, now: datetime, via: str = "telegram"
    ) -> bool:
        """Take an open case; False when somebody else was first."""
        return await self._change(
            case_id,
            Case.status == CaseStatus.OPEN.value,
            status=CaseStatus.CLAIMED.value,
            claimed_by=staff_id,
            claimed_by_name=staff_name,
            claimed_via=via,
            claimed_at=now,
            updated_at=now,
        )

    async def resolve(
        self, case_id: int, staff_name: str, now: datetime, reason: str | None = None
    ) -> bool:
        return await self._change(
            case_id,
            Case.status.in_(UNRESOLVED),
            status=CaseStatus.RESOLVED.value,
            resolved_by_name=staff_name,
            resolution_reason=reason,
            resolved_at=now,
            updated_at=now,
        )

    async def reopen(self, case_id: int, sla_due_at: datetime, now: datetime) -> bool:
        """A resolved case open again, unclaimed, due anew; False when it was not resolved."""
        return await self._change(
            case_id,
            Case.status == CaseStatus.RESOLVED.value,
            status=CaseStatus.OPEN.value,
            sla_due_at=sla_due_at,
            claimed_by=None,
            claimed_by_name=None,
            claimed_via=None,
            claimed_at=None,
            resolved_by_name=None,
            resolution_reason=None,
            resolved_at=None,
            reannounced_at=None,  # the SLA watch announces and escalates it again
            escalated_at=None,
            updated_at=now,
        )

    async def add_event(self, **values: object) -> None:
        self.session.add(CaseEvent(**values))
        await self.session.flush()

    async def events(self, case_id: int) -> list[CaseEvent]:
        statement = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        return list((await self.session.execute(statement)).scalars())

    async def first_response(self, case_id: int, now: datetime) -> None:
        await self._change(case_id, Case.first_response_at.is_(None), first_response_at=now)

    async def mark_reannounced(self, case_id: int, now: datetime) -> bool:
        return await self._change(case_id, Case.reannounced_at.is_(None), reannounced_at=now)

    async def mark_escalated(self, case_id: int, now: datetime) -> bool:
        return await self._change(case_id, Case.escalated_at.is_(None), escalated_at=now)

    async def add_message(self, **values: object) -> bool:
        """Record a relayed message; False if that very message was relayed before."""
        result = await self.session.execute(
            upsert(self.session, CaseMessage)
            .values(**values)
            .on_conflict_do_nothing(
                index_elements=[CaseMessage.source_chat_id, CaseMessage.source_message_id]
            )
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def messages(self, case_id: int) -> list[CaseMessage]:
        statement = (
            select(CaseMessage).where(CaseMessage.case_id == case_id).order_by(CaseMessage.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def by_bot_message(self, channel: str, address: str, message_id: str) -> Case | None:
        """The case a bot message at an address belongs to (a card, a relayed message...)."""
        statement = (
            select(Case)
            .join(OutboxMessage, OutboxMessage.survey_id == Case.survey_id)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.address == address,
                OutboxMessage.sent_message_id == message_id,
            )
            .limit(1)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def change_mark(self) -> str:
        """Changes whenever a case opens or changes state, or something is said or done on
        one (what the dashboard's live pages watch): cheap, one row of aggregates."""
        cases = select(func.count(Case.id), func.max(Case.updated_at)).subquery()
        said = select(func.max(CaseMessage.id)).scalar_subquery()
        done = select(func.max(CaseEvent.id)).scalar_subquery()
        row = (await self.session.execute(select(cases, said, done))).one()
        return "/".join("" if value is None else str(value) for value in row)

    async def _change(self, case_id: int, condition: object, **values: object) -> bool:
        result = await self.session.execute(
            update(Case)
            .execution_options(synchronize_session=False)
            .where(Case.id == case_id, condition)  # type: ignore[arg-type]
            .values(**values)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _list_conditions(query: CaseListQuery) -> list[Any]:
    conditions: list[Any] = []
    if query.status is not None:
        conditions.append(Case.status == query.status)
    if query.holder is not None:
        via = Case.claimed_via == query.holder_via
        if query.holder_via == "telegram":  # claimed before the dashboard could claim
            via = or_(via, Case.claimed_via.is_(None))
        conditions += [
            Case.claimed_by == query.holder,
            via,
            Case.status != CaseStatus.OPEN.value,
        ]
    if query.unclaimed:
        conditions.append(Case.status == CaseStatus.OPEN.value)
    if query.breached_at is not None:
        conditions.append(
            or_(
                and_(Case.status.in_(UNRESOLVED), Case.sla_due_at <= query.breached_at),
                and_(
                    Case.status == CaseStatus.RESOLVED.value,
                    Case.resolved_at > Case.sla_due_at,
                ),
            )
        )
    return conditions
