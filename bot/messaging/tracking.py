"""Our id on a message a platform reports back about without naming the customer (Zalo's
rating of a template): the outbox id, marked as ours so it never meets the shop's own
tracking ids (a shop may send templates through the same account, numbered its way)."""

from __future__ import annotations

PREFIX = "sb"
LARGEST_ID = 2**31 - 1  # outbox ids are 32-bit on PostgreSQL


def tracking_id(outbox_id: int) -> str:
    return f"{PREFIX}{outbox_id}"


def outbox_id_of(tracking: str | None) -> int | None:
    """The outbox id in one of our tracking ids; None for anything else."""
    if not tracking or not tracking.startswith(PREFIX):
        return None
    digits = tracking[len(PREFIX) :]
    if not digits.isascii() or not digits.isdigit() or len(digits) > 10:
        return None
    number = int(digits)
    return number if 0 < number <= LARGEST_ID else None
