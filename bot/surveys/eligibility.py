"""Whether a customer gets a survey, decided in one place, always with a reason when not.

Checked when the purchase event arrives and again just before sending (the customer may
have opted out, or been surveyed by another flow, in between). Staleness is judged only on
arrival: an event reported long after it happened is recorded, but not surveyed as if fresh.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.durations import format_duration
from bot.flows.schema import Trigger


class SkipReason(StrEnum):
    OPTED_OUT = "opted_out"
    COOLDOWN = "cooldown"
    SAMPLED_OUT = "sampled_out"
    STALE = "stale"


@dataclass(frozen=True)
class Decision:
    send: bool
    reason: SkipReason | None = None
    detail: str = ""


SEND = Decision(True)


def in_sample(key: str, share: float) -> bool:
    """A stable coin flip: the same key always lands on the same side, so retries and
    restarts never change who is surveyed, and `share` of all keys land inside."""
    if share >= 1.0:
        return True
    if share <= 0.0:
        return False
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def decide(
    *,
    trigger: Trigger | None,
    sample_key: str | None,
    opted_out: bool,
    last_surveyed_at: datetime | None,
    at: datetime,
    event_age: timedelta | None = None,
) -> Decision:
    """Send a survey at `at`, or skip it and say why (`sample_key` None: no sampling;
    `event_age`, how long after the event it arrived, None: not judged)."""
    if opted_out:
        return Decision(False, SkipReason.OPTED_OUT, "the customer opted out (/stop)")
    if trigger is None:
        return SEND
    if event_age is not None and event_age > trigger.stale_after:
        return Decision(
            False,
            SkipReason.STALE,
            f"the event arrived {format_duration(event_age)} after it happened; this flow "
            f"surveys events up to {format_duration(trigger.stale_after)} old (max_age)",
        )
    cooldown = trigger.cooldown
    if cooldown is not None and last_surveyed_at is not None and at - last_surveyed_at < cooldown:
        ago = format_duration(at - last_surveyed_at)
        return Decision(
            False,
            SkipReason.COOLDOWN,
            f"surveyed {ago} before; the cooldown is {format_duration(cooldown)}",
        )
    if sample_key is not None and not in_sample(sample_key, trigger.sample):
        return Decision(False, SkipReason.SAMPLED_OUT, f"outside the {trigger.sample:.0%} sample")
    return SEND
