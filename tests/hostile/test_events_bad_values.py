"""POST /api/v1/events with values the storage cannot hold: each is a 422 naming the field,
never a 5xx, on SQLite and PostgreSQL (validation matches the columns)."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.clock import ManualClock
from tests.harness import event_body as base_event_body
from tests.http_client import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 in Ho Chi Minh City


def event_body(**changes: Any) -> dict[str, Any]:
    """A valid event from an hour ago, with a segment; `customer__name=...` changes a field."""
    fresh = {"occurred_at": (NOW - timedelta(hours=1)).isoformat()}
    return base_event_body(
        **{"id": "evt-1", "customer__attributes": {"tier": "gold"}, **fresh, **changes}
    )


@pytest.fixture
async def api(make_client):
    return await make_client(ManualClock(NOW))


NUL = "a\u0000b"
LONE_SURROGATE = "a\ud800b"  # valid JSON (an escape), not encodable as UTF-8

HOSTILE = [
    # (changes, the field the 422 must name)
    ({"customer__telegram_chat_id": 2**63}, "customer.telegram_chat_id"),
    ({"customer__telegram_chat_id": 2**64 + 1}, "customer.telegram_chat_id"),
    ({"customer__telegram_chat_id": 10**30}, "customer.telegram_chat_id"),
    ({"order__items": [{"qty": 2**64}]}, "order.items[0].qty"),
    ({"order__amount": 10**20}, "order.amount"),
    ({"customer__attributes": {"score": 2**63}}, "customer.attributes.score"),
    ({"customer__attributes": {"score": -(2**63) - 1}}, "customer.attributes.score"),
    ({"customer__attributes": {"score": 10**40}}, "customer.attributes.score"),
    ({"customer__attributes": {"k" * 65: 1}}, "customer.attributes"),
    ({"customer__attributes": {"": 1}}, "customer.attributes"),
    ({"customer__attributes": {"note": "x" * 257}}, "customer.attributes.note"),
    ({"id": "e" * 129}, "id"),
    ({"type": "order." + "d" * 60}, "type"),
    ({"order__id": "o" * 129}, "order.id"),
    ({"order__store": "s" * 65}, "order.store"),
    ({"order__items": [{"sku": "k" * 65}]}, "order.items[0].sku"),
    ({"order__items": [{"name": "n" * 201}]}, "order.items[0].name"),
    ({"customer__id": "c" * 129}, "customer.id"),
    ({"customer__name": "n" * 201}, "customer.name"),
    ({"customer__timezone": "Asia/" + "x" * 60}, "customer.timezone"),
    ({"customer__locale": "vi-VN-x" * 3}, "customer.locale"),
    ({"id": NUL}, "id"),
    ({"type": "order.\u0000"}, "type"),
    ({"order__id": NUL}, "order.id"),
    ({"order__store": NUL}, "order.store"),
    ({"order__currency": "V\u0000D"}, "order.currency"),
    ({"order__items": [{"sku": NUL}]}, "order.items[0].sku"),
    ({"order__items": [{"name": NUL}]}, "order.items[0].name"),
    ({"customer__id": NUL}, "customer.id"),
    ({"customer__name": NUL}, "customer.name"),
    ({"customer__locale": "v\u0000"}, "customer.locale"),
    ({"customer__timezone": "Asia/Ho_Chi\u0000"}, "customer.timezone"),
    ({"customer__attributes": {"no\u0000te": 1}}, "customer.attributes"),
    ({"customer__attributes": {"note": NUL}}, "customer.attributes.note"),
    ({"customer__name": LONE_SURROGATE}, "customer.name"),
    ({"order__items": [{"name": LONE_SURROGATE}]}, "order.items[0].name"),
    ({"customer__attributes": {"note": LONE_SURROGATE}}, "customer.attributes.note"),
    ({"customer__attributes": {LONE_SURROGATE: 1}}, "customer.attributes"),
    ({"occurred_at": "9999-12-31T23:59:59Z"}, "occurred_at"),
    ({"occurred_at": "9999-12-31T23:00:00-14:00"}, "occurred_at"),
    ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at"),
    ({"occurred_at": "1900-01-01T00:00:00Z"}, "occurred_at"),
    ({"occurred_at": "2062-01-01T00:00:00Z"}, "occurred_at"),
]


@pytest.mark.parametrize(("changes", "field"), HOSTILE, ids=[repr(c)[:60] for c, _ in HOSTILE])
async def test_a_value_the_storage_cannot_hold_is_422_naming_the_field(api, changes, field):
    content = json.dumps(event_body(**changes)).encode()  # escapes NUL and surrogates
    response = await api.post(
        "/api/v1/events", content=content, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    assert any(problem["field"].startswith(field) for problem in body["detail"]), body


NOT_FINITE = ["NaN", "Infinity", "-Infinity", "1e400"]


@pytest.mark.parametrize("number", NOT_FINITE)
async def test_a_number_that_is_not_finite_in_attributes_is_422(api, number):
    content = json.dumps(event_body(customer__attributes={"score": "@"})).replace('"@"', number)
    response = await api.post(
        "/api/v1/events", content=content, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == "customer.attributes.score"


@pytest.mark.parametrize("number", NOT_FINITE)
async def test_an_amount_that_is_not_finite_is_422(api, number):
    content = json.dumps(event_body(order__amount="@")).replace('"@"', number)
    response = await api.post(
        "/api/v1/events", content=content, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == "order.amount"


async def test_the_largest_values_the_storage_holds_are_accepted(api):
    body = event_body(
        id="e" * 128,
        type="order." + "d" * 58,
        order__id="o" * 128,
        order__store="s" * 64,
        order__items=[{"sku": "k" * 64, "name": "n" * 200, "qty": 1_000_000}],
        order__amount="99999999999999.99",
        customer__id="c" * 128,
        customer__name="n" * 200,
        customer__telegram_chat_id=2**63 - 1,
        customer__attributes={"k" * 64: "v" * 256, "big": 2**63 - 1, "small": -(2**63)},
    )
    response = await api.post("/api/v1/events", json=body, headers=AUTH)
    assert response.status_code == 202, response.text
