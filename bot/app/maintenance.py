"""Housekeeping run by the scheduler."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.clock import Clock
from bot.storage.database import Database

log = logging.getLogger(__name__)

# Telegram stops redelivering an update long before this; older ids only cost space.
KEEP_UPDATE_IDS_FOR = timedelta(days=7)


async def prune_processed_updates(db: Database, clock: Clock) -> int:
    async with db.transaction() as tx:
        removed = await tx.inbound.forget_before(clock.now() - KEEP_UPDATE_IDS_FOR)
    if removed:
        log.info("pruned processed update ids", extra={"removed": removed})
    return removed
