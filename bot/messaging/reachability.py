"""When a customer cannot be reached (blocked the bot, deleted the chat)."""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.storage.database import Database
from bot.surveys.engine import SessionStatus

log = logging.getLogger(__name__)


class ReachabilityService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def mark_unreachable(self, channel: str, chat_id: int, reason: str) -> None:
        """Stop trying: the customer is flagged, queued messages cancelled, open surveys
        closed as failed. Their next /start makes them reachable again."""
        if chat_id < 0:
            log.error("the bot cannot post to group %s: %s", chat_id, reason)
            return
        async with self.db.transaction() as tx:
            customer = await tx.customers.by_telegram_chat(chat_id)
            if customer is None:
                return
            now = self.clock.now()
            customer.unreachable_at = now
            customer.updated_at = now
            await tx.outbox.cancel_for_customer(customer.id)
            for survey in await tx.surveys.open_for_customer(customer.id):
                survey.status = SessionStatus.FAILED.value
                survey.updated_at = now
        log.info(
            "customer unreachable on %s: %s", channel, reason, extra={"customer_id": customer.id}
        )
