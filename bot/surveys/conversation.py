"""What a customer can do in a chat: open a survey, answer, skip, stop, opt out, ask for help.

Each use case is one transaction. Channels call these with a `Contact` (who wrote, from
which address on which channel) and get back, at most, a short text to show at once (a
button press's toast); everything else the customer sees goes through the outbox.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from bot.clock import Clock
from bot.errors import StaleAnswer
from bot.flows.schema import QuestionStep
from bot.messaging.locales import choose_locale
from bot.messaging.message import Choice, ChoiceAction, OutgoingMessage
from bot.messaging.routing import Route
from bot.messaging.tracking import outbox_id_of
from bot.storage.database import Database
from bot.storage.models import Customer, OutboxMessage, Survey
from bot.storage.repositories.timers import TimerKind
from bot.storage.unit_of_work import UnitOfWork
from bot.surveys.answers import Invalid, parse_typed
from bot.surveys.eligibility import SkipReason
from bot.surveys.engine import Pressed, Rated, SessionStatus, SkipStep, StopSurvey, Typed
from bot.surveys.narrowing import ask_within_band
from bot.surveys.runner import INTERACTIVE_PRIORITY, SurveyRunner
from bot.surveys.timing import expire_at, has_ended

log = logging.getLogger(__name__)


class DeliveryKick(Protocol):
    def kick(self) -> None:
        """New messages are in the outbox: deliver them now rather than at the next tick."""


class CustomerMessages(Protocol):
    async def from_customer(
        self, tx: UnitOfWork, customer: Customer, contact: Contact, text: str, message_id: str
    ) -> bool:
        """Take a message no survey was waiting for (e.g. into an open case); True if taken."""


class RatedMessage(Enum):
    """What a rating's message is to us, before it is taken."""

    OURS = "ours"
    SENDING = "sending"  # not known yet, but a survey's message is on its way there
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TemplateRating:
    """A channel's rating template, answered (Zalo's service rating): it names no customer,
    only the message it rates (`message_id`, the platform's) and our `tracking_id` (the
    outbox id it was sent as)."""

    message_id: str
    tracking_id: str | None
    stars: int
    reasons: tuple[str, ...] = ()
    note: str = ""
    scale: tuple[int, int] = (1, 5)
    address: str | None = None  # who answered, when the platform says (Meta does)


@dataclass(frozen=True)
class Contact:
    """Who wrote to the bot, as a channel describes them: the address they wrote from."""

    channel: str
    address: str
    language: str | None = None
    name: str | None = None


# What a choice's label can stand for when it comes back as text (a case card's buttons are
# staff's, never a customer's).
_BY_LABEL = (ChoiceAction.ANSWER, ChoiceAction.NARROW, ChoiceAction.SKIP, ChoiceAction.STOP)

# Not yet over by their status; a survey past its `expires_at` is over all the same.
_UNFINISHED = (SessionStatus.PENDING, SessionStatus.ACTIVE, SessionStatus.SKIPPED)


