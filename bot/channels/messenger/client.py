"""A thin typed client of the Graph API's Send API (`POST /<version>/<page-id>/messages`),
and of the Page node (`GET /<version>/<page-id>`) to check the Page token.
The URL setting is a base URL; the pinned version and the path are added here
(../shared/contracts/channels.md).

Meta answers an error with `{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}` (HTTP 400 or 403 mostly): raised as GraphError(code, subcode, message); a
network failure, a timeout or a 5xx as GraphUnavailable.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

GRAPH_VERSION = "v23.0"  # pinned: Meta keeps each version for two years


class GraphError(Exception):
    def __init__(self, code: int, subcode: int | None, message: str) -> None:
        self.code = code
        self.subcode = subcode
        self.message = message
        detail = f"/{subcode}" if subcode is not None else ""
        super().__init__(f"Meta error {code}{detail}: {message}")


class GraphUnavailable(Exception):
    """No usable answer: a network error, a timeout, a 5xx or a body that is not JSON."""


class GraphClient:
    def __init__(self, api_url: str, page_id: str, page_token: str, timeout: float) -> None:
        self.page_url = f"{api_url}/{GRAPH_VERSION}/{page_id}"
        self.messages_url = f"{self.page_url}/messages"
        self._token = page_token
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, body: dict[str, Any]) -> str:
        """Send one message; returns Meta's message id (`mid`)."""
        answer = await self._call("POST", self.messages_url, json_body=body)
        message_id = answer.get("message_id")
        return str(message_id) if message_id is not None else ""

    async def page_name(self) -> str:
        """The Page's name, as the Page token sees it (`GET /<page-id>?fields=id,name`, the
        Page node): a refused token (190) is found at start-up, not at the first send."""
        answer = await self._call("GET", self.page_url, params={"fields": "id,name"})
        return str(answer.get("name") or "")

    async def _call(
        self,
        method: str,
        url: str,
        *,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        query = {**(params or {}), "access_token": self._token}
        try:
            async with self._http().request(method, url, params=query, json=json_body) as response:
                raw = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            why = exc or type(exc).__name__
            raise GraphUnavailable(f"cannot reach the Graph API: {why}") from None
        if status >= 500:
            raise GraphUnavailable(f"the Graph API answered HTTP {status}")
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise GraphUnavailable(f"the Graph API answered HTTP {status} without a JSON object")
        error = answer.get("error")
        if isinstance(error, dict) or status >= 400:
            raise _graph_error(error if isinstance(error, dict) else {}, status)
        return answer


def _graph_error(error: dict[str, Any], status: int) -> GraphError:
    code = error.get("code")
    subcode = error.get("error_subcode")
    return GraphError(
        code if isinstance(code, int) else -status,
        subcode if isinstance(subcode, int) else None,
        str(error.get("message") or f"HTTP {status}"),
    )
