"""The small interface every push channel implements for the outbox dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.messaging.capabilities import ChannelCapabilities


@dataclass(frozen=True)
class Delivery:
    """One outbox message, ready for a channel: send a new message or edit a sent one.
    `address` is the channel's own (a chat id, a user id, a number), as text."""

    outbox_id: int
    kind: str  # "send" | "edit"
    address: str
    payload: dict[str, Any]
    edit_message_id: str | None = None


class OutboundChannel(Protocol):
    name: str
    capabilities: ChannelCapabilities  # what it can show and how fast it may send

    async def deliver(self, delivery: Delivery) -> str | None:
        """Deliver and return the platform's message id.

        Raises RetryLater, Unreachable, OutsideWindow, Rejected or TransientFailure
        (bot.errors).
        """
        ...

    def is_group(self, address: str) -> bool:
        """Whether `address` is a group chat (groups have a slower rate limit)."""
        ...
