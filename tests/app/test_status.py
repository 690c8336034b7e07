"""`surveybot status`'s line for a token channel: the chain (fine, running out, dead) and,
when there were any, the call-limit and quota errors of the last 24 hours."""

from datetime import UTC, datetime, timedelta

from bot.app.status import system_status
from bot.clock import ManualClock
from tests.channel_state import store_chain, store_limit_error

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
QUOTA = "Zalo quota used up (Zalo error -211: out of quota)"


async def zalo_line(database) -> str:
    return (await system_status(database, ManualClock(NOW))).channels["zalo"]


async def test_a_fine_chain_without_limit_errors_says_nothing_of_limits(database):
    await store_chain(database, NOW - timedelta(hours=2))
    assert await zalo_line(database) == (
        "token valid until 2026-12-02 09:00Z, re-authorise by 2027-03-01 08:00Z; last event never"
    )


async def test_limit_errors_of_the_last_24_hours_are_counted_with_the_last_one(database):
    await store_chain(database, NOW - timedelta(hours=2))
    await store_limit_error(database, -211, "yesterday's", NOW - timedelta(hours=30))
    await store_limit_error(database, -211, "earlier", NOW - timedelta(hours=5))
    await store_limit_error(database, -211, QUOTA, NOW - timedelta(hours=1))
    line = await zalo_line(database)
    assert line.endswith(
        "; last event never; 2 quota/call-limit errors in the last 24 h "
        f"(last: -211 at 2026-12-01 09:00Z: {QUOTA})"
    )


async def test_one_limit_error_is_said_in_the_singular(database):
    await store_chain(database, NOW - timedelta(hours=2))
    await store_limit_error(database, -32, "call limit", NOW)
    assert (await zalo_line(database)).endswith(
        "1 quota/call-limit error in the last 24 h (last: -32 at 2026-12-01 10:00Z: call limit)"
    )


async def test_limit_errors_of_both_kinds_are_counted_per_code(database):
    await store_chain(database, NOW - timedelta(hours=2))
    for minutes in (30, 20, 10):
        await store_limit_error(database, -32, "call limit", NOW - timedelta(minutes=minutes))
    await store_limit_error(database, -211, QUOTA, NOW - timedelta(minutes=40))
    assert "4 quota/call-limit errors in the last 24 h (-32 ×3, -211 ×1; last: -32 at" in (
        await zalo_line(database)
    )


async def test_a_refresh_token_running_out_is_said_with_when_it_was_last_renewed(database):
    await store_chain(database, NOW - timedelta(days=81))
    assert "re-authorise by 2026-12-10 10:00Z (SOON: in 9 days, last renewed 2026-09-11" in (
        await zalo_line(database)
    )


async def test_a_refresh_token_past_its_end_is_not_authorised(database):
    await store_chain(database, NOW - timedelta(days=95))
    assert (await zalo_line(database)).startswith(
        "NOT AUTHORISED: the refresh token expired 2026-11-26 10:00Z (last renewed 2026-08-28"
    )


async def test_a_dead_chain_says_since_when_and_why(database):
    failure = "Zalo refused the refresh token (Zalo error -14020: invalid)"
    await store_chain(database, NOW - timedelta(days=2), failed=failure, failed_at=NOW)
    assert await zalo_line(database) == (
        f"NOT AUTHORISED since 2026-12-01 10:00Z: {failure}; last event never"
    )
