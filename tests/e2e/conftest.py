from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.storage.database import Database
from tests.e2e.process import SurveybotProcess
from tests.fakes.messenger import FakeMessenger
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake
        # 403 (blocked) and 429 (flood control) are Telegram's answers to valid requests,
        # provoked on purpose; anything else means the bot sent something invalid.
        invalid = [r for r in fake.rejected if r.status not in (403, 429)]
        assert invalid == [], f"the bot sent what Telegram refuses: {invalid}"


@pytest.fixture
async def surveybot(
    telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> AsyncIterator[Callable[..., SurveybotProcess]]:
    """A factory of surveybot processes wired to the fake Telegram and the test database."""
    started: list[SurveybotProcess] = []

    def make(**env: str) -> SurveybotProcess:
        process = SurveybotProcess(
            tmp_path,
            {
                "SURVEYBOT_TELEGRAM_TOKEN": telegram.token,
                "SURVEYBOT_TELEGRAM_API_URL": telegram.base_url,
                "SURVEYBOT_DATABASE_URL": database_url,
                **env,
            },
        )
        started.append(process)
        return process

    yield make
    for process in started:
        if process.process is not None and process.process.returncode is None:
            await process.stop()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as fake:
        yield fake
        assert fake.rejected == [], f"the bot sent what Zalo refuses: {fake.rejected}"


def zalo_settings(zalo: FakeZalo, refresh_token: str) -> dict[str, str]:
    """The settings that put a surveybot on the fake Zalo (all its hosts on one server)."""
    return {
        "SURVEYBOT_ZALO_APP_ID": zalo.app_id,
        "SURVEYBOT_ZALO_APP_SECRET": zalo.app_secret,
        "SURVEYBOT_ZALO_OA_SECRET": zalo.oa_secret,
        "SURVEYBOT_ZALO_REFRESH_TOKEN": refresh_token,
        "SURVEYBOT_ZALO_OAUTH_URL": zalo.base_url,
        "SURVEYBOT_ZALO_API_URL": zalo.base_url,
        "SURVEYBOT_ZALO_BUSINESS_API_URL": zalo.base_url,
    }


def staff_on_telegram_customers_on_zalo(
    telegram: FakeTelegram,
    zalo: FakeZalo,
    database_url: str,
    flows_dir: Path,
    *,
    support_chat: int,
    api_key: str,
) -> dict[str, str]:
    """Settings for a shop whose staff work in a Telegram group and whose customers are on
    Zalo (both fakes), the support group's texts in English."""
    return {
        "SURVEYBOT_TELEGRAM_TOKEN": telegram.token,
        "SURVEYBOT_TELEGRAM_API_URL": telegram.base_url,
        **zalo_settings(zalo, zalo.issue_refresh_token()),
        "SURVEYBOT_DATABASE_URL": database_url,
        "SURVEYBOT_FLOWS_DIR": str(flows_dir),
        "SURVEYBOT_SUPPORT_CHAT_ID": str(support_chat),
        "SURVEYBOT_SUPPORT_LOCALE": "en",
        "SURVEYBOT_API_KEYS": api_key,
        "SURVEYBOT_TIMER_TICK_SECONDS": "0.2",
    }


@pytest.fixture
async def messenger() -> AsyncIterator[FakeMessenger]:
    async with FakeMessenger() as fake:
        yield fake
        assert fake.policy_violations == [], f"sent against Meta's policy: {fake.policy_violations}"
        # Outside the window (10/2018278) and "not available" (551) are Meta's answers to
        # valid requests, provoked on purpose; anything else means the bot sent something
        # invalid.
        invalid = [r for r in fake.rejected if r.code not in (10, 551)]
        assert invalid == [], f"the bot sent what Meta refuses: {invalid}"


def messenger_settings(messenger: FakeMessenger) -> dict[str, str]:
    """The settings that put a surveybot on the fake Graph API."""
    return {
        "SURVEYBOT_MESSENGER_PAGE_ID": messenger.page_id,
        "SURVEYBOT_MESSENGER_PAGE_TOKEN": messenger.page_token,
        "SURVEYBOT_MESSENGER_APP_SECRET": messenger.app_secret,
        "SURVEYBOT_MESSENGER_VERIFY_TOKEN": messenger.verify_token,
        "SURVEYBOT_MESSENGER_API_URL": messenger.base_url,
    }
