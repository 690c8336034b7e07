"""The outbox: messages waiting to be delivered, claimed safely by several workers.

(Bulk UPDATEs skip SQLAlchemy's session synchronisation: it scans every object of the
session for each statement, and nothing here reads a row back after updating it.)

A worker claims the oldest undelivered message of each chat (never a later one while an
earlier one is pending, so a chat's messages arrive in order), under a lease; on PostgreSQL
with FOR UPDATE SKIP LOCKED so two workers never take the same row. A worker that dies
mid-send leaves its lease to expire and the message is claimed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage.dialect import is_postgres
from bot.storage.models import OutboxMessage

PENDING, SENDING, SENT, FAILED, CANCELLED = "pending", "sending", "sent", "failed", "cancelled"
UNDELIVERED = (PENDING, SENDING)


class RecordedOutcome(Protocol):
    """What `record` reads of a delivery's outcome (the dispatcher's `Outcome` has it):
    declared here so storage needs nothing from the layers above it."""

    @property
    def row_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def message_id(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def retry_in(self) -> float: ...
    @property
    def failed_attempt(self) -> bool: ...


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        channel: str,
        address: str,
        kind: str,
        payload: dict[str, Any],
        now: datetime,
        priority: int = 0,
        customer_id: int | None = None,
        survey_id: int | None = None,
        not_before: datetime | None = None,
        routed_because: str | None = None,
        shown: bool = False,
    ) -> OutboxMessage:
        """`shown`: a message the web chat page shows itself; nothing is pushed. Only
        bot.messaging.outbox_writer calls this."""
        message = OutboxMessage(
            channel=channel,
            address=address,
            routed_because=routed_because,
            kind=kind,
            payload=payload,
            priority=priority,
            customer_id=customer_id,
            survey_id=survey_id,
            status=SENT if shown else PENDING,
            attempts=0,
            not_before=not_before or now,
            created_at=now,
            sent_at=now if shown else None,
        )
        self.session.add(message)
        await self.session.flush()
        return message

    async def shown_for_survey(self, survey_id: int) -> list[OutboxMessage]:
        """What the web chat shows for a survey, in order (edits included)."""
        statement = (
            select(OutboxMessage)
            .where(OutboxMessage.survey_id == survey_id, OutboxMessage.channel == "web")
            .order_by(OutboxMessage.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def get(self, message_id: int) -> OutboxMessage | None:
        return await self.session.get(OutboxMessage, message_id)

    async def sent_as(self, channel: str, sent_message_id: str) -> OutboxMessage | None:
        """The message the platform knows as `sent_message_id` on `channel`."""
        result = await self.session.execute(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.sent_message_id == sent_message_id,
            )
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def survey_message_sending(self, channel: str) -> bool:
        """Whether a survey's message is being sent on `channel` now (claimed, its outcome
        not yet recorded): the platform may already know it by an id we do not."""
        result = await self.session.execute(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status == SENDING,
                OutboxMessage.survey_id.is_not(None),
            )
            .limit(1)
        )
        return result.first() is not None

    async def get_many(self, message_ids: Sequence[int]) -> dict[int, OutboxMessage]:
        if not message_ids:
            return {}
        statement = select(OutboxMessage).where(OutboxMessage.id.in_(set(message_ids)))
        return {row.id: row for row in (await self.session.execute(statement)).scalars()}

    async def record(
        self, outcomes: Sequence[RecordedOutcome], rows: dict[int, OutboxMessage], now: datetime
    ) -> None:
        """Write outcomes in one go (an UPDATE per row, one round of statements)."""
        changes = []
        for outcome in outcomes:
            row = rows[outcome.row_id]
            sent = outcome.status == SENT
            changes.append(
                {
                    "id": outcome.row_id,
                    "status": outcome.status,
                    "lease_until": None,
                    "sent_message_id": outcome.message_id if sent else row.sent_message_id,
                    "sent_at": now if sent else row.sent_at,
                    "last_error": (outcome.error or "")[:2000] or None,
                    "attempts": row.attempts + (1 if outcome.failed_attempt else 0),
                    "not_before": now + timedelta(seconds=outcome.retry_in)
                    if outcome.status == PENDING
                    else row.not_before,
                }
            )
        await self.session.execute(update(OutboxMessage), changes)

    async def claim_due(
        self,
        now: datetime,
        limit: int,
        lease: timedelta,
        *,
        max_attempts: int | None = None,
        channels: Sequence[str] | None = None,
        min_priority: int | None = None,
        max_priority: int | None = None,
    ) -> list[OutboxMessage]:
        """Take up to `limit` due messages, each the oldest undelivered one of its address."""
        if max_attempts is not None:
            await self._give_up_abandoned(now, max_attempts)
        earlier = aliased(OutboxMessage)
        blocked = exists().where(
            earlier.channel == OutboxMessage.channel,
            earlier.address == OutboxMessage.address,
            earlier.id < OutboxMessage.id,
            earlier.status.in_(UNDELIVERED),
        )
        claimable = or_(
            and_(OutboxMessage.status == PENDING, OutboxMessage.not_before <= now),
            and_(OutboxMessage.status == SENDING, OutboxMessage.lease_until < now),
        )
        statement = select(OutboxMessage).where(claimable, ~blocked)
        if channels is not None:
            statement = statement.where(OutboxMessage.channel.in_(channels))
        if min_priority is not None:
            statement = statement.where(OutboxMessage.priority >= min_priority)
        if max_priority is not None:
            statement = statement.where(OutboxMessage.priority <= max_priority)
        statement = statement.order_by(OutboxMessage.priority, OutboxMessage.id).limit(limit)
        if is_postgres(self.session):
            statement = statement.with_for_update(skip_locked=True, of=OutboxMessage)
        rows = list((await self.session.execute(statement)).scalars())
        for row in rows:
            if row.status == SENDING:  # its worker died mid-send: that counts as an attempt
                row.attempts += 1
            row.status = SENDING
            row.lease_until = now + lease
        await self.session.flush()
        return rows

    async def _give_up_abandoned(self, now: datetime, max_attempts: int) -> None:
        """A message whose worker died mid-send too often fails, so its chat moves on."""
        await self.session.execute(
            update(OutboxMessage)
            .execution_options(synchronize_session=False)
            .where(
                OutboxMessage.status == SENDING,
                OutboxMessage.lease_until < now,
                OutboxMessage.attempts + 1 >= max_attempts,
            )
            .values(
                status=FAILED,
                attempts=OutboxMessage.attempts + 1,
                lease_until=None,
                last_error="abandoned mid-send too many times",
            )
        )

    async def count_failure(self, message_id: int) -> int:
        """One more failed attempt; returns the total so far."""
        row = await self.session.get(OutboxMessage, message_id, with_for_update=True)
        assert row is not None
        row.attempts += 1
        await self.session.flush()
        return row.attempts

    async def mark_sent(self, message_id: int, sent_message_id: str | None, now: datetime) -> None:
        await self._set(
            message_id,
            status=SENT,
            sent_message_id=sent_message_id,
            sent_at=now,
            lease_until=None,
            last_error=None,
        )

    async def retry_later(self, message_id: int, error: str, not_before: datetime) -> None:
        await self._set(
            message_id,
            status=PENDING,
            not_before=not_before,
            lease_until=None,
            last_error=error[:2000],
        )

    async def mark_failed(self, message_id: int, error: str) -> None:
        await self.settle(message_id, FAILED, error)

    async def settle(self, message_id: int, status: str, reason: str) -> None:
        """End a message's life without sending it (failed, or cancelled as superseded)."""
        await self._set(message_id, status=status, lease_until=None, last_error=reason[:2000])

    async def cancel_if_pending(self, message_id: int) -> bool:
        """Cancel a message nobody has started sending; False if it is (being) sent."""
        result = await self.session.execute(
            update(OutboxMessage)
            .execution_options(synchronize_session=False)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING)
            .values(status=CANCELLED)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def pending_for_address(self, channel: str, address: str) -> list[OutboxMessage]:
        """What still waits to go to this address, oldest first."""
        statement = (
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.address == address,
                OutboxMessage.status == PENDING,
            )
            .order_by(OutboxMessage.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def cancel_for_customer(self, customer_id: int) -> int:
        result = await self.session.execute(
            update(OutboxMessage)
            .execution_options(synchronize_session=False)
            .where(OutboxMessage.customer_id == customer_id, OutboxMessage.status == PENDING)
            .values(status=CANCELLED)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def counts(self) -> dict[str, int]:
        statement = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return {status: count for status, count in (await self.session.execute(statement)).all()}

    async def next_due_at(self) -> datetime | None:
        statement = select(func.min(OutboxMessage.not_before)).where(
            OutboxMessage.status == PENDING
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def _set(self, message_id: int, **values: Any) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .execution_options(synchronize_session=False)
            .where(OutboxMessage.id == message_id)
            .values(**values)
        )
