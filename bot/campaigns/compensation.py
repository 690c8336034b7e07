"""Staff compensation: the "Send voucher" button on a case card.

One button per campaign marked `compensation: true`. A case gets at most one voucher from
each of them, however often (and by however many staff) the button is pressed; the
customer gets the voucher in their chat and the support group a note of who sent it.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from bot.campaigns.schema import Campaign
from bot.campaigns.vouchers import VoucherService
from bot.messaging.message import OutgoingMessage
from bot.storage.unit_of_work import UnitOfWork
from bot.support.cases import CaseAction, CaseAnswer, CaseService, Staff
from bot.surveys.runner import INTERACTIVE_PRIORITY

log = logging.getLogger(__name__)

ACTION_PREFIX = "v."  # a card button's action: "v.<campaign id>" (fits callback_data)


def action_for(campaign_id: str) -> str:
    return ACTION_PREFIX + campaign_id


class Compensation:
    def __init__(self, cases: CaseService, vouchers: VoucherService) -> None:
        self.cases = cases
        self.vouchers = vouchers

    def install(self) -> None:
        """Put a button on every case card for each compensation campaign."""
        for campaign in self.vouchers.catalog.compensation():
            self.cases.cards.extra_buttons.append(("voucher_label", action_for(campaign.id)))
            self.cases.actions[action_for(campaign.id)] = self._sender(campaign)

    def _sender(self, campaign: Campaign) -> CaseAction:
        async def send(staff: Staff, case_id: int) -> CaseAnswer:
            return await self.send(campaign, staff, case_id)

        return send

    async def send(self, campaign: Campaign, staff: Staff, case_id: int) -> CaseAnswer:
        """Issue and deliver; the answer is the toast the staff member sees."""
        cards = self.cases.cards
        async with self.cases.db.transaction() as tx:
            case = await tx.cases.get(case_id)
            if case is None:
                return CaseAnswer(cards.phrase("unknown_case", id=case_id), done=False)
            given = await tx.vouchers.for_case(campaign.id, case.id)
            if given is not None:
                text = cards.phrase("voucher_already", id=case.id, code=given.code)
                return CaseAnswer(text, done=False)
            try:
                toast = await self._issue(tx, campaign, staff, case.id)
            except IntegrityError:  # another staff member's press won the race
                given = await tx.vouchers.for_case(campaign.id, case.id)
                assert given is not None
                text = cards.phrase("voucher_already", id=case.id, code=given.code)
                return CaseAnswer(text, done=False)
        self.cases.delivery.kick()
        return toast

    async def _issue(
        self, tx: UnitOfWork, campaign: Campaign, staff: Staff, case_id: int
    ) -> CaseAnswer:
        cards = self.cases.cards
        case = await tx.cases.get(case_id)
        assert case is not None
        customer = await tx.customers.get(case.customer_id)
        survey = await tx.surveys.get(case.survey_id)
        assert customer is not None and survey is not None
        if await tx.vouchers.paused(campaign.id):
            return CaseAnswer(cards.phrase("voucher_paused", name=campaign.name), done=False)
        issued = await self.vouchers.issue(
            tx, campaign, customer, case_id=case.id, order_id=case.order_id
        )
        if issued.voucher is None:
            note = cards.phrase("voucher_exhausted", name=campaign.name, id=case.id)
            await self.cases.note(tx, note, case.support_chat_id)
            return CaseAnswer(note, done=False)
        text = self.vouchers.message(campaign, issued.voucher, customer, survey.locale)
        await self.cases.runner.emit(
            tx, survey, customer, OutgoingMessage(text), priority=INTERACTIVE_PRIORITY
        )
        await self.cases.note(
            tx,
            cards.phrase(
                "voucher_sent",
                id=case.id,
                code=issued.voucher.code,
                name=staff.name if cards.config.show_staff_names else None,
            ),
            case.support_chat_id,
        )
        log.info(
            "compensation voucher sent",
            extra={"case_id": case.id, "campaign": campaign.id, "staff": staff.user_id},
        )
        await self.cases.record(tx, case.id, "voucher", staff, issued.voucher.code)
        return CaseAnswer(cards.phrase("voucher_sent_toast", id=case.id), done=True)
