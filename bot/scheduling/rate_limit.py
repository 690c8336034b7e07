"""One rate limiter for everything a worker sends, shaped like Telegram's limits.

- overall: at most `global_count` messages in any `global_window` (30 per second);
- a private chat: at most one new message per second (edits add no message there);
- a group: at most `group_count` messages in any `group_window` (20 per minute);
- after a 429, that chat pauses for `retry_after` (other chats go on).

Windows slide, as Telegram counts them, so a burst can never straddle two windows.
Replies to customers come first: while one waits for a free slot, bulk sends hold back.
The limiter only says how long to wait; callers sleep briefly or put a message back in
the queue when the wait is long, so one slow chat never holds up the others.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

_PRUNE_AT = 50_000


@dataclass(frozen=True)
class RateLimits:
    global_count: int = 30
    global_window: float = 1.0
    chat_window: float = 1.0  # one new message per chat per window
    group_count: int = 20
    group_window: float = 60.0

    @classmethod
    def per_second(
        cls, overall: float = 30.0, chat: float = 1.0, group_per_minute: int = 20
    ) -> RateLimits:
        """From the settings' rates (messages/second overall and per chat)."""
        count = max(1, round(overall)) if overall >= 1 else 1
        window = count / overall
        return cls(count, window, 1.0 / chat, group_per_minute, 60.0)

    @property
    def global_per_second(self) -> float:
        return self.global_count / self.global_window

    def scaled(self, factor: float) -> RateLimits:
        """The same limits with every window `factor` times shorter (benchmarks)."""
        return replace(
            self,
            global_window=self.global_window / factor,
            chat_window=self.chat_window / factor,
            group_window=self.group_window / factor,
        )


class RateLimiter:
    def __init__(
        self, limits: RateLimits | None = None, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or RateLimits()
        self._now = now
        self._sent: deque[float] = deque()
        self._chat_next: dict[int, float] = {}
        self._group_sent: dict[int, deque[float]] = {}
        self._interactive_waiting = 0

    def wait_time(
        self, chat_id: int, *, group: bool, new_message: bool, interactive: bool
    ) -> float:
        """Seconds until a message to `chat_id` may go (0 when it may go now)."""
        now = self._now()
        limits = self.limits
        allowed = limits.global_count
        if not interactive and self._interactive_waiting:
            allowed = max(1, allowed - self._interactive_waiting)
        waits = [_window_wait(self._sent, allowed, limits.global_window, now)]
        if group:
            window = self._group_sent.get(chat_id)
            if window is not None:
                waits.append(_window_wait(window, limits.group_count, limits.group_window, now))
        if new_message or group:
            waits.append(self._chat_next.get(chat_id, 0.0) - now)
        return max(0.0, *waits)

    def take(self, chat_id: int, *, group: bool, new_message: bool) -> None:
        """Count a message as sent now (right after wait_time returned 0)."""
        now = self._now()
        self._sent.append(now)
        if group:
            self._group_sent.setdefault(chat_id, deque()).append(now)
        elif new_message:
            self._chat_next[chat_id] = now + self.limits.chat_window
        if len(self._chat_next) > _PRUNE_AT:
            self._prune(now)

    async def acquire(
        self, chat_id: int, *, group: bool, new_message: bool, interactive: bool, max_wait: float
    ) -> float:
        """Wait for a slot (up to `max_wait` seconds) and take it: returns 0.

        When the slot is further away than that, returns the wait instead and takes
        nothing, so the caller can put the message back in the queue.
        """
        deadline = self._now() + max_wait
        if interactive:
            self._interactive_waiting += 1
        try:
            while True:
                wait = self.wait_time(
                    chat_id, group=group, new_message=new_message, interactive=interactive
                )
                if wait == 0:
                    self.take(chat_id, group=group, new_message=new_message)
                    return 0.0
                if self._now() + wait > deadline:
                    return wait
                await asyncio.sleep(wait)
        finally:
            if interactive:
                self._interactive_waiting -= 1

    def pause_chat(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429 for this chat: nothing more to it for `seconds`."""
        until = self._now() + seconds
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)

    def _prune(self, now: float) -> None:
        self._chat_next = {chat: t for chat, t in self._chat_next.items() if t > now}
        self._group_sent = {
            chat: sent
            for chat, sent in self._group_sent.items()
            if sent and sent[-1] > now - self.limits.group_window
        }


def _window_wait(sent: deque[float], allowed: int, window: float, now: float) -> float:
    """How long until fewer than `allowed` of `sent` fall in the last `window` seconds."""
    while sent and sent[0] <= now - window:
        sent.popleft()
    if len(sent) < allowed:
        return 0.0
    return sent[len(sent) - allowed] + window - now
