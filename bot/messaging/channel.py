"""The small interface every push channel implements for the outbox dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.messaging.capabilities import ChannelCapabilities


@dataclass(frozen=True)
class Delivery:
    """One outbox message, ready for a channel: send a new message or edit a sent one."""

    outbox_id: int
    kind: str  # "send" | "edit"
    chat_id: int
    payload: dict[str, Any]
    edit_message_id: int | None = None


class OutboundChannel(Protocol):
    name: str
    capabilities: ChannelCapabilities  # what it can show and how fast it may send

    async def deliver(self, delivery: Delivery) -> int | None:
        """Deliver and return the channel's message id.

        Raises RetryLater, Unreachable, Rejected or TransientFailure (bot.errors).
        """
        ...

    def is_group(self, chat_id: int) -> bool:
        """Whether `chat_id` is a group chat (groups have a slower rate limit)."""
        ...
