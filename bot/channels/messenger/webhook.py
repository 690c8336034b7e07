"""/messenger/webhook: Meta's verification handshake (GET) and the Page's events (POST).

GET: `hub.mode=subscribe` with our verify token is answered with `hub.challenge`, anything
else 403. POST: the signature comes first: `X-Hub-Signature-256` is `sha256=` + the
HMAC-SHA256 (hex) of the raw body with the app secret; missing -> 401, wrong -> 403, and
nothing changes. Then the body must be a JSON object of a Page (400). Entries may be
batched, each with several events; an event already handled (same `mid`, or the same
postback or referral of one person at one time: Meta re-sends what was not answered 200
within 20 seconds) changes nothing. Handling only writes to the database, so the answer
is fast.

Events: a message (an answer, a tapped quick reply, a message on a case), a postback (Get
Started, with the m.me link's `ref` when it came through one), a referral (an m.me link
opened in an existing chat), a messaging_feedback (the feedback template answered: the
score and comment answer the survey its question id names); echoes of our own messages,
deliveries and reads are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse

from bot.channels.messenger import CHANNEL
from bot.storable_text import without_nul
from bot.storage.once import EventNotHandled
from bot.surveys.conversation import Contact, TemplateRating

if TYPE_CHECKING:
    from bot.channels.messenger.connection import MessengerConnection

router = APIRouter()

SIGNATURE_HEADER = b"x-hub-signature-256"
GET_STARTED = "GET_STARTED"  # the Get Started button's payload (set in the Page's profile)
ID_LIMIT = 120  # kept as is up to this; a longer id is kept as its digest
REF_LIMIT = 200
# What Meta lets a ref and a question id be (letters, digits, - _ =); anything else is not
# one of ours, and never reaches the database.
SAFE_REF = re.compile(rf"[A-Za-z0-9_=-]{{1,{REF_LIMIT}}}")
SAFE_ID = re.compile(r"[A-Za-z0-9_]{1,80}")


def signature(app_secret: str, raw_body: bytes) -> str:
    digest = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _connection(request: Request) -> MessengerConnection:
    messenger: MessengerConnection | None = request.app.state.services.connections.get(CHANNEL)
    if messenger is None:
        raise HTTPException(404, "the Messenger channel is off")
    return messenger


@router.get("/messenger/webhook", include_in_schema=False)
async def verify(request: Request) -> PlainTextResponse:
    messenger = _connection(request)
    query = request.query_params
    token = query.get("hub.verify_token") or ""
    challenge = query.get("hub.challenge") or ""
    matches = hmac.compare_digest(token.encode(), messenger.verify_token.encode())
    if query.get("hub.mode") != "subscribe" or not matches or not challenge:
        raise HTTPException(403, "not a verification request with our verify token")
    return PlainTextResponse(challenge[:REF_LIMIT])


@router.post("/messenger/webhook", include_in_schema=False)
async def events(request: Request) -> dict[str, Any]:
    messenger = _connection(request)
    given = dict(request.scope["headers"]).get(SIGNATURE_HEADER)
    if not given:
        raise HTTPException(401, "unsigned: X-Hub-Signature-256 is missing")
    raw = await request.body()
    expected = signature(messenger.app_secret, raw)
    if not hmac.compare_digest(given, expected.encode()):
        raise HTTPException(403, "wrong signature")
    body = _page_events(raw)
    messenger.saw_webhook()
    try:
        for event in _in_order(body.get("entry") or []):
            await handle(messenger, event)
    except EventNotHandled:
        raise HTTPException(503, "not handled; retry") from None
    return {"ok": True}


def _page_events(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise HTTPException(400, "the body is not JSON") from None
    if not isinstance(data, dict) or data.get("object") != "page":
        raise HTTPException(400, "not a Messenger event: expected a Page's JSON object")
    if not isinstance(data.get("entry") or [], list):
        raise HTTPException(400, "not a Messenger event: entry is not a list")
    return data


def _in_order(entries: list[Any]) -> list[dict[str, Any]]:
    """Every event of every entry, oldest first (Meta's re-sends may come out of order)."""
    events = [
        event
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("messaging"), list)
        for event in entry["messaging"]
        if isinstance(event, dict)
    ]
    return sorted(events, key=lambda event: _timestamp(event) or 0)


def _timestamp(event: dict[str, Any]) -> int | None:
    when = event.get("timestamp")
    return when if isinstance(when, int) and not isinstance(when, bool) else None


