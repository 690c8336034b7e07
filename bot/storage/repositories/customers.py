"""Customers and how to reach them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.events import CustomerIn
from bot.storage.dialect import upsert
from bot.storage.models import Customer


class CustomerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_id: int) -> Customer | None:
        return await self.session.get(Customer, customer_id)

    async def lock(self, customer_id: int) -> None:
        """Hold the customer's row until commit (PostgreSQL), so checks across their
        surveys, like "one voucher per customer a month", see each other's writes."""
        await self.session.execute(
            select(Customer.id).where(Customer.id == customer_id).with_for_update()
        )

    async def by_telegram_chat(self, chat_id: int) -> Customer | None:
        result = await self.session.execute(
            select(Customer).where(Customer.telegram_chat_id == chat_id)
        )
        return result.scalar_one_or_none()

    async def by_external_id(self, external_id: str) -> Customer | None:
        result = await self.session.execute(
            select(Customer).where(Customer.external_id == external_id)
        )
        return result.scalar_one_or_none()

    async def walk_in(
        self,
        chat_id: int,
        user_id: int | None,
        name: str | None,
        locale: str | None,
        now: datetime,
    ) -> Customer:
        """The customer behind a Telegram chat, created on first contact (race-safe)."""
        statement = (
            upsert(self.session, Customer)
            .values(
                telegram_chat_id=chat_id,
                telegram_user_id=user_id,
                name=name,
                locale=locale,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=[Customer.telegram_chat_id])
        )
        await self.session.execute(statement)
        customer = await self.by_telegram_chat(chat_id)
        assert customer is not None
        return customer

    async def from_event(self, given: CustomerIn, now: datetime) -> Customer:
        """The shop's customer, created or updated from an event (race-safe)."""
        await self.session.execute(
            upsert(self.session, Customer)
            .values(external_id=given.id, created_at=now, updated_at=now, attributes={})
            .on_conflict_do_nothing(index_elements=[Customer.external_id])
        )
        customer = await self.by_external_id(given.id)
        assert customer is not None
        if given.name is not None:
            customer.name = given.name
        if given.locale is not None:
            customer.locale = given.locale
        if given.timezone is not None:
            customer.timezone = given.timezone
        if given.attributes:
            customer.attributes = {**(customer.attributes or {}), **given.attributes}
        customer.updated_at = now
        if given.telegram_chat_id is not None:
            await self.bind_telegram_chat(customer, given.telegram_chat_id, None, now)
        await self.session.flush()
        return customer

    async def bind_telegram_chat(
        self, customer: Customer, chat_id: int, user_id: int | None, now: datetime
    ) -> None:
        """Make `chat_id` reach `customer`; a chat belongs to one customer at a time.

        The person at that chat is the same: an opt-out made there (say, as a walk-in
        before the shop told us who they are) moves with the chat."""
        if customer.telegram_chat_id == chat_id:
            customer.unreachable_at = None
            return
        previous = await self.by_telegram_chat(chat_id)
        if previous is not None and previous.id != customer.id:
            if previous.opted_out_at is not None and customer.opted_out_at is None:
                customer.opted_out_at = previous.opted_out_at
            previous.telegram_chat_id = None
            previous.updated_at = now
            await self.session.flush()
        customer.telegram_chat_id = chat_id
        customer.telegram_user_id = user_id if user_id is not None else chat_id
        customer.unreachable_at = None
        customer.updated_at = now
        await self.session.flush()

    async def set_opted_out(self, customer: Customer, when: datetime | None, now: datetime) -> None:
        customer.opted_out_at = when
        customer.updated_at = now
        await self.session.flush()
