"""Customers, found by the shop's id or by one of their contacts (see contacts.py for how an
address moves between customers safely)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialect import upsert
from bot.storage.models import Contact, Customer
from bot.storage.repositories.contacts import ContactRepository
from bot.surveys.events import CustomerIn


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

    async def by_contact(self, channel: str, address: str) -> Customer | None:
        result = await self.session.execute(
            select(Customer)
            .join(Contact, Contact.customer_id == Customer.id)
            .where(Contact.channel == channel, Contact.address == address)
        )
        return result.scalar_one_or_none()

    async def by_external_id(self, external_id: str) -> Customer | None:
        result = await self.session.execute(
            select(Customer).where(Customer.external_id == external_id)
        )
        return result.scalar_one_or_none()

    async def walk_in(
        self,
        channel: str,
        address: str,
        name: str | None,
        locale: str | None,
        now: datetime,
    ) -> Customer:
        """The customer behind an address, created on first contact (race-safe)."""
        contacts = ContactRepository(self.session)
        await contacts.lock_addresses([(channel, address)])
        customer = await self.by_contact(channel, address)
        if customer is None:
            customer = Customer(name=name, locale=locale, created_at=now, updated_at=now)
            self.session.add(customer)
            await self.session.flush()
            await contacts.bind(customer, channel, address, now)
        return customer

    async def from_event(self, given: CustomerIn, now: datetime) -> Customer:
        """The shop's customer, created or updated from an event (race-safe: concurrent
        events about one customer or one address wait for each other; nothing is lost)."""
        contacts = ContactRepository(self.session)
        addresses = [(c.channel, c.address) for c in given.all_contacts()]
        await contacts.lock_addresses(addresses)  # first: see contacts.py
        await self.session.execute(
            upsert(self.session, Customer)
            .values(external_id=given.id, created_at=now, updated_at=now, attributes={})
            .on_conflict_do_nothing(index_elements=[Customer.external_id])
        )
        customer = await self.session.scalar(
            select(Customer)
            .where(Customer.external_id == given.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert customer is not None
        if given.name is not None:
            customer.name = given.name
        if given.locale is not None:
            customer.locale = given.locale
        if given.timezone is not None:
            customer.timezone = given.timezone
        if given.phone is not None:
            customer.phone = given.phone
        if given.attributes:
            customer.attributes = {**(customer.attributes or {}), **given.attributes}
        customer.updated_at = now
        for channel, address in addresses:
            await contacts.bind(customer, channel, address, now)
        await self.session.flush()
        return customer

    async def set_opted_out(self, customer: Customer, when: datetime | None, now: datetime) -> None:
        customer.opted_out_at = when
        customer.updated_at = now
        await self.session.flush()
