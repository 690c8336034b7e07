"""The last word on an unexpected error: log it and answer 500 with the error body.

Starlette's own ServerErrorMiddleware answers too, but then re-raises the exception so that
the server can log it, and uvicorn closes a connection whose app raised: a client reusing
its kept-alive connection then sees a reset instead of its next answer. Here the exception
stops, logged once; the connection stays usable. An error after the answer has started
(a streamed export failing half-way) still propagates: only closing the connection tells
the client that what it got is incomplete.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.errors import send_error

log = logging.getLogger(__name__)

INTERNAL = "something went wrong on our side; it was logged"


class ErrorBoundary:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            log.exception("unhandled error on %s %r", scope.get("method"), scope.get("path"))
            if started:
                raise
            await send_error(send, 500, INTERNAL)
