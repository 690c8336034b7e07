"""The live case pages' watch: one change mark of all cases, which moves when a case
opens, changes state, or something is said or done on one; and the stream the pages
listen to, behind sign-in and the cases role."""

from __future__ import annotations

import asyncio

from bot.support.cases import Staff
from bot.surveys.conversation import Contact
from bot.web.dashboard.live import CaseWatch
from tests.web.dashboard_client import runtime_of, signed_in_as
from tests.web.test_dashboard_cases import open_case


async def next_mark(changes) -> str:
    return await asyncio.wait_for(anext(changes), 5.0)


async def test_the_mark_moves_when_a_case_opens_is_claimed_or_the_customer_writes(make_client):
    client = await signed_in_as(make_client, "support")
    runtime = runtime_of(client)
    watch = CaseWatch(runtime.db, interval=0.01)
    changes = watch.changes()
    try:
        empty = await next_mark(changes)
        await open_case(client)
        opened = await next_mark(changes)
        assert opened != empty
        await runtime.cases.claim(Staff(401, "Minh"), 1)
        claimed = await next_mark(changes)
        lan = Contact("telegram", "5", name="Lan <b>", language="vi")
        await runtime.conversation.typed(lan, "Còn đó không shop?", message_id="m-1")
        wrote = await next_mark(changes)
        assert len({empty, opened, claimed, wrote}) == 4
    finally:
        await changes.aclose()
    assert watch._poller is None  # nobody listens: nothing polls


async def test_one_poll_serves_every_listener(make_client):
    client = await signed_in_as(make_client, "support")
    watch = CaseWatch(runtime_of(client).db, interval=0.01)
    first, second = watch.changes(), watch.changes()
    try:
        assert await next_mark(first) == await next_mark(second)
        await open_case(client)
        assert await next_mark(first) == await next_mark(second)
    finally:
        await first.aclose()
        await second.aclose()


async def test_the_stream_is_for_signed_in_support_and_admins_only(make_client):
    anonymous = await make_client(dashboard=True)
    answer = await anonymous.get("/dashboard/live/cases", follow_redirects=False)
    assert answer.status_code == 303 and "/dashboard/login" in answer.headers["location"]
    marketer = await signed_in_as(make_client, "marketer")
    assert (await marketer.get("/dashboard/live/cases")).status_code == 403


async def test_two_pages_connecting_at_once_start_one_poll(make_client):
    client = await signed_in_as(make_client, "support")
    watch = CaseWatch(runtime_of(client).db, interval=0.01)
    first, second = watch.changes(), watch.changes()
    try:
        marks = await asyncio.gather(next_mark(first), next_mark(second))
        assert marks[0] == marks[1]
        pollers = [t for t in asyncio.all_tasks() if t.get_name() == "dashboard-live"]
        assert len(pollers) == 1
    finally:
        await first.aclose()
        await second.aclose()
    await asyncio.sleep(0)
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "dashboard-live" and not t.done()]


async def test_only_an_event_source_gets_the_stream(make_client):
    support = await signed_in_as(make_client, "support")
    answer = await support.get("/dashboard/live/cases", headers={"Accept": "text/html"})
    assert answer.status_code == 406 and "EventSource" in answer.text
