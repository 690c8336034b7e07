"""When an address does not take a message: the customer's next contact gets it.

The platform said the address is gone (blocked the bot, deleted the chat: the contact is
marked unreachable until the customer writes again), or the channel may only answer
within a window that has closed. Either way the message, and what waited behind it for
that address, is queued again on the contact the one channel choice picks next, with the
reason stored on each moved message (`routed_because`). With no contact left, a customer
who cannot be reached at all has their queued messages cancelled and open surveys closed
as failed; a survey whose window closed is left to its web link. A staff reply on a case
that reached nobody is said to staff (`reply_lost`), so they know and why.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.clock import Clock
from bot.messaging.message import OutgoingMessage
from bot.messaging.outbox_writer import OutboxWriter
from bot.messaging.routing import Route
from bot.storage.database import Database
from bot.storage.models import OutboxMessage
from bot.storage.unit_of_work import UnitOfWork
from bot.surveys.engine import SessionStatus

log = logging.getLogger(__name__)


# (transaction, case id, why): tell staff their reply on that case reached nobody.
ReplyLost = Callable[[UnitOfWork, int, str], Awaitable[None]]


def tried_for(row: OutboxMessage) -> set[tuple[str, str]]:
    """The addresses this message has been tried on: its own and those it moved from, so
    two contacts that both turn it away never pass it back and forth."""
    earlier = row.payload.get("tried") or []
    pairs = {(str(pair[0]), str(pair[1])) for pair in earlier if len(pair) == 2}
    return pairs | {(row.channel, row.address)}


class DeliveryFallback:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        outbox: OutboxWriter,
        reply_lost: ReplyLost | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.reply_lost = reply_lost
        self.outbox = outbox

    async def undelivered(self, row: OutboxMessage, reason: str, unreachable: bool) -> None:
        """`row` was refused by its address (already recorded as failed)."""
        async with self.db.transaction() as tx:
            now = self.clock.now()
            if unreachable:
                contact = await tx.contacts.mark_unreachable(row.channel, row.address, now)
            else:
                contact = await tx.contacts.get(row.channel, row.address)
            # No contact row: a staff chat, or a customer's phone (reached by a template).
            customer_id = contact.customer_id if contact is not None else row.customer_id
            if customer_id is None:  # a staff chat: nobody to fall back to
                log.error("the bot cannot post to %s %s: %s", row.channel, row.address, reason)
                return
            # A phone the channel's template could not reach says nothing of the customer's
            # other ways in: their survey stays open to its link.
            unreachable = unreachable and contact is not None
            survey = await tx.surveys.get(row.survey_id) if row.survey_id else None
            wrote = contact.last_inbound_at if contact is not None else None
            if not unreachable and wrote is not None and wrote > row.created_at:
                # They wrote after it was queued: the window it missed is open again.
                asked_again = (
                    row.payload.get("visit") is not None
                    and survey is not None
                    and survey.question_outbox_id != row.id
                )
                if not asked_again:  # a question asked since stands in for it
                    locale = survey.locale if survey else None
                    await self.outbox.forward(tx, row, Route(row.channel, row.address), locale)
                    log.info("message %s queued again: the customer wrote since", row.id)
                return
            route = await self.outbox.route_message(
                tx,
                customer_id,
                OutgoingMessage.from_payload(row.payload),
                passed=tried_for(row),
                flow_id=survey.flow_id if survey else None,
            )
            if route is None:
                await self._nowhere_to_go(tx, customer_id, row, unreachable)
                case_id = row.payload.get("case_id")
                if self.reply_lost is not None and isinstance(case_id, int):
                    await self.reply_lost(tx, case_id, f"{row.channel} {row.address}: {reason}")
                log.info(
                    "customer unreachable on %s: %s",
                    row.channel,
                    reason,
                    extra={"customer_id": customer_id},
                )
                return
            because = f"{row.channel} {row.address}: {reason}"
            await self._move(tx, customer_id, row, Route(route.channel, route.address, because))
        log.info(
            "messages moved from %s to %s: %s",
            row.channel,
            route.channel,
            reason,
            extra={"customer_id": customer_id},
        )

    async def _move(
        self, tx: UnitOfWork, customer_id: int, failed: OutboxMessage, route: Route
    ) -> None:
        waiting = [
            message
            for message in await tx.outbox.pending_for_address(failed.channel, failed.address)
            if await tx.outbox.cancel_if_pending(message.id)  # not taken by a worker meanwhile
        ]
        customer = await tx.customers.get(customer_id)
        surveys = await tx.surveys.open_for_customer(customer_id)
        locales = {survey.id: survey.locale for survey in surveys}
        moved: dict[int, int] = {}
        for message in (failed, *waiting):
            if message.kind == "edit":
                continue  # it edits a message at the old address: nothing to edit there
            locale = locales.get(message.survey_id or 0) or (customer.locale if customer else None)
            forwarded = await self.outbox.forward(tx, message, route, locale, tried_for(failed))
            if forwarded is not None:
                moved[message.id] = forwarded
        for survey in surveys:
            if survey.question_outbox_id in moved:
                survey.question_outbox_id = moved[survey.question_outbox_id]
            if survey.channel == failed.channel:
                survey.channel = route.channel

    async def _nowhere_to_go(
        self, tx: UnitOfWork, customer_id: int, failed: OutboxMessage, unreachable: bool
    ) -> None:
        now = self.clock.now()
        if unreachable:
            # Stop trying: their next message to us makes them reachable again.
            await tx.outbox.cancel_for_customer(customer_id)
            for survey in await tx.surveys.open_for_customer(customer_id):
                survey.status = SessionStatus.FAILED.value
                survey.updated_at = now
            return
        cancelled = [
            message
            for message in await tx.outbox.pending_for_address(failed.channel, failed.address)
            if await tx.outbox.cancel_if_pending(message.id)
        ]
        await self._keep_on_web_pages(tx, [failed, *cancelled])
        for survey in await tx.surveys.open_for_customer(customer_id):
            if survey.channel == failed.channel:
                survey.channel = None  # left to its web link until it expires
                survey.updated_at = now

    async def _keep_on_web_pages(self, tx: UnitOfWork, messages: list[OutboxMessage]) -> None:
        """A survey's texts that no chat took now (its thanks, an apology) are kept on
        its web page, where its link leads; its questions the page shows by itself."""
        for message in messages:
            if message.kind != "send" or message.survey_id is None:
                continue
            text = OutgoingMessage.from_payload(message.payload)
            if text.choices or text.visit is not None:
                continue
            survey = await tx.surveys.get(message.survey_id)
            if survey is not None:
                await self.outbox.on_web_page(tx, survey, text)
