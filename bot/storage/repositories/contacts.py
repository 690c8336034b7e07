"""Contacts: the addresses a customer is reached at, one customer per address at a time.

Events, walk-ins and links move an address between customers concurrently. On PostgreSQL
everything that moves an address first takes an advisory lock on it (until commit), then
locks the customer rows involved in id order: one order everywhere, so two moves never
wait on each other in a circle, and a second mover sees the first one's result instead of
failing on the unique key. SQLite runs one writing transaction at a time (BEGIN
IMMEDIATE), so there it is serial already.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialect import is_postgres
from bot.storage.models import Contact, Customer

# The first key of the two-key advisory locks on addresses, so they cannot collide with
# any other advisory lock; the second is the address folded into 32 bits.
ADDRESS_LOCKS = 0x7E1E


class ContactRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, channel: str, address: str) -> Contact | None:
        return await self.session.scalar(
            select(Contact).where(Contact.channel == channel, Contact.address == address)
        )

    async def of_customer(self, customer_id: int) -> list[Contact]:
        """Oldest first: the order they were given in."""
        statement = select(Contact).where(Contact.customer_id == customer_id).order_by(Contact.id)
        return list((await self.session.execute(statement)).scalars())

    async def lock_addresses(self, addresses: Sequence[tuple[str, str]]) -> None:
        """Hold these addresses until commit: whoever moves one next waits, then sees this
        move. Always in one order, so two movers of the same pair cannot deadlock."""
        if not is_postgres(self.session):
            return
        for key in sorted({_lock_key(channel, address) for channel, address in addresses}):
            await self.session.execute(select(func.pg_advisory_xact_lock(ADDRESS_LOCKS, key)))

    async def bind(self, customer: Customer, channel: str, address: str, now: datetime) -> Contact:
        """Make the address reach `customer` (reachable again); it leaves whoever had it.

        The person at that address is the same: an opt-out made there (say, as a walk-in
        before the shop told us who they are) moves with the address."""
        await self.lock_addresses([(channel, address)])
        contact = await self.get(channel, address)
        holder = contact.customer_id if contact is not None else None
        locked = await _lock_customers(self.session, customer.id, holder)  # fresh values too
        if contact is None:
            contact = Contact(
                customer_id=customer.id,
                channel=channel,
                address=address,
                created_at=now,
                updated_at=now,
            )
            self.session.add(contact)
        elif contact.customer_id != customer.id:
            previous = next((row for row in locked if row.id == holder), None)
            moved_opt_out = previous.opted_out_at if previous is not None else None
            if moved_opt_out is not None and customer.opted_out_at is None:
                customer.opted_out_at = moved_opt_out
            contact.customer_id = customer.id
        contact.unreachable_at = None
        contact.updated_at = now
        await self.session.flush()
        return contact

    async def mark_unreachable(self, channel: str, address: str, now: datetime) -> Contact | None:
        contact = await self.get(channel, address)
        if contact is not None:
            contact.unreachable_at = now
            contact.updated_at = now
            await self.session.flush()
        return contact

    async def wrote_from(self, contact: Contact, now: datetime) -> None:
        """They wrote to us from this address: it reaches them, its window is open."""
        contact.last_inbound_at = now
        contact.unreachable_at = None
        contact.updated_at = now
        await self.session.flush()


async def _lock_customers(session: AsyncSession, first: int, other: int | None) -> list[Customer]:
    """Lock `first` (and `other`) until commit, in id order; `first` comes back first,
    with the values as committed now."""
    ids = sorted({first} | ({other} if other is not None else set()))
    rows = (
        await session.execute(
            select(Customer)
            .where(Customer.id.in_(ids))
            .order_by(Customer.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalars()
    return sorted(rows, key=lambda row: row.id != first)


def _lock_key(channel: str, address: str) -> int:
    """The address folded into the int4 an advisory lock key takes (collisions only make
    two unrelated moves wait for each other)."""
    return zlib.crc32(f"{channel}:{address}".encode()) - 2**31
