"""Delivers outbox messages through Messenger's Send API and translates Meta's errors.

A message's choices become quick replies whose payload is their label: a tap posts the
title as the customer's message (with the payload), so the chat shows what they chose (a
sent message cannot be edited), and the conversation service takes a label of the open
question as that choice. A link becomes a button template (a web_url button) when the text
is short enough for one and there are no choices, else it is written under the text. A
photo is not sent: its text goes alone.

A survey's first question may carry the flow's feedback template (an Invitation): when
Meta refuses the question as outside the 24-hour window, the Customer Feedback Template
goes instead, tagged CUSTOMER_FEEDBACK (Meta allows that up to 7 days after the person's
last message), its question id our tracking id, so the answer names its survey.

Everything else goes as messaging_type RESPONSE, which Meta allows only inside the 24-hour
window: the channel choice sends only there (bot.messaging.routing), and a contact whose
window we have not seen is tried and refused (10/2018278, OutsideWindow) rather than
tagged. A staff reply on a case goes tagged HUMAN_AGENT when the Page has that permission
(SURVEYBOT_MESSENGER_HUMAN_AGENT): Meta allows it for replies a person typed.

Errors (docs/channels/messenger.md has the sources): 10/2018278 and 2018278 outside the
window (2018065 before) -> OutsideWindow; 551 person not available, 2018001 no such user ->
Unreachable; 10 without subcode (a permission the app or Page lacks) -> RetryLater for the
whole channel, said loudly; 4, 17, 32, 613 rate
limits -> RetryLater for the whole channel; 190 the Page token is invalid -> RetryLater
(said loudly: the shop must give a new token); 1200 and 5xx, network errors, timeouts ->
TransientFailure; 100 and anything else -> Rejected.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.channels.messenger import CHANNEL
from bot.channels.messenger.capabilities import (
    BUTTON_TEMPLATE_TEXT_LIMIT,
    MESSENGER,
)
from bot.channels.messenger.client import GraphClient, GraphError, GraphUnavailable
from bot.errors import OutsideWindow, Rejected, RetryLater, TransientFailure, Unreachable
from bot.messaging.channel import Delivery
from bot.messaging.channel_health import ChannelHealthRecorder
from bot.messaging.message import Invitation, OutgoingMessage
from bot.messaging.tracking import tracking_id

log = logging.getLogger(__name__)

OUTSIDE_WINDOW_SUBCODE = 2018278
OLD_OUTSIDE_WINDOW_SUBCODE = 2018065  # Meta's earlier code for the same refusal
UNAVAILABLE = 551
NO_USER = (2018001, 1545041)
RATE_LIMITS = (4, 17, 32, 613)
TOKEN_INVALID = 190
TEMPORARY = 1200
RATE_LIMIT_PAUSE = 60.0
TOKEN_PAUSE = 300.0


class MessengerSender:
    name = CHANNEL
    capabilities = MESSENGER

    def __init__(
        self,
        client: GraphClient,
        *,
        human_agent: bool = False,
        health: ChannelHealthRecorder | None = None,
    ) -> None:
        """`health`: where a refused Page token and Meta's rate limits are recorded, for
        `surveybot status` and the dashboard."""
        self.client = client
        self.human_agent = human_agent
        self.health = health
        self.token_refused = False  # recorded as refused: the next send that goes clears it

    def is_group(self, address: str) -> bool:
        return False  # a Page writes to people only

    async def deliver(self, delivery: Delivery) -> str | None:
        if delivery.kind == "edit":
            raise Rejected("Messenger cannot edit a sent message")
        try:
            sent = await self._send(delivery)
        except GraphUnavailable as exc:
            raise TransientFailure(str(exc)) from None
        except GraphError as exc:
            await self._record(exc)
            raise _translated(exc) from None
        if self.token_refused and self.health is not None:
            self.token_refused = False
            await self.health.token_accepted()
        return sent

    async def _send(self, delivery: Delivery) -> str:
        message = OutgoingMessage.from_payload(delivery.payload)
        body = send_body(delivery.address, message, human_agent=self.human_agent)
        invitation = message.invitation(CHANNEL)
        # The question first, unless we know the window has closed: only Meta knows.
        if invitation is None or not delivery.payload.get("template_only"):
            try:
                return await self.client.send(body)
            except GraphError as exc:
                if invitation is None or not _outside_window(exc):
                    raise
        # Past the 24 hours: Meta's feedback form, within 7 days of their last message.
        form = feedback_body(delivery.address, invitation, tracking_id(delivery.outbox_id))
        return await self.client.send(form)

    async def _record(self, exc: GraphError) -> None:
        if self.health is None:
            return
        if exc.code in RATE_LIMITS:
            await self.health.limit(exc.code, exc.message)
        elif exc.code == TOKEN_INVALID:
            self.token_refused = True
            await self.health.token_refused(str(exc))


def send_body(psid: str, message: OutgoingMessage, *, human_agent: bool = False) -> dict[str, Any]:
    """The Send API request for `message` to the Page-scoped id `psid`."""
    body: dict[str, Any] = {"recipient": {"id": psid}, "message": message_object(message)}
    if human_agent and message.case_id is not None:
        body["messaging_type"] = "MESSAGE_TAG"
        body["tag"] = "HUMAN_AGENT"
    else:
        body["messaging_type"] = "RESPONSE"
    return body


SCORE_OPTIONS = {"csat": "five_stars", "nps": "zero_to_ten", "ces": "one_to_seven"}


def feedback_body(psid: str, invitation: Invitation, question_id: str) -> dict[str, Any]:
    """Meta's Customer Feedback Template for the survey's first question, tagged
    CUSTOMER_FEEDBACK (the one use that tag allows); `question_id` comes back with the
    answer, and names the survey."""
    data = dict(invitation.data)
    kind = data["question"]
    question: dict[str, Any] = {
        "id": question_id,
        "type": kind,
        "score_option": SCORE_OPTIONS[kind],
    }
    if data.get("follow_up"):
        question["follow_up"] = {"type": "free_form", "placeholder": data["follow_up"][:65]}
    return {
        "recipient": {"id": psid},
        "messaging_type": "MESSAGE_TAG",
        "tag": "CUSTOMER_FEEDBACK",
        "message": {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "customer_feedback",
                    "title": data["title"][:65],
                    "subtitle": data["subtitle"][:80],
                    "button_title": data["button_title"][:20],
                    "feedback_screens": [{"questions": [question]}],
                    "business_privacy": {"url": data["privacy_url"]},
                    "expires_in_days": int(data["expires_in_days"]),
                },
            }
        },
    }


def message_object(message: OutgoingMessage) -> dict[str, Any]:
    text = message.text
    link = message.link
    if link is not None and not message.choices and len(text) <= BUTTON_TEMPLATE_TEXT_LIMIT:
        return {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "button",
                    "text": text,
                    "buttons": [{"type": "web_url", "url": link.url, "title": link.label}],
                },
            }
        }
    if link is not None:
        text = f"{text}\n{link.label}: {link.url}"
    body: dict[str, Any] = {"text": text}
    replies = [
        {"content_type": "text", "title": choice.label, "payload": choice.label}
        for row in message.choices
        for choice in row
    ]
    if replies:
        body["quick_replies"] = replies
    return body


def _outside_window(exc: GraphError) -> bool:
    codes = (exc.subcode, exc.code)
    return OUTSIDE_WINDOW_SUBCODE in codes or OLD_OUTSIDE_WINDOW_SUBCODE in codes


def _translated(exc: GraphError) -> Exception:
    if _outside_window(exc):
        return OutsideWindow(f"outside the 24-hour window ({exc})")
    if exc.code == UNAVAILABLE or exc.subcode in NO_USER or exc.code in NO_USER:
        return Unreachable(f"this person is not available on Messenger ({exc})")
    if exc.code == 10:  # a permission the app or Page lacks: every message would fail
        log.error(
            "Messenger: Meta refused a send for want of a permission (%s); check the "
            "app's pages_messaging permission and that the app is live",
            exc,
        )
        return RetryLater(TOKEN_PAUSE, f"the Page may not send ({exc})", whole_channel=True)
    if exc.code in RATE_LIMITS:
        return RetryLater(RATE_LIMIT_PAUSE, f"Meta's rate limit ({exc})", whole_channel=True)
    if exc.code == TOKEN_INVALID:
        log.error(
            "Messenger: Meta refused the Page access token (%s); set a new "
            "SURVEYBOT_MESSENGER_PAGE_TOKEN (docs/channels/messenger.md)",
            exc,
        )
        return RetryLater(TOKEN_PAUSE, f"the Page token is refused ({exc})", whole_channel=True)
    if exc.code == TEMPORARY:
        return TransientFailure(str(exc))
    return Rejected(str(exc))
