"""A thin typed client of the Zalo APIs surveybot uses: OAuth v4 (refresh) and the OA API
v3 consultation message. Every URL setting is a base URL; the documented paths are added
here (../shared/contracts/channels.md).

Zalo answers application errors with HTTP 200 and a negative `error` in the body: they are
raised as ZaloApiError(code, message); a network failure, a timeout or a 5xx as
ZaloUnavailable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

REFRESH_PATH = "/v4/oa/access_token"
CONSULTATION_PATH = "/v3.0/oa/message/cs"
PHONE_TEMPLATE_PATH = "/message/template"  # ZBS by phone, on the business host
USER_TEMPLATE_PATH = "/v3.0/oa/message/template"  # ZBS by Zalo user id, on the OA host
RATINGS_PATH = "/rating/get"  # GET, the business host
RATINGS_PAGE = 100


class ZaloApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"Zalo error {code}: {message}")


class ZaloUnavailable(Exception):
    """No usable answer: a network error, a timeout, a 5xx or a body that is not JSON."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: datetime


@dataclass(frozen=True)
class ZaloEndpoints:
    oauth: str  # https://oauth.zaloapp.com
    api: str  # https://openapi.zalo.me
    business: str  # https://business.openapi.zalo.me


class ZaloClient:
    def __init__(
        self, endpoints: ZaloEndpoints, app_id: str, app_secret: str, timeout: float
    ) -> None:
        self.endpoints = endpoints
        self.app_id = app_id
        self._app_secret = app_secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def refresh(self, refresh_token: str, now: datetime) -> TokenPair:
        """Trade the (single-use) refresh token for a new access token and refresh token."""
        body = await self._call(
            "POST",
            self.endpoints.oauth + REFRESH_PATH,
            headers={"secret_key": self._app_secret},
            data={
                "refresh_token": refresh_token,
                "app_id": self.app_id,
                "grant_type": "refresh_token",
            },
        )
        try:
            return TokenPair(
                access_token=str(body["access_token"]),
                refresh_token=str(body["refresh_token"]),
                access_expires_at=now + timedelta(seconds=int(body["expires_in"])),
            )
        except (KeyError, TypeError, ValueError):
            raise ZaloUnavailable(f"Zalo's token answer has no token pair: {body!r:.200}") from None

    async def send_consultation(
        self, access_token: str, user_id: str, message: dict[str, Any]
    ) -> str:
        """Send a consultation message; returns Zalo's message id."""
        body = await self._call(
            "POST",
            self.endpoints.api + CONSULTATION_PATH,
            headers={"access_token": access_token},
            json_body={"recipient": {"user_id": user_id}, "message": message},
        )
        return _data_field(body, "message_id")

    async def send_template_by_phone(
        self,
        access_token: str,
        phone: str,
        template_id: str,
        data: dict[str, str],
        tracking_id: str,
    ) -> str:
        """Send an approved ZBS template to a phone (`84...`), on the business host; returns
        Zalo's msg_id (a rating names it, and our tracking id)."""
        body = await self._call(
            "POST",
            self.endpoints.business + PHONE_TEMPLATE_PATH,
            headers={"access_token": access_token},
            json_body={
                "phone": phone,
                "template_id": template_id,
                "template_data": data,
                "tracking_id": tracking_id,
            },
        )
        return _data_field(body, "msg_id")

    async def send_template_to_user(
        self, access_token: str, user_id: str, template_id: str, data: dict[str, str]
    ) -> str:
        """Send an approved ZBS template to a Zalo user id, on the OA host (it takes no
        tracking id: a rating names the message_id returned here)."""
        body = await self._call(
            "POST",
            self.endpoints.api + USER_TEMPLATE_PATH,
            headers={"access_token": access_token},
            json_body={"user_id": user_id, "template_id": template_id, "template_data": data},
        )
        return _data_field(body, "message_id")

    async def ratings(
        self, access_token: str, template_id: str, from_ms: int, to_ms: int, offset: int
    ) -> tuple[int, list[Any]]:
        """One page of the ratings of `template_id` submitted between the two times (ms):
        (how many there are in all, this page's items as Zalo gives them)."""
        body = await self._call(
            "GET",
            self.endpoints.business + RATINGS_PATH,
            headers={"access_token": access_token},
            params={
                "template_id": template_id,
                "from_time": str(from_ms),
                "to_time": str(to_ms),
                "offset": str(offset),
                "limit": str(RATINGS_PAGE),
            },
        )
        data = body.get("data")
        items = data.get("data") if isinstance(data, dict) else None
        total = data.get("total") if isinstance(data, dict) else None
        if not isinstance(items, list) or not isinstance(total, int):
            raise ZaloUnavailable(f"Zalo's ratings answer has no list: {body!r:.200}")
        return total, items

    async def _call(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        data: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            async with self._http().request(
                method, url, headers=headers, data=data, json=json_body, params=params
            ) as response:
                raw = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise ZaloUnavailable(f"cannot reach {url}: {exc or type(exc).__name__}") from None
        if status >= 500:
            raise ZaloUnavailable(f"{url} answered HTTP {status}")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if status >= 400:  # a 401 for a refused token, ...: what Zalo said, as a code
                raise ZaloApiError(-status, f"HTTP {status}")
            raise ZaloUnavailable(f"{url} answered HTTP {status} without a JSON object")
        code = body.get("error", 0)
        if isinstance(code, int) and code < 0:
            message = body.get("message") or body.get("error_description") or ""
            raise ZaloApiError(code, str(message or body.get("error_name") or "error"))
        if status >= 400:
            raise ZaloApiError(-status, f"HTTP {status}")
        return body


def _data_field(body: dict[str, Any], key: str) -> str:
    data = body.get("data")
    value = data.get(key) if isinstance(data, dict) else None
    return str(value) if value is not None else ""
