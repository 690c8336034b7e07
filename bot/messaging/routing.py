"""Which of a customer's contacts a message goes to, decided in one place, with a reason.

Per message: the contact the customer last wrote from, while that channel's window is open
(they are looking at it); then the shop's order of channels (`SURVEYBOT_CHANNEL_ORDER`);
contacts on one channel oldest first. A contact is passed over when its channel is not
enabled, the platform said it is unreachable, the customer opted out there, or the
channel can only answer within a window that is closed. A message that carries an
invitation (a template the channel may send first, bot.messaging.message.Invitation) may go
outside that window, and, where the channel sends templates by phone, to the customer's
phone number, after their other contacts. A staff member's reply on a case may go later
than other messages where the channel allows a person's replies longer (Messenger's Human
Agent tag: 7 days, not 24 hours). No contact left: None, and the caller falls back to the
survey's web link.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.messaging.capabilities import ChannelCapabilities


@dataclass(frozen=True)
class ContactState:
    channel: str
    address: str
    unreachable_at: datetime | None = None
    last_inbound_at: datetime | None = None
    opted_out_at: datetime | None = None
    by_phone: bool = False  # the customer's phone, reached by a template only


@dataclass(frozen=True)
class Route:
    channel: str
    address: str
    because: str | None = None  # why the contacts before it were passed over
    # Only the message's invitation can go there (a phone; a window known to be closed):
    # the channel sends its template at once, without trying the message itself.
    template_only: bool = False


def choose_contact(
    contacts: Sequence[ContactState],
    channels: Mapping[str, ChannelCapabilities],
    order: Sequence[str],
    now: datetime,
    *,
    passed: Collection[tuple[str, str]] = (),
    invited: Collection[str] = (),
    phone: str | None = None,
    staff_reply: bool = False,
) -> Route | None:
    """The contact to write to now, or None; `passed`: (channel, address) pairs already
    tried for this message (they reported unreachable or outside their window).
    `invited`: the channels the message carries an invitation for; `phone`: the
    customer's (E.164), which those of them that send templates by phone can reach;
    `staff_reply`: the message is a staff member's reply on a case."""
    rank = {name: i for i, name in enumerate(order)}
    ordered = sorted(
        enumerate(contacts), key=lambda pair: (rank.get(pair[1].channel, len(rank)), pair[0])
    )
    candidates = [contact for _, contact in ordered]
    recent = [c for c in candidates if c.last_inbound_at is not None]
    if recent:
        latest = max(recent, key=lambda c: c.last_inbound_at or now)
        candidates.remove(latest)
        candidates.insert(0, latest)
    candidates.extend(_by_phone(phone, invited, channels, order, contacts))
    reasons: list[str] = []
    for contact in candidates:
        problem = _why_not(contact, channels, now, passed, invited, staff_reply)
        if problem is None:
            # Taken only because its template may go where the message may not?
            closed = contact.by_phone or (
                bool(invited)
                and _why_not(contact, channels, now, passed, staff_reply=staff_reply) is not None
            )
            because = "; ".join(reasons) or None
            return Route(contact.channel, contact.address, because, template_only=closed)
        reasons.append(f"{contact.channel} {contact.address}: {problem}")
    return None


def why_unroutable(
    contacts: Sequence[ContactState],
    channels: Mapping[str, ChannelCapabilities],
    now: datetime,
    passed: Collection[tuple[str, str]] = (),
    *,
    staff_reply: bool = False,
) -> str:
    """Why no contact can be written to now (for staff, and the record), or "no contact"."""
    problems = [
        f"{c.channel} {c.address}: {_why_not(c, channels, now, passed, staff_reply=staff_reply)}"
        for c in contacts
    ]
    return "; ".join(problems) or "no contact"


def _by_phone(
    phone: str | None,
    invited: Collection[str],
    channels: Mapping[str, ChannelCapabilities],
    order: Sequence[str],
    contacts: Sequence[ContactState],
) -> list[ContactState]:
    """The customer's phone as a contact of each invited channel that sends templates by
    phone, in the shop's order; not of a channel they opted out of."""
    if phone is None:
        return []
    opted_out = {c.channel for c in contacts if c.opted_out_at is not None}
    names = [
        name
        for name in invited
        if name in channels
        and channels[name].templates_by_phone
        and name not in opted_out
        and _reaches(channels[name], phone)
    ]
    rank = {name: i for i, name in enumerate(order)}
    names.sort(key=lambda name: rank.get(name, len(rank)))
    return [ContactState(name, phone, by_phone=True) for name in names]


def _reaches(channel: ChannelCapabilities, phone: str) -> bool:
    prefixes = channel.phone_prefixes
    return not prefixes or any(phone.startswith(prefix) for prefix in prefixes)


def _why_not(
    contact: ContactState,
    channels: Mapping[str, ChannelCapabilities],
    now: datetime,
    passed: Collection[tuple[str, str]],
    invited: Collection[str] = (),
    staff_reply: bool = False,
) -> str | None:
    reach = channels.get(contact.channel)
    if reach is None:
        return "channel not enabled"
    if (contact.channel, contact.address) in passed:
        return "already tried"
    if contact.unreachable_at is not None:
        return f"unreachable since {contact.unreachable_at:%Y-%m-%d %H:%M}Z"
    if contact.opted_out_at is not None:
        return "opted out on this channel"
    window = reach.window(staff_reply=staff_reply)
    answers_only = window is not None and not reach.can_start_conversation
    # Only a window we know has closed: an address the shop gave us may have written to
    # its page or OA before we knew it, which only the platform knows. It says so (an
    # OutsideWindow), and the next contact is tried.
    known = contact.last_inbound_at is not None
    if contact.channel in invited:
        return None  # its template may go outside the window
    if (
        answers_only
        and known
        and not reach.window_open(contact.last_inbound_at, now, staff_reply=staff_reply)
    ):
        assert window is not None
        return f"outside its {_hours(window)} window"
    return None


def _hours(window: timedelta) -> str:
    if window >= timedelta(days=2) and window % timedelta(days=1) == timedelta(0):
        return f"{window.days}-day"
    hours = window.total_seconds() / 3600
    return f"{hours:g} h"
