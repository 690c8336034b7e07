"""The Messenger webhook: Meta's handshake, the signature first, then Page events that are
hostile but correctly signed (a leaked app secret, or Meta sending something new): a clear
4xx or a plain 200, never a 5xx, and a re-sent event changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.channels.messenger.webhook import signature
from bot.storage.models import Customer, OutboxMessage

APP_SECRET, VERIFY = "app-secret", "verify-token"
MESSENGER = {
    "messenger_page_id": "104857600000001",
    "messenger_page_token": "page-token",
    "messenger_app_secret": APP_SECRET,
    "messenger_verify_token": VERIFY,
}
PSID = "24681357900001"


def signed(body: bytes) -> dict[str, str]:
    return {"X-Hub-Signature-256": signature(APP_SECRET, body), "Content-Type": "application/json"}


def page(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "page",
        "entry": [{"id": MESSENGER["messenger_page_id"], "time": 1, "messaging": list(events)}],
    }


def text(mid: str = "m_1", body: str = "hi", psid: str = PSID) -> dict[str, Any]:
    return {
        "sender": {"id": psid},
        "recipient": {"id": MESSENGER["messenger_page_id"]},
        "timestamp": 1764590000000,
        "message": {"mid": mid, "text": body},
    }


async def test_the_handshake_echoes_the_challenge_only_with_our_verify_token(make_client):
    client = await make_client(**MESSENGER)
    ours = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    answer = await client.get("/messenger/webhook", params=ours)
    assert (answer.status_code, answer.text) == (200, "1158201444")
    for wrong in ({**ours, "hub.verify_token": "guess"}, {**ours, "hub.mode": "unsubscribe"}, {}):
        assert (await client.get("/messenger/webhook", params=wrong)).status_code == 403


async def test_an_unsigned_or_forged_post_changes_nothing(make_client):
    client = await make_client(**MESSENGER)
    body = json.dumps(page(text())).encode()
    unsigned = await client.post("/messenger/webhook", content=body)
    forged = await client.post(
        "/messenger/webhook", content=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}
    )
    other_key = await client.post(
        "/messenger/webhook",
        content=body,
        headers={"X-Hub-Signature-256": signature("not-our-secret", body)},
    )
    assert (unsigned.status_code, forged.status_code, other_key.status_code) == (401, 403, 403)
    runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.db.reading() as tx:
        assert await tx.session.scalar(select(func.count()).select_from(Customer)) == 0


async def test_a_batch_is_handled_event_by_event_and_a_resend_changes_nothing(make_client):
    client = await make_client(**MESSENGER)
    body = json.dumps(page(text("m_1", psid=PSID), text("m_2", psid="24681357900002"))).encode()
    for _ in range(2):  # Meta re-sends what was not answered 200 in time
        answer = await client.post("/messenger/webhook", content=body, headers=signed(body))
        assert answer.status_code == 200
    runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
    async with runtime.db.reading() as tx:
        assert await tx.session.scalar(select(func.count()).select_from(Customer)) == 2
        replies = await tx.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.channel == "messenger")
        )
    assert replies == 2  # one "no survey open" each, not two


HOSTILE: dict[str, Any] = {
    "not a page": {"object": "user", "entry": []},
    "entry not a list": {"object": "page", "entry": {"a": 1}},
    "entry items not objects": {"object": "page", "entry": [1, "x", None]},
    "messaging not a list": {"object": "page", "entry": [{"messaging": "x"}]},
    "sender id a number beyond 64 bits": page(text() | {"sender": {"id": 2**70}}),
    "sender id not digits": page(text() | {"sender": {"id": "abc"}}),
    "sender id over-long": page(text() | {"sender": {"id": "9" * 5000}}),
    "text a number": page(text() | {"message": {"mid": "m_3", "text": 5}}),
    "text with NUL": page(text("m_4", "a\x00b")),
    "text over-long": page(text("m_5", "x" * 100_000)),
    "mid over-long": page(text("m" * 5000)),
    "mid a list": page(text() | {"message": {"mid": ["m"], "text": "hi"}}),
    "an echo": page(text() | {"message": {"mid": "m_6", "text": "hi", "is_echo": True}}),
    "quick reply payload an object": page(
        text() | {"message": {"mid": "m_7", "text": "5", "quick_reply": {"payload": {"a": 1}}}}
    ),
    "postback without a timestamp": page(
        {"sender": {"id": PSID}, "postback": {"payload": "GET_STARTED"}}
    ),
    "postback ref over-long": page(
        {
            "sender": {"id": PSID},
            "timestamp": 1,
            "postback": {"payload": "GET_STARTED", "referral": {"ref": "x" * 5000}},
        }
    ),
    "referral to an unknown survey": page(
        {"sender": {"id": PSID}, "timestamp": 2, "referral": {"ref": "no-such-token"}}
    ),
    "referral ref an object": page(
        {"sender": {"id": PSID}, "timestamp": 3, "referral": {"ref": {"a": 1}}}
    ),
    "deep": {"object": "page", "entry": json.loads("[" * 500 + "]" * 500)},
    "messaging a number": {"object": "page", "entry": [{"messaging": 5}]},
    "messaging true": {"object": "page", "entry": [{"messaging": True}]},
    "postback at a huge time": page(
        {"sender": {"id": PSID}, "timestamp": 9 * 10**40, "postback": {"payload": "GET_STARTED"}}
    ),
    "referral ref with NUL": page(
        {"sender": {"id": PSID}, "timestamp": 4, "referral": {"ref": "abc\x00def"}}
    ),
    "feedback with a NUL question id": page(
        {
            "sender": {"id": PSID},
            "messaging_feedback": {
                "feedback_screens": [{"questions": {"sb1\x00": {"type": "nps", "payload": "3"}}}]
            },
        }
    ),
    "feedback for a message that is not ours": page(
        {
            "sender": {"id": PSID},
            "messaging_feedback": {
                "feedback_screens": [{"questions": {"sb999999": {"type": "csat", "payload": 9}}}]
            },
        }
    ),
    "a sticker": page(text() | {"message": {"mid": "m_9", "attachments": [{"type": "image"}]}}),
}


@pytest.mark.parametrize("label", sorted(HOSTILE))
async def test_a_signed_hostile_event_gets_a_clear_answer(make_client, label):
    client = await make_client(**MESSENGER)
    body = json.dumps(HOSTILE[label]).encode()
    answer = await client.post("/messenger/webhook", content=body, headers=signed(body))
    assert answer.status_code in (200, 400), answer.text


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe", b"[1, 2]", b"null"],
    ids=["not JSON", "bytes", "list", "null"],
)
async def test_a_signed_body_that_is_not_a_page_event_is_a_400(make_client, body):
    client = await make_client(**MESSENGER)
    answer = await client.post("/messenger/webhook", content=body, headers=signed(body))
    assert answer.status_code == 400, answer.text
