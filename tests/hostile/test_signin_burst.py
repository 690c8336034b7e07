"""Parallel sign-in bursts: the throttle must hold however many attempts arrive at once.

Every request of a burst is sent together (`asyncio.gather` over one ASGI app, so they
interleave at each database round trip and while argon2 runs in its thread). A blocked
attempt gets 429 without its password being checked, so the number of 401s is the number
of attempts that reached the password check. Sent one after another, the old throttle held;
only a burst shows whether the attempt is claimed before the check. The clock stands still,
so no wait can run out in the middle of a burst."""

import asyncio
from collections import Counter
from datetime import timedelta

import httpx

from bot.clock import ManualClock
from tests.web.dashboard_client import (
    PASSWORD,
    add_user,
    csrf_of,
    dashboard_client,
    runtime_of,
    sign_in,
)

BURST = 40
ACCOUNT_FREE = 5  # docs/dashboard.md: failures an account gets before any wait
ADDRESS_FREE = 50  # and an address (many colleagues may share one)


async def _throttled_client(make_client) -> httpx.AsyncClient:
    """A dashboard client whose clock only moves when the test moves it."""
    client = await dashboard_client(make_client)
    runtime_of(client).clock = ManualClock()
    return client


def _clock(client: httpx.AsyncClient) -> ManualClock:
    clock = runtime_of(client).clock
    assert isinstance(clock, ManualClock)
    return clock


async def _burst(
    client: httpx.AsyncClient, attempts: list[tuple[str, str]]
) -> list[httpx.Response]:
    """All the attempts at once, from one browser (one CSRF cookie) and one address."""
    token = csrf_of((await client.get("/dashboard/login")).text)
    return await asyncio.gather(
        *(
            client.post("/dashboard/login", data={"csrf": token, "login": login, "password": word})
            for login, word in attempts
        )
    )


def _statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


async def test_a_burst_of_wrong_passwords_for_one_account_checks_only_the_free_allowance(
    make_client,
):
    client = await _throttled_client(make_client)
    await add_user(client, "lan", "support")
    responses = await _burst(client, [("lan", f"guess {n}") for n in range(BURST)])
    statuses = _statuses(responses)
    # The free failures, plus the one that starts the first wait.
    assert 0 < statuses[401] <= ACCOUNT_FREE + 1, statuses
    assert statuses[429] == BURST - statuses[401], statuses


async def test_every_refused_attempt_of_a_burst_says_when_to_retry(make_client):
    client = await _throttled_client(make_client)
    await add_user(client, "lan", "support")
    responses = await _burst(client, [("lan", "guess")] * BURST)
    throttled = [response for response in responses if response.status_code == 429]
    assert throttled
    assert all(int(response.headers["retry-after"]) >= 1 for response in throttled)
    assert all("Too many failed sign-ins" in response.text for response in throttled)


async def test_the_right_password_is_refused_while_a_burst_has_the_account_waiting(make_client):
    client = await _throttled_client(make_client)
    await add_user(client, "lan", "support")
    await _burst(client, [("lan", "guess")] * BURST)
    response = await sign_in(client, "lan", PASSWORD)
    assert response.status_code == 429
    _clock(client).advance(timedelta(seconds=int(response.headers["retry-after"])))
    assert (await sign_in(client, "lan", PASSWORD)).status_code == 303


async def test_a_burst_against_one_account_does_not_block_a_colleague_at_the_same_address(
    make_client,
):
    client = await _throttled_client(make_client)
    await add_user(client, "lan", "support")
    await add_user(client, "minh", "support")
    await _burst(client, [("lan", "guess")] * BURST)
    assert (await sign_in(client, "minh", PASSWORD)).status_code == 303


async def test_a_burst_across_many_accounts_from_one_address_leaves_a_colleague_signing_in(
    make_client,
):
    client = await _throttled_client(make_client)
    await add_user(client, "minh", "support")
    await _burst(client, [(f"user{n}", "guess") for n in range(BURST)])
    assert (await sign_in(client, "minh", PASSWORD)).status_code == 303


async def test_a_burst_across_many_accounts_is_stopped_at_the_address_allowance(make_client):
    client = await _throttled_client(make_client)
    await add_user(client, "minh", "support")
    attempts = ADDRESS_FREE + 20
    responses = await _burst(client, [(f"user{n}", "guess") for n in range(attempts)])
    statuses = _statuses(responses)
    assert 0 < statuses[401] <= ADDRESS_FREE + 1, statuses
    assert statuses[429] == attempts - statuses[401], statuses
    assert (await sign_in(client, "minh", PASSWORD)).status_code == 429


async def test_a_good_sign_in_at_the_edge_of_the_address_allowance_does_not_use_it_up(
    make_client,
):
    client = await _throttled_client(make_client)
    await add_user(client, "minh", "support")
    await add_user(client, "lan", "support")
    await _burst(client, [(f"user{n}", "guess") for n in range(ADDRESS_FREE)])
    assert (await sign_in(client, "minh", PASSWORD)).status_code == 303
    client.cookies.clear()
    assert (await sign_in(client, "lan", PASSWORD)).status_code == 303


async def test_an_office_signing_in_all_day_still_gets_its_typos_forgotten(make_client):
    """Good sign-ins give their attempt back, time included: an address's failures are
    forgotten an hour after the last failure, however busy the office is meanwhile."""
    client = await _throttled_client(make_client)
    clock = _clock(client)
    accounts = [f"staff{n}" for n in range(ADDRESS_FREE // ACCOUNT_FREE)]
    for login in [*accounts, "lan"]:
        await add_user(client, login, "support")
    typos = [(login, "typo") for login in accounts for _ in range(ACCOUNT_FREE)]
    assert _statuses(await _burst(client, typos)) == {401: ADDRESS_FREE}
    for _ in range(4):  # two busy hours: a colleague signs in every half hour
        clock.advance(timedelta(minutes=30))
        assert (await sign_in(client, "lan", PASSWORD)).status_code == 303
        client.cookies.clear()  # the next colleague's browser
    clock.advance(timedelta(minutes=1))
    assert _statuses(await _burst(client, [("lan", "one more typo")])) == {401: 1}
    assert (await sign_in(client, "lan", PASSWORD)).status_code == 303
