"""Orders as the shop reported them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialect import upsert
from bot.storage.models import Order
from bot.surveys.events import OrderIn


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, order_id: int) -> Order | None:
        return await self.session.get(Order, order_id)

    async def from_event(
        self, given: OrderIn, customer_id: int, occurred_at: datetime, now: datetime
    ) -> Order:
        """The order, recorded on first sight (later events about it reuse the row)."""
        await self.session.execute(
            upsert(self.session, Order)
            .values(
                external_id=given.id,
                customer_id=customer_id,
                amount=given.amount,
                currency=given.currency,
                store=given.store,
                items=[item.model_dump(mode="json") for item in given.items],
                occurred_at=occurred_at.astimezone(UTC),
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=[Order.external_id])
        )
        order = (
            await self.session.execute(select(Order).where(Order.external_id == given.id))
        ).scalar_one()
        return order
