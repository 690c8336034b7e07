"""When to send, remind and close a survey: pure functions of UTC times and a timezone.

Everything is computed in UTC; the customer's local time matters only to keep messages
inside the flow's `send_window`. Windows may cross midnight ("20:00-08:00") and are
DST-safe: a window that opens inside a spring-forward gap opens at the first valid local
time after it, and an hour that happens twice (autumn) opens at its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.flows.schema import SendWindow, Trigger


def zone(name: str | None, default: str) -> ZoneInfo:
    """The customer's timezone, or the default when missing or unknown."""
    for candidate in (name, default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def is_valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def inside(local: time, window: SendWindow) -> bool:
    if window.start < window.end:
        return window.start <= local < window.end
    return local >= window.start or local < window.end  # crosses midnight (or ends 24:00)


def _local_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`day` at wall-clock `at` in `tz`, as UTC. In a DST gap this lands just after it."""
    naive = datetime.combine(day, at)
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)


def into_window(moment: datetime, window: SendWindow | None, tz: ZoneInfo) -> datetime:
    """`moment` if it falls inside the window (customer-local), else the window's next opening."""
    if window is None:
        return moment
    local = moment.astimezone(tz)
    if inside(local.time(), window):
        return moment
    day = local.date()
    opening = _local_moment(day, window.start, tz)
    if opening <= moment:
        opening = _local_moment(day + timedelta(days=1), window.start, tz)
    return opening


def send_at(event_time: datetime, trigger: Trigger, tz: ZoneInfo) -> datetime:
    """First delivery: `delay` after the event, moved into the customer's send window."""
    return into_window(event_time + trigger.delay, trigger.send_window, tz)


def remind_at(sent: datetime, trigger: Trigger, tz: ZoneInfo) -> datetime | None:
    """The one reminder, if the flow has one: `reminder` after sending, inside the window,
    and never at or after the expiry (then there is no reminder)."""
    if trigger.reminder is None:
        return None
    moment = into_window(sent + trigger.reminder, trigger.send_window, tz)
    closing = expire_at(sent, trigger)
    if closing is not None and moment >= closing:
        return None
    return moment


def expire_at(sent: datetime, trigger: Trigger) -> datetime | None:
    """When an unanswered survey closes (`expire` after sending); None if it never does."""
    return sent + trigger.expire if trigger.expire is not None else None


def has_ended(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a survey closing at `expires_at` is over at `now` (its expiry timer may not
    have fired yet: the survey is over all the same)."""
    return expires_at is not None and expires_at <= now
