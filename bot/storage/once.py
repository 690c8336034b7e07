"""A platform's webhook event handled once: platforms retry what is not answered in time,
so each event is recorded by its id (inbound_messages) before it is handled. A replay is
dropped; when handling fails the record is undone and EventNotHandled raised, so the
webhook asks the platform to send it again and nothing is lost."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.clock import Clock
from bot.storage.database import Database

log = logging.getLogger(__name__)


class EventNotHandled(Exception):
    """Handling an event failed and its record was undone: it may come again."""


async def handle_once(
    db: Database,
    clock: Clock,
    channel: str,
    external_id: str,
    work: Callable[[], Awaitable[object]],
) -> None:
    async with db.transaction() as tx:
        first = await tx.inbound.first_time(channel, external_id, clock.now())
    if not first:
        return
    try:
        await work()
    except Exception:
        log.exception("a %s event could not be handled; it will come again", channel)
        async with db.transaction() as tx:
            await tx.inbound.forget(channel, external_id)
        raise EventNotHandled(external_id) from None
