"""Many events at once that touch one customer or one chat: every one is accepted, none is a
500, nothing is lost, and a chat still reaches exactly one customer (SQLite and PostgreSQL).
The client is in-process, so `asyncio.gather` really sends them at the same time."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.storage.models import Contact, Customer
from tests.http_client import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
BURST = 20
CHAT = 123


def event_number(n: int, customer: str = "C-9", **customer_fields: Any) -> dict[str, Any]:
    return {
        "id": f"evt-{n}",
        "type": "order.delivered",
        "occurred_at": (NOW - timedelta(hours=1)).isoformat(),
        "order": {"id": f"SO-{n}"},
        "customer": {"id": customer, "telegram_chat_id": CHAT, **customer_fields},
    }


@pytest.fixture
async def api(make_client):
    return await make_client(ManualClock(NOW))


async def post_all(api, bodies):
    responses = await asyncio.gather(
        *(api.post("/api/v1/events", json=body, headers=AUTH) for body in bodies)
    )
    return sorted(response.status_code for response in responses)


async def count_customers(database, *where):
    async with database.reading() as tx:
        return await tx.session.scalar(select(func.count()).select_from(Customer).where(*where))


async def test_events_for_one_new_customer_and_chat_at_once_are_all_accepted(api):
    bodies = [event_number(n) for n in range(BURST)]
    assert await post_all(api, bodies) == [202] * BURST


async def test_events_for_many_customers_sharing_one_chat_at_once_are_all_accepted(api):
    bodies = [event_number(n, customer=f"C-{n}") for n in range(BURST)]
    assert await post_all(api, bodies) == [202] * BURST


async def test_after_a_burst_sharing_one_chat_exactly_one_customer_holds_it(api, database):
    await post_all(api, [event_number(n, customer=f"C-{n}") for n in range(BURST)])
    assert await count_customers(database) == BURST
    async with database.reading() as tx:
        holders = await tx.session.scalar(
            select(func.count()).select_from(Contact).where(Contact.address == str(CHAT))
        )
    assert holders == 1


async def test_concurrent_events_for_one_customer_lose_no_attribute(api, database):
    bodies = [event_number(n, attributes={f"a{n}": n}) for n in range(BURST)]
    assert await post_all(api, bodies) == [202] * BURST
    async with database.reading() as tx:
        attributes = await tx.session.scalar(select(Customer.attributes))
    assert attributes == {f"a{n}": n for n in range(BURST)}
