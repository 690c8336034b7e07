"""Fixtures for the fakes' own tests: a running fake Telegram and an aiogram Bot on it, a
running fake Zalo, a running fake Messenger and a plain aiohttp client."""

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from tests.fakes.messenger import FakeMessenger
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo

LAN = 111


class ManualClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(clock=clock) as fake:
        fake.add_user(LAN, first_name="Lan")
        yield fake


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    bot = Bot(fake.token, session=session)
    yield bot
    # Closing the aiohttp session first skips aiogram's fixed 250 ms grace sleep.
    await (await session.create_session()).close()
    await session.close()


# ----- the fake Zalo ------------------------------------------------------------------

ZALO_USER = "5001"
ZALO_PHONE = "84901234567"


@pytest.fixture
def wall_clock() -> ManualClock:
    """A wall clock (seconds since the epoch) the test moves by hand: Zalo's timestamps."""
    clock = ManualClock()
    clock.now = 1_700_000_000.0
    return clock


@pytest.fixture
async def zalo(wall_clock: ManualClock) -> AsyncIterator[FakeZalo]:
    async with FakeZalo(clock=wall_clock, webhook_timeout=0.2, webhook_retry_delay=0) as fake:
        fake.add_user(ZALO_USER, phone=ZALO_PHONE)
        fake.interacted(ZALO_USER, wall_clock.now)
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# ----- the fake Messenger -------------------------------------------------------------

MESSENGER_USER = "7001"  # a PSID


@pytest.fixture
async def messenger(wall_clock: ManualClock) -> AsyncIterator[FakeMessenger]:
    """A fake Messenger whose user wrote a minute ago; echoes off, so a test sees only what
    it asks for (the echo test turns them on)."""
    fake = FakeMessenger(clock=wall_clock, echoes=False, webhook_timeout=0.2, webhook_retry_delay=0)
    async with fake:
        fake.add_user(MESSENGER_USER)
        fake.interacted(MESSENGER_USER, wall_clock.now - 60)
        yield fake
