"""Carrying out what the engine decided, inside the caller's transaction.

Answers, the survey's new state and the messages it causes are written together, so a
crash can never keep an answer but lose the next question (or the other way round). The
messages go to the outbox; the dispatcher delivers them after the commit. So is the timer
that opens the case of a customer who stops part-way (bot.surveys.idle_escalation): armed
or moved on with each answer, dropped when the survey ends.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.flows.registry import FlowRegistry
from bot.flows.schema import EndStep, Flow
from bot.messaging.message import OutgoingMessage
from bot.messaging.outbox_writer import WEB, OutboxWriter
from bot.messaging.presenter import Presenter
from bot.storage.models import Customer, Survey
from bot.storage.repositories.outbox import PENDING
from bot.storage.repositories.timers import TimerKind
from bot.storage.unit_of_work import UnitOfWork
from bot.surveys import engine, idle_escalation
from bot.surveys.engine import (
    Action,
    Answer,
    Ask,
    Escalate,
    Finish,
    Record,
    Reward,
    SessionState,
    SessionStatus,
    Stopped,
    Transition,
)
from bot.surveys.invitations import invitations_for

log = logging.getLogger(__name__)

# Replies to what a customer just did go before bulk sends (lower runs first).
INTERACTIVE_PRIORITY = 0
BULK_PRIORITY = 10


@dataclass(frozen=True)
class SurveyEvent:
    """A closing action (escalate, reward) handed to the features that act on it."""

    tx: UnitOfWork
    survey: Survey
    customer: Customer
    flow: Flow
    state: SessionState
    action: Action
    context: dict[str, Any]


SurveyHook = Callable[[SurveyEvent], Awaitable[None]]


class SurveyRunner:
    def __init__(
        self,
        flows: FlowRegistry,
        presenter: Presenter,
        clock: Clock,
        outbox: OutboxWriter,
        hooks: Sequence[SurveyHook] = (),
        web_link: Callable[[str], str] | None = None,
        privacy_url: str = "/privacy",
    ) -> None:
        """`web_link`: a survey token -> its web chat's address (SurveyLinks.web);
        `privacy_url`: the shop's privacy page (a platform's template links to it)."""
        self.flows = flows
        self.presenter = presenter
        self.clock = clock
        self.outbox = outbox
        self.hooks = list(hooks)
        self.web_link = web_link or (lambda token: f"/s/{token}")
        self.privacy_url = privacy_url

    async def load(self, tx: UnitOfWork, survey: Survey) -> tuple[Flow, SessionState]:
        """The flow version and the state a survey is in (resumable after any restart)."""
        flow = await self.flows.version(tx, survey.flow_id, survey.flow_version)
        # Nothing can have been answered before the first question was asked.
        answers = await tx.answers.as_domain(survey.id) if survey.visit else {}
        state = SessionState(
            step_id=survey.current_step,
            visit=survey.visit,
            answers=answers,
            failures=survey.failures,
            status=SessionStatus(survey.status),
        )
        return flow, state

    async def begin(
        self,
        tx: UnitOfWork,
        survey: Survey,
        customer: Customer,
        channel: str,
        priority: int = INTERACTIVE_PRIORITY,
    ) -> None:
        """Ask the first question of a pending survey."""
        flow, _ = await self.load(tx, survey)
        survey.channel = channel
        survey.started_at = self.clock.now()
        await self.carry_out(tx, survey, customer, flow, engine.start(flow), priority)

    async def resume(self, tx: UnitOfWork, survey: Survey, customer: Customer) -> None:
        """Show the current question again (the customer came back to it)."""
        flow, state = await self.load(tx, survey)
        assert state.step_id is not None
        transition = Transition(state, (Ask(state.step_id),))
        await self.carry_out(tx, survey, customer, flow, transition)

    async def remind(self, tx: UnitOfWork, survey: Survey, customer: Customer) -> None:
        """The one reminder: a friendly line and the open question again. Not while the
        question itself is still waiting to go (paced, or a template held back by its
        quota): the customer has not seen it, and it may be the only way to reach them."""
        if survey.question_outbox_id is not None:
            question = await tx.outbox.get(survey.question_outbox_id)
            if question is not None and question.status == PENDING:
                return
        flow, state = await self.load(tx, survey)
        assert state.step_id is not None
        step = flow.step(state.step_id)
        assert not isinstance(step, EndStep)
        context = await self.context(tx, survey, customer, flow, state.answers)
        intro = self.presenter.texts.phrase("reminder", survey.locale)
        text, buttons = self.presenter.question(flow, step, survey.locale, context, intro=intro)
        message = OutgoingMessage(text, buttons, survey.id, state.visit)
        await self._close_question(tx, survey, customer)
        if (
            survey.channel == WEB
            and await self.outbox.route(tx, customer.id, flow_id=survey.flow_id) is not None
        ):
            # Nobody is looking at a web page left half-way: remind where they chat.
            survey.channel = None
        survey.question_outbox_id = await self.emit(tx, survey, customer, message, BULK_PRIORITY)

    async def expire(self, tx: UnitOfWork, survey: Survey, customer: Customer) -> None:
        """Close an unanswered (or half-answered) survey; its buttons stop working."""
        await self._close_question(tx, survey, customer)
        survey.status = SessionStatus.EXPIRED.value
        survey.updated_at = self.clock.now()

    async def escalate_idle(self, tx: UnitOfWork, survey: Survey, customer: Customer) -> None:
        """The idle timer fired: when the customer has answered nothing for an end step's
        `escalate.idle` and its condition already holds on what they answered, its Escalate
        goes to the hooks, as at the end step (the case opens at most once per survey). The
        survey stays where it is: the customer may still finish it."""
        if survey.status != SessionStatus.ACTIVE:
            return  # completed (its end step had its say), stopped or expired
        last_answer_at = await tx.answers.last_answered_at(survey.id)
        if last_answer_at is None:
            return
        flow, state = await self.load(tx, survey)
        action = idle_escalation.escalation_due(flow, state, last_answer_at, self.clock.now())
        if action is None:
            return  # answered since the timer was armed (which moved it on), or no longer holds
        context = await self.context(tx, survey, customer, flow, state.answers)
        log.info(
            "escalating a survey left part-way",
            extra={"survey_id": survey.id, "step": state.step_id, "end_step": action.step_id},
        )
        await self._to_hooks(SurveyEvent(tx, survey, customer, flow, state, action, context))

    async def apply(
        self, tx: UnitOfWork, survey: Survey, customer: Customer, event: engine.Input
    ) -> None:
        """Feed one input to the engine and carry out the result (StaleAnswer propagates)."""
        flow, state = await self.load(tx, survey)
        await self.carry_out(tx, survey, customer, flow, engine.handle(flow, state, event))

    async def carry_out(
        self,
        tx: UnitOfWork,
        survey: Survey,
        customer: Customer,
        flow: Flow,
        transition: Transition,
        priority: int = INTERACTIVE_PRIORITY,
    ) -> None:
        now = self.clock.now()
        context = await self.context(tx, survey, customer, flow, transition.state.answers)
        for action in transition.actions:
            if isinstance(action, Record):
                await tx.answers.record(survey.id, flow.id, flow.version, action.answer, now)
                await self._show_answered(tx, survey, customer, flow, action.answer)
            elif isinstance(action, Ask):
                visit = transition.state.visit  # a transition asks at most one question
                await self._ask(tx, survey, customer, flow, action, visit, context, priority)
            elif isinstance(action, Finish):
                text = self.presenter.step_text(flow, action.step_id, survey.locale, context)
                await self.emit(tx, survey, customer, OutgoingMessage(text), priority)
            elif isinstance(action, Stopped):
                await self._close_question(tx, survey, customer)
                text = self.presenter.texts.phrase("survey_stopped", survey.locale)
                await self.emit(tx, survey, customer, OutgoingMessage(text), priority)
            else:
                assert isinstance(action, Escalate | Reward)
                event = SurveyEvent(tx, survey, customer, flow, transition.state, action, context)
                await self._to_hooks(event)
        self._store(survey, transition.state, now)
        answered = any(isinstance(action, Record) for action in transition.actions)
        if answered or not transition.state.status.is_open:
            await self._plan_idle_escalation(tx, survey, flow, transition.state, now)
        await tx.surveys.flush()

    async def _to_hooks(self, event: SurveyEvent) -> None:
        for hook in self.hooks:
            await hook(event)

    async def _plan_idle_escalation(
        self, tx: UnitOfWork, survey: Survey, flow: Flow, state: SessionState, now: datetime
    ) -> None:
        """After an answer (`now`), the case of a customer who stops here is due `idle`
        later, if an escalation already holds; otherwise, or once the survey has ended,
        there is nothing to wait for."""
        if not idle_escalation.watched(flow):
            return
        due = idle_escalation.due_at(flow, state, now)
        if due is None:
            await tx.timers.cancel_for_survey(survey.id, TimerKind.IDLE_ESCALATION)
        else:
            await tx.timers.set(survey.id, TimerKind.IDLE_ESCALATION, due, now)

    async def context(
        self,
        tx: UnitOfWork,
        survey: Survey,
        customer: Customer,
        flow: Flow,
        answers: dict[str, Answer] | Any,
    ) -> dict[str, Any]:
        """What a template may read: customer, order, answers (and the locale)."""
        order = await tx.orders.get(survey.order_id) if survey.order_id else None
        return {
            "customer": {
                "id": customer.external_id,
                "name": customer.name,
                "locale": customer.locale,
                "timezone": customer.timezone,
                "phone": customer.phone,
            },
            "order": {
                "id": order.external_id if order else None,
                "amount": order.amount if order else None,
                "currency": order.currency if order else None,
                "store": order.store if order else None,
                "items": order.items if order else [],
                "occurred_at": order.occurred_at.isoformat()
                if order and order.occurred_at
                else None,
            },
            "survey": {"link": self.web_link(survey.token)},
            "answers": engine.answer_scope(flow, answers),
            "locale": survey.locale,
        }

    async def emit(
        self,
        tx: UnitOfWork,
        survey: Survey,
        customer: Customer,
        message: OutgoingMessage,
        priority: int = INTERACTIVE_PRIORITY,
        push: bool = False,
    ) -> int | None:
        """Queue a message to the customer; None if nothing can reach them (it is kept on
        the survey's web page).

        On the web chat the page shows it, so it is stored as shown; with `push` (news
        that should find the customer, like a staff reply) it also goes to the contact
        the customer chats on, when they have one. Elsewhere it goes to the contact the
        one channel choice picks, and the survey remembers which channel that was."""
        if survey.channel == WEB:
            if push:
                await self.outbox.to_customer(
                    tx,
                    customer.id,
                    message,
                    priority=priority,
                    survey_id=survey.id,
                    locale=survey.locale,
                    flow_id=survey.flow_id,
                )
            return await self.outbox.on_web_page(tx, survey, message)
        route = await self.outbox.route_message(tx, customer.id, message, flow_id=survey.flow_id)
        if route is None:
            # Kept where the customer can still read it: their survey's web page (its
            # link, on a template's button or a receipt), rather than nowhere.
            await self.outbox.on_web_page(tx, survey, message)
            return None
        survey.channel = route.channel
        return await self.outbox.to_customer(
            tx,
            customer.id,
            message,
            priority=priority,
            survey_id=survey.id,
            route=route,
            locale=survey.locale,
        )

    async def _ask(
        self,
        tx: UnitOfWork,
        survey: Survey,
        customer: Customer,
        flow: Flow,
        action: Ask,
        visit: int,
        context: dict[str, Any],
        priority: int,
    ) -> None:
        step = flow.step(action.step_id)
        assert not isinstance(step, EndStep)
        text, buttons = self.presenter.question(
            flow,
            step,
            survey.locale,
            context,
            problem=action.problem,
            offer_skip=action.offer_skip,
        )
        # The first question opens the survey: where the channel may not write first, the
        # flow's template goes instead (bot.surveys.invitations).
        invitations = (
            invitations_for(
                flow,
                context,
                lambda name: self.presenter.texts.phrase(name, survey.locale),
                self.privacy_url,
            )
            if visit == 1
            else ()
        )
        message = OutgoingMessage(text, buttons, survey.id, visit, invitations=invitations)
        await self._close_question(tx, survey, customer)  # one live copy of a question at most
        survey.question_outbox_id = await self.emit(tx, survey, customer, message, priority)

    async def _show_answered(
        self, tx: UnitOfWork, survey: Survey, customer: Customer, flow: Flow, answer: Answer
    ) -> None:
        question = await self._current_question(tx, survey)
        if question is None:
            return
        text = self.presenter.answered(flow, question.payload["text"], answer, survey.locale)
        await self._replace_question(tx, survey, customer, question.id, text)

    async def _close_question(self, tx: UnitOfWork, survey: Survey, customer: Customer) -> None:
        question = await self._current_question(tx, survey)
        if question is not None:
            await self._replace_question(
                tx, survey, customer, question.id, question.payload["text"]
            )

    async def _current_question(self, tx: UnitOfWork, survey: Survey) -> Any:
        if survey.question_outbox_id is None:
            return None
        question = await tx.outbox.get(survey.question_outbox_id)
        survey.question_outbox_id = None
        return question

    async def _replace_question(
        self, tx: UnitOfWork, survey: Survey, customer: Customer, question_id: int, text: str
    ) -> None:
        """Take the buttons off an answered question (or drop it if it was never sent)."""
        if await tx.outbox.cancel_if_pending(question_id):
            return
        question = await tx.outbox.get(question_id)
        assert question is not None
        await self.outbox.replace(
            tx, question, OutgoingMessage(text), priority=INTERACTIVE_PRIORITY, locale=survey.locale
        )

    @staticmethod
    def _store(survey: Survey, state: SessionState, now: datetime) -> None:
        if state.status == SessionStatus.COMPLETED and survey.completed_at is None:
            survey.completed_at = now
        survey.status = state.status.value
        survey.current_step = state.step_id
        survey.visit = state.visit
        survey.failures = state.failures
        survey.updated_at = now