class ConversationService:
    def __init__(
        self,
        db: Database,
        runner: SurveyRunner,
        clock: Clock,
        delivery: DeliveryKick,
        elsewhere: CustomerMessages | None = None,  # support cases, when they are on
    ) -> None:
        self.db = db
        self.runner = runner
        self.clock = clock
        self.delivery = delivery
        self.texts = runner.presenter.texts
        self.elsewhere = elsewhere

    # ---- starting ---------------------------------------------------------------------

    async def open_link(self, contact: Contact, token: str) -> None:
        """`/start <token>`: bind this chat to the survey's customer and start or resume it."""
        async with self.db.transaction() as tx:
            survey = await tx.surveys.by_token(token, lock=True)
            owner = await tx.customers.get(survey.customer_id) if survey else None
            if survey is None or owner is None:
                stranger = await self._customer(tx, contact)
                await self._say(tx, stranger, contact, "unknown_link")
            else:
                bound = await tx.contacts.bind(
                    owner, contact.channel, contact.address, self.clock.now()
                )
                await tx.contacts.wrote_from(bound, self.clock.now())
                await self._welcome_back_if_opted_out(tx, owner, contact)
                await self._start_or_resume(tx, survey, owner, contact)
        self.delivery.kick()

    async def walk_in(self, contact: Contact) -> None:
        """A plain `/start` (a QR code at the counter): run the default flow."""
        async with self.db.transaction() as tx:
            customer = await self._customer(tx, contact)
            await self._welcome_back_if_opted_out(tx, customer, contact)
            survey = await tx.surveys.latest_active(customer.id, lock=True)
            if survey is not None:
                await self.runner.resume(tx, survey, customer)
            else:
                await self._start_walk_in(tx, customer, contact)
        self.delivery.kick()

    async def _arm_expiry(self, tx: UnitOfWork, survey: Survey) -> None:
        """A survey started from its link closes `expire` after starting, like a sent one."""
        flow, _ = await self.runner.load(tx, survey)
        now = self.clock.now()
        closing = expire_at(now, flow.trigger) if flow.trigger is not None else None
        if closing is not None:
            survey.expires_at = closing
            await tx.timers.set(survey.id, TimerKind.EXPIRE, closing, now)

    async def _start_walk_in(self, tx: UnitOfWork, customer: Customer, contact: Contact) -> None:
        flow = self.runner.flows.default()
        if flow is None:
            await self._say(tx, customer, contact, "no_default_flow")
            return
        now = self.clock.now()
        await self.runner.flows.remember(tx, flow, now)
        survey = await tx.surveys.add(
            flow_id=flow.id,
            flow_version=flow.version,
            customer_id=customer.id,
            order_id=None,
            locale=flow.pick_locale(customer.locale, contact.language),
            status=SessionStatus.PENDING,
            channel=contact.channel,
            now=now,
        )
        await self.runner.begin(tx, survey, customer, contact.channel)

    async def _start_or_resume(
        self, tx: UnitOfWork, survey: Survey, customer: Customer, contact: Contact
    ) -> None:
        status = SessionStatus(survey.status)
        if status in _UNFINISHED and has_ended(survey.expires_at, self.clock.now()):  # or stale
            await self._say(tx, customer, contact, "survey_closed", survey.locale)
        elif status in (SessionStatus.PENDING, SessionStatus.SKIPPED):
            # A customer who opens the link themselves wants to answer, even if we had
            # decided not to send it (cooldown, sampling).
            await self.runner.begin(tx, survey, customer, contact.channel)
            await self._arm_expiry(tx, survey)
        elif status == SessionStatus.ACTIVE:
            survey.channel = contact.channel  # perhaps begun on the web: go on here
            await self.runner.resume(tx, survey, customer)
        elif status == SessionStatus.COMPLETED:
            await self._say(tx, customer, contact, "already_done", survey.locale)
        else:
            await self._say(tx, customer, contact, "survey_closed", survey.locale)

    # ---- answering --------------------------------------------------------------------

    async def press(self, contact: Contact, survey_id: int, visit: int, value: str) -> str:
        """A button with an answer. Returns the toast text ('' when all went well)."""
        return await self._button(contact, survey_id, Pressed(visit, value))

    async def skip(self, contact: Contact, survey_id: int, visit: int) -> str:
        return await self._button(contact, survey_id, SkipStep(visit))

    async def stop_survey(self, contact: Contact, survey_id: int) -> str:
        return await self._button(contact, survey_id, StopSurvey())

    async def _button(
        self, contact: Contact, survey_id: int, event: Pressed | SkipStep | StopSurvey
    ) -> str:
        async with self.db.transaction() as tx:
            survey = await tx.surveys.get(survey_id, lock=True)
            customer = await self._known(tx, contact)
            if survey is None or customer is None or customer.id != survey.customer_id:
                return self.texts.phrase("survey_closed", self._locale(None, contact))
            if survey.status != SessionStatus.ACTIVE:
                phrase = (
                    "already_done"
                    if survey.status == SessionStatus.COMPLETED
                    else ("survey_closed")
                )
                return self.texts.phrase(phrase, survey.locale)
            answered_on = survey.channel
            survey.channel = contact.channel  # begun on the web, carried on here
            try:
                await self.runner.apply(tx, survey, customer, event)
            except StaleAnswer:
                survey.channel = answered_on
                return self.texts.phrase("stale_button", survey.locale)
        self.delivery.kick()
        return ""

    async def narrow(self, contact: Contact, survey_id: int, visit: int, band: str) -> str:
        """A band of scores tapped (`7–8`, where a channel has few buttons): the exact
        scores within it are asked next; nothing is recorded. Returns the toast text."""
        async with self.db.transaction() as tx:
            survey = await tx.surveys.get(survey_id, lock=True)
            customer = await self._known(tx, contact)
            if survey is None or customer is None or customer.id != survey.customer_id:
                return self.texts.phrase("survey_closed", self._locale(None, contact))
            answered_on = survey.channel
            survey.channel = contact.channel
            if not await ask_within_band(self.runner, tx, survey, customer, visit, band):
                survey.channel = answered_on
                phrase = {
                    SessionStatus.ACTIVE: "stale_button",
                    SessionStatus.COMPLETED: "already_done",
                }.get(SessionStatus(survey.status), "survey_closed")
                return self.texts.phrase(phrase, survey.locale)
        self.delivery.kick()
        return ""

    async def typed(
        self,
        contact: Contact,
        text: str,
        message_id: str | None = None,
        *,
        start_walk_in: bool = False,
    ) -> None:
        """A typed message: the answer to the open question, a message on the customer's
        open support case, or else a pointer to /help; with `start_walk_in` (a channel
        without a /start, as Messenger), the default flow instead."""
        async with self.db.transaction() as tx:
            customer = await self._known(tx, contact)
            survey = await tx.surveys.latest_active(customer.id, lock=True) if customer else None
            if survey is not None and customer is not None:
                survey.channel = contact.channel
                if not await self._to_open_case(tx, survey, customer, contact, text, message_id):
                    await self._answer_typed(tx, survey, customer, text)
            else:
                customer = customer or await self._customer(tx, contact)
                taken = (
                    self.elsewhere is not None
                    and message_id is not None
                    and text.strip() != ""
                    and await self.elsewhere.from_customer(tx, customer, contact, text, message_id)
                )
                walk_in = start_walk_in and customer.opted_out_at is None and text.strip()
                if not taken and walk_in:
                    await self._start_walk_in(tx, customer, contact)
                elif not taken:
                    await self._say(tx, customer, contact, "no_survey")
        self.delivery.kick()

    async def _to_open_case(
        self,
        tx: UnitOfWork,
        survey: Survey,
        customer: Customer,
        contact: Contact,
        text: str,
        message_id: str | None,
    ) -> bool:
        """A survey still open whose case opened already (the customer stopped part-way,
        escalate.idle): words that answer nothing the open question asks are a message
        to the shop, for the case, not an answer to re-ask. True when the case took it."""
        if self.elsewhere is None or message_id is None or not text.strip():
            return False
        if await tx.cases.by_survey(survey.id) is None:
            return False
        flow, state = await self.runner.load(tx, survey)
        step = flow.step(state.step_id) if state.step_id else None
        if not isinstance(step, QuestionStep):
            return False
        choice, _visit = await self._choice_labelled(tx, survey, text)
        if choice is not None or not isinstance(parse_typed(step, text), Invalid):
            return False  # it answers the question: the survey goes on
        return await self.elsewhere.from_customer(tx, customer, contact, text, message_id)

    async def _answer_typed(
        self, tx: UnitOfWork, survey: Survey, customer: Customer, text: str
    ) -> None:
        """A text that is the label of one of the open question's choices counts as that
        choice: on a channel whose buttons send their label back as a message (Zalo's
        query buttons), or a customer typing what a button says. Otherwise it is typed."""
        choice, visit = await self._choice_labelled(tx, survey, text)
        if choice is None or visit is None:
            await self.runner.apply(tx, survey, customer, Typed(text))
        elif choice.action == ChoiceAction.NARROW:
            await ask_within_band(self.runner, tx, survey, customer, visit, choice.value)
        elif choice.action == ChoiceAction.SKIP:
            await self.runner.apply(tx, survey, customer, SkipStep(visit))
        elif choice.action == ChoiceAction.STOP:
            await self.runner.apply(tx, survey, customer, StopSurvey())
        else:
            await self.runner.apply(tx, survey, customer, Pressed(visit, choice.value))

    async def _choice_labelled(
        self, tx: UnitOfWork, survey: Survey, text: str
    ) -> tuple[Choice | None, int | None]:
        if survey.question_outbox_id is None:
            return None, None
        question = await tx.outbox.get(survey.question_outbox_id)
        if question is None:
            return None, None
        wanted = text.strip().casefold()
        message = OutgoingMessage.from_payload(question.payload)
        for row in message.choices:
            for choice in row:
                if choice.label.strip().casefold() == wanted and choice.action in _BY_LABEL:
                    return choice, message.visit
        return None, None

    # ---- what the platform tells ------------------------------------------------------

    async def rated(self, channel: str, rating: TemplateRating) -> bool:
        """A rating template sent on `channel` was answered: its stars, reasons and note
        answer the survey it opened. The survey goes on in the chat when the customer can
        be written to now; otherwise it ends here (its apology, case and reward follow).
        False: not one of ours, or the survey has moved on (nothing changes)."""
        async with self.db.transaction() as tx:
            sent = await self._rated_message(tx, channel, rating)
            survey_id = sent.survey_id if sent else None
            survey = await tx.surveys.get(survey_id, lock=True) if survey_id else None
            customer = await tx.customers.get(survey.customer_id) if survey else None
            if rating.address is not None and sent is not None and sent.address != rating.address:
                sent = None  # someone else's form
            if sent is None or survey is None or customer is None:
                log.warning("a %s rating names no survey of ours (%s)", channel, rating)
                return False
            visit = sent.payload.get("visit")
            if survey.status != SessionStatus.ACTIVE or visit != survey.visit:
                log.info("a rating for a survey that moved on", extra={"survey_id": survey.id})
                return False
            # Where we never heard from the customer, the rated template went because the
            # chat could not (Zalo refused it): that address is no way to go on. Where they
            # have written, the window decides, as for any message.
            contact = await tx.contacts.get(sent.channel, sent.address)
            unheard = contact is None or contact.last_inbound_at is None
            reachable = await self.runner.outbox.route(
                tx,
                customer.id,
                passed={(sent.channel, sent.address)} if unheard else (),
                flow_id=survey.flow_id,
            )
            event = Rated(
                visit,
                rating.stars,
                rating.reasons,
                rating.note,
                conclude=reachable is None,
                scale=rating.scale,
            )
            try:
                await self.runner.apply(tx, survey, customer, event)
            except StaleAnswer as exc:
                log.warning(
                    "a rating that answers nothing: %s", exc, extra={"survey_id": survey.id}
                )
                return False
        self.delivery.kick()
        return True

    async def rated_message(self, channel: str, rating: TemplateRating) -> RatedMessage:
        """Whether the rated message is one of ours on `channel` (a read: nothing changes).
        `SENDING`: not known, but a survey's message is being sent there, and a rating can
        name a message whose send is still being recorded."""
        async with self.db.reading() as tx:
            # In-flight first: a send recorded between the two reads is then found as ours.
            sending = await tx.outbox.survey_message_sending(channel)
            if await self._rated_message(tx, channel, rating) is not None:
                return RatedMessage.OURS
            return RatedMessage.SENDING if sending else RatedMessage.UNKNOWN

    @staticmethod
    async def _rated_message(
        tx: UnitOfWork, channel: str, rating: TemplateRating
    ) -> OutboxMessage | None:
        """The message the rating answers: by our tracking id (sent by phone; also when
        a retried send got another message id), else by the platform's message id."""
        outbox_id = outbox_id_of(rating.tracking_id)
        if outbox_id is not None:
            sent = await tx.outbox.get(outbox_id)
            if sent is not None and sent.channel == channel and sent.survey_id is not None:
                return sent
        sent = await tx.outbox.sent_as(channel, rating.message_id)
        return sent if sent is not None and sent.survey_id is not None else None

    async def interacted(self, contact: Contact) -> None:
        """The customer did something that opens the channel's window without writing (they
        followed the shop's Zalo OA): a known contact reaches them again."""
        async with self.db.transaction() as tx:
            await self._known(tx, contact)

    async def unreachable(self, contact: Contact) -> None:
        """The platform says this address no longer reaches them (they unfollowed the OA):
        nothing more goes there until they write again."""
        async with self.db.transaction() as tx:
            await tx.contacts.mark_unreachable(contact.channel, contact.address, self.clock.now())

    # ---- opting out and help ----------------------------------------------------------

    async def opt_out(self, contact: Contact) -> None:
        """`/stop`: no more surveys, open ones stopped, queued ones cancelled, confirmed."""
        async with self.db.transaction() as tx:
            customer = await self._customer(tx, contact)
            now = self.clock.now()
            await tx.customers.set_opted_out(customer, now, now)
            for survey in await tx.surveys.open_for_customer(customer.id):
                if survey.status == SessionStatus.PENDING:  # never sent: skipped, with why
                    survey.status = SessionStatus.SKIPPED.value
                    survey.skip_reason = SkipReason.OPTED_OUT.value
                    survey.skip_detail = "the customer opted out (/stop)"
                else:
                    survey.status = SessionStatus.STOPPED.value
                survey.updated_at = now
                await tx.timers.cancel_for_survey(survey.id)
            await tx.outbox.cancel_for_customer(customer.id)
            await self._say(tx, customer, contact, "opted_out")
        log.info("customer opted out", extra={"customer_id": customer.id})
        self.delivery.kick()

    async def help(self, contact: Contact) -> None:
        async with self.db.transaction() as tx:
            customer = await self._customer(tx, contact)
            await self._say(tx, customer, contact, "help")
        self.delivery.kick()

    # ---- helpers ----------------------------------------------------------------------

    async def _known(self, tx: UnitOfWork, contact: Contact) -> Customer | None:
        """The customer at this address, if any; they wrote, so it reaches them again and
        its window is open."""
        known = await tx.contacts.get(contact.channel, contact.address)
        if known is None:
            return None
        await tx.contacts.wrote_from(known, self.clock.now())
        return await tx.customers.get(known.customer_id)

    async def _customer(self, tx: UnitOfWork, contact: Contact) -> Customer:
        existing = await self._known(tx, contact)
        if existing is not None:
            return existing
        customer = await tx.customers.walk_in(
            contact.channel, contact.address, contact.name, contact.language, self.clock.now()
        )
        await self._known(tx, contact)
        return customer

    async def _welcome_back_if_opted_out(
        self, tx: UnitOfWork, customer: Customer, contact: Contact
    ) -> None:
        """Starting a survey yourself undoes an earlier /stop (and we say so)."""
        if customer.opted_out_at is None:
            return
        await tx.customers.set_opted_out(customer, None, self.clock.now())
        await self._say(tx, customer, contact, "opted_in")

    async def _say(
        self,
        tx: UnitOfWork,
        customer: Customer,
        contact: Contact,
        phrase: str,
        locale: str | None = None,
    ) -> None:
        speaking = locale or self._locale(customer, contact)
        # A reply goes where they wrote from, whatever the channel choice would say.
        await self.runner.outbox.to_customer(
            tx,
            customer.id,
            OutgoingMessage(self.texts.phrase(phrase, speaking)),
            priority=INTERACTIVE_PRIORITY,
            route=Route(contact.channel, contact.address),
            locale=speaking,
        )

    def _locale(self, customer: Customer | None, contact: Contact) -> str:
        """The customer's language if we speak it, else the default flow's first locale."""
        default = self.runner.flows.default()
        return choose_locale(
            (customer.locale if customer else None, contact.language),
            lambda locale: self.texts.has_template("bot/help.j2", locale),
            default.default_locale if default else "en",
        )
