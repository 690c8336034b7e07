"""Messages across a case, both ways, through the bot.

Staff reply to the case card (or to anything the bot posted about the case) in the
support group; the customer gets it as a message from the shop. The customer's messages
come back into the group as replies to the card. Each message is relayed once.
"""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.messaging.message import OutgoingMessage
from bot.messaging.rich_text import MESSAGE_TEXT_LIMIT, escape, visible_length
from bot.storage.database import Database
from bot.storage.models import Case, Customer
from bot.storage.unit_of_work import UnitOfWork
from bot.support.cards import CaseCards
from bot.support.case_rules import CaseStatus
from bot.support.cases import CaseAnswer, CaseService, Staff
from bot.surveys.conversation import Contact, DeliveryKick

log = logging.getLogger(__name__)

# A staff reply goes out with the shop's name in front: leave room for it.
STAFF_REPLY_LIMIT = MESSAGE_TEXT_LIMIT - 200


class CaseRelay:
    def __init__(
        self,
        db: Database,
        cases: CaseService,
        cards: CaseCards,
        clock: Clock,
        delivery: DeliveryKick,
    ) -> None:
        self.db = db
        self.cases = cases
        self.cards = cards
        self.clock = clock
        self.delivery = delivery

    async def from_staff(
        self,
        staff: Staff,
        chat_id: int,
        replied_to: str,
        text: str | None,
        message_id: str,
    ) -> None:
        """A reply in the support group to a bot message: pass it on if it is a case's."""
        async with self.db.transaction() as tx:
            case = await tx.cases.by_bot_message(
                self.cases.config.staff_channel, str(chat_id), replied_to
            )
            if case is None:
                return  # a reply to something else the bot said: not ours to relay
            answer = await self._reply(tx, case, staff, text, str(chat_id), message_id)
            if not answer.done:
                await self.cases.note(tx, answer, chat_id)
        self.delivery.kick()

    async def reply(self, staff: Staff, case_id: int, text: str, key: str) -> CaseAnswer:
        """A staff reply written elsewhere (the dashboard) to the customer of a case;
        `key` makes a re-sent form one reply, not two."""
        async with self.db.transaction() as tx:
            case = await tx.cases.get(case_id)
            if case is None:
                return CaseAnswer(self.cards.phrase("unknown_case", id=case_id), done=False)
            source = f"{staff.via}:{staff.user_id}"
            answer = await self._reply(tx, case, staff, text, source, key)
        self.delivery.kick()
        return answer

    async def _reply(
        self,
        tx: UnitOfWork,
        case: Case,
        staff: Staff,
        text: str | None,
        source_chat_id: str,
        source_message_id: str,
    ) -> CaseAnswer:
        refusal = await self._refusal(tx, case, staff, text) or await self._unreachable(tx, case)
        if refusal:
            return CaseAnswer(refusal, done=False)
        assert text is not None
        await self._to_customer(tx, case, staff, text, source_chat_id, source_message_id)
        return CaseAnswer(self.cards.phrase("reply_sent", id=case.id), done=True)

    async def _refusal(
        self, tx: UnitOfWork, case: Case, staff: Staff, text: str | None
    ) -> str | None:
        if case.status == CaseStatus.RESOLVED:
            return self.cards.phrase("reply_resolved", id=case.id)
        if not text or not text.strip():
            return self.cards.phrase("text_only")
        length = visible_length(escape(text))
        if length > STAFF_REPLY_LIMIT:  # cut short it would end mid-sentence: say so instead
            return self.cards.phrase("reply_too_long", length=length, limit=STAFF_REPLY_LIMIT)
        if case.status == CaseStatus.OPEN:
            # Answering an unclaimed case is taking it.
            if await tx.cases.claim(
                case.id, staff.user_id, staff.name, self.clock.now(), staff.via
            ):
                await self.cases.record(tx, case.id, "claimed", staff)
                refreshed = await tx.cases.get(case.id)
                assert refreshed is not None
                await self.cases.refresh_card(tx, refreshed)
                return None
            case = await tx.cases.get(case.id) or case
        if not staff.holds(case):
            return self.cards.phrase(
                "reply_claimed_by_other", id=case.id, name=case.claimed_by_name
            )
        return None

    async def _unreachable(self, tx: UnitOfWork, case: Case) -> str | None:
        """Said to staff instead of sending, when no contact of the customer can take a
        reply now."""
        why = await self.cases.reply_cannot_reach(tx, case)
        return self.cards.phrase("reply_unreachable", id=case.id, why=why) if why else None

    async def _to_customer(
        self,
        tx: UnitOfWork,
        case: Case,
        staff: Staff,
        text: str,
        source_chat_id: str,
        source_message_id: str,
    ) -> None:
        now = self.clock.now()
        first_time = await tx.cases.add_message(
            case_id=case.id,
            direction="to_customer",
            author_id=str(staff.user_id),
            author_name=staff.name,
            text=text,
            source_chat_id=source_chat_id,
            source_message_id=source_message_id,
            created_at=now,
        )
        if not first_time:
            return
        survey = await tx.surveys.get(case.survey_id)
        customer = await tx.customers.get(case.customer_id)
        assert survey is not None and customer is not None
        texts = self.cases.runner.presenter.texts
        name = (
            staff.name
            if self.cases.config.show_staff_names
            else texts.phrase("shop_name", survey.locale)
        )
        # The staff member's words are theirs, not markup: the template escapes them.
        message = texts.phrase("staff_reply", survey.locale, name=name, text=text)
        # push: a customer who answered on the web page hears it in Telegram too, if
        # they chat with the bot; otherwise the page shows it when they come back.
        # Its case, so a channel that turns it away later is said to staff (reply_lost).
        reply = OutgoingMessage(message, case_id=case.id)
        await self.cases.runner.emit(tx, survey, customer, reply, push=True)
        await tx.cases.first_response(case.id, now)
        log.info("staff reply relayed", extra={"case_id": case.id})

    async def reply_lost(self, tx: UnitOfWork, case_id: int, why: str) -> None:
        """A staff reply on the case was turned away and no other contact took it."""
        await self.cases.note(tx, self.cards.phrase("reply_undelivered", id=case_id, why=why))

    async def from_customer(
        self, tx: UnitOfWork, customer: Customer, contact: Contact, text: str, message_id: str
    ) -> bool:
        """A customer's message with no survey open: to their open case's thread, if any
        (kept in the case, where the dashboard shows it, also when no support group
        takes it now)."""
        case = await tx.cases.unresolved_for_customer(customer.id)
        if case is None:
            return False
        now = self.clock.now()
        first_time = await tx.cases.add_message(
            case_id=case.id,
            direction="from_customer",
            author_id=contact.address,
            author_name=customer.name,
            text=text,
            source_chat_id=contact.address,
            source_message_id=message_id,
            created_at=now,
        )
        if first_time and case.support_chat_id is not None:
            view = await self.cases.view(tx, case)
            note = self.cards.render("from_customer", view, now, text=text)
            message = OutgoingMessage(note, reply_to=case.card_outbox_id)
            await self.cases.to_staff(tx, case.support_chat_id, message, survey_id=case.survey_id)
        return True
