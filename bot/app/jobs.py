"""The periodic work of a worker: survey timers, the SLA watch, pool levels, draws, the
weekly digest and housekeeping, each a job on the runtime's scheduler."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from bot.app.maintenance import prune_processed_updates
from bot.app.scheduler import every, on_schedule
from bot.campaigns.report import warn_low_pools
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.app.runtime import Runtime


def schedule_jobs(runtime: Runtime) -> None:
    every(
        runtime.scheduler,
        "survey-timers",
        runtime.settings.timer_tick_seconds,
        runtime.timers.run_due,
    )
    every(runtime.scheduler, "case-sla", runtime.settings.sla_check_seconds, runtime.sla.check)
    every(
        runtime.scheduler,
        "voucher-pools",
        3600,
        partial(warn_low_pools, runtime.db, list(runtime.campaigns.campaigns.values())),
    )
    for campaign in runtime.campaigns.draws():
        assert campaign.draw is not None
        on_schedule(
            runtime.scheduler,
            f"draw-{campaign.id}",
            campaign.draw.schedule,
            runtime.draws.timezone,
            partial(runtime.draws.run, campaign.id),
        )
    schedule_digest(runtime)
    every(
        runtime.scheduler,
        "prune-processed-updates",
        3600,
        partial(prune_processed_updates, runtime.db, runtime.clock),
    )


def schedule_digest(runtime: Runtime) -> None:
    """The weekly digest, when there is a managers' chat and its channel is on here."""
    settings = runtime.settings
    if settings.managers_chat_id is None or runtime.digest.config.channel not in runtime.channels:
        return
    try:
        on_schedule(
            runtime.scheduler,
            "weekly-digest",
            settings.digest_schedule,
            runtime.insight.timezone,
            runtime.digest.run,
        )
    except ValueError as exc:
        raise ConfigError(
            f"SURVEYBOT_DIGEST_SCHEDULE {settings.digest_schedule!r} is not a cron expression "
            f"({exc}); write five fields like '0 9 * * mon'"
        ) from None
