"""Bearer API keys (SURVEYBOT_API_KEYS). With none configured, the API refuses writes."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

if TYPE_CHECKING:
    from bot.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="A key from SURVEYBOT_API_KEYS.")


async def require_api_key(request: Request) -> None:
    runtime: Runtime = request.app.state.runtime
    keys = runtime.settings.api_key_list
    if not keys:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "the API is disabled: no key is configured (set SURVEYBOT_API_KEYS)",
        )
    credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
    given = credentials.credentials if credentials else ""
    if not any(secrets.compare_digest(given.encode(), key.encode()) for key in keys):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong API key: send Authorization: Bearer <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