async def handle(messenger: MessengerConnection, event: dict[str, Any]) -> None:
    psid = _id(event.get("sender"))
    if psid is None:
        return
    contact = Contact(CHANNEL, psid)
    conversation = messenger.parts.conversation
    when = _timestamp(event)
    moment = str(when) if when is not None and 0 <= when < 10**15 else None
    message, postback, referral = (
        event.get("message"),
        event.get("postback"),
        event.get("referral"),
    )
    if isinstance(message, dict) and not message.get("is_echo"):
        mid = message.get("mid")
        text = _reply_text(message)
        if not isinstance(mid, str) or not mid:
            return
        if text is not None:
            await messenger.once(
                _key("mid", mid),
                lambda: conversation.typed(
                    contact, text, message_id=_key("mid", mid), start_walk_in=True
                ),
            )
        else:  # a like, a sticker, a photo: no answer, but their window is open again
            await messenger.once(_key("mid", mid), lambda: conversation.interacted(contact))
    elif isinstance(postback, dict) and moment is not None:
        ref = _ref(postback.get("referral"))
        payload = postback.get("payload")
        work: Callable[[], Awaitable[object]] | None = None
        if ref is not None:
            work = partial(conversation.open_link, contact, ref)
        elif payload == GET_STARTED:
            work = partial(conversation.walk_in, contact)
        elif isinstance(postback.get("title"), str):
            title = without_nul(postback["title"])
            work = partial(conversation.typed, contact, title)
        if work is not None:
            await messenger.once(_key("postback", f"{psid}:{moment}"), work)
    elif isinstance(event.get("messaging_feedback"), dict):
        for rating in feedback_ratings(event["messaging_feedback"], psid):
            await messenger.once(
                _key("feedback", rating.message_id), partial(conversation.rated, CHANNEL, rating)
            )
    elif isinstance(referral, dict) and moment is not None:
        ref = _ref(referral)
        if ref is not None:
            await messenger.once(
                _key("referral", f"{psid}:{moment}"), partial(conversation.open_link, contact, ref)
            )


SCALES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
COMMENT_LIMIT = 400  # Meta's free-form follow-up


def feedback_ratings(feedback: dict[str, Any], psid: str | None = None) -> list[TemplateRating]:
    """The answers in a messaging_feedback event, one per question: it carries no mid, and
    the question id is our tracking id (each template sent has its own)."""
    ratings: list[TemplateRating] = []
    screens = feedback.get("feedback_screens")
    for screen in screens if isinstance(screens, list) else []:
        questions = screen.get("questions") if isinstance(screen, dict) else None
        for question_id, answer in (questions if isinstance(questions, dict) else {}).items():
            rating = _question_rating(question_id, answer, psid)
            if rating is not None:
                ratings.append(rating)
    return ratings


def _question_rating(question_id: Any, answer: Any, psid: str | None) -> TemplateRating | None:
    if not isinstance(question_id, str) or not SAFE_ID.fullmatch(question_id):
        return None
    if not isinstance(answer, dict) or answer.get("type") not in SCALES:
        return None
    payload = answer.get("payload")
    if isinstance(payload, str) and payload.isascii() and payload.isdigit() and len(payload) < 3:
        payload = int(payload)
    if not isinstance(payload, int) or isinstance(payload, bool):
        return None
    follow_up = answer.get("follow_up")
    comment = follow_up.get("payload") if isinstance(follow_up, dict) else None
    return TemplateRating(
        message_id=question_id,
        tracking_id=question_id,
        stars=payload,
        note=without_nul(comment)[:COMMENT_LIMIT] if isinstance(comment, str) else "",
        scale=SCALES[answer["type"]],
        address=psid,
    )


def _reply_text(message: dict[str, Any]) -> str | None:
    """A tapped quick reply's payload (our label), else the typed text."""
    quick = message.get("quick_reply")
    payload = quick.get("payload") if isinstance(quick, dict) else None
    text = payload if isinstance(payload, str) and payload else message.get("text")
    return without_nul(text) if isinstance(text, str) else None


def _ref(referral: Any) -> str | None:
    ref = referral.get("ref") if isinstance(referral, dict) else None
    if not isinstance(ref, str) or not SAFE_REF.fullmatch(ref):
        return None
    return ref


def _id(holder: Any) -> str | None:
    value = holder.get("id") if isinstance(holder, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    return value if len(value) <= 64 else None


def _key(kind: str, value: str) -> str:
    if len(value) > ID_LIMIT or not value.isprintable():
        value = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{kind}:{value}"
