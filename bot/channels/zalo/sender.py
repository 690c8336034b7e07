"""Delivers outbox messages as Zalo consultation messages and translates Zalo's errors.

A survey's first question may carry the flow's template (an Invitation): to a phone
number (a buyer who never wrote to the OA) only the template goes, by phone; to a follower
the question goes as a consultation message, and when Zalo refuses it as outside the 7-day
window (-230) or not a follower (-213) the template goes instead, by user id. A rating
that comes back names the message: by phone our tracking id (the outbox id, marked as
ours: bot.messaging.tracking) too.

A message's choices become query buttons whose payload is their label: Zalo sends it back
as the customer's own message, so the chat shows what they chose (a sent message cannot be
edited to say so), and the conversation service takes a label of the open question as
that choice. A link becomes an "open URL" button while there is room (5 buttons), else it
is written under the text. A photo is not sent: its text goes alone.

Errors (docs/channels/zalo.md has the sources): -213 not a follower (or unfollowed), -217,
-227 inactive over 45 days, -232, -244 -> Unreachable; -230 no interaction in the last 7
days -> OutsideWindow; -32 the app's per-minute call limit, -211 out of quota, -234 no
sends between 22:00 and 06:00 -> RetryLater; -216 invalid, -220 expired access token or
HTTP 401 -> refreshed, then retried; no token that works -> RetryLater (the shop must
authorise again, said loudly); -100, network errors, timeouts and 5xx -> TransientFailure;
any other error -> Rejected. Template errors: a phone Zalo does not take, no Zalo account,
a customer who refuses the OA's templates -> Unreachable; -124 the token -> refreshed; a
template that is not approved, wrong parameters -> Rejected (the shop's set-up: said in
the log); the template quota -> RetryLater for that message only.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from bot.channels.zalo import CHANNEL
from bot.channels.zalo.capabilities import BUTTONS_LIMIT, ZALO
from bot.channels.zalo.client import ZaloApiError, ZaloClient, ZaloUnavailable
from bot.channels.zalo.tokens import ZaloNotAuthorised
from bot.errors import OutsideWindow, Rejected, RetryLater, TransientFailure, Unreachable
from bot.messaging.channel import Delivery
from bot.messaging.message import OutgoingMessage
from bot.messaging.tracking import tracking_id

log = logging.getLogger(__name__)

NOT_A_FOLLOWER = -213
UNREACHABLE = (NOT_A_FOLLOWER, -217, -227, -232, -244)
NO_RECENT_INTERACTION = -230
CALL_LIMIT = -32
OUT_OF_QUOTA = -211
QUIET_HOURS = -234
TOKEN_REFUSED = (-216, -220, -401, -124)  # -401: HTTP 401; -124: the template host's
TEMPLATE_INSTEAD = (NO_RECENT_INTERACTION, NOT_A_FOLLOWER)  # the question may not go
# Template errors (LIKELY, docs/channels/zalo.md): not on Zalo, or the customer refuses
# the OA's templates; the shop's set-up; the template quota.
TEMPLATE_UNREACHABLE = (-108, -118, -114, -119, -139, -140, -141)
_NOT_APPROVED = "the template is not approved or not usable"
_WRONG_DATA = "its data does not match the template's parameters"
TEMPLATE_SETUP = {
    **dict.fromkeys((-109, -117, -131, -146, -249), _NOT_APPROVED),
    -111: "its data is empty",
    **dict.fromkeys((-112, -1121, -1122, -1124), _WRONG_DATA),
}
TEMPLATE_QUOTA = (-115, -144, -147)
LIMITS = (CALL_LIMIT, OUT_OF_QUOTA, *TEMPLATE_QUOTA)  # counted where the shop can see them
VIETNAM = "+84"
TRY_AGAIN = -100
CALL_LIMIT_PAUSE = 60.0  # the limit is per minute
QUOTA_PAUSE = 3600.0
QUIET_HOURS_PAUSE = 1800.0
NOT_AUTHORISED_PAUSE = 300.0


class AccessTokens(Protocol):
    async def access_token(self) -> str: ...
    def invalidate(self, token: str) -> None: ...
    async def record_limit(self, code: int, message: str) -> None:
        """A call limit or quota error, kept for `surveybot status` and the dashboard."""


class ZaloSender:
    name = CHANNEL
    capabilities = ZALO

    def __init__(self, client: ZaloClient, tokens: AccessTokens) -> None:
        self.client = client
        self.tokens = tokens

    def is_group(self, address: str) -> bool:
        return False  # an OA writes to people only

    async def deliver(self, delivery: Delivery) -> str | None:
        if delivery.kind == "edit":
            raise Rejected("Zalo cannot edit a sent message")
        outgoing = OutgoingMessage.from_payload(delivery.payload)
        invitation = outgoing.invitation(CHANNEL)
        if delivery.address.startswith("+") and invitation is None:
            raise OutsideWindow(
                "a phone number takes only the flow's approved template: the customer has "
                "not written to the OA"
            )
        try:
            token = await self.tokens.access_token()
        except ZaloNotAuthorised as exc:
            raise RetryLater(NOT_AUTHORISED_PAUSE, str(exc)) from None
        try:
            if invitation is not None and delivery.address.startswith("+"):
                return await self.client.send_template_by_phone(
                    token,
                    zalo_phone(delivery.address),
                    invitation.template,
                    dict(invitation.data),
                    tracking_id(delivery.outbox_id),
                )
            # The question first, unless we know the window has closed: only Zalo knows.
            if invitation is None or not delivery.payload.get("template_only"):
                message = consultation_message(outgoing)
                try:
                    return await self.client.send_consultation(token, delivery.address, message)
                except ZaloApiError as exc:
                    if invitation is None or exc.code not in TEMPLATE_INSTEAD:
                        raise
            return await self.client.send_template_to_user(
                token, delivery.address, invitation.template, dict(invitation.data)
            )
        except ZaloUnavailable as exc:
            raise TransientFailure(str(exc)) from None
        except ZaloApiError as exc:
            if exc.code in LIMITS:
                await self.tokens.record_limit(exc.code, exc.message)
            raise self._translated(exc, token) from None

    def _translated(self, exc: ZaloApiError, token: str) -> Exception:
        if exc.code in UNREACHABLE:
            why = "not a follower of the OA" if exc.code == NOT_A_FOLLOWER else "unreachable"
            return Unreachable(f"{why} ({exc})")
        if exc.code == NO_RECENT_INTERACTION:
            return OutsideWindow(f"no interaction with the OA in the last 7 days ({exc})")
        if exc.code == CALL_LIMIT:
            return RetryLater(CALL_LIMIT_PAUSE, f"Zalo's call limit ({exc})", whole_channel=True)
        if exc.code == OUT_OF_QUOTA:
            return RetryLater(QUOTA_PAUSE, f"Zalo quota used up ({exc})", whole_channel=True)
        if exc.code == QUIET_HOURS:
            return RetryLater(QUIET_HOURS_PAUSE, f"Zalo sends nothing at night ({exc})")
        if exc.code in TEMPLATE_UNREACHABLE:
            return Unreachable(f"no Zalo account takes this template ({exc})")
        if exc.code in TEMPLATE_QUOTA:  # templates only: consultation messages go on
            return RetryLater(QUOTA_PAUSE, f"Zalo's template quota is used up ({exc})")
        if exc.code in TEMPLATE_SETUP:
            log.error(
                "Zalo refused the flow's template: %s (%s); check zalo.template and "
                "zalo.template_data against the template approved in Zalo's console",
                TEMPLATE_SETUP[exc.code],
                exc,
            )
            return Rejected(f"{TEMPLATE_SETUP[exc.code]} ({exc})")
        if exc.code == TRY_AGAIN:
            return TransientFailure(str(exc))
        if exc.code in TOKEN_REFUSED:
            self.tokens.invalidate(token)
            return TransientFailure(f"Zalo refused the access token ({exc}); refreshing")
        return Rejected(str(exc))


def zalo_phone(e164: str) -> str:
    """`+84901234567` as Zalo's templates want it, `84901234567`; Zalo reaches Vietnamese
    numbers only, so another country's is Unreachable."""
    if not e164.startswith(VIETNAM):
        raise Unreachable(f"Zalo templates reach Vietnamese numbers (+84) only, not {e164}")
    return e164[1:]


def consultation_message(message: OutgoingMessage) -> dict[str, Any]:
    """The `message` object of a consultation request."""
    buttons: list[dict[str, Any]] = [
        {"title": choice.label, "type": "oa.query.show", "payload": choice.label}
        for row in message.choices
        for choice in row
    ]
    text = message.text
    if message.link is not None:
        if len(buttons) < BUTTONS_LIMIT:
            buttons.append(
                {
                    "title": message.link.label,
                    "type": "oa.open.url",
                    "payload": {"url": message.link.url},
                }
            )
        else:
            text = f"{text}\n{message.link.label}: {message.link.url}"
    body: dict[str, Any] = {"text": text}
    if buttons:
        body["attachment"] = {"type": "template", "payload": {"buttons": buttons}}
    return body
