"""Purchase events in: record once, plan a survey per matching flow, answer the same twice.

One transaction per event. The event id is claimed first (a unique key), so 50 identical
requests at once create one survey: the first does the work, the others wait for its
commit and return its stored answer. The same id with a different body is a conflict.
An event from the future is refused before anything is recorded (422, like any invalid
field); one from too long ago is recorded, and its surveys are skipped as stale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.flows.registry import FlowRegistry
from bot.flows.schema import Flow
from bot.messaging.outbox_writer import OutboxWriter
from bot.storage.database import Database
from bot.storage.models import Customer, Order, Survey
from bot.storage.repositories.timers import TimerKind
from bot.storage.unit_of_work import UnitOfWork
from bot.surveys.eligibility import SkipReason, decide
from bot.surveys.engine import SessionStatus
from bot.surveys.events import PurchaseEvent
from bot.surveys.invitations import invited_by
from bot.surveys.links import SurveyLinks
from bot.surveys.timing import expire_at, into_window, send_at, zone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    status_code: int  # 202 new, 200 a repeat, 409 a different body under a used id, 422
    body: dict[str, Any]


class IngestService:
    def __init__(
        self,
        db: Database,
        flows: FlowRegistry,
        clock: Clock,
        links: SurveyLinks,
        default_timezone: str,
        outbox: OutboxWriter,
    ) -> None:
        self.db = db
        self.flows = flows
        self.clock = clock
        self.links = links
        self.default_timezone = default_timezone
        self.outbox = outbox

    async def ingest(self, event: PurchaseEvent) -> IngestResult:
        fingerprint = event.fingerprint()
        now = self.clock.now()
        problems = event.problems_at(now)
        if problems:
            return IngestResult(422, {"error": "invalid_request", "detail": problems})
        async with self.db.transaction() as tx:
            if not await tx.events.claim(event.id, event.type, fingerprint, now):
                return await self._repeat(tx, event.id, fingerprint)
            customer = await tx.customers.from_event(event.customer, now)
            order = await tx.orders.from_event(event.order, customer.id, event.occurred_at, now)
            surveys = [
                await self._plan(tx, flow, customer, order, event)
                for flow in self.flows.catalog.for_event(event.type)
            ]
            body = {"event_id": event.id, "surveys": [self.links.describe(s) for s in surveys]}
            await tx.events.set_response(event.id, body)
        log.info(
            "event received",
            extra={"event_id": event.id, "type": event.type, "surveys": len(surveys)},
        )
        return IngestResult(202, body)

    async def _repeat(self, tx: UnitOfWork, event_id: str, fingerprint: str) -> IngestResult:
        known = await tx.events.get(event_id)
        assert known is not None and known.response is not None
        if known.fingerprint != fingerprint:
            return IngestResult(
                409,
                {
                    "error": "conflict",
                    "detail": f"event {event_id!r} was already received with a different body; "
                    "send a new id for a new event",
                },
            )
        return IngestResult(200, known.response)

    async def _plan(
        self, tx: UnitOfWork, flow: Flow, customer: Customer, order: Order, event: PurchaseEvent
    ) -> Survey:
        """One survey for (order, flow): scheduled, link-only, or skipped with a reason."""
        existing = await tx.surveys.for_order(order.id, flow.id)
        if existing is not None:
            return existing  # another event about this order planned it already
        now = self.clock.now()
        trigger = flow.trigger
        assert trigger is not None, "only flows with a trigger match an event"
        tz = zone(customer.timezone, self.default_timezone)
        # Never in the past: an event reported late is surveyed at the next good moment.
        occurred = event.occurred_at.astimezone(UTC)  # UTC inside, local time only at edges
        when = max(send_at(occurred, trigger, tz), into_window(now, trigger.send_window, tz))
        decision = decide(
            trigger=trigger,
            sample_key=f"{flow.id}:{order.external_id}",
            opted_out=customer.opted_out_at is not None,
            last_surveyed_at=await tx.surveys.last_surveyed_at(customer.id),
            at=when,
            event_age=now - occurred,
        )
        await self.flows.remember(tx, flow, now)
        route = await self.outbox.route(tx, customer.id, flow_id=flow.id, invited=invited_by(flow))
        reachable = route is not None
        try:
            async with tx.session.begin_nested():
                survey = await tx.surveys.add(
                    flow_id=flow.id,
                    flow_version=flow.version,
                    customer_id=customer.id,
                    order_id=order.id,
                    locale=flow.pick_locale(customer.locale),
                    status=SessionStatus.PENDING if decision.send else SessionStatus.SKIPPED,
                    channel=route.channel if route is not None and decision.send else None,
                    now=now,
                    event_id=event.id,
                )
        except IntegrityError:
            # A concurrent event about the same order won the (order, flow) unique key.
            planned = await tx.surveys.for_order(order.id, flow.id)
            assert planned is not None
            return planned
        if not decision.send:
            survey.skip_reason = decision.reason.value if decision.reason else None
            survey.skip_detail = decision.detail
            if decision.reason is SkipReason.STALE:
                # Closed from the start: had the event come in time, its survey would be
                # over by now, so its link and QR code lead to a closed page.
                survey.expires_at = min(now, occurred + trigger.stale_after)
            log.info("survey skipped", extra={"survey_id": survey.id, "reason": survey.skip_reason})
            return survey
        survey.scheduled_for = when
        if reachable:
            await tx.timers.set(survey.id, TimerKind.SEND, when, now)
        else:
            # No chat to write to: the link or QR code is the way in, until it expires.
            survey.expires_at = expire_at(when, trigger)
            if survey.expires_at is not None:
                await tx.timers.set(survey.id, TimerKind.EXPIRE, survey.expires_at, now)
        await tx.surveys.flush()
        return survey
