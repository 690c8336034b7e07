"""The one writer of the outbox: every message to a customer or to staff is queued here.

A message to a customer goes to the contact `choose_contact` picks (with the reason when it
passed others over); a replacement goes where the message it replaces went; the web chat's
page shows its messages itself, so they are stored as shown. Always inside the caller's
transaction, so a message exists exactly when the change that caused it does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot.clock import Clock
from bot.messaging.capabilities import ChannelCapabilities
from bot.messaging.message import OutgoingMessage
from bot.messaging.presenter import Presenter
from bot.messaging.routing import ContactState, Route, choose_contact, why_unroutable
from bot.storage.models import Contact, OutboxMessage, Survey
from bot.storage.unit_of_work import UnitOfWork

DEFAULT_LOCALE = "vi"  # the shops we serve first are Vietnamese
WEB = "web"  # the web chat: /s/<token>, its page shows what is stored for the survey
FROM_CUSTOMER = "customer"  # a web chat line the customer wrote, shown on their side


@dataclass(frozen=True)
class ChannelDirectory:
    """The channels messages can be pushed through, the shop's order among them, and the
    flows that prefer another order (their `channels` key)."""

    reach: Mapping[str, ChannelCapabilities] = field(default_factory=dict)
    order: tuple[str, ...] = ()
    flow_orders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def order_for(self, flow_id: str | None) -> tuple[str, ...]:
        return self.flow_orders.get(flow_id or "", self.order)


class OutboxWriter:
    def __init__(
        self,
        clock: Clock,
        directory: ChannelDirectory | None = None,
        presenter: Presenter | None = None,
    ) -> None:
        """`presenter`: fits each message to the capabilities of the channel it goes to
        (without one, as to staff, messages are stored as given)."""
        self.clock = clock
        self.directory = directory or ChannelDirectory()
        self.presenter = presenter

    async def route(
        self,
        tx: UnitOfWork,
        customer_id: int,
        passed: Collection[tuple[str, str]] = (),
        *,
        flow_id: str | None = None,
        invited: Collection[str] = (),
        staff_reply: bool = False,
    ) -> Route | None:
        """Where a message to this customer would go now (in `flow_id`'s order when that
        flow has one); None: no contact can take it. `invited`: the channels the message
        carries an invitation for (it may go outside their window, or by phone);
        `staff_reply`: it is a staff member's reply on a case (some channels let those go
        later)."""
        contacts = await tx.contacts.of_customer(customer_id)
        phone = None
        if invited:
            customer = await tx.customers.get(customer_id)
            phone = customer.phone if customer else None
        return self.choose(
            contacts,
            passed,
            flow_id=flow_id,
            invited=invited,
            phone=phone,
            staff_reply=staff_reply,
        )

    async def route_message(
        self,
        tx: UnitOfWork,
        customer_id: int,
        message: OutgoingMessage,
        passed: Collection[tuple[str, str]] = (),
        *,
        flow_id: str | None = None,
    ) -> Route | None:
        """`route` for this message: what it carries decides where it may go."""
        return await self.route(
            tx,
            customer_id,
            passed,
            flow_id=flow_id,
            invited=invited_channels(message),
            staff_reply=is_staff_reply(message),
        )

    async def why_unroutable(
        self, tx: UnitOfWork, customer_id: int, *, staff_reply: bool = False
    ) -> str:
        """Why `route` found nothing: each contact and what keeps it from taking a message."""
        contacts = await tx.contacts.of_customer(customer_id)
        states = [contact_state(c) for c in contacts]
        return why_unroutable(
            states, self.directory.reach, self.clock.now(), staff_reply=staff_reply
        )

    def choose(
        self,
        contacts: Sequence[Contact],
        passed: Collection[tuple[str, str]] = (),
        *,
        flow_id: str | None = None,
        invited: Collection[str] = (),
        phone: str | None = None,
        staff_reply: bool = False,
    ) -> Route | None:
        return choose_contact(
            [contact_state(c) for c in contacts],
            self.directory.reach,
            self.directory.order_for(flow_id),
            self.clock.now(),
            passed=passed,
            invited=invited,
            phone=phone,
            staff_reply=staff_reply,
        )

    async def to_customer(
        self,
        tx: UnitOfWork,
        customer_id: int,
        message: OutgoingMessage,
        *,
        priority: int,
        survey_id: int | None = None,
        route: Route | None = None,
        locale: str | None = None,
        flow_id: str | None = None,
    ) -> int | None:
        """Queue the message on the customer's chosen contact (in `flow_id`'s order), fitted
        to its channel (in several parts if its text is long: the id is the last one's,
        which carries the choices); None when no contact can take it."""
        route = route or await self.route_message(tx, customer_id, message, flow_id=flow_id)
        if route is None:
            return None
        return await self._add_fitted(tx, route, message, locale, priority, customer_id, survey_id)

    def fit(
        self, channel: str, message: OutgoingMessage, locale: str | None
    ) -> tuple[OutgoingMessage, ...]:
        """`message` as `channel` can show it (none: a replacement it cannot edit in)."""
        capabilities = self.directory.reach.get(channel)
        if capabilities is None or self.presenter is None:
            return (message,)
        return self.presenter.fit(message, capabilities, locale or DEFAULT_LOCALE)

    async def to_staff(
        self,
        tx: UnitOfWork,
        channel: str,
        address: str,
        message: OutgoingMessage,
        *,
        priority: int,
        survey_id: int | None = None,
    ) -> int:
        """Queue a message for staff (the support group, the manager's chat)."""
        row = await self._add(tx, channel, address, message, priority=priority, survey_id=survey_id)
        return row.id

    async def replace(
        self,
        tx: UnitOfWork,
        original: OutboxMessage,
        message: OutgoingMessage,
        *,
        priority: int,
        locale: str | None = None,
    ) -> int | None:
        """Stand in for `original` where it went (an edit; shown at once on the web page).
        None where the channel cannot edit a sent message: the original stays as it is."""
        replacement = _replacing(message, original.id)
        if original.channel != WEB:
            fitted = self.fit(original.channel, replacement, locale)
            if not fitted:
                return None
            replacement = fitted[-1]
        row = await self._add(
            tx,
            original.channel,
            original.address,
            replacement,
            priority=priority,
            customer_id=original.customer_id,
            survey_id=original.survey_id,
            shown=original.channel == WEB,
        )
        return row.id

    async def forward(
        self,
        tx: UnitOfWork,
        message: OutboxMessage,
        route: Route,
        locale: str | None,
        tried: Collection[tuple[str, str]] = (),
    ) -> int | None:
        """The same message again, to another address (its first one did not take it),
        fitted to that one's channel; `tried`: the addresses it has been turned away by."""
        again = OutgoingMessage.from_payload(message.payload)
        return await self._add_fitted(
            tx,
            route,
            again,
            locale,
            message.priority,
            message.customer_id,
            message.survey_id,
            tried=tried,
        )

    async def on_web_page(
        self,
        tx: UnitOfWork,
        survey: Survey,
        message: OutgoingMessage,
        *,
        said_by_customer: bool = False,
    ) -> int:
        """A line of the survey's web chat: the page shows it, nothing is pushed."""
        row = await self._add(
            tx,
            WEB,
            survey.token,
            message,
            priority=0,
            customer_id=survey.customer_id,
            survey_id=survey.id,
            shown=True,
            said_by_customer=said_by_customer,
        )
        return row.id

    async def _add_fitted(
        self,
        tx: UnitOfWork,
        route: Route,
        message: OutgoingMessage,
        locale: str | None,
        priority: int,
        customer_id: int | None,
        survey_id: int | None,
        tried: Collection[tuple[str, str]] = (),
    ) -> int | None:
        """Each part of the fitted message, in order; the last one's id (None: no part)."""
        last = None
        for part in self.fit(route.channel, message, locale):
            row = await self._add(
                tx,
                route.channel,
                route.address,
                part,
                priority=priority,
                customer_id=customer_id,
                survey_id=survey_id,
                routed_because=route.because,
                tried=tried,
                template_only=route.template_only,
            )
            last = row.id
        return last

    async def _add(
        self,
        tx: UnitOfWork,
        channel: str,
        address: str,
        message: OutgoingMessage,
        *,
        priority: int,
        customer_id: int | None = None,
        survey_id: int | None = None,
        routed_because: str | None = None,
        shown: bool = False,
        said_by_customer: bool = False,
        tried: Collection[tuple[str, str]] = (),
        template_only: bool = False,
    ) -> OutboxMessage:
        payload = message.to_payload()
        if template_only and message.invitations:
            payload["template_only"] = True  # the channel sends its invitation at once
        if said_by_customer:
            payload["from"] = FROM_CUSTOMER
        if tried:
            payload["tried"] = sorted([channel, address] for channel, address in tried)
        return await tx.outbox.add(
            channel=channel,
            address=address,
            kind="edit" if message.replaces is not None else "send",
            payload=payload,
            priority=priority,
            customer_id=customer_id,
            survey_id=survey_id,
            now=self.clock.now(),
            routed_because=routed_because,
            shown=shown,
        )


def invited_channels(message: OutgoingMessage) -> frozenset[str]:
    """The channels `message` carries an invitation (a template) for."""
    return frozenset(invitation.channel for invitation in message.invitations)


def is_staff_reply(message: OutgoingMessage) -> bool:
    """To a customer, only a staff member's reply names a case (bot.support.relay)."""
    return message.case_id is not None


def contact_state(contact: Contact) -> ContactState:
    return ContactState(
        channel=contact.channel,
        address=contact.address,
        unreachable_at=contact.unreachable_at,
        last_inbound_at=contact.last_inbound_at,
        opted_out_at=contact.opted_out_at,
    )


def _replacing(message: OutgoingMessage, original_id: int) -> OutgoingMessage:
    return replace(message, replaces=original_id)
