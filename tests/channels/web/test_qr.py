"""GET /qr/<token>.png: a code only while the survey can still be answered."""

from datetime import timedelta

from bot.clock import ManualClock
from tests.http_client import web_survey


async def qr_path(client, event_id="evt-qr", age=timedelta(0)) -> str:
    return f"/qr/{await web_survey(client, event_id, age=age)}.png"


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


async def test_the_code_and_the_page_of_a_stale_survey_are_closed_from_the_start(make_client):
    client = await make_client(ManualClock())
    path = await qr_path(client, "evt-qr-stale", age=timedelta(days=60))
    assert (await client.get(path)).status_code == 410
    token = path.removeprefix("/qr/").removesuffix(".png")
    page = await client.get(f"/s/{token}", headers={"Accept-Language": "en"})
    assert "This survey is closed" in page.text and 'value="start"' not in page.text
    await client.post(f"/s/{token}", data={"action": "start"})
    runtime = client._transport.app.state.runtime
    async with runtime.db.reading() as tx:
        survey = await tx.surveys.by_token(token)
        assert survey is not None and (survey.status, survey.skip_reason) == ("skipped", "stale")
