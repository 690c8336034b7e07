"""POST /api/v1/events over HTTP: status codes, bodies, and errors that name the field."""

import io
from datetime import UTC, datetime

import pytest
import segno

from bot.clock import ManualClock
from tests.harness import event_body
from tests.http_client import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # two hours after the event below


@pytest.fixture
async def client(make_client):
    return await make_client(ManualClock(NOW))


def event(**changes):
    return event_body(**{"order__items__0__name": "...", **changes})


async def test_a_new_event_is_accepted_with_its_surveys(client):
    response = await client.post("/api/v1/events", json=event(), headers=AUTH)
    assert response.status_code == 202
    body = response.json()
    assert body["event_id"] == "evt-123"
    (survey,) = body["surveys"]
    assert survey["flow"] == "post_purchase"
    assert survey["status"] == "scheduled"
    assert survey["telegram_link"] is None  # Telegram is off in this test
    assert survey["web_link"].startswith("https://surveys.shop.test/s/")


async def test_a_repeat_is_200_with_the_same_body(client):
    first = await client.post("/api/v1/events", json=event(), headers=AUTH)
    again = await client.post("/api/v1/events", json=event(), headers=AUTH)
    assert again.status_code == 200
    assert again.json() == first.json()


async def test_the_same_id_with_another_body_is_409(client):
    await client.post("/api/v1/events", json=event(), headers=AUTH)
    response = await client.post("/api/v1/events", json=event(order__amount=1), headers=AUTH)
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"customer__timezone": "Mars/Olympus"}, "customer.timezone", "not an IANA timezone"),
        ({"occurred_at": "2026-11-20T08:00:00"}, "occurred_at", "timezone"),
        ({"customer__telegram_chatid": 5}, "customer.telegram_chatid", "Extra inputs"),
        ({"order__currency": "dong"}, "order.currency", "pattern"),
        ({"order__items": [{"qty": -1}]}, "order.items[0].qty", "greater than or equal to 0"),
        ({"type": "Order Delivered"}, "type", "pattern"),
        ({"order__amount": "lots"}, "order.amount", "decimal"),
    ],
)
async def test_an_invalid_body_is_422_naming_the_field(client, changes, field, message):
    response = await client.post("/api/v1/events", json=event(**changes), headers=AUTH)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert any(d["field"] == field and message in d["message"] for d in body["detail"]), body


async def test_a_missing_field_is_named(client):
    body = event()
    del body["customer"]["id"]
    response = await client.post("/api/v1/events", json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "customer.id", "message": "Field required"}]


async def test_broken_json_is_422_not_500(client):
    response = await client.post(
        "/api/v1/events", content=b"{nope", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 422


@pytest.mark.parametrize("header", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "x"}])
async def test_without_a_valid_key_it_is_401(client, header):
    response = await client.post("/api/v1/events", json=event(), headers=header)
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


async def test_a_second_configured_key_works(client):
    response = await client.post(
        "/api/v1/events", json=event(), headers={"Authorization": "Bearer test-key-2"}
    )
    assert response.status_code == 202


async def test_with_no_key_configured_writes_are_refused_and_say_why(make_client):
    client = await make_client(api_keys=None)
    response = await client.post("/api/v1/events", json=event(), headers=AUTH)
    assert response.status_code == 403
    assert "SURVEYBOT_API_KEYS" in response.json()["detail"]


async def test_the_api_is_documented(client):
    assert (await client.get("/docs")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/events" in spec["paths"]
    assert "409" in spec["paths"]["/api/v1/events"]["post"]["responses"]


async def test_qr_code_of_a_survey_link(client):
    body = (await client.post("/api/v1/events", json=event(), headers=AUTH)).json()
    response = await client.get(
        body["surveys"][0]["qr_code"].replace("https://surveys.shop.test", "")
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


async def test_a_qr_code_can_open_the_web_chat(client):
    survey = (await client.post("/api/v1/events", json=event(), headers=AUTH)).json()["surveys"][0]
    path = survey["qr_code"].replace("https://surveys.shop.test", "")
    web = await client.get(path, params={"to": "web"})
    expected = io.BytesIO()
    segno.make(survey["web_link"], error="m").save(expected, kind="png", scale=8, border=4)
    assert web.status_code == 200 and web.content == expected.getvalue()
    # No bot nor Page here: those codes cannot be made, and a made-up target is named.
    assert (await client.get(path, params={"to": "telegram"})).status_code == 404
    assert (await client.get(path, params={"to": "messenger"})).status_code == 404
    wrong = await client.get(path, params={"to": "fax"})
    assert wrong.status_code == 422 and "to" in wrong.text


async def test_qr_code_of_an_unknown_token_is_404(client):
    response = await client.get("/qr/nope.png")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_an_oversized_body_is_413_before_it_is_read(client):
    huge = b'{"id": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = await client.post(
        "/api/v1/events", content=huge, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


async def test_an_oversized_chunked_body_is_413_too(client):
    async def chunks():
        for _ in range(40):
            yield b"x" * 64 * 1024

    response = await client.post(
        "/api/v1/events", content=chunks(), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_fifty_identical_requests_at_once_make_one_survey(client):
    import asyncio

    responses = await asyncio.gather(
        *(client.post("/api/v1/events", json=event(), headers=AUTH) for _ in range(50))
    )
    assert sorted(r.status_code for r in responses) == [200] * 49 + [202]
    assert len({r.text for r in responses}) == 1


async def test_with_the_page_connected_a_code_opens_the_survey_in_messenger(make_client):
    client = await make_client(
        ManualClock(NOW),
        messenger_page_id="104857600000001",
        messenger_page_token="t",
        messenger_app_secret="a",
        messenger_verify_token="v",
    )
    survey = (await client.post("/api/v1/events", json=event(), headers=AUTH)).json()["surveys"][0]
    token = survey["web_link"].rsplit("/", 1)[1]
    assert survey["messenger_link"] == f"https://m.me/104857600000001?ref={token}"
    path = survey["qr_code"].replace("https://surveys.shop.test", "")
    auto = await client.get(path)  # no Telegram bot: the Page's chat
    expected = io.BytesIO()
    segno.make(survey["messenger_link"], error="m").save(expected, kind="png", scale=8, border=4)
    assert auto.status_code == 200 and auto.content == expected.getvalue()
