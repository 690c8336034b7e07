"""Vouchers at the till over HTTP: look-up, redeem once, 409 with when, 410, 404, 401."""

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.storage.models import Voucher
from bot.surveys.conversation import Contact
from tests.http_client import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}


async def voucher_code(client) -> str:
    """A promoter walks in, answers everything and gets the thank-you voucher."""
    runtime = client._transport.app.state.runtime
    lan = Contact("telegram", "5", name="Lan", language="en")
    await runtime.conversation.walk_in(lan)
    for visit, value in enumerate(("5", "10", "7"), start=1):
        assert await runtime.conversation.press(lan, 1, visit, value) == ""
    assert await runtime.conversation.skip(lan, 1, 4) == ""
    async with runtime.db.reading() as tx:
        return (await tx.session.execute(select(Voucher.code))).scalar_one()


async def test_look_up_then_redeem_once(client):
    code = await voucher_code(client)
    found = await client.get(f"/api/v1/vouchers/{code.lower()}", headers=AUTH)
    assert found.status_code == 200
    body = found.json()
    assert (body["code"], body["campaign"], body["status"], body["percent"]) == (
        code,
        "thank_you",
        "valid",
        10,
    )
    first = await client.post(
        f"/api/v1/vouchers/{code}/redeem", json={"order_id": "POS-1"}, headers=AUTH
    )
    assert first.status_code == 200 and first.json()["status"] == "redeemed"
    again = await client.post(
        f"/api/v1/vouchers/{code}/redeem", json={"order_id": "POS-2"}, headers=AUTH
    )
    assert again.status_code == 409
    detail = again.json()["detail"]
    assert detail["redeemed_order"] == "POS-1" and detail["redeemed_at"]
    assert (await client.get(f"/api/v1/vouchers/{code}", headers=AUTH)).json()[
        "status"
    ] == "redeemed"


async def test_concurrent_redemptions_give_exactly_one_200(client):
    code = await voucher_code(client)
    responses = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/vouchers/{code}/redeem", json={"order_id": f"POS-{n}"}, headers=AUTH
            )
            for n in range(50)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 49


async def test_expired_unknown_unauthorised_and_bad_bodies(make_client):
    clock = ManualClock()
    client = await make_client(clock=clock)
    code = await voucher_code(client)
    unknown = await client.post(
        "/api/v1/vouchers/NOPE-123/redeem", json={"order_id": "POS-1"}, headers=AUTH
    )
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    assert (await client.get("/api/v1/vouchers/NOPE-123", headers=AUTH)).status_code == 404
    assert (await client.get(f"/api/v1/vouchers/{code}")).status_code == 401
    missing = await client.post(f"/api/v1/vouchers/{code}/redeem", json={}, headers=AUTH)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["field"] == "order_id"
    clock.advance(timedelta(days=31))
    expired = await client.post(
        f"/api/v1/vouchers/{code}/redeem", json={"order_id": "POS-1"}, headers=AUTH
    )
    assert expired.status_code == 410
    assert expired.json()["detail"]["expires_at"]


@pytest.mark.parametrize("order_id", ["POS\x00-1", "\ud800"])
async def test_an_order_id_that_cannot_be_stored_is_a_422_and_the_voucher_stays_valid(
    client, order_id
):
    code = await voucher_code(client)
    response = await client.post(
        f"/api/v1/vouchers/{code}/redeem",
        content=json.dumps({"order_id": order_id}),  # a lone surrogate as its JSON escape
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "order_id"
    found = await client.get(f"/api/v1/vouchers/{code}", headers=AUTH)
    assert found.json()["status"] == "valid"
