"""One rate limiter for everything a worker sends, shaped like Telegram's limits.

- overall: at most `global_count` messages in any `global_window` (30 per second);
- a private chat: at most one new message per second (edits add no message there);
- a group: at most `group_count` messages in any `group_window` (20 per minute);
- after a 429, that chat pauses for `retry_after` (other chats go on).

Windows slide, as Telegram counts them, so a burst can never straddle two windows.
Telegram counts a message when it arrives, somewhere between our request and its answer,
so a message occupies its window from the moment it is sent until one window after the
answer (`release`): however late it arrives, it is counted.
Bulk sends are also spaced evenly (one every window/count) rather than sent in bursts, so
they do not queue up at the server: queueing would delay answers and, with them, the
moment a slot frees up.
Replies to customers come first: they skip the spacing, and while one waits for a free
slot, bulk sends hold back.
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
        self._sent: deque[float] = deque()  # answered messages, by answer time
        self._in_flight = 0
        self._group_in_flight: dict[str, int] = {}
        self._chat_next: dict[str, float] = {}
        self._group_sent: dict[str, deque[float]] = {}
        self._interactive_waiting = 0
        self._next_bulk = 0.0
        self._spacing = self.limits.global_window / self.limits.global_count
        self._started: deque[float] = deque()  # send times of the messages in flight
        self.answered = 0
        self.answer_seconds = 0.0  # total time from sending to the answer, for stats
        # Bulk senders queue here, so one at a time waits for its slot (first come, first
        # served) instead of all of them waking up to compete for every free slot.
        self._bulk_gate = asyncio.Lock()

    def wait_time(
        self, chat_id: str, *, group: bool, new_message: bool, interactive: bool
    ) -> float:
        """Seconds until a message to `chat_id` may go (0 when it may go now)."""
        now = self._now()
        return max(
            self._overall_wait(interactive, now), self._chat_wait(chat_id, group, new_message, now)
        )

    def _overall_wait(self, interactive: bool, now: float) -> float:
        limits = self.limits
        allowed = limits.global_count
        if not interactive and self._interactive_waiting:
            allowed = max(1, allowed - self._interactive_waiting)
        wait = _window_wait(self._sent, allowed - self._in_flight, limits.global_window, now)
        if not interactive:
            wait = max(wait, self._next_bulk - now)
        return max(0.0, wait)

    def _chat_wait(self, chat_id: str, group: bool, new_message: bool, now: float) -> float:
        waits = [0.0]
        if group:
            window = self._group_sent.setdefault(chat_id, deque())
            free = self.limits.group_count - self._group_in_flight.get(chat_id, 0)
            waits.append(_window_wait(window, free, self.limits.group_window, now))
        if new_message or group:
            waits.append(self._chat_next.get(chat_id, 0.0) - now)
        return max(waits)

    def take(self, chat_id: str, *, group: bool, new_message: bool) -> None:
        """Count a message as being sent (right after wait_time returned 0); `release` it
        when its request is answered, whatever the answer."""
        self._in_flight += 1
        self._started.append(self._now())
        # Late (a sleep overshot, the loop was busy)? Catch up by at most two slots.
        self._next_bulk = max(self._next_bulk, self._now() - 2 * self._spacing) + self._spacing
        if group:
            self._group_in_flight[chat_id] = self._group_in_flight.get(chat_id, 0) + 1
        elif new_message:
            self._chat_next[chat_id] = float("inf")  # until it is answered
        if len(self._chat_next) > _PRUNE_AT:
            self._prune(self._now())

    def release(self, chat_id: str, *, group: bool, new_message: bool) -> None:
        """The request is answered: the message counts in its windows from now on."""
        now = self._now()
        self._in_flight -= 1
        self._sent.append(now)
        self.answered += 1
        self.answer_seconds += now - self._started.popleft()  # oldest first: close enough
        if group:
            self._group_in_flight[chat_id] -= 1
            self._group_sent.setdefault(chat_id, deque()).append(now)
        elif new_message:
            self._chat_next[chat_id] = now + self.limits.chat_window

    async def acquire(
        self, chat_id: str, *, group: bool, new_message: bool, interactive: bool, max_wait: float
    ) -> float:
        """Wait for a slot (up to `max_wait` seconds) and take it: returns 0.

        When the slot is further away than that, returns the wait instead and takes
        nothing, so the caller can put the message back in the queue.
        """
        deadline = self._now() + max_wait
        if interactive:
            self._interactive_waiting += 1
            try:
                return await self._wait_and_take(chat_id, group, new_message, True, deadline)
            finally:
                self._interactive_waiting -= 1
        # This chat's own limits first, outside the queue: a slow chat holds nobody up.
        late = await self._sleep_until(
            lambda: self._chat_wait(chat_id, group, new_message, self._now()), deadline
        )
        if late:
            return late
        async with self._bulk_gate:
            return await self._wait_and_take(chat_id, group, new_message, False, deadline)

    async def _wait_and_take(
        self, chat_id: str, group: bool, new_message: bool, interactive: bool, deadline: float
    ) -> float:
        late = await self._sleep_until(
            lambda: self.wait_time(
                chat_id, group=group, new_message=new_message, interactive=interactive
            ),
            deadline,
        )
        if late:
            return late
        self.take(chat_id, group=group, new_message=new_message)
        return 0.0

    async def _sleep_until(self, wait_time: Callable[[], float], deadline: float) -> float:
        """Sleep until `wait_time()` is 0 (returns 0), or return the wait that would pass
        the deadline. An infinite wait (every slot in flight) is re-checked shortly."""
        while (wait := wait_time()) > 0:
            if wait == float("inf"):
                wait = self._spacing
            if self._now() + wait > deadline:
                return wait
            await asyncio.sleep(wait)
        return 0.0

    def pause_chat(self, chat_id: str, seconds: float) -> None:
        """Telegram said 429 for this chat: nothing more to it for `seconds` (call after
        `release`)."""
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
    """How long until fewer than `allowed` of `sent` fall in the last `window` seconds
    (infinite when in-flight messages leave no room: wait for an answer)."""
    while sent and sent[0] <= now - window:
        sent.popleft()
    if len(sent) < allowed:
        return 0.0
    if allowed <= 0:
        return float("inf")
    return sent[len(sent) - allowed] + window - now
