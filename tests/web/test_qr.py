"""GET /qr/<token>.png: a code only while the survey can still be answered."""

from datetime import timedelta

from bot.domain.clock import ManualClock
from tests.web.conftest import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}


async def qr_path(client, event_id="evt-qr") -> str:
    runtime = client._transport.app.state.runtime
    response = await client.post(
        "/api/v1/events",
        headers=AUTH,
        json={
            "id": event_id,
            "type": "order.delivered",
            "occurred_at": runtime.clock.now().isoformat(),
            "order": {"id": f"SO-{event_id}"},
            "customer": {"id": f"C-{event_id}", "locale": "en"},
        },
    )
    assert response.status_code == 202, response.text
    return str(response.json()["surveys"][0]["qr_code"]).replace("https://surveys.shop.test", "")


async def test_the_code_of_an_expired_survey_is_gone(make_client):
    clock = ManualClock()
    client = await make_client(clock)
    runtime = client._transport.app.state.runtime
    path = await qr_path(client)
    assert (await client.get(path)).status_code == 200
    clock.advance(timedelta(days=4))  # past the flow's `expire: 3d`
    assert await runtime.timers.run_due() >= 1
    response = await client.get(path)
    assert response.status_code == 410
    assert response.json() == {"error": "gone", "detail": "this survey is closed"}


async def test_the_code_of_a_completed_survey_is_gone(client):
    runtime = client._transport.app.state.runtime
    path = await qr_path(client, "evt-qr-done")
    token = path.removeprefix("/qr/").removesuffix(".png")
    async with runtime.db.transaction() as tx:
        survey = await tx.surveys.by_token(token)
        survey.status = "completed"
    assert (await client.get(path)).status_code == 410


async def test_the_code_of_a_survey_past_its_expiry_is_gone_before_the_timer_fires(make_client):
    clock = ManualClock()
    client = await make_client(clock)
    path = await qr_path(client, "evt-qr-late")
    clock.advance(timedelta(days=30))
    response = await client.get(path)
    assert response.status_code == 410 and response.json()["error"] == "gone"
