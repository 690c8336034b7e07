"""Flood limits and injected faults for the fake Bot API server."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.telegram_rules import ApiError, too_many_requests

STATUS_TEXT = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: injected failure",
    409: "Conflict: injected failure",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class RateLimits:
    """Telegram's flood limits on sent messages; None switches a limit off.

    `scale` makes every limit `scale` times higher by shrinking the sliding windows
    (1 s -> 1/scale s), so benchmarks can run fast with the same shape of limits.
    """

    messages_per_second: int | None = None
    private_chat_messages_per_second: int | None = None
    group_messages_per_minute: int | None = None
    scale: float = 1.0

    @classmethod
    def telegram(cls, scale: float = 1.0) -> RateLimits:
        """The documented limits: 30 msg/s overall, 1 msg/s per chat, 20 msg/min per group."""
        return cls(30, 1, 20, scale)

    @property
    def enabled(self) -> bool:
        return bool(self.rules(1) or self.rules(-1))

    def rules(self, chat_id: int) -> list[tuple[str, int, float]]:
        """(window key, limit, window seconds) that apply to a message to chat_id."""
        found = []
        if self.messages_per_second:
            found.append(("all", self.messages_per_second, 1.0 / self.scale))
        if chat_id > 0 and self.private_chat_messages_per_second:
            found.append((f"chat:{chat_id}", self.private_chat_messages_per_second, 1 / self.scale))
        if chat_id < 0 and self.group_messages_per_minute:
            found.append((f"group:{chat_id}", self.group_messages_per_minute, 60.0 / self.scale))
        return found


class RateLimiter:
    """Sliding-window counters; `check` raises a 429 ApiError or counts the message."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._windows: dict[str, deque[float]] = {}

    def check(self, chat_id: int) -> None:
        now = self._clock()
        rules = self.limits.rules(chat_id)
        wait = max((self._wait(key, limit, window, now) for key, limit, window in rules), default=0)
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        for key, _, _ in rules:
            self._windows.setdefault(key, deque()).append(now)

    def _wait(self, key: str, limit: int, window: float, now: float) -> float:
        stamps = self._windows.setdefault(key, deque())
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        if len(stamps) < limit:
            return 0.0
        return stamps[len(stamps) - limit] + window - now


@dataclass
class Fault:
    """A failure to return for the next `times` calls of `method` (optionally to one chat).

    With `processed=True` the call takes effect and only the response is lost, like a
    timeout after Telegram already delivered the message. A 429 without `retry_after`
    carries no `parameters` at all (as some proxies and Bot API servers answer). `body`
    replaces Telegram's JSON envelope with a raw page (a proxy's HTML "502 Bad Gateway").
    `stall` seconds: the request is held that long first; `status=None` then means no
    error of its own (see FakeTelegram.stall_next).
    """

    method: str
    status: int | None
    times: int
    chat_id: int | None = None
    retry_after: int | None = None
    description: str | None = None
    processed: bool = False
    body: str | None = None
    stall: float = 0.0

    def error(self) -> ApiError:
        assert self.status is not None, "a stall has no error of its own"
        if self.status == 429:
            if self.retry_after is None:
                return ApiError(429, self.description or "Too Many Requests")
            return too_many_requests(self.retry_after)
        description = self.description or STATUS_TEXT.get(self.status, "Injected failure")
        return ApiError(self.status, description, self.retry_after)


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def take(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._faults:
            if fault.method.lower() != method.lower():
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            return fault
        return None
