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
from bot.channels.zalo.ratings import is_id, template_rating
from bot.storable_text import without_nul
from bot.storage.once import EventNotHandled
from bot.surveys.conversation import Contact

if TYPE_CHECKING:
    from bot.channels.zalo.connection import ZaloConnection

router = APIRouter()

SIGNATURE_HEADER = b"x-zevent-signature"
TIMESTAMP_DIGITS = 16  # milliseconds since 1970: 13 digits until the year 2286


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
    try:
        await handle(zalo, event)
    except EventNotHandled:
        raise HTTPException(503, "not handled; retry") from None
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
        if user_id and isinstance(text, str) and is_id(msg_id):
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
            await zalo.take_rating(rating)
    elif name in ("follow", "unfollow"):
        user_id = _text(event, "follower", "id")
        if user_id:
            contact = Contact(CHANNEL, user_id)
            conversation = zalo.parts.conversation
            work = conversation.interacted if name == "follow" else conversation.unreachable
            await zalo.once(f"{name}:{user_id}:{event['timestamp']}", lambda: work(contact))


def _text(event: dict[str, Any], holder: str, key: str) -> str | None:
    inner = event.get(holder)
    value = inner.get(key) if isinstance(inner, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    return value
