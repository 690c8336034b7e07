"""The periodic jobs of a worker really run (as coroutines, not dropped in a thread)."""

import pytest

from bot.app.jobs import schedule_jobs
from bot.app.runtime import build_runtime
from bot.app.scheduler import create_scheduler, every
from bot.config import Settings
from tests.harness import ROOT


async def noop() -> None:
    return None


def test_a_job_that_is_not_a_coroutine_function_is_refused():
    scheduler = create_scheduler()
    with pytest.raises(TypeError, match="must be an async function"):
        every(scheduler, "broken", 1, lambda: noop())


async def test_every_scheduled_job_runs_to_completion(sqlite_database_url):
    settings = Settings(
        database_url=sqlite_database_url,
        flows_dir=ROOT / "flows",
        templates_dir=ROOT / "templates",
        telegram_token=None,
    )
    runtime = await build_runtime(settings)
    try:
        schedule_jobs(runtime)
        jobs = runtime.scheduler.get_jobs()
        assert {job.id for job in jobs} >= {"survey-timers", "prune-processed-updates"}
        for job in jobs:
            await job.func()  # would fail here if the job were not awaitable
    finally:
        await runtime.db.dispose()
