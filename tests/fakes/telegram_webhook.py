"""Webhook mode of the fake Telegram: POST pending updates to the bot's URL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.fakes.telegram_rules import UploadedFile
from tests.fakes.telegram_state import PendingUpdate, World

ReplyExecutor = Callable[[str, str, dict[str, Any], dict[str, UploadedFile]], Awaitable[Any]]


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None
    token: str
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None

    def info(self, pending_update_count: int) -> dict[str, Any]:
        data: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": pending_update_count,
            "max_connections": self.max_connections,
            "ip_address": "127.0.0.1",
        }
        if self.allowed_updates is not None:
            data["allowed_updates"] = self.allowed_updates
        if self.last_error_date:
            data["last_error_date"] = self.last_error_date
            data["last_error_message"] = self.last_error_message
        return data


@dataclass
class WebhookDelivery:
    """One POST of an update to the webhook; status is None when the connection failed."""

    update_id: int
    attempt: int
    status: int | None
    error: str | None = None


class WebhookSender:
    """Delivers updates one at a time, in order; retries a failed POST a few times.

    After `attempts` failures the update is dropped (Telegram would keep trying for
    hours) and the error shows in getWebhookInfo. A 2xx response may carry a method call
    (aiogram's "reply into webhook"), which is executed like a normal call.
    """

    def __init__(
        self,
        world: World,
        config: Callable[[], WebhookConfig | None],
        execute_reply: ReplyExecutor,
        *,
        attempts: int,
        retry_delay: float,
        timeout: float = 10.0,
    ) -> None:
        self._world = world
        self._config = config
        self._execute_reply = execute_reply
        self.attempts = attempts
        self.retry_delay = retry_delay
        self.timeout = timeout
        self.deliveries: list[WebhookDelivery] = []

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                config = self._config()
                item = self._world.updates.next_for_webhook() if config else None
                if config is None or item is None:
                    await self._world.pulse.wait(1.0)
                    continue
                await self._deliver(session, config, item)
                self._world.updates.remove(item)
                self._world.pulse.notify()

    async def _deliver(
        self, session: aiohttp.ClientSession, config: WebhookConfig, item: PendingUpdate
    ) -> bool:
        headers = {}
        if config.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = config.secret_token
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        for attempt in range(1, self.attempts + 1):
            status: int | None = None
            try:
                async with session.post(
                    config.url, json=item.update, headers=headers, timeout=timeout
                ) as resp:
                    status = resp.status
                    if 200 <= status < 300:
                        self.deliveries.append(WebhookDelivery(item.update_id, attempt, status))
                        await self._handle_reply(config, resp)
                        return True
                    error = f"Wrong response from the webhook: {status} {resp.reason}"
            except (aiohttp.ClientError, TimeoutError) as e:
                error = f"Connection failed: {type(e).__name__}: {e}"
            self.deliveries.append(WebhookDelivery(item.update_id, attempt, status, error))
            config.last_error_date, config.last_error_message = int(time.time()), error
            self._world.pulse.notify()
            if attempt < self.attempts:
                await asyncio.sleep(self.retry_delay)
        return False

    async def _handle_reply(self, config: WebhookConfig, resp: aiohttp.ClientResponse) -> None:
        raw: dict[str, Any] = {}
        files: dict[str, UploadedFile] = {}
        if resp.content_type.startswith("multipart/"):
            reader = aiohttp.MultipartReader(resp.headers, resp.content)
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename:
                    content_type = part.headers.get("Content-Type", "application/octet-stream")
                    files[part.name] = UploadedFile(part.filename, content_type, await part.read())
                else:
                    raw[part.name] = await part.text()
        elif resp.content_type == "application/json":
            body = await resp.json()
            raw = body if isinstance(body, dict) else {}
        method = raw.pop("method", None)
        if method:
            await self._execute_reply(config.token, str(method), raw, files)
