"""Bearer API keys (SURVEYBOT_API_KEYS). With none configured, the API refuses everything.

The key is checked first, before the body is read or validated (`ApiKeyRoute`): a caller
without the right key learns nothing about what a body should hold. `bearer_scheme` is also
a dependency of the API routers, which is how the OpenAPI document declares the scheme
(the docs' "Authorize" button) and marks each protected operation.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.web.readable_text import NOT_UTF8
from bot.web.services import services_of

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    description="A key from SURVEYBOT_API_KEYS, sent as `Authorization: Bearer <key>`.",
)


async def require_api_key(request: Request) -> None:
    services = services_of(request)
    keys = services.settings.api_key_list
    if not keys:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "the API is disabled: no key is configured (set SURVEYBOT_API_KEYS)",
        )
    credentials: HTTPAuthorizationCredentials | None = await bearer_scheme(request)
    given = credentials.credentials if credentials else ""
    # Bytes, not str: compare_digest refuses a str with characters beyond ASCII.
    if not any(secrets.compare_digest(given.encode(), key.encode()) for key in keys):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong API key: send Authorization: Bearer <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )


class ApiKeyRoute(APIRoute):
    """An API operation: the key first, then a body that is not UTF-8 is a 400 naming the
    body (JSON is UTF-8, RFC 8259), and only then FastAPI reads and validates it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            await require_api_key(request)
            try:
                (await request.body()).decode("utf-8")
            except UnicodeDecodeError:
                raise HTTPException(400, [{"field": "body", "message": NOT_UTF8}]) from None
            return await handler(request)

        return checked
