"""Webhook side of the fake Zalo: build events, sign them, POST them to the bot.

Signature (Zalo's "X-ZEvent-Signature"): "mac=" + sha256_hex(app_id + raw body +
timestamp + OA secret key), timestamp being the body's own "timestamp" field (ms, a
string). Plain SHA-256 of the concatenation, not an HMAC.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.fakes.telegram_state import Pulse

SIGNATURE_HEADER = "X-ZEvent-Signature"


def signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret: str) -> str:
    data = app_id.encode() + raw_body + timestamp.encode() + oa_secret.encode()
    return "mac=" + hashlib.sha256(data).hexdigest()


def new_msg_id() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class OutgoingEvent:
    """One event as it goes on the wire: the exact bytes and header, so a replay is exact."""

    body: bytes
    signature: str | None

    @property
    def event(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    @property
    def event_name(self) -> str:
        return str(self.event.get("event_name", "?"))


@dataclass
class WebhookDelivery:
    """One POST to the webhook; status is None when it failed or timed out."""

    event_name: str
    attempt: int
    status: int | None
    elapsed: float
    error: str | None = None
    event: OutgoingEvent | None = None


class WebhookSender:
    """Delivers events one at a time, in order. A delivery that does not get HTTP 200
    within `timeout` seconds is retried up to `attempts` times in all, then dropped."""

    def __init__(
        self,
        url: Callable[[], str | None],
        pulse: Pulse,
        *,
        attempts: int,
        retry_delay: float,
        timeout: float,
    ) -> None:
        self._url = url
        self._pulse = pulse
        self.attempts = attempts
        self.retry_delay = retry_delay
        self.timeout = timeout
        self.pending: list[OutgoingEvent] = []
        self.sent: list[OutgoingEvent] = []  # every event queued, in order (for redeliver)
        self.deliveries: list[WebhookDelivery] = []
        self.delivering = False

    def queue(self, event: OutgoingEvent, *, replay: bool = False) -> None:
        self.pending.append(event)
        if not replay:
            self.sent.append(event)
        self._pulse.notify()

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing on the way."""
        return not self.pending and not self.delivering

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                url = self._url()
                if url is None or not self.pending:
                    await self._pulse.wait(1.0)
                    continue
                self.delivering = True
                event = self.pending.pop(0)
                try:
                    await self._deliver(session, url, event)
                finally:
                    self.delivering = False
                    self._pulse.notify()

    async def _deliver(
        self, session: aiohttp.ClientSession, url: str, event: OutgoingEvent
    ) -> None:
        headers = {"Content-Type": "application/json"}
        if event.signature is not None:
            headers[SIGNATURE_HEADER] = event.signature
        loop = asyncio.get_running_loop()
        for attempt in range(1, self.attempts + 1):
            started = loop.time()
            status: int | None = None
            error: str | None = None
            try:
                async with asyncio.timeout(self.timeout):
                    async with session.post(url, data=event.body, headers=headers) as resp:
                        status = resp.status
                        await resp.read()
                if status != 200:
                    error = f"answered {status}"
            except TimeoutError:
                status, error = None, f"no answer within {self.timeout:g}s"
            except aiohttp.ClientError as e:
                status, error = None, f"{type(e).__name__}: {e}"
            elapsed = loop.time() - started
            self.deliveries.append(
                WebhookDelivery(event.event_name, attempt, status, elapsed, error, event)
            )
            self._pulse.notify()
            if error is None:
                return
            if attempt < self.attempts:
                await asyncio.sleep(self.retry_delay)
