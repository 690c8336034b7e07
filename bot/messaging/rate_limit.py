"""A rate limiter per channel, built from the limits the channel declares (Telegram's below).

- overall: at most `global_count` messages in any `global_window` (30 per second);
- a private chat: at most one new message per second (edits add no message there);
- a group: at most `group_count` messages in any `group_window` (20 per minute);
- after a 429, that chat pauses for `retry_after` (other chats go on); after a limit of the
  whole channel (Zalo's per-app -32, a quota) the channel pauses (other channels go on).

Each channel has its own limiter (`limiters_for`), so one channel's limits never slow
another; inside one, chats are keyed by their address as text (a Telegram chat id as its
decimal string), as the outbox stores them.

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
from collections.abc import Callable, Mapping

from bot.messaging.capabilities import RateLimits
from bot.messaging.channel import OutboundChannel

__all__ = ["RateLimiter", "RateLimits", "limiters_for"]

_PRUNE_AT = 50_000


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
        self._paused_until = 0.0  # the whole channel, after a call limit or quota error
        self._spacing = self.limits.global_window / self.limits.global_count
        self._started: deque[float] = deque()  # send times of the messages in flight
        self.answered = 0
        self.answer_seconds = 0.0  # total time from sending to the answer, for stats
        # Bulk senders queue here, so one at a time waits for its slot (first come, first
        # served) instead of all of them waking up to compete for every free slot.
        self._bulk_gate = asyncio.Lock()

    def wait_time(
        self, address: str, *, group: bool, new_message: bool, interactive: bool
    ) -> float:
        """Seconds until a message to `address` may go (0 when it may go now)."""
        now = self._now()
        return max(
            self._overall_wait(interactive, now), self._chat_wait(address, group, new_message, now)
        )

    def _overall_wait(self, interactive: bool, now: float) -> float:
        limits = self.limits
        allowed = limits.global_count
        if not interactive and self._interactive_waiting:
            allowed = max(1, allowed - self._interactive_waiting)
        wait = _window_wait(self._sent, allowed - self._in_flight, limits.global_window, now)
        if not interactive:
            wait = max(wait, self._next_bulk - now)
        return max(0.0, wait, self._paused_until - now)

    def _chat_wait(self, address: str, group: bool, new_message: bool, now: float) -> float:
        waits = [0.0]
        if group:
            window = self._group_sent.setdefault(address, deque())
            free = self.limits.group_count - self._group_in_flight.get(address, 0)
            waits.append(_window_wait(window, free, self.limits.group_window, now))
        if new_message or group:
            waits.append(self._chat_next.get(address, 0.0) - now)
        return max(waits)

    def take(self, address: str, *, group: bool, new_message: bool) -> None:
        """Count a message as being sent (right after wait_time returned 0); `release` it
        when its request is answered, whatever the answer."""
        self._in_flight += 1
        self._started.append(self._now())
        # Late (a sleep overshot, the loop was busy)? Catch up by at most two slots.
        self._next_bulk = max(self._next_bulk, self._now() - 2 * self._spacing) + self._spacing
        if group:
            self._group_in_flight[address] = self._group_in_flight.get(address, 0) + 1
        elif new_message:
            self._chat_next[address] = float("inf")  # until it is answered
        if len(self._chat_next) > _PRUNE_AT:
            self._prune(self._now())

    def release(self, address: str, *, group: bool, new_message: bool) -> None:
        """The request is answered: the message counts in its windows from now on."""
        now = self._now()
        self._in_flight -= 1
        self._sent.append(now)
        self.answered += 1
        self.answer_seconds += now - self._started.popleft()  # oldest first: close enough
        if group:
            self._group_in_flight[address] -= 1
            self._group_sent.setdefault(address, deque()).append(now)
        elif new_message:
            self._chat_next[address] = now + self.limits.chat_window

    async def acquire(
        self, address: str, *, group: bool, new_message: bool, interactive: bool, max_wait: float
    ) -> float:
        """Wait for a slot (up to `max_wait` seconds) and take it: returns 0.

        When the slot is further away than that, returns the wait instead and takes
        nothing, so the caller can put the message back in the queue.
        """
        deadline = self._now() + max_wait
        if interactive:
            self._interactive_waiting += 1
            try:
                return await self._wait_and_take(address, group, new_message, True, deadline)
            finally:
                self._interactive_waiting -= 1
        # This chat's own limits first, outside the queue: a slow chat holds nobody up.
        late = await self._sleep_until(
            lambda: self._chat_wait(address, group, new_message, self._now()), deadline
        )
        if late:
            return late
        async with self._bulk_gate:
            return await self._wait_and_take(address, group, new_message, False, deadline)

    async def _wait_and_take(
        self, address: str, group: bool, new_message: bool, interactive: bool, deadline: float
    ) -> float:
        late = await self._sleep_until(
            lambda: self.wait_time(
                address, group=group, new_message=new_message, interactive=interactive
            ),
            deadline,
        )
        if late:
            return late
        self.take(address, group=group, new_message=new_message)
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

    def pause_all(self, seconds: float) -> None:
        """The platform said the channel's own limit is reached (Zalo's -32, a quota):
        nothing more on this channel for `seconds`; other channels have their own limiter."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    def pause_chat(self, address: str, seconds: float) -> None:
        """The platform said 429 for this chat: nothing more to it for `seconds` (call
        after `release`)."""
        until = self._now() + seconds
        self._chat_next[address] = max(self._chat_next.get(address, 0.0), until)

    def _prune(self, now: float) -> None:
        self._chat_next = {chat: t for chat, t in self._chat_next.items() if t > now}
        self._group_sent = {
            chat: sent
            for chat, sent in self._group_sent.items()
            if sent and sent[-1] > now - self.limits.group_window
        }


def limiters_for(
    channels: Mapping[str, OutboundChannel],
    *,
    overrides: Mapping[str, RateLimits] | None = None,
    now: Callable[[], float] = time.monotonic,
) -> dict[str, RateLimiter]:
    """One limiter per channel, from the limits it declares (`overrides` wins: the
    SURVEYBOT_RATE_* settings for Telegram); a channel declaring none is not paced."""
    chosen = dict(overrides or {})
    return {
        name: RateLimiter(
            chosen.get(name) or channel.capabilities.rate_limits or RateLimits.unlimited(), now
        )
        for name, channel in channels.items()
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
