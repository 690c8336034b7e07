"""OAuth v4 of the fake Zalo: single-use refresh tokens and expiring access tokens."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.zalo_models import (
    OA_TOKEN_EXPIRED,
    OA_TOKEN_INVALID,
    OAUTH_INVALID_APP,
    OAUTH_INVALID_PARAMETER,
    OAUTH_INVALID_REFRESH_TOKEN,
    OAuthError,
    Refresh,
    ZaloError,
)

REFRESH_TTL = 90 * 24 * 3600  # "3 months"


@dataclass
class _RefreshToken:
    expires_at: float
    used: bool = False


class TokenStore:
    """Issues and checks tokens. A refresh token works once; the access token it
    replaced keeps working until its own expiry (Zalo does not revoke it)."""

    def __init__(
        self, app_id: str, secret_key: str, access_ttl: int, clock: Callable[[], float]
    ) -> None:
        self.app_id = app_id
        self.secret_key = secret_key
        self.access_ttl = access_ttl
        self._clock = clock
        self._refresh: dict[str, _RefreshToken] = {}
        self._access: dict[str, float] = {}  # token -> expires at
        self.refreshes: list[Refresh] = []

    def issue_refresh_token(self) -> str:
        token = "rt-" + secrets.token_urlsafe(24)
        self._refresh[token] = _RefreshToken(self._clock() + REFRESH_TTL)
        return token

    def issue_access_token(self) -> str:
        """An access token without a refresh (for tests that skip OAuth)."""
        token = "at-" + secrets.token_urlsafe(24)
        self._access[token] = self._clock() + self.access_ttl
        return token

    def refresh(self, form: dict[str, str], secret_key: str | None) -> dict[str, Any]:
        token = form.get("refresh_token", "")
        try:
            self._check_refresh(form, secret_key)
        except OAuthError as e:
            self.record_failure(token, e.code)
            raise
        self._refresh[token].used = True
        access = self.issue_access_token()
        self.refreshes.append(Refresh(token, True, self._clock()))
        return {
            "access_token": access,
            "refresh_token": self.issue_refresh_token(),
            "expires_in": str(self.access_ttl),
        }

    def record_failure(self, token: str, error: int) -> None:
        self.refreshes.append(Refresh(token, False, self._clock(), error))

    def _check_refresh(self, form: dict[str, str], secret_key: str | None) -> None:
        if form.get("grant_type") != "refresh_token" or not form.get("refresh_token"):
            raise OAuthError(
                OAUTH_INVALID_PARAMETER, "Invalid parameter", "grant_type/refresh_token"
            )
        if form.get("app_id") != self.app_id or secret_key != self.secret_key:
            raise OAuthError(OAUTH_INVALID_APP, "Invalid app", "Invalid app_id or secret_key")
        state = self._refresh.get(form["refresh_token"])
        if state is None or state.used or state.expires_at <= self._clock():
            raise OAuthError(
                OAUTH_INVALID_REFRESH_TOKEN, "Invalid parameter", "Invalid refresh token"
            )

    def check_access(
        self,
        token: str | None,
        invalid: int = OA_TOKEN_INVALID,
        expired: int = OA_TOKEN_EXPIRED,
    ) -> None:
        """Raise the API's error unless `token` is a live access token."""
        expires_at = self._access.get(token or "")
        if expires_at is None:
            raise ZaloError(invalid, "Access token is invalid")
        if expires_at <= self._clock():
            raise ZaloError(expired, "Access token has expired")

    def expire_access_tokens(self) -> None:
        now = self._clock()
        self._access = {token: min(at, now) for token, at in self._access.items()}
