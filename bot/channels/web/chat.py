"""The survey as a web chat (`/s/<token>`), for customers without Telegram.

The same engine, storage, escalation and vouchers as in Telegram: a survey answered here
is the same survey row with the same answers. What the customer sees is kept as "shown"
outbox rows (channel `web`), so the page is the conversation so far, rebuilt on every
request, and a reload asks nothing twice. A survey moves to whichever channel the
customer answers on; one completed anywhere is done everywhere.

Opening the page (a GET) only shows: link previewers and mail scanners fetch links too,
and must not start a survey or take one away from Telegram. The customer's first tap
(a POST) does that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from html import escape
from typing import Any

from bot.channels.web.capabilities import WEB_CHAT
from bot.clock import Clock
from bot.errors import StaleAnswer
from bot.flows.schema import TEXT_ANSWER_LIMIT, Flow, Step, StepKind, TextStep
from bot.messaging.message import OutgoingMessage
from bot.messaging.outbox_writer import FROM_CUSTOMER, WEB
from bot.storage.database import Database
from bot.storage.models import Customer, Survey
from bot.storage.repositories.timers import TimerKind
from bot.storage.unit_of_work import UnitOfWork
from bot.surveys.conversation import DeliveryKick
from bot.surveys.engine import Pressed, SessionStatus, SkipStep, StopSurvey, Typed
from bot.surveys.narrowing import ask_within_band
from bot.surveys.runner import SurveyRunner
from bot.surveys.timing import expire_at, has_ended

log = logging.getLogger(__name__)


class PageState(StrEnum):
    UNKNOWN = "unknown"  # no survey has this link
    WELCOME = "welcome"  # not started yet: one tap starts it
    ELSEWHERE = "elsewhere"  # under way in Telegram: one tap continues it here
    OPEN = "open"  # a question is waiting
    DONE = "done"  # completed (here or in Telegram)
    CLOSED = "closed"  # expired, stopped, or opted out


class LinkState(StrEnum):
    """What a survey link (or its QR code) leads to."""

    UNKNOWN = "unknown"  # no survey has this link
    OPEN = "open"  # it can still be answered, here or in Telegram
    CLOSED = "closed"  # completed, stopped, expired, undeliverable, or the customer opted out


_ANSWERABLE = (SessionStatus.PENDING, SessionStatus.ACTIVE, SessionStatus.SKIPPED)


@dataclass(frozen=True)
class Bubble:
    text: str  # Telegram-style HTML (already escaped where it quotes people)
    from_customer: bool = False


@dataclass(frozen=True)
class Choice:
    label: str
    action: str  # answer | narrow (value: a band of scores, "7-8") | skip | stop
    value: str = ""


@dataclass(frozen=True)
class ChatPage:
    state: PageState
    locale: str
    bubbles: list[Bubble] = field(default_factory=list)
    choices: list[list[Choice]] = field(default_factory=list)
    visit: int | None = None
    wants_text: bool = False  # a text box (the step asks for the customer's words)
    optional: bool = False
    text_limit: int = TEXT_ANSWER_LIMIT  # the step's max_length: the text box stops there


class WebChatService:
    capabilities = WEB_CHAT  # what the page can show (docs/channels.md)

    def __init__(
        self, db: Database, runner: SurveyRunner, clock: Clock, delivery: DeliveryKick
    ) -> None:
        self.db = db
        self.runner = runner
        self.clock = clock
        self.delivery = delivery

    async def open(self, token: str, languages: list[str]) -> ChatPage:
        """Show where the survey stands, changing nothing."""
        async with self.db.reading() as tx:
            survey, customer = await _survey_and_customer(tx, token, lock=False)
            if survey is None or customer is None:
                return ChatPage(PageState.UNKNOWN, self.fallback_locale(languages))
            status = SessionStatus(survey.status)
            if customer.opted_out_at is not None and status != SessionStatus.COMPLETED:
                return await self._page(tx, survey, PageState.CLOSED)
            if status in _ANSWERABLE and self._past_expiry(survey):  # timer yet to fire
                return await self._page(tx, survey, PageState.CLOSED)
            if status in (SessionStatus.PENDING, SessionStatus.SKIPPED):
                flow = await self._flow(tx, survey)
                locale = flow.pick_locale(customer.locale, *languages)
                return ChatPage(PageState.WELCOME, locale)
            if status == SessionStatus.ACTIVE and survey.channel != WEB:
                return await self._page(tx, survey, PageState.ELSEWHERE)
            return await self._page(tx, survey)

    async def link_state(self, token: str) -> LinkState:
        """Whether the link still leads to a survey that can be answered (a survey past its
        expiry is closed even before its expiry timer has fired)."""
        async with self.db.reading() as tx:
            survey, customer = await _survey_and_customer(tx, token, lock=False)
        if survey is None or customer is None:
            return LinkState.UNKNOWN
        closed = customer.opted_out_at is not None or survey.status not in _ANSWERABLE
        if closed or self._past_expiry(survey):
            return LinkState.CLOSED
        return LinkState.OPEN

    async def start(self, token: str, languages: list[str]) -> None:
        """The customer chose to answer here: start the survey if it was never started,
        or move it here if it was under way in Telegram (its question there loses its
        buttons). Anything else (done, closed, already here) changes nothing."""
        async with self.db.transaction() as tx:
            survey, customer = await _survey_and_customer(tx, token, lock=True)
            if survey is None or customer is None or customer.opted_out_at is not None:
                return
            if self._past_expiry(survey):
                return  # never begun after its end, even before its expiry timer fires
            status = SessionStatus(survey.status)
            if status in (SessionStatus.PENDING, SessionStatus.SKIPPED):
                flow = await self._flow(tx, survey)
                survey.locale = flow.pick_locale(customer.locale, *languages)
                await self.runner.begin(tx, survey, customer, WEB)
                await self._arm_expiry(tx, survey, flow)
                log.info("web survey started", extra={"survey_id": survey.id})
            elif status == SessionStatus.ACTIVE and survey.channel != WEB:
                survey.channel = WEB
                await self.runner.resume(tx, survey, customer)
                log.info("survey moved to the web", extra={"survey_id": survey.id})
            else:
                return
        self.delivery.kick()  # a question moved here edits the Telegram copy

    async def answer(self, token: str, visit: int, value: str) -> None:
        await self._apply(token, Pressed(visit, value))

    async def skip(self, token: str, visit: int) -> None:
        await self._apply(token, SkipStep(visit))

    async def stop(self, token: str) -> None:
        await self._apply(token, StopSurvey())

    async def typed(self, token: str, visit: int, text: str) -> None:
        await self._apply(token, Typed(text), shown=text, visit=visit)

    async def narrow(self, token: str, visit: int, band: str) -> None:
        """A band of scores tapped: its exact scores are offered next (nothing recorded;
        a stale band, like a stale answer, changes nothing)."""
        async with self.db.transaction() as tx:
            survey, customer = await _survey_and_customer(tx, token, lock=True)
            if survey is None or customer is None or self._past_expiry(survey):
                return
            channel_before = survey.channel
            survey.channel = WEB  # the exact scores are shown here
            if not await ask_within_band(self.runner, tx, survey, customer, visit, band):
                survey.channel = channel_before

    async def _apply(
        self,
        token: str,
        event: Pressed | SkipStep | StopSurvey | Typed,
        shown: str | None = None,
        visit: int | None = None,
    ) -> None:
        """One answer; a stale or repeated one (a double submit, a second tab, a closed
        survey) is ignored: the page then simply shows where the survey stands."""
        async with self.db.transaction() as tx:
            survey, customer = await _survey_and_customer(tx, token, lock=True)
            if survey is None or customer is None or survey.status != SessionStatus.ACTIVE:
                return
            if self._past_expiry(survey):
                return  # closed, though its expiry timer has yet to fire
            if visit is not None and visit != survey.visit:
                return  # typed words meant for a question already answered
            if isinstance(event, Typed) and not _asks_for_words(await self._step(tx, survey)):
                return  # the page offers a text box only where the step asks for words
            channel_before = survey.channel
            survey.channel = WEB  # what the engine says next is shown here
            if shown is not None and shown.strip():
                await self.runner.outbox.on_web_page(
                    tx,
                    survey,
                    OutgoingMessage(escape(shown.strip(), quote=False)),
                    said_by_customer=True,
                )
            try:
                await self.runner.apply(tx, survey, customer, event)
            except StaleAnswer:
                survey.channel = channel_before  # an old button moves nothing
                return
        self.delivery.kick()  # escalation cards, vouchers to other chats

    def _past_expiry(self, survey: Survey) -> bool:
        return has_ended(survey.expires_at, self.clock.now())

    async def _flow(self, tx: UnitOfWork, survey: Survey) -> Flow:
        """The flow version the survey runs (without its answers: none are needed)."""
        return await self.runner.flows.version(tx, survey.flow_id, survey.flow_version)

    async def _step(self, tx: UnitOfWork, survey: Survey) -> Step | None:
        """The step waiting for an answer, if any."""
        if not survey.current_step:
            return None
        return (await self._flow(tx, survey)).step(survey.current_step)

    async def _arm_expiry(self, tx: UnitOfWork, survey: Survey, flow: Flow) -> None:
        now = self.clock.now()
        closing = expire_at(now, flow.trigger) if flow.trigger is not None else None
        if closing is not None:
            survey.expires_at = closing
            await tx.timers.set(survey.id, TimerKind.EXPIRE, closing, now)

    async def _page(
        self, tx: UnitOfWork, survey: Survey, state: PageState | None = None
    ) -> ChatPage:
        status = SessionStatus(survey.status)
        if state is None:
            state = {
                SessionStatus.ACTIVE: PageState.OPEN,
                SessionStatus.COMPLETED: PageState.DONE,
            }.get(status, PageState.CLOSED)
        bubbles, live = await self._transcript(tx, survey)
        choices: list[list[Choice]] = []
        visit, wants_text, optional, text_limit = None, False, False, TEXT_ANSWER_LIMIT
        step = await self._step(tx, survey) if state == PageState.OPEN else None
        if step is not None:
            wants_text = _asks_for_words(step)
            optional = bool(getattr(step, "optional", False))
            text_limit = int(getattr(step, "max_length", text_limit))
            visit = survey.visit
            if live is not None and live.get("visit") == survey.visit:
                choices = [
                    [Choice(b["label"], b["action"], b.get("value", "")) for b in row]
                    for row in live.get("buttons", [])
                ]
        return ChatPage(
            state, survey.locale, bubbles, choices, visit, wants_text, optional, text_limit
        )

    async def _transcript(
        self, tx: UnitOfWork, survey: Survey
    ) -> tuple[list[Bubble], dict[str, Any] | None]:
        """The bubbles in order (edits applied) and the payload of the live question."""
        rows = await tx.outbox.shown_for_survey(survey.id)
        payloads: dict[int, dict[str, Any]] = {}
        order: list[int] = []
        for row in rows:
            if row.kind == "edit":
                target = row.payload.get("edit_of")
                if isinstance(target, int) and target in payloads:
                    payloads[target] = {**payloads[target], **row.payload}
                continue
            payloads[row.id] = dict(row.payload)
            order.append(row.id)
        bubbles = [
            Bubble(str(payloads[i]["text"]), payloads[i].get("from") == FROM_CUSTOMER)
            for i in order
        ]
        live = next(
            (payloads[i] for i in reversed(order) if payloads[i].get("buttons")),
            None,
        )
        if live is None and order and survey.question_outbox_id in payloads:
            live = payloads[survey.question_outbox_id]  # a text question has no buttons
        return bubbles, live

    def fallback_locale(self, languages: list[str]) -> str:
        default = self.runner.flows.default()
        if default is not None:
            return default.pick_locale(*languages)
        return next((lang for lang in languages if lang in ("vi", "en")), "vi")


async def _survey_and_customer(
    tx: UnitOfWork, token: str, *, lock: bool
) -> tuple[Survey | None, Customer | None]:
    survey = await tx.surveys.by_token(token, lock=lock)
    customer = await tx.customers.get(survey.customer_id) if survey else None
    return survey, customer


def _asks_for_words(step: Step | None) -> bool:
    return isinstance(step, TextStep) and step.kind == StepKind.TEXT
