"""Webhook side of the fake Messenger: sign POSTs, deliver them with retries, verify the URL.

Signature (Meta's "X-Hub-Signature-256"): "sha256=" + hex HMAC-SHA256 of the raw body with
the app secret. Meta signs the escaped-unicode payload, so bodies go out as ASCII JSON
(`\\u00e4` for ä): a bot that re-encodes the parsed JSON before checking will fail, as with Meta.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.fakes.telegram_state import Pulse

SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature(app_secret: str, raw_body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class OutgoingPost:
    """One POST as it goes on the wire: the exact bytes and header, so a replay is exact."""

    body: bytes
    signature: str | None

    @property
    def payload(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    @property
    def events(self) -> list[dict[str, Any]]:
        entries = self.payload.get("entry")
        if not isinstance(entries, list):
            return []
        return [
            e for entry in entries if isinstance(entry, dict) for e in entry.get("messaging", [])
        ]

    @property
    def kinds(self) -> list[str]:
        """Each event's kind: message, quick_reply, echo, postback, referral, feedback, read."""
        return [event_kind(e) for e in self.events]


def event_kind(event: dict[str, Any]) -> str:
    message = event.get("message")
    if isinstance(message, dict):
        if message.get("is_echo"):
            return "echo"
        return "quick_reply" if "quick_reply" in message else "message"
    if "messaging_feedback" in event:
        return "feedback"
    return next((k for k in ("postback", "referral", "read", "delivery") if k in event), "?")


@dataclass
class WebhookDelivery:
    """One POST to the webhook; status is None when it failed or timed out."""

    kinds: list[str]
    attempt: int
    status: int | None
    elapsed: float
    error: str | None = None
    post: OutgoingPost | None = None


@dataclass(frozen=True)
class Verification:
    """One GET handshake; truthy when the bot echoed the challenge with a 200."""

    verify_token: str
    challenge: str
    status: int | None
    body: str

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.body == self.challenge

    def __bool__(self) -> bool:
        return self.ok


async def verify(url: str, verify_token: str, timeout: float) -> Verification:  # noqa: ASYNC109
    challenge = str(secrets.randbelow(10**10))
    query = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
    try:
        async with (
            aiohttp.ClientSession() as session,
            asyncio.timeout(timeout),
            session.get(url, params=query) as resp,
        ):
            return Verification(verify_token, challenge, resp.status, await resp.text())
    except (TimeoutError, aiohttp.ClientError) as e:
        return Verification(verify_token, challenge, None, f"{type(e).__name__}: {e}")


class WebhookSender:
    """Delivers POSTs one at a time, in order. A POST that does not get HTTP 200 within
    `timeout` seconds is retried up to `attempts` times in all, then dropped (Meta retries
    "immediately … a few more times")."""

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
        self.pending: list[OutgoingPost] = []
        self.sent: list[OutgoingPost] = []  # every POST queued, in order (for redeliver)
        self.deliveries: list[WebhookDelivery] = []
        self.delivering = False

    def queue(self, post: OutgoingPost, *, replay: bool = False) -> None:
        self.pending.append(post)
        if not replay:
            self.sent.append(post)
        self._pulse.notify()

    @property
    def idle(self) -> bool:
        return not self.pending and not self.delivering

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                url = self._url()
                if url is None or not self.pending:
                    await self._pulse.wait(1.0)
                    continue
                self.delivering = True
                post = self.pending.pop(0)
                try:
                    await self._deliver(session, url, post)
                finally:
                    self.delivering = False
                    self._pulse.notify()

    async def _deliver(self, session: aiohttp.ClientSession, url: str, post: OutgoingPost) -> None:
        headers = {"Content-Type": "application/json"}
        if post.signature is not None:
            headers[SIGNATURE_HEADER] = post.signature
        loop = asyncio.get_running_loop()
        for attempt in range(1, self.attempts + 1):
            started = loop.time()
            status: int | None = None
            error: str | None = None
            try:
                async with asyncio.timeout(self.timeout):
                    async with session.post(url, data=post.body, headers=headers) as resp:
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
                WebhookDelivery(post.kinds, attempt, status, elapsed, error, post)
            )
            self._pulse.notify()
            if error is None:
                return
            if attempt < self.attempts:
                await asyncio.sleep(self.retry_delay)
