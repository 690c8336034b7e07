"""POST /telegram/webhook under attack: a forged secret header or a body that is not a
Telegram update is refused with a 4xx, never a 500."""

import pytest

from tests.channels.telegram.test_webhook import UPDATE, WEBHOOK

SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}


@pytest.mark.parametrize("given", ["sécret".encode(), "ß3cret".encode(), b"\xff\xfe", b"s3cre"])
async def test_a_secret_header_that_is_not_ours_is_403(make_client, given):
    client = await make_client(**WEBHOOK)
    response = await client.post(
        "/telegram/webhook", json=UPDATE, headers=[(b"X-Telegram-Bot-Api-Secret-Token", given)]
    )
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "detail": "wrong secret token"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"foo": 1}',
        b"[1]",
        b'"update"',
        b"null",
        b'{"update_id": "ten"}',
        b'{"update_id": 10, "message": {"text": 5}}',
    ],
)
async def test_json_that_is_not_an_update_is_400(make_client, body):
    client = await make_client(**WEBHOOK)
    response = await client.post(
        "/telegram/webhook",
        content=body,
        headers={**SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_request"
    assert "update" in str(response.json()["detail"])


async def test_a_body_that_is_not_json_is_400(make_client):
    client = await make_client(**WEBHOOK)
    response = await client.post("/telegram/webhook", content=b"\xff{", headers=SECRET)
    assert response.status_code == 400
    assert response.json() == {"error": "bad_request", "detail": "the body is not JSON"}


async def test_an_update_id_beyond_64_bits_is_400(make_client):
    client = await make_client(**WEBHOOK)
    response = await client.post(
        "/telegram/webhook", json={**UPDATE, "update_id": 2**70}, headers=SECRET
    )
    assert response.status_code == 400


async def test_a_real_update_is_still_handled(make_client):
    client = await make_client(**WEBHOOK)
    response = await client.post("/telegram/webhook", json=UPDATE, headers=SECRET)
    assert response.status_code == 200 and response.json() == {"ok": True}
