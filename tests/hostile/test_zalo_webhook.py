"""The Zalo webhook against hostile bodies that are correctly signed (a leaked OA secret, or
Zalo sending something new): a clear 4xx or a plain 200, never a 5xx, nothing stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.channels.zalo.webhook import signature
from bot.storage.models import Customer

APP_ID, OA_SECRET = "4291763606161179100", "oa-secret"
ZALO = {"zalo_app_id": APP_ID, "zalo_app_secret": "s", "zalo_oa_secret": OA_SECRET}


def signed(body: bytes, timestamp: str = "1700000000000") -> dict[str, str]:
    return {
        "X-ZEvent-Signature": signature(APP_ID, body, timestamp, OA_SECRET),
        "Content-Type": "application/json",
    }


def event(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "app_id": APP_ID,
        "event_name": "user_send_text",
        "timestamp": "1700000000000",
        "sender": {"id": "5001"},
        "recipient": {"id": "oa-1"},
        "message": {"text": "hi", "msg_id": "m-1"},
    }
    return base | changes


def feedback(**changes: Any) -> dict[str, Any]:
    message = {
        "note": "",
        "rate": 2,
        "submit_time": "1700000000000",
        "msg_id": "rated-1",
        "feedbacks": ["Giao hàng trễ"],
        "tracking_id": "1",
    } | changes
    return event(event_name="user_feedback", message=message)


HOSTILE: dict[str, Any] = {
    "sender id a number beyond 64 bits": event(sender={"id": 2**70}),
    "sender id an object": event(sender={"id": {"a": 1}}),
    "sender a list": event(sender=["5001"]),
    "sender id over-long": event(sender={"id": "9" * 5000}),
    "text a number": event(message={"text": 5, "msg_id": "m-2"}),
    "text with NUL": event(message={"text": "a\x00b", "msg_id": "m-3"}),
    "text over-long": event(message={"text": "x" * 100_000, "msg_id": "m-4"}),
    "msg_id a list": event(message={"text": "hi", "msg_id": ["m"]}),
    "msg_id over-long": event(message={"text": "hi", "msg_id": "m" * 5000}),
    "message missing": {k: v for k, v in event().items() if k != "message"},
    "unknown event": event(event_name="user_send_sticker"),
    "event name an object": event(event_name={"x": 1}),
    "follow without follower": event(event_name="follow"),
    "unfollow of a stranger": event(event_name="unfollow", follower={"id": "777"}),
    "deep": event(message=json.loads("[" * 500 + "]" * 500)),
    "timestamp of 40 digits": event(timestamp="1" * 40),
    "follow with a huge timestamp": event(
        event_name="follow", follower={"id": "5001"}, timestamp="9" * 40
    ),
    # A rating names only a message: ours or not, sane or not, it must never be a 500.
    "rating of a message that is not ours": feedback(msg_id="zz", tracking_id="987654321"),
    "rating with a tracking id beyond 64 bits": feedback(tracking_id="9" * 40),
    "rating with a shop's own tracking id beyond 32 bits": feedback(tracking_id="3000000000"),
    "rating with our tracking id beyond 32 bits": feedback(tracking_id="sb3000000000"),
    "rating with a tracking id an object": feedback(tracking_id={"a": 1}),
    "rating of 0 stars": feedback(rate=0),
    "rating of 99 stars": feedback(rate=99),
    "rating as text": feedback(rate="five"),
    "rating a boolean": feedback(rate=True),
    "rating with reasons not text": feedback(feedbacks=[1, {"a": 2}, None]),
    "rating with a thousand reasons": feedback(feedbacks=["x" * 500] * 1000),
    "rating with a NUL note": feedback(note="a\x00b" * 10_000),
    "rating without a message id": feedback(msg_id=None),
    "rating with a message a list": event(event_name="user_feedback", message=[1]),
}


@pytest.mark.parametrize("label", sorted(HOSTILE))
async def test_a_signed_hostile_event_gets_a_clear_answer(make_client, label):
    client = await make_client(**ZALO)
    body = json.dumps(HOSTILE[label]).encode()
    answer = await client.post("/zalo/webhook", content=body, headers=signed(body))
    assert answer.status_code in (200, 400), answer.text


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe", b"[1, 2]", b"null", b"[" * 100_000 + b"]" * 100_000],
    ids=["not JSON", "not UTF-8", "a list", "null", "deep arrays"],
)
async def test_a_signed_body_that_is_not_an_event_is_a_400(make_client, body):
    client = await make_client(**ZALO)
    answer = await client.post("/zalo/webhook", content=body, headers=signed(body))
    assert answer.status_code in (400, 403), answer.text  # 403: no timestamp to check it by


async def test_a_timestamp_that_is_not_text_is_refused_as_unsigned(make_client):
    client = await make_client(**ZALO)
    body = json.dumps(event(timestamp={"a": 1})).encode()
    answer = await client.post("/zalo/webhook", content=body, headers=signed(body))
    assert answer.status_code == 403


async def test_a_stranger_writing_becomes_a_walk_in_once(make_client):
    client = await make_client(**ZALO)
    body = json.dumps(event()).encode()
    for _ in range(2):  # a retry by Zalo
        answer = await client.post("/zalo/webhook", content=body, headers=signed(body))
        assert answer.status_code == 200
    runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.db.reading() as tx:
        customers = await tx.session.scalar(select(func.count()).select_from(Customer))
    assert customers == 1
