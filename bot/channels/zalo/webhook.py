"""POST /zalo/webhook: the OA's events from Zalo.

The signature comes first: `X-ZEvent-Signature` is `mac=` + the SHA-256 (hex) of our app id,
the raw body, the body's `timestamp` and the OA secret key; missing -> 401, wrong -> 403,
and nothing changes. Then the body must be a JSON object (400). An event already handled
(same Zalo message id: Zalo retries an answer slower than 2 seconds) is answered 200 and
changes nothing. Handling only writes to the database (what the customer sees goes
through the outbox), so the answer is well inside Zalo's 2 seconds.

Events: user_send_text (an answer, a tapped button's label, or a message on a case),
follow (the window opens), unfollow (the address is unreachable), user_feedback (a rating
template answered: stars, ticked reasons, a note; it names no user, only the message and
our tracking id). Others are answered 200 and ignored.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request

from bot.channels.zalo import CHANNEL
from bot.storable_text import without_nul
from bot.surveys.conversation import Contact, ConversationService, TemplateRating

if TYPE_CHECKING:
    from bot.channels.zalo.connection import ZaloConnection

router = APIRouter()

SIGNATURE_HEADER = b"x-zevent-signature"
TIMESTAMP_DIGITS = 16  # milliseconds since 1970: 13 digits until the year 2286
ID_LIMIT = 100  # Zalo's ids are far shorter; ours are stored in 128 characters


def signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret: str) -> str:
    digest = hashlib.sha256(
        app_id.encode() + raw_body + timestamp.encode() + oa_secret.encode()
    ).hexdigest()
    return f"mac={digest}"


@router.post("/zalo/webhook", include_in_schema=False)
async def zalo_webhook(request: Request) -> dict[str, Any]:
    zalo: ZaloConnection | None = request.app.state.services.connections.get(CHANNEL)
    if zalo is None:
        raise HTTPException(404, "the Zalo channel is off")
    given = dict(request.scope["headers"]).get(SIGNATURE_HEADER)
    if not given:
        raise HTTPException(401, "unsigned: X-ZEvent-Signature is missing")
    raw = await request.body()
    event = _json_object(raw)
    timestamp = event.get("timestamp")
    if isinstance(timestamp, int) and not isinstance(timestamp, bool):
        timestamp = str(timestamp)
    if not isinstance(timestamp, str) or not timestamp.isascii() or not timestamp.isdigit():
        raise HTTPException(403, "wrong signature")  # nothing to check the signature by
    if len(timestamp) > TIMESTAMP_DIGITS:
        raise HTTPException(400, "not a Zalo event: the timestamp is out of range")
    expected = signature(zalo.app_id, raw, str(timestamp), zalo.oa_secret)
    if not secrets.compare_digest(given, expected.encode()):
        raise HTTPException(403, "wrong signature")
    zalo.saw_webhook()
    await handle(zalo, event)
    return {"ok": True}


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise HTTPException(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "the body is not a Zalo event: expected a JSON object")
    return data


async def handle(zalo: ZaloConnection, event: dict[str, Any]) -> None:
    name = event.get("event_name")
    if name == "user_send_text":
        user_id, message = _text(event, "sender", "id"), event.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        msg_id = message.get("msg_id") if isinstance(message, dict) else None
        if user_id and isinstance(text, str) and _is_id(msg_id):
            contact = Contact(CHANNEL, user_id)
            await zalo.once(
                f"msg:{msg_id}",
                lambda: zalo.parts.conversation.typed(
                    contact, without_nul(text), message_id=str(msg_id)
                ),
            )
    elif name == "user_feedback":
        rating = template_rating(event.get("message"))
        if rating is not None:
            conversation = zalo.parts.conversation
            await zalo.once(f"feedback:{rating.message_id}", lambda: _rated(conversation, rating))
    elif name in ("follow", "unfollow"):
        user_id = _text(event, "follower", "id")
        if user_id:
            contact = Contact(CHANNEL, user_id)
            conversation = zalo.parts.conversation
            work = conversation.interacted if name == "follow" else conversation.unreachable
            await zalo.once(f"{name}:{user_id}:{event['timestamp']}", lambda: work(contact))


REASONS_LIMIT = 25  # 5 per star in Zalo's console; more is not a real rating
REASON_LENGTH = 200
NOTE_LENGTH = 2000


def template_rating(message: Any, *, camel: bool = False) -> TemplateRating | None:
    """A rating as the webhook (`msg_id`, `tracking_id`) or the rating API (`msgId`,
    `trackingId`: `camel`) gives it; None when it is not a usable rating."""
    if not isinstance(message, dict):
        return None
    msg_id = message.get("msgId" if camel else "msg_id")
    tracking = message.get("trackingId" if camel else "tracking_id")
    rate, feedbacks, note = message.get("rate"), message.get("feedbacks"), message.get("note")
    if isinstance(rate, str) and rate.isascii() and rate.isdigit() and len(rate) == 1:
        rate = int(rate)
    if not _is_id(msg_id) or not isinstance(rate, int) or isinstance(rate, bool):
        return None
    if not 1 <= rate <= 5:
        return None
    reasons = feedbacks if isinstance(feedbacks, list) else []
    return TemplateRating(
        message_id=str(msg_id),
        tracking_id=str(tracking) if isinstance(tracking, str | int) else None,
        stars=rate,
        reasons=tuple(
            without_nul(r)[:REASON_LENGTH] for r in reasons[:REASONS_LIMIT] if isinstance(r, str)
        ),
        note=without_nul(note)[:NOTE_LENGTH] if isinstance(note, str) else "",
    )


async def _rated(conversation: ConversationService, rating: TemplateRating) -> None:
    await conversation.rated(CHANNEL, rating)


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= ID_LIMIT


def _text(event: dict[str, Any], holder: str, key: str) -> str | None:
    inner = event.get(holder)
    value = inner.get(key) if isinstance(inner, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    return value
