"""Closing the loop: a case for every unhappy answer, claimed and resolved by staff.

A flow's `escalate` opens the case in the same transaction as the answer that caused it,
or, for a customer who stopped part-way, when its `idle` timer fires: the customer gets
an empathetic reply at once, the support group gets a card. A survey has one case at
most, so its end step reached later only brings the card up to date. The card is edited
as the case moves; resolving it schedules the follow-up question.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.messaging.message import OutgoingMessage
from bot.messaging.outbox_writer import WEB
from bot.storage.database import Database
from bot.storage.models import Case
from bot.storage.repositories.timers import TimerKind
from bot.storage.unit_of_work import UnitOfWork
from bot.support.cards import CaseCards, CaseView, SupportConfig
from bot.support.case_rules import CaseStatus, severity
from bot.surveys.conversation import DeliveryKick
from bot.surveys.engine import Escalate, SessionStatus, answer_scope
from bot.surveys.runner import INTERACTIVE_PRIORITY, SurveyEvent, SurveyRunner

log = logging.getLogger(__name__)


TELEGRAM_STAFF, DASHBOARD_STAFF = "telegram", "dashboard"


@dataclass(frozen=True)
class Staff:
    """A support team member: a Telegram user in the support group, or a dashboard user
    (`via`); `user_id` is theirs on that side."""

    user_id: int
    name: str
    via: str = TELEGRAM_STAFF

    def holds(self, case: Case) -> bool:
        """Whether this staff member has claimed the case."""
        return case.claimed_by == self.user_id and (case.claimed_via or TELEGRAM_STAFF) == self.via


class CaseAnswer(str):
    """What staff are told after acting on a case (a toast, a notice); `done`: the action
    took effect (otherwise the text says why not)."""

    done: bool

    def __new__(cls, text: str, done: bool) -> CaseAnswer:
        answer = super().__new__(cls, text)
        answer.done = done
        return answer


CaseAction = Callable[[Staff, int], Awaitable[CaseAnswer]]


class CaseService:
    def __init__(
        self,
        db: Database,
        runner: SurveyRunner,
        clock: Clock,
        delivery: DeliveryKick,
        cards: CaseCards,
        config: SupportConfig,
    ) -> None:
        self.db = db
        self.runner = runner
        self.clock = clock
        self.delivery = delivery
        self.cards = cards
        self.config = config
        # More card buttons (e.g. "Send voucher"), added by the features that own them.
        self.actions: dict[str, CaseAction] = {}

    # ---- opening ------------------------------------------------------------------

    async def on_survey_event(self, event: SurveyEvent) -> None:
        """The survey runner's hook: an `escalate` that held opens a case."""
        if not isinstance(event.action, Escalate):
            return
        tx, survey, now = event.tx, event.survey, self.clock.now()
        case = await tx.cases.open(
            survey_id=survey.id,
            customer_id=event.customer.id,
            order_id=survey.order_id,
            flow_id=survey.flow_id,
            severity=severity(answer_scope(event.flow, event.state.answers)).value,
            status=CaseStatus.OPEN.value,
            sla_due_at=now + event.action.escalation.sla,
            opened_at=now,
            support_chat_id=self.config.chat_id,
            updated_at=now,
        )
        if case is None:
            # Opened already (the customer stopped part-way, then came back and finished):
            # no second case and no second apology, but staff see the answers given since.
            opened = await tx.cases.by_survey(survey.id)
            if opened is not None:
                await self.refresh_card(tx, opened)
            return
        reply = self.runner.presenter.texts.phrase("escalation_reply", survey.locale)
        await self.runner.emit(tx, survey, event.customer, OutgoingMessage(reply))
        if self.config.chat_id is not None:
            view = await self.view(tx, case)
            card = await self._to_support(tx, case, self.cards.card(view, now))
            case.card_outbox_id = card
        log.info(
            "case opened",
            extra={"case_id": case.id, "survey_id": survey.id, "severity": case.severity},
        )

    # ---- staff actions ------------------------------------------------------------

    async def claim(self, staff: Staff, case_id: int) -> CaseAnswer:
        """Claim a case; the answer is the toast the staff member sees."""
        async with self.db.transaction() as tx:
            now = self.clock.now()
            if await tx.cases.claim(case_id, staff.user_id, staff.name, now, staff.via):
                case = await tx.cases.get(case_id)
                assert case is not None
                await self.record(tx, case_id, "claimed", staff)
                await self.refresh_card(tx, case)
                # Told before they write: a reply could not reach the customer now.
                why = await self.reply_cannot_reach(tx, case)
                name = "claimed_unreachable" if why else "claimed"
                toast = CaseAnswer(self.cards.phrase(name, id=case_id, why=why), done=True)
            else:
                toast = CaseAnswer(await self._why_not(tx, case_id), done=False)
        self.delivery.kick()
        return toast

    async def record(
        self, tx: UnitOfWork, case_id: int, kind: str, staff: Staff, detail: str | None = None
    ) -> None:
        """One entry of the case's timeline: what staff did, who, when."""
        await tx.cases.add_event(
            case_id=case_id,
            kind=kind,
            actor_via=staff.via,
            actor_id=str(staff.user_id),
            actor_name=staff.name,
            detail=detail,
            created_at=self.clock.now(),
        )

    async def reply_cannot_reach(self, tx: UnitOfWork, case: Case) -> str | None:
        """Why a staff reply on the case cannot reach the customer now (Zalo's 7 days or
        Messenger's 24 hours since they last wrote have passed, ...), or None when it can.
        A customer on the web page sees the reply there when they come back, so it can."""
        survey = await tx.surveys.get(case.survey_id)
        if survey is None or survey.channel == WEB:
            return None
        outbox = self.runner.outbox
        route = await outbox.route(tx, case.customer_id, flow_id=survey.flow_id, staff_reply=True)
        if route is not None:
            return None
        return await outbox.why_unroutable(tx, case.customer_id, staff_reply=True)

    async def resolve(self, staff: Staff, case_id: int, reason: str | None = None) -> CaseAnswer:
        """Resolve a case (by anyone on the team; with the reason, when given); its
        follow-up is planned. Two at once: one wins, the other is told."""
        async with self.db.transaction() as tx:
            now = self.clock.now()
            if await tx.cases.resolve(case_id, staff.name, now, reason):
                case = await tx.cases.get(case_id)
                assert case is not None
                await self.record(tx, case_id, "resolved", staff, reason)
                await self.refresh_card(tx, case)
                await self._plan_followup(tx, case, now)
                toast = CaseAnswer(self.cards.phrase("resolved", id=case_id), done=True)
            else:
                case = await tx.cases.get(case_id)
                text = self.cards.phrase("already_resolved" if case else "unknown_case", id=case_id)
                toast = CaseAnswer(text, done=False)
        self.delivery.kick()
        return toast

    async def reopen(self, staff: Staff, case_id: int) -> CaseAnswer:
        """A resolved case open again (the customer was not helped after all): unclaimed,
        with its SLA's time again from now; a follow-up planned when it was resolved is
        not asked."""
        async with self.db.transaction() as tx:
            now = self.clock.now()
            case = await tx.cases.get(case_id)
            due = now + (case.sla_due_at - case.opened_at) if case else now
            if case is not None and await tx.cases.reopen(case_id, due, now):
                case = await tx.cases.get(case_id)
                assert case is not None
                await self.record(tx, case_id, "reopened", staff)
                await tx.timers.cancel_for_survey(case.survey_id, TimerKind.FOLLOWUP)
                await self.refresh_card(tx, case)
                toast = CaseAnswer(self.cards.phrase("reopened", id=case_id), done=True)
            else:
                case = await tx.cases.get(case_id)
                text = self.cards.phrase("not_resolved" if case else "unknown_case", id=case_id)
                toast = CaseAnswer(text, done=False)
        self.delivery.kick()
        return toast

    async def add_note(self, staff: Staff, case_id: int, text: str, key: str) -> CaseAnswer:
        """An internal note on the case, for staff only; `key` makes a re-sent form one
        note, not two."""
        async with self.db.transaction() as tx:
            case = await tx.cases.get(case_id)
            if case is None:
                return CaseAnswer(self.cards.phrase("unknown_case", id=case_id), done=False)
            await tx.cases.add_message(
                case_id=case_id,
                direction="note",
                author_id=str(staff.user_id),
                author_name=staff.name,
                text=text,
                source_chat_id=f"{staff.via}:{staff.user_id}",
                source_message_id=key,
                created_at=self.clock.now(),
            )
        return CaseAnswer(self.cards.phrase("noted", id=case_id), done=True)

    async def extra_action(self, staff: Staff, case_id: int, action: str) -> CaseAnswer:
        handler = self.actions.get(action)
        if handler is None:
            return CaseAnswer(self.cards.phrase("unknown_case", id=case_id), done=False)
        return await handler(staff, case_id)

    async def _why_not(self, tx: UnitOfWork, case_id: int) -> str:
        case = await tx.cases.get(case_id)
        if case is None:
            return self.cards.phrase("unknown_case", id=case_id)
        if case.status == CaseStatus.RESOLVED:
            return self.cards.phrase("already_resolved", id=case_id)
        return self.cards.phrase("claimed_by_other", id=case_id, name=case.claimed_by_name)

    # ---- the case list ------------------------------------------------------------

    async def post_open_cases(self) -> None:
        """`/cases` in the support group: open cases, oldest first, with their SLA state."""
        async with self.db.transaction() as tx:
            views = [await self.view(tx, case) for case in await tx.cases.unresolved()]
            await self.note(tx, self.cards.cases_list(views, self.clock.now()))
        self.delivery.kick()

    async def post_case(self, case_id: int) -> None:
        """`/case <id>`: the case's card again, with its buttons, at the bottom of the chat."""
        async with self.db.transaction() as tx:
            case = await tx.cases.get(case_id)
            if case is None:
                await self.note(tx, self.cards.phrase("unknown_case", id=case_id))
            else:
                view = await self.view(tx, case)
                case.card_outbox_id = await self._to_support(
                    tx, case, self.cards.card(view, self.clock.now())
                )
        self.delivery.kick()

    async def post_note(self, text: str) -> None:
        async with self.db.transaction() as tx:
            await self.note(tx, text)
        self.delivery.kick()

    # ---- follow-up ----------------------------------------------------------------

    async def _plan_followup(self, tx: UnitOfWork, case: Case, now: datetime) -> None:
        flow_id = self.config.followup_flow
        if not flow_id or self.runner.flows.live(flow_id) is None:
            return
        await tx.timers.set(
            case.survey_id, TimerKind.FOLLOWUP, now + self.config.followup_delay, now
        )

    async def start_followup(self, tx: UnitOfWork, survey_id: int) -> None:
        """The follow-up timer fired: ask the follow-up flow (once per case)."""
        case = await tx.cases.by_survey(survey_id)
        flow = self.runner.flows.live(self.config.followup_flow or "")
        if case is None or flow is None or case.followup_survey_id is not None:
            return
        if case.status != CaseStatus.RESOLVED:
            return  # reopened since: nobody asks whether it is resolved
        customer = await tx.customers.get(case.customer_id)
        original = await tx.surveys.get(case.survey_id)
        if customer is None or original is None or customer.opted_out_at is not None:
            return
        route = await self.runner.outbox.route(tx, customer.id, flow_id=flow.id)
        if route is None:
            # A web-only customer is not on the page hours later: nothing would reach them.
            log.info("case follow-up not asked: no contact", extra={"case_id": case.id})
            return
        now = self.clock.now()
        await self.runner.flows.remember(tx, flow, now)
        followup = await tx.surveys.add(
            flow_id=flow.id,
            flow_version=flow.version,
            customer_id=customer.id,
            order_id=None,  # the case links it to the order; one follow-up per case
            locale=flow.pick_locale(original.locale, customer.locale),
            status=SessionStatus.PENDING,
            channel=route.channel,
            now=now,
        )
        case.followup_survey_id = followup.id
        await self.runner.begin(tx, followup, customer, route.channel)
        log.info("case follow-up asked", extra={"case_id": case.id, "survey_id": followup.id})

    # ---- helpers ------------------------------------------------------------------

    async def view(self, tx: UnitOfWork, case: Case) -> CaseView:
        survey = await tx.surveys.get(case.survey_id)
        customer = await tx.customers.get(case.customer_id)
        order = await tx.orders.get(case.order_id) if case.order_id else None
        assert survey is not None and customer is not None
        flow, state = await self.runner.load(tx, survey)
        scores, reason, comment = self.cards.summarize(flow, dict(state.answers))
        return CaseView(
            id=case.id,
            severity=case.severity,
            status=case.status,
            opened_at=case.opened_at,
            sla_due_at=case.sla_due_at,
            claimed_by=case.claimed_by_name,
            claimed_at=case.claimed_at,
            resolved_by=case.resolved_by_name,
            resolved_at=case.resolved_at,
            customer_name=customer.name,
            customer_id=customer.external_id,
            order_id=order.external_id if order else None,
            store=order.store if order else None,
            scores=scores,
            reason=reason,
            comment=comment,
        )

    async def refresh_card(self, tx: UnitOfWork, case: Case) -> None:
        """Edit the card to show where the case stands now."""
        if case.card_outbox_id is None or case.support_chat_id is None:
            return
        original = await tx.outbox.get(case.card_outbox_id)
        if original is None:
            return
        view = await self.view(tx, case)
        await self.runner.outbox.replace(
            tx,
            original,
            self.cards.card(view, self.clock.now()),
            priority=INTERACTIVE_PRIORITY,
            locale=self.config.locale,
        )

    async def _to_support(
        self, tx: UnitOfWork, case: Case, message: OutgoingMessage, chat_id: int | None = None
    ) -> int | None:
        target = chat_id or case.support_chat_id or self.config.chat_id
        if target is None:
            return None
        return await self.to_staff(tx, target, message, survey_id=case.survey_id)

    async def note(self, tx: UnitOfWork, text: str, chat_id: int | None = None) -> None:
        """A plain message to the support group (or `chat_id`), in this transaction."""
        target = chat_id or self.config.chat_id
        if target is not None:
            await self.to_staff(tx, target, OutgoingMessage(text))

    async def to_staff(
        self,
        tx: UnitOfWork,
        chat_id: int,
        message: OutgoingMessage,
        survey_id: int | None = None,
        priority: int = INTERACTIVE_PRIORITY,
    ) -> int:
        """A message to a staff chat (the support group, the manager's chat)."""
        return await self.runner.outbox.to_staff(
            tx,
            self.config.staff_channel,
            str(chat_id),
            message,
            priority=priority,
            survey_id=survey_id,
        )
