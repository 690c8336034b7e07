"""A real `surveybot run` with the dashboard on, driven by Debian's Chromium through
Playwright (never a downloaded browser). Skips only when /usr/bin/chromium is missing;
CI (.ci/run) installs it, so there it never skips."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from bot.app.runtime import Runtime, build_runtime
from bot.config import Settings
from bot.staff.accounts import Accounts
from bot.staff.roles import Role
from tests.e2e.process import SurveybotProcess
from tests.harness import ROOT
from tests.web.dashboard_client import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def chromium() -> str:
    if not CHROMIUM.exists():
        pytest.skip(
            f"Debian's chromium is not installed at {CHROMIUM}: apt-get install -y chromium"
        )
    return str(CHROMIUM)


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium)
        yield launched
        await launched.close()


@pytest.fixture
async def seeded(database_url: str) -> AsyncIterator[Runtime]:
    """The test database with a user per role (password PASSWORD); add answers with it."""
    settings = Settings(
        database_url=database_url,
        flows_dir=ROOT / "flows",
        templates_dir=ROOT / "templates",
        campaigns_dir=ROOT / "campaigns",
        telegram_token=None,
    )
    runtime = await build_runtime(settings)
    accounts = Accounts(runtime.db, runtime.clock)
    for role in Role:
        await accounts.add(f"{role.value}@shop.test", role, PASSWORD)
    yield runtime
    await runtime.db.dispose()


Start = Callable[[], Awaitable[SurveybotProcess]]


async def _processes(
    database_url: str, tmp_path: Path, settings: dict[str, Any]
) -> AsyncIterator[Start]:
    """Starts `surveybot run` on loopback with no Telegram and these settings; stops what
    it started."""
    started: list[SurveybotProcess] = []

    async def start() -> SurveybotProcess:
        env: dict[str, Any] = {
            "SURVEYBOT_DATABASE_URL": database_url,
            "SURVEYBOT_TELEGRAM_TOKEN": "",
            "SURVEYBOT_CAMPAIGNS_DIR": str(ROOT / "campaigns"),
            **settings,
        }
        process = SurveybotProcess(tmp_path, env)
        started.append(process)
        return await process.start()

    yield start
    for process in started:
        if process.process is not None and process.process.returncode is None:
            await process.stop()


@pytest.fixture
async def dashboard(database_url: str, tmp_path: Path) -> AsyncIterator[Start]:
    """`surveybot run` with the dashboard on."""
    async for start in _processes(database_url, tmp_path, {"SURVEYBOT_DASHBOARD": "1"}):
        yield start


@pytest.fixture
async def demo(database_url: str, tmp_path: Path) -> AsyncIterator[Start]:
    """`surveybot run` as `make run` starts it: demo mode, no configuration."""
    async for start in _processes(database_url, tmp_path, {"SURVEYBOT_DEMO": "1"}):
        yield start
