"""APScheduler drives the periodic work of one worker process.

Its job store is in memory on purpose: APScheduler's stores must not be shared between
processes. Anything that must survive a restart lives in our own tables (the outbox, the
timers) and these jobs only tick over them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, tzinfo
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import iscoroutinefunction_partial


def create_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )


def every(
    scheduler: AsyncIOScheduler,
    job_id: str,
    seconds: float,
    job: Callable[[], Awaitable[Any]],
) -> None:
    """Run `job` every `seconds`, never overlapping itself.

    `job` must be a coroutine function (or a partial of one): APScheduler awaits only
    those, and would run anything else in a thread, dropping the coroutine unawaited."""
    _add(scheduler, job_id, IntervalTrigger(seconds=seconds, timezone=UTC), job)


def on_schedule(
    scheduler: AsyncIOScheduler,
    job_id: str,
    crontab: str,
    timezone: tzinfo,
    job: Callable[[], Awaitable[Any]],
) -> None:
    """Run `job` at the times of a five-field cron expression, read in `timezone`."""
    _add(scheduler, job_id, CronTrigger.from_crontab(crontab, timezone=timezone), job)


def _add(
    scheduler: AsyncIOScheduler,
    job_id: str,
    trigger: CronTrigger | IntervalTrigger,
    job: Callable[[], Awaitable[Any]],
) -> None:
    if not iscoroutinefunction_partial(job):
        raise TypeError(f"job {job_id!r} must be an async function, not {job!r}")
    scheduler.add_job(job, trigger, id=job_id, name=job_id, replace_existing=True)
