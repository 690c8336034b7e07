"""One rate limiter for everything the bot sends, shaped like Telegram's limits.

- overall: a token bucket (default 30 messages/s). Bulk sends leave a few tokens in the
  bucket (`interactive_reserve`) so a reply to a customer who just tapped a button never
  waits behind a campaign;
- a private chat: at most one new message per second (edits don't add a message there);
- a group: at most 20 messages per minute (sliding window);
- after a 429, the chat (or everything, for a global flood wait) pauses for `retry_after`.

The limiter only says how long to wait; callers sleep, or reschedule when the wait is long,
so one slow chat never holds up the others.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

_PRUNE_AT = 50_000


@dataclass(frozen=True)
class RateLimits:
    global_per_second: float = 30.0
    chat_per_second: float = 1.0
    group_per_minute: int = 20
    interactive_reserve: float = 5.0

    def scaled(self, factor: float) -> RateLimits:
        """The same shape, `factor` times faster (benchmarks against a scaled fake API)."""
        return RateLimits(
            self.global_per_second * factor,
            self.chat_per_second * factor,
            max(1, round(self.group_per_minute * factor)),
            self.interactive_reserve,
        )


class RateLimiter:
    def __init__(
        self, limits: RateLimits | None = None, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or RateLimits()
        self._now = now
        self._capacity = max(1.0, self.limits.global_per_second)
        self._tokens = self._capacity
        self._refilled_at = now()
        self._chat_next: dict[int, float] = {}
        self._group_sent: dict[int, deque[float]] = {}
        self._paused_until = 0.0

    def wait_time(
        self, chat_id: int, *, group: bool, new_message: bool, interactive: bool
    ) -> float:
        """Seconds until a message to `chat_id` may go (0 when it may go now)."""
        now = self._now()
        self._refill(now)
        needed = 1.0 if interactive else 1.0 + self.limits.interactive_reserve
        waits = [
            self._paused_until - now,
            (needed - self._tokens) / self.limits.global_per_second,
            self._chat_next.get(chat_id, 0.0) - now,
        ]
        if group:
            window = self._group_window(chat_id, now)
            if len(window) >= self.limits.group_per_minute:
                waits.append(window[0] + 60.0 - now)
        elif not new_message:
            waits.pop()  # an edit adds no message to a private chat
        return max(0.0, *waits)

    def take(self, chat_id: int, *, group: bool, new_message: bool) -> None:
        """Count a message as sent now (call right after wait_time returned 0)."""
        now = self._now()
        self._refill(now)
        self._tokens -= 1.0
        if group:
            self._group_window(chat_id, now).append(now)
        elif new_message:
            self._chat_next[chat_id] = now + 1.0 / self.limits.chat_per_second
        if len(self._chat_next) > _PRUNE_AT:
            self._prune(now)

    def pause_chat(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429 for this chat: nothing more to it for `seconds`."""
        until = self._now() + seconds
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)

    def pause_all(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._now() + seconds)

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._refilled_at)
        self._tokens = min(self._capacity, self._tokens + elapsed * self.limits.global_per_second)
        self._refilled_at = now

    def _group_window(self, chat_id: int, now: float) -> deque[float]:
        window = self._group_sent.setdefault(chat_id, deque())
        while window and window[0] <= now - 60.0:
            window.popleft()
        return window

    def _prune(self, now: float) -> None:
        self._chat_next = {chat: t for chat, t in self._chat_next.items() if t > now}
