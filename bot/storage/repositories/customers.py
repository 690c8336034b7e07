"""Customers and how to reach them.

A Telegram chat reaches one customer at a time, and events, links and walk-ins move it
between customers concurrently. On PostgreSQL everything that moves a chat first takes an
advisory lock on that chat (until commit), then locks the customer rows involved in id
order: one order everywhere, so two moves never wait on each other in a circle, and a
second mover sees the first one's result instead of failing on the unique key. SQLite runs
one writing transaction at a time (BEGIN IMMEDIATE), so there it is serial already.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialect import is_postgres, upsert
from bot.storage.models import Customer
from bot.surveys.events import CustomerIn

# The first key of the two-key advisory locks on Telegram chats, so they cannot collide
# with any other advisory lock; the second key is the chat id folded into 32 bits.
TELEGRAM_CHAT_LOCKS = 0x7E1E


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
        await self._lock_chat(chat_id)
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
        """The shop's customer, created or updated from an event (race-safe: concurrent
        events about one customer or one chat wait for each other; nothing is lost)."""
        if given.telegram_chat_id is not None:
            await self._lock_chat(given.telegram_chat_id)  # first: see the module docstring
        await self.session.execute(
            upsert(self.session, Customer)
            .values(external_id=given.id, created_at=now, updated_at=now, attributes={})
            .on_conflict_do_nothing(index_elements=[Customer.external_id])
        )
        customer_id = await self.session.scalar(
            select(Customer.id).where(Customer.external_id == given.id)
        )
        assert customer_id is not None
        holder = None
        if given.telegram_chat_id is not None:
            holder = await self._holder_of(given.telegram_chat_id)
        (customer, *_) = await self._lock_rows(customer_id, holder)
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
        await self._lock_chat(chat_id)
        holder = await self._holder_of(chat_id)
        locked = await self._lock_rows(customer.id, holder)  # fresh values, too
        if customer.telegram_chat_id == chat_id:
            customer.unreachable_at = None
            return
        previous = next((row for row in locked if row.id == holder), None)
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

    async def _lock_chat(self, chat_id: int) -> None:
        """Hold `chat_id` until commit: whoever moves it next waits, then sees this move."""
        if is_postgres(self.session):
            folded = (chat_id + 2**31) % 2**32 - 2**31  # into the int4 the lock key takes
            await self.session.execute(
                select(func.pg_advisory_xact_lock(TELEGRAM_CHAT_LOCKS, folded))
            )

    async def _holder_of(self, chat_id: int) -> int | None:
        """The id of the customer this chat reaches now (stable while the chat is locked)."""
        return await self.session.scalar(
            select(Customer.id).where(Customer.telegram_chat_id == chat_id)
        )

    async def _lock_rows(self, first: int, other: int | None) -> list[Customer]:
        """Lock `first` (and `other`) until commit, in id order; `first` comes back first,
        with the values as committed now."""
        ids = sorted({first} | ({other} if other is not None else set()))
        rows = (
            await self.session.execute(
                select(Customer)
                .where(Customer.id.in_(ids))
                .order_by(Customer.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalars()
        return sorted(rows, key=lambda row: row.id != first)

    async def set_opted_out(self, customer: Customer, when: datetime | None, now: datetime) -> None:
        customer.opted_out_at = when
        customer.updated_at = now
        await self.session.flush()
