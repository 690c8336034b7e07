"""What the fake Messenger accepts in a Send API body: pure checks that raise GraphError(100).

Limits after /work/notes/messenger-rules.md §1. Strings are counted in code points. The fake
supports the message kinds surveybot sends (text, quick replies, the button and the customer
feedback templates) and refuses the others with a message saying so, so a new kind is added
here on purpose rather than passing unchecked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.fakes.messenger_feedback import feedback_template
from tests.fakes.messenger_models import (
    Button,
    OutgoingMessage,
    QuickReply,
    invalid,
)

MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
TAGS = (
    "CUSTOMER_FEEDBACK",
    "HUMAN_AGENT",
    "CONFIRMED_EVENT_UPDATE",
    "POST_PURCHASE_UPDATE",
    "ACCOUNT_UPDATE",
)
SENDER_ACTIONS = ("typing_on", "typing_off", "mark_seen")
MAX_TEXT = 2000
MAX_METADATA = 1000
MAX_QUICK_REPLIES = 13
QUICK_REPLY_TYPES = ("text", "user_phone_number", "user_email")
MAX_TITLE = 20  # quick-reply and button titles
MAX_PAYLOAD = 1000  # quick-reply and postback payloads
MAX_BUTTON_TEXT = 640
MAX_BUTTONS = 3
URL_RE = re.compile(r"https?://\S+$")


@dataclass(frozen=True)
class SendRequest:
    psid: str
    messaging_type: str | None  # None for a sender action
    tag: str | None
    message: OutgoingMessage | None
    sender_action: str | None = None


def recipient_psid(body: Any) -> str | None:
    """The PSID a body is addressed to, if it has one (for faults and rejections)."""
    recipient = body.get("recipient") if isinstance(body, dict) else None
    psid = recipient.get("id") if isinstance(recipient, dict) else None
    return psid if isinstance(psid, str) else None


def send_request(body: Any) -> SendRequest:
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object")
    psid = _recipient(body.get("recipient"))
    action = body.get("sender_action")
    if action is not None:
        if action not in SENDER_ACTIONS:
            raise invalid(f"Param sender_action must be one of {{{', '.join(SENDER_ACTIONS)}}}")
        if "message" in body:
            raise invalid("sender_action cannot be sent with message: send it separately")
        return SendRequest(psid, None, None, None, action)
    messaging_type = body.get("messaging_type")
    if messaging_type not in MESSAGING_TYPES:
        raise invalid(f"param messaging_type must be one of {{{', '.join(MESSAGING_TYPES)}}}")
    tag = body.get("tag")
    if messaging_type == "MESSAGE_TAG":
        if tag not in TAGS:
            raise invalid(f"Param tag must be one of {{{', '.join(TAGS)}}}")
    elif tag is not None:  # strict: a tag only means something with MESSAGE_TAG
        raise invalid("Param tag is only allowed with messaging_type MESSAGE_TAG")
    return SendRequest(psid, messaging_type, tag, message(body.get("message")))


def _recipient(recipient: Any) -> str:
    if not isinstance(recipient, dict) or "id" not in recipient:
        others = sorted(recipient) if isinstance(recipient, dict) else []
        detail = f" (the fake supports recipient.id only, not {others})" if others else ""
        raise invalid(f"The parameter recipient is required{detail}")
    psid = recipient["id"]
    if not isinstance(psid, str) or not psid.isdigit():  # strict: a PSID as a JSON string
        raise invalid("Param recipient[id] must be a PSID as a string of digits")
    return psid


def message(raw: Any) -> OutgoingMessage:
    if not isinstance(raw, dict):
        raise invalid("The parameter message is required")
    has_text, has_attachment = "text" in raw, "attachment" in raw
    if has_text == has_attachment:
        raise invalid("Exactly one of message[text] or message[attachment] must be set")
    metadata = raw.get("metadata")
    if metadata is not None and (not isinstance(metadata, str) or len(metadata) >= MAX_METADATA):
        raise invalid(f"Param message[metadata] must be a string under {MAX_METADATA} characters")
    quick_replies = _quick_replies(raw.get("quick_replies"))
    if has_text:
        return OutgoingMessage(_text(raw["text"]), quick_replies, metadata=metadata)
    return _attachment(raw["attachment"], quick_replies, metadata)


def _text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise invalid("Param message[text] must be a non-empty UTF-8 encoded string")
    if len(text) > MAX_TEXT:
        raise invalid(f"Length of param message[text] must be less than or equal to {MAX_TEXT}")
    return text


def _quick_replies(raw: Any) -> tuple[QuickReply, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise invalid("Param message[quick_replies] must be a non-empty array")
    if len(raw) > MAX_QUICK_REPLIES:
        raise invalid(f"Param message[quick_replies] must have at most {MAX_QUICK_REPLIES} items")
    return tuple(_quick_reply(i, item) for i, item in enumerate(raw))


def _quick_reply(index: int, raw: Any) -> QuickReply:
    where = f"message[quick_replies][{index}]"
    if not isinstance(raw, dict) or raw.get("content_type") not in QUICK_REPLY_TYPES:
        raise invalid(f"Param {where}[content_type] must be one of {QUICK_REPLY_TYPES}")
    if raw["content_type"] != "text":
        return QuickReply(raw["content_type"], "", "")
    title = _title(raw.get("title"), f"{where}[title]")
    payload = raw.get("payload")
    if isinstance(payload, int | float) and not isinstance(payload, bool):
        payload = str(payload)  # "String, Number"
    return QuickReply("text", title, _payload(payload, f"{where}[payload]"))


def _title(title: Any, where: str) -> str:
    if not isinstance(title, str) or not title.strip():
        raise invalid(f"Param {where} must be a non-empty string")
    if len(title) > MAX_TITLE:
        raise invalid(f"Param {where} must be at most {MAX_TITLE} characters")
    return title


def _payload(payload: Any, where: str) -> str:
    if not isinstance(payload, str) or not payload:
        raise invalid(f"Param {where} must be a non-empty string")
    if len(payload) > MAX_PAYLOAD:
        raise invalid(f"Param {where} must be at most {MAX_PAYLOAD} characters")
    return payload


def _attachment(
    raw: Any, quick_replies: tuple[QuickReply, ...], metadata: str | None
) -> OutgoingMessage:
    if not isinstance(raw, dict) or raw.get("type") != "template":
        kind = raw.get("type") if isinstance(raw, dict) else None
        raise invalid(f"message[attachment][type] {kind!r}: the fake supports 'template' only")
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        raise invalid("message[attachment][payload] must be an object")
    template_type = payload.get("template_type")
    if template_type == "button":
        text, buttons = _button_template(payload)
        return OutgoingMessage(text, quick_replies, "button", buttons, metadata=metadata)
    if template_type == "customer_feedback":
        form = feedback_template(payload)
        return OutgoingMessage(None, quick_replies, "customer_feedback", (), form, metadata)
    raise invalid(
        f"template_type {template_type!r}: the fake supports 'button' and 'customer_feedback'"
    )


def _button_template(payload: dict[str, Any]) -> tuple[str, tuple[Button, ...]]:
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        raise invalid("Param message[attachment][payload][text] must be a non-empty string")
    if len(text) > MAX_BUTTON_TEXT:
        raise invalid(f"Button template text must be at most {MAX_BUTTON_TEXT} characters")
    raw = payload.get("buttons")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_BUTTONS:
        raise invalid(f"A button template needs 1 to {MAX_BUTTONS} buttons")
    return text, tuple(_button(i, b) for i, b in enumerate(raw))


def _button(index: int, raw: Any) -> Button:
    where = f"buttons[{index}]"
    if not isinstance(raw, dict):
        raise invalid(f"Param {where} must be an object")
    title = _title(raw.get("title"), f"{where}[title]")
    if raw.get("type") == "postback":
        return Button("postback", title, payload=_payload(raw.get("payload"), f"{where}[payload]"))
    if raw.get("type") == "web_url":
        url = raw.get("url")
        if not isinstance(url, str) or URL_RE.match(url) is None:
            raise invalid(f"Param {where}[url] must be an http(s) URL")
        return Button("web_url", title, url=url)
    raise invalid(f"{where}[type] {raw.get('type')!r}: the fake supports postback and web_url")
