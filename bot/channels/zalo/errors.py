"""The Zalo channel's own errors."""

from __future__ import annotations


class EventNotHandled(Exception):
    """Handling an event failed and its record was undone: it may come again (Zalo
    retries a webhook that is not answered 200; the next pass lists a rating again)."""
