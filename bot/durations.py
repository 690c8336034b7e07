"""Durations as flow authors write them: `45s`, `15m`, `2h`, `3d` (also `1h30m`)."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"^(?:\d+[smhdw])+$")


def parse_duration(text: str, longest: timedelta | None = None) -> timedelta:
    """Parse `45s`, `15m`, `2h`, `3d`, `1w` or combinations like `1h30m`.

    Raises ValueError with a message that shows the accepted forms, or the `longest`
    allowed (a duration beyond what a timedelta holds is always too long).
    """
    cleaned = str(text).strip().lower().replace(" ", "")
    if not cleaned or not _WHOLE.match(cleaned):
        raise ValueError(
            f"{text!r} is not a duration; write a number and a unit: "
            "45s, 15m, 2h, 3d, 1w (or combined, like 1h30m)"
        )
    limit = f"; durations go up to {longest.days}d" if longest is not None else ""
    try:
        seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(cleaned))
        duration = timedelta(seconds=seconds)
    except (OverflowError, ValueError):  # more days than a timedelta holds, or digits
        raise ValueError(f"{text!r} is far too long{limit}") from None
    if longest is not None and duration > longest:
        raise ValueError(f"{text!r} is too long{limit}")
    return duration


def format_duration(value: timedelta) -> str:
    """The shortest `1d2h` style spelling of a duration (for docs and messages)."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
