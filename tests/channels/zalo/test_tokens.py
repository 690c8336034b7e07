"""Zalo's token chain: refreshed before it expires, the single-use refresh token rotated and
stored, exactly one refresh when several workers need one at once, a dead chain said."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.zalo.client import TokenPair, ZaloApiError
from bot.channels.zalo.tokens import ZaloNotAuthorised, ZaloTokens
from bot.clock import ManualClock
from bot.storage.database import Database

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SEED = "seed-refresh-token"


class OneUseRefresher:
    """Zalo's OAuth as far as refreshing goes: each refresh token works once."""

    def __init__(self, delay: float = 0.0) -> None:
        self.live = {SEED}
        self.calls: list[str] = []
        self.delay = delay
        self._next = 0

    async def refresh(self, refresh_token: str, now: datetime) -> TokenPair:
        self.calls.append(refresh_token)
        await asyncio.sleep(self.delay)
        if refresh_token not in self.live:
            raise ZaloApiError(-14020, "Refresh token is invalid")
        self.live.discard(refresh_token)
        self._next += 1
        new = f"refresh-{self._next}"
        self.live.add(new)
        return TokenPair(f"access-{self._next}", new, now + timedelta(seconds=90000))


def keeper(db: Database, clock: ManualClock, zalo: OneUseRefresher, seed: str | None = SEED):
    return ZaloTokens(db, clock, zalo, seed)  # type: ignore[arg-type]


async def test_the_first_token_comes_from_the_seed_and_the_pair_is_stored(database: Database):
    zalo, clock = OneUseRefresher(), ManualClock(NOW)
    assert await keeper(database, clock, zalo).access_token() == "access-1"
    async with database.reading() as tx:
        row = await tx.tokens.get("zalo")
    assert (row.access_token, row.refresh_token) == ("access-1", "refresh-1")
    assert row.refresh_expires_at == NOW + timedelta(days=90)


async def test_a_valid_token_is_used_without_refreshing(database: Database):
    zalo, clock = OneUseRefresher(), ManualClock(NOW)
    await keeper(database, clock, zalo).access_token()
    clock.advance(timedelta(hours=20))
    another_worker = keeper(database, clock, zalo)
    assert await another_worker.access_token() == "access-1"
    assert zalo.calls == [SEED]


async def test_near_its_expiry_the_token_is_refreshed_with_the_rotated_refresh_token(
    database: Database,
):
    zalo, clock = OneUseRefresher(), ManualClock(NOW)
    tokens = keeper(database, clock, zalo)
    await tokens.access_token()
    clock.advance(timedelta(hours=24, minutes=55))  # 25 h minus 5 minutes
    assert await tokens.access_token() == "access-2"
    assert zalo.calls == [SEED, "refresh-1"]


async def test_two_workers_needing_a_token_at_once_refresh_exactly_once(database: Database):
    zalo, clock = OneUseRefresher(delay=0.2), ManualClock(NOW)
    first, second = keeper(database, clock, zalo), keeper(database, clock, zalo)
    tokens = await asyncio.gather(first.access_token(), second.access_token())
    assert tokens == ["access-1", "access-1"]
    assert zalo.calls == [SEED]


async def test_a_token_zalo_refused_is_replaced_once_across_workers(database: Database):
    zalo, clock = OneUseRefresher(), ManualClock(NOW)
    first, second = keeper(database, clock, zalo), keeper(database, clock, zalo)
    await first.access_token()
    first.invalidate("access-1")
    assert await first.refresh(stale="access-1") == "access-2"
    assert await second.refresh(stale="access-1") == "access-2"  # found, not refreshed again
    assert zalo.calls == [SEED, "refresh-1"]


async def test_a_dead_refresh_token_is_said_and_remembered(database: Database):
    zalo, clock = OneUseRefresher(), ManualClock(NOW)
    zalo.live.clear()
    with pytest.raises(ZaloNotAuthorised, match="authorise the app for the OA again"):
        await keeper(database, clock, zalo).access_token()
    state = await keeper(database, clock, zalo).state()
    assert state.last_error is not None and "-14020" in state.last_error


async def test_a_new_seed_in_the_settings_starts_a_new_chain(database: Database):
    zalo, clock = OneUseRefresher(), ManualClock(NOW)
    await keeper(database, clock, zalo).access_token()
    zalo.live.add("authorised-again")
    tokens = keeper(database, clock, zalo, seed="authorised-again")
    assert await tokens.access_token() == "access-2"
    assert zalo.calls == [SEED, "authorised-again"]


async def test_without_any_refresh_token_the_fix_is_named(database: Database):
    with pytest.raises(ZaloNotAuthorised, match="SURVEYBOT_ZALO_REFRESH_TOKEN"):
        await keeper(database, ManualClock(NOW), OneUseRefresher(), seed=None).access_token()


async def test_a_limit_error_is_recorded_for_other_processes_to_read(database: Database):
    clock = ManualClock(NOW)
    tokens = keeper(database, clock, OneUseRefresher())
    await tokens.record_limit(-211, "Zalo quota used up (Zalo error -211: out of quota)")
    clock.advance(timedelta(minutes=5))
    await tokens.record_limit(-32, "Zalo's call limit (Zalo error -32: too many calls)")
    async with database.reading() as tx:
        counts = await tx.limit_errors.counts_since(NOW)
        latest = await tx.limit_errors.latest("zalo", NOW, 5)
    assert counts == {"zalo": {-211: 1, -32: 1}}
    assert [(e.code, e.occurred_at) for e in latest] == [
        (-32, NOW + timedelta(minutes=5)),
        (-211, NOW),
    ]
    assert latest[1].message == "Zalo quota used up (Zalo error -211: out of quota)"


async def test_recording_a_limit_error_never_raises_when_the_database_fails(tmp_path, caplog):
    unmigrated = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")  # no tables
    try:
        await keeper(unmigrated, ManualClock(NOW), OneUseRefresher()).record_limit(-211, "quota")
    finally:
        await unmigrated.dispose()
    assert "could not record limit error -211" in caplog.text
