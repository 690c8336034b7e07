"""Acting on due timers: send a survey, remind once, close it when it expires, open the
case of a customer who stopped part-way.

Ticked by APScheduler. Each batch runs in one transaction: the timers are claimed (FOR
UPDATE SKIP LOCKED on PostgreSQL), each fires inside a savepoint under a lock on its
survey, and the messages it causes go to the outbox in that same transaction. Firing is
idempotent (it checks the survey's status), so a timer is never acted on twice. A survey
locked by someone else (a customer answering it right now) is not waited for: its timer
is due again a few seconds later. Waiting while holding the claimed timers would deadlock
with a transaction that locks the survey, then touches one of them (an answer re-arms the
survey's idle-escalation timer).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.flows.schema import Flow
from bot.storage.database import Database
from bot.storage.models import Customer, Survey, Timer
from bot.storage.repositories.timers import TimerKind
from bot.storage.unit_of_work import UnitOfWork
from bot.surveys.conversation import DeliveryKick
from bot.surveys.eligibility import decide
from bot.surveys.engine import SessionStatus
from bot.surveys.invitations import invited_by
from bot.surveys.runner import BULK_PRIORITY, SurveyRunner
from bot.surveys.timing import expire_at, remind_at, zone

log = logging.getLogger(__name__)

MAX_TIMER_ATTEMPTS = 5
BUSY_RETRY = timedelta(seconds=5)  # a timer whose survey was locked is due again after this

TimerHandler = Callable[[UnitOfWork, int], Awaitable[None]]


class SurveyTimers:
    def __init__(
        self,
        db: Database,
        runner: SurveyRunner,
        clock: Clock,
        delivery: DeliveryKick,
        default_timezone: str,
        batch_size: int = 200,
        # Timer kinds owned by other features (the follow-up of a resolved case...).
        handlers: Mapping[TimerKind, TimerHandler] | None = None,
    ) -> None:
        self.db = db
        self.runner = runner
        self.clock = clock
        self.delivery = delivery
        self.default_timezone = default_timezone
        self.batch_size = batch_size
        self.handlers = dict(handlers or {})

    async def run_due(self) -> int:
        """Fire every due timer (in batches); returns how many fired."""
        fired = 0
        while True:
            count = await self._batch()
            fired += count
            if count < self.batch_size:
                break
        if fired:
            self.delivery.kick()
        return fired

    async def _batch(self) -> int:
        """One batch in one transaction. Should any timer fail, the batch is rolled back
        and redone one timer per savepoint, so a bad timer never holds up the others
        (and the common case pays for no savepoints)."""
        try:
            async with self.db.transaction() as tx:
                timers = await tx.timers.claim_due(self.clock.now(), self.batch_size)
                for timer in timers:
                    await self._fire_and_settle(tx, timer, self.clock.now())
                return len(timers)
        except Exception:
            log.warning("a timer failed; retrying its batch one timer at a time")
        return await self._batch_isolated()

    async def _batch_isolated(self) -> int:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            timers = await tx.timers.claim_due(now, self.batch_size)
            for timer in timers:
                try:
                    async with tx.session.begin_nested():
                        await self._fire_and_settle(tx, timer, now)
                except Exception as exc:
                    log.exception("timer %s (%s) failed", timer.id, timer.kind)
                    timer.attempts += 1
                    timer.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    if timer.attempts >= MAX_TIMER_ATTEMPTS:
                        timer.status = "failed"
                    else:
                        timer.due_at = now + timedelta(seconds=30 * 2**timer.attempts)
        return len(timers)

    async def _fire_and_settle(self, tx: UnitOfWork, timer: Timer, now: datetime) -> None:
        if await self._fire(tx, timer):
            await tx.timers.finish(timer, now)
        else:
            await tx.timers.postpone(timer, now + BUSY_RETRY)

    async def _fire(self, tx: UnitOfWork, timer: Timer) -> bool:
        """Act on one timer; False when its survey is busy and it should fire again soon."""
        handler = self.handlers.get(TimerKind(timer.kind))
        if handler is not None:
            await handler(tx, timer.survey_id)
            return True
        survey = await tx.surveys.lock_unless_busy(timer.survey_id)
        if survey is None:  # busy, unless it is gone
            return await tx.surveys.get(timer.survey_id) is None
        customer = await tx.customers.get(survey.customer_id)
        assert customer is not None
        kind = TimerKind(timer.kind)
        if kind == TimerKind.SEND:
            await self._send(tx, survey, customer)
        elif kind == TimerKind.REMIND:
            await self._remind(tx, survey, customer)
        elif kind == TimerKind.IDLE_ESCALATION:
            await self.runner.escalate_idle(tx, survey, customer)
        else:
            await self._expire(tx, survey, customer)
        return True

    async def _send(self, tx: UnitOfWork, survey: Survey, customer: Customer) -> None:
        if survey.status != SessionStatus.PENDING:
            return  # already opened through its link, stopped, or sent: nothing to do
        now = self.clock.now()
        flow, _ = await self.runner.load(tx, survey)
        has_cooldown = flow.trigger is not None and flow.trigger.cooldown is not None
        decision = decide(  # the sample was drawn at ingest; opt-outs and cooldowns may be new
            trigger=flow.trigger,
            sample_key=None,
            opted_out=customer.opted_out_at is not None,
            last_surveyed_at=(
                await tx.surveys.last_surveyed_at(customer.id, besides=survey.id)
                if has_cooldown
                else None
            ),
            at=now,
        )
        if not decision.send and decision.reason is not None:
            survey.status = SessionStatus.SKIPPED.value
            survey.skip_reason = decision.reason.value
            survey.skip_detail = decision.detail
            log.info(
                "survey skipped at send time",
                extra={"survey_id": survey.id, "reason": survey.skip_reason},
            )
            return
        route = await self.runner.outbox.route(
            tx, customer.id, flow_id=survey.flow_id, invited=invited_by(flow)
        )
        if route is None:
            survey.channel = None  # left to its link; it still expires
            await self._arm_expiry(tx, survey, flow)
            return
        await self.runner.begin(tx, survey, customer, route.channel, priority=BULK_PRIORITY)
        survey.sent_at = now
        trigger = flow.trigger
        if trigger is not None:
            tz = zone(customer.timezone, self.default_timezone)
            reminder = remind_at(now, trigger, tz)
            if reminder is not None:
                await tx.timers.set(survey.id, TimerKind.REMIND, reminder, now)
        await self._arm_expiry(tx, survey, flow)
        log.info("survey sent", extra={"survey_id": survey.id, "flow": survey.flow_id})

    async def _arm_expiry(self, tx: UnitOfWork, survey: Survey, flow: Flow) -> None:
        now = self.clock.now()
        closing = expire_at(now, flow.trigger) if flow.trigger is not None else None
        survey.expires_at = closing
        if closing is not None:
            await tx.timers.set(survey.id, TimerKind.EXPIRE, closing, now)

    async def _remind(self, tx: UnitOfWork, survey: Survey, customer: Customer) -> None:
        if survey.status != SessionStatus.ACTIVE or survey.reminded_at is not None:
            return
        if await tx.answers.for_survey(survey.id):
            return  # the customer has started answering: no nudge needed
        await self.runner.remind(tx, survey, customer)
        survey.reminded_at = self.clock.now()
        log.info("survey reminded", extra={"survey_id": survey.id})

    async def _expire(self, tx: UnitOfWork, survey: Survey, customer: Customer) -> None:
        if not SessionStatus(survey.status).is_open:
            return
        await self.runner.expire(tx, survey, customer)
        await tx.timers.cancel_for_survey(
            survey.id, TimerKind.SEND, TimerKind.REMIND, TimerKind.IDLE_ESCALATION
        )
        log.info("survey expired", extra={"survey_id": survey.id})
