"""SLA watch, ticked by APScheduler: an unclaimed case past half its time is announced
again in the support group; a case past its SLA goes to the managers' chat. Each happens
once per case, even with several workers (rows locked, flags set conditionally)."""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.messaging.message import OutgoingMessage
from bot.storage.database import Database
from bot.support.case_rules import CaseStatus, halfway
from bot.support.cases import CaseService

log = logging.getLogger(__name__)


class CaseSlaWatch:
    def __init__(self, db: Database, cases: CaseService, clock: Clock) -> None:
        self.db = db
        self.cases = cases
        self.clock = clock

    async def check(self) -> int:
        """Announce and escalate what is due; returns how many messages that took."""
        posted = 0
        now = self.clock.now()
        async with self.db.transaction() as tx:
            for case in await tx.cases.unresolved(lock=True):
                cards = self.cases.cards
                unclaimed = case.status == CaseStatus.OPEN
                if (
                    unclaimed
                    and case.reannounced_at is None
                    and now >= halfway(case.opened_at, case.sla_due_at)
                    and case.support_chat_id is not None
                    and await tx.cases.mark_reannounced(case.id, now)
                ):
                    view = await self.cases.view(tx, case)
                    original = (
                        await tx.outbox.get(case.card_outbox_id) if case.card_outbox_id else None
                    )
                    await self.cases.to_staff(
                        tx,
                        case.support_chat_id,
                        OutgoingMessage(
                            cards.render("reannounce", view, now),
                            reply_to=original.id if original is not None else None,
                        ),
                        survey_id=case.survey_id,
                    )
                    posted += 1
                    log.info("case re-announced", extra={"case_id": case.id})
                if (
                    now >= case.sla_due_at
                    and case.escalated_at is None
                    and await tx.cases.mark_escalated(case.id, now)
                ):
                    target = self.cases.config.escalation_chat_id
                    if target is not None:
                        view = await self.cases.view(tx, case)
                        await self.cases.note(tx, cards.render("escalation", view, now), target)
                        posted += 1
                    log.warning("case missed its SLA", extra={"case_id": case.id})
        if posted:
            self.cases.delivery.kick()
        return posted
