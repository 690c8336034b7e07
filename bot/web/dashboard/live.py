"""Live case pages: the case list and a case page update without a reload when a case
opens, changes hands or state, or the customer writes.

The pages listen to `/dashboard/live/cases` (Server-Sent Events, sse-starlette). What
changed is read from the database, not told by the process that changed it: the case may
have opened in another worker, or in a Telegram group. One poll of a cheap change mark
per process (every LIVE_POLL_SECONDS) serves every listening page; each page, told the
mark moved, fetches itself again and swaps its live parts (templates/pages/static/live.js).
Without JavaScript the pages work as before, by reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sse_starlette import EventSourceResponse

from bot.staff.roles import Page
from bot.storage.database import Database
from bot.web.dashboard.page_context import (
    PREFIX,
    DashboardRoute,
    PageContext,
    Refusal,
    for_page,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)
CasesContext = Annotated[PageContext, Depends(for_page(Page.CASES))]

LIVE_POLL_SECONDS = 0.5  # a new case shows within about this plus one page fetch
STREAM_SECONDS = 15 * 60  # then the stream ends, and the browser reconnects (its session
# checked again)
PING_SECONDS = 15


class CaseWatch:
    """The change mark of all cases, polled once for every page that listens, and only
    while one does."""

    def __init__(self, db: Database, interval: float = LIVE_POLL_SECONDS) -> None:
        self.db = db
        self.interval = interval
        self.mark: str | None = None
        self._moved = asyncio.Condition()
        self._listeners = 0
        self._poller: asyncio.Task[None] | None = None

    async def changes(self) -> AsyncGenerator[str]:
        """The mark now, then each new one as it comes."""
        self._listeners += 1
        try:
            if self._poller is None or self._poller.done():
                # Started before any await: two pages connecting at once start one poll.
                first = asyncio.get_running_loop().create_future()
                self._poller = asyncio.create_task(self._poll(first), name="dashboard-live")
                await asyncio.shield(first)
            elif self.mark is None:
                await self._next_after("")
            seen = self.mark or ""
            yield seen
            while True:
                seen = await self._next_after(seen)
                yield seen
        finally:
            self._listeners -= 1
            if self._listeners == 0 and self._poller is not None:
                self._poller.cancel()
                self._poller = None

    async def _next_after(self, seen: str) -> str:
        async with self._moved:
            await self._moved.wait_for(lambda: (self.mark or "") != seen)
        return self.mark or ""

    async def _read(self) -> str | None:
        try:
            async with self.db.reading() as tx:
                return await tx.cases.change_mark()
        except Exception:  # the database is away: the next poll tries again
            log.warning("the live case pages could not read the cases", exc_info=True)
            return self.mark

    async def _poll(self, first: asyncio.Future[None]) -> None:
        self.mark = await self._read()
        first.set_result(None)
        async with self._moved:
            self._moved.notify_all()
        while True:
            await asyncio.sleep(self.interval)
            mark = await self._read()
            if mark != self.mark:
                self.mark = mark
                async with self._moved:
                    self._moved.notify_all()


def case_watch(context: PageContext) -> CaseWatch:
    """The process's one watch (made on first use)."""
    state = context.request.app.state
    watch: CaseWatch | None = getattr(state, "case_watch", None)
    if watch is None:
        watch = CaseWatch(context.services.db)
        state.case_watch = watch
    return watch


@router.get("/live/cases")
async def live_cases(context: CasesContext) -> EventSourceResponse:
    """`event: cases` with the change mark: once at once, then at every change. Only for
    an EventSource (it asks for text/event-stream): anything else would wait for a body
    that never ends."""
    if "text/event-stream" not in context.request.headers.get("accept", ""):
        raise Refusal(406, "bad_request_title", "event_stream_only")
    watch = case_watch(context)

    async def events() -> AsyncIterator[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STREAM_SECONDS
        stream = watch.changes()
        try:
            while (left := deadline - loop.time()) > 0:
                try:
                    mark = await asyncio.wait_for(anext(stream), left)
                except TimeoutError:
                    break
                yield {"event": "cases", "data": mark}
            # Then the browser reconnects, signed in or not any more.
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()

    return EventSourceResponse(events(), ping=PING_SECONDS, headers={"Cache-Control": "no-store"})
