"""What a channel can show and how fast it may send: declared by each channel adapter.

Code above the channels asks these instead of assuming Telegram: the presenter fits a
question to them (bot.messaging.fit), `surveybot flows check` checks every flow against
them, and the dispatcher paces each channel with a limiter built from its rate limits.
Plain data, no framework code. docs/channels.md has each channel's values and sources.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class RateLimits:
    """How fast a channel may send (bot.messaging.rate_limit paces by these); Telegram's
    numbers are the defaults."""

    global_count: int = 30  # messages in any `global_window` seconds, over all addresses
    global_window: float = 1.0
    chat_window: float = 1.0  # one new message per address per window
    group_count: int = 20  # messages to one group in any `group_window` seconds
    group_window: float = 60.0

    @classmethod
    def per_second(
        cls, overall: float = 30.0, chat: float = 1.0, group_per_minute: int = 20
    ) -> RateLimits:
        """From the settings' rates (messages/second overall and per chat)."""
        count = max(1, round(overall)) if overall >= 1 else 1
        window = count / overall
        return cls(count, window, 1.0 / chat, group_per_minute, 60.0)

    @classmethod
    def unlimited(cls) -> RateLimits:
        """For a channel that declares no limits: far more than any worker sends."""
        return cls(global_count=100_000, chat_window=0.0, group_count=100_000)

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


class Markup(StrEnum):
    """How a channel formats text. Our texts are written in Telegram's HTML subset (see
    rich_text); the web chat shows that same subset, sanitised for a web page."""

    TELEGRAM_HTML = "telegram-html"
    PLAIN = "plain"  # no formatting: HTML is converted, links written out as text


@dataclass(frozen=True)
class ChannelCapabilities:
    """Lengths are of the visible text, in UTF-16 code units (an emoji counts 2): the
    strictest of the ways platforms count, and Telegram's own."""

    name: str
    max_choices_per_message: int  # every button counts, skip and stop too
    max_choices_per_row: int
    max_label_length: int  # characters of one choice's label
    max_text_length: int
    max_caption_length: int  # the text sent with a photo
    markup: Markup
    can_edit: bool  # a sent message can be changed (an answered question loses its buttons)
    can_start_conversation: bool  # may write first; otherwise it only answers
    # Free-form messages only this long after the customer last wrote; None: no window.
    conversation_window: timedelta | None
    rate_limits: RateLimits | None  # None: nothing is pushed, so nothing to pace
    max_choice_data_bytes: int | None = None  # what a button carries back (callback_data)
    # An approved template may go by phone number to someone who never wrote (Zalo's ZBS):
    # a message with an invitation for this channel may go to the customer's phone.
    templates_by_phone: bool = False
    phone_prefixes: tuple[str, ...] = ()  # the numbers it reaches (E.164 starts); () any
    # A staff member's reply on a case may go this much longer after the customer last
    # wrote (Messenger's HUMAN_AGENT tag, where Meta granted the Page it); None: no longer.
    staff_reply_window: timedelta | None = None

    def __post_init__(self) -> None:
        for name in ("max_choices_per_message", "max_choices_per_row", "max_label_length"):
            if getattr(self, name) < 1:
                raise ValueError(f"{self.name}: {name} must be at least 1")
        if self.max_text_length < 16 or self.max_caption_length < 16:
            raise ValueError(f"{self.name}: a text must be allowed at least 16 characters")
        if self.conversation_window is not None and self.conversation_window <= timedelta(0):
            raise ValueError(f"{self.name}: a conversation window must be longer than zero")
        if self.staff_reply_window is not None and (
            self.conversation_window is None or self.staff_reply_window < self.conversation_window
        ):
            raise ValueError(f"{self.name}: a staff reply window extends the conversation window")

    def window(self, *, staff_reply: bool = False) -> timedelta | None:
        """How long after the customer last wrote a free-form message (or, with
        `staff_reply`, a staff member's reply) may go; None: any time."""
        if staff_reply and self.staff_reply_window is not None:
            return self.staff_reply_window
        return self.conversation_window

    def window_open(
        self, last_inbound_at: datetime | None, now: datetime, *, staff_reply: bool = False
    ) -> bool:
        """Whether a free-form message (a staff reply) may go now to a customer who last
        wrote then."""
        window = self.window(staff_reply=staff_reply)
        if window is None:
            return True
        return last_inbound_at is not None and now - last_inbound_at < window
