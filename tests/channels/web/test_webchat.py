"""The web chat over plain HTTP form posts (no JavaScript): the same survey, answers,
case and voucher as in Telegram; done is done on every channel; friendly 404s."""

from datetime import timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.storage.models import AnswerRow, Case, OutboxMessage, Survey, Voucher
from bot.surveys.conversation import Contact
from tests.http_client import API_KEY, web_survey

AUTH = {"Authorization": f"Bearer {API_KEY}"}


async def answer(client, token, **form):
    response = await client.post(f"/s/{token}", data=form)
    assert response.status_code == 303
    assert response.headers["location"] == f"/s/{token}#latest"
    return await client.get(f"/s/{token}")


async def start(client, token):
    response = await client.post(f"/s/{token}", data={"action": "start"})
    assert response.status_code == 303
    return await client.get(f"/s/{token}")


async def test_a_detractor_answers_on_the_web_and_gets_reply_case_and_voucher(client):
    token = await web_survey(client)
    welcome = await client.get(f"/s/{token}")
    assert welcome.status_code == 200 and 'value="start"' in welcome.text
    page = await start(client, token)
    assert "How satisfied" in page.text and 'name="value" value="1"' in page.text
    page = await answer(client, token, value="2", visit="1")
    assert "What disappointed you most?" in page.text
    assert "<b>2</b>" in page.text.split("What disappointed")[0]  # the answer, shown
    page = await answer(client, token, value="late", visit="2")
    page = await answer(client, token, value="3", visit="3")
    page = await answer(client, token, value="2", visit="4")
    assert "<textarea" in page.text
    page = await answer(client, token, action="text", text="Late <b>again</b>", visit="5")
    assert "Late &lt;b&gt;again&lt;/b&gt;" in page.text  # the customer's words, escaped
    assert "truly sorry" in page.text  # the empathetic reply, here on the page
    assert "TKS-" in page.text and "All done" in page.text
    assert "<textarea" not in page.text and 'name="value"' not in page.text
    runtime = client._transport.app.state.runtime
    async with runtime.db.reading() as tx:
        survey = (await tx.session.execute(select(Survey))).scalar_one()
        answers = (await tx.session.execute(select(AnswerRow))).scalars().all()
        case = (await tx.session.execute(select(Case))).scalar_one()
        voucher = (await tx.session.execute(select(Voucher))).scalar_one()
    assert (survey.status, survey.channel) == ("completed", "web")
    assert {a.step_id for a in answers} == {"csat", "why", "nps", "ces", "comment"}
    assert case.survey_id == survey.id and voucher.survey_id == survey.id
    # A reload, a double submit or the back button asks nothing twice.
    again = await answer(client, token, value="5", visit="1")
    assert again.text.count("TKS-") == 1


async def test_a_reload_asks_nothing_twice(client):
    token = await web_survey(client)
    first = await start(client, token)
    again = await start(client, token)  # a second tap on Start, from another tab
    second = await client.get(f"/s/{token}")
    assert first.text.count("How satisfied") == 1
    assert again.text == second.text and second.text.count("How satisfied") == 1


async def test_opening_the_link_changes_nothing_until_the_customer_taps(client):
    """Link previewers and mail scanners fetch links: a GET only shows."""
    runtime = client._transport.app.state.runtime
    token = await web_survey(client, "evt-peek", telegram=True)  # scheduled for Telegram
    for _ in range(3):
        page = await client.get(f"/s/{token}")
        assert "Start" in page.text and "How satisfied" not in page.text
    async with runtime.db.reading() as tx:
        survey = await tx.surveys.by_token(token)
        assert survey is not None and (survey.status, survey.channel) == ("pending", "telegram")
    page = await start(client, token)
    assert "How satisfied" in page.text
    async with runtime.db.reading() as tx:
        survey = await tx.surveys.by_token(token)
        assert survey is not None and (survey.status, survey.channel) == ("active", "web")


async def test_done_in_telegram_is_done_on_the_web_and_the_other_way(client):
    runtime = client._transport.app.state.runtime
    token = await web_survey(client, "evt-tg", telegram=True)
    async with runtime.db.transaction() as tx:
        survey = await tx.surveys.by_token(token)
        survey.status = "completed"
    page = await client.get(f"/s/{token}")
    assert "All done" in page.text and 'name="value"' not in page.text
    # Answered on the web, a Telegram deep link to it says it is done.
    other = await web_survey(client, "evt-tg2", telegram=True)
    await start(client, other)
    for visit, value in enumerate(("5", "10", "7"), start=1):
        await answer(client, other, value=value, visit=str(visit))
    await answer(client, other, action="skip", visit="4")
    await runtime.conversation.open_link(Contact("telegram", "4242", language="en"), other)
    async with runtime.db.reading() as tx:
        told = (
            await tx.session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.address == "4242")
                .order_by(OutboxMessage.id.desc())
                .limit(1)
            )
        ).scalar_one()
    assert "already" in told.payload["text"]
    assert told.payload.get("buttons") in (None, [])


async def test_an_expired_link_is_a_friendly_closed_page(make_client):
    clock = ManualClock()
    client = await make_client(clock)
    runtime = client._transport.app.state.runtime
    token = await web_survey(client, "evt-late")
    page = await start(client, token)
    assert "How satisfied" in page.text
    clock.advance(timedelta(days=4))  # past the flow's `expire: 3d`
    assert await runtime.timers.run_due() >= 1
    page = await client.get(f"/s/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "This survey is closed" in page.text and 'name="value"' not in page.text
    posted = await client.post(f"/s/{token}", data={"value": "5", "visit": "1"})
    assert posted.status_code == 303  # a late tap is ignored, not an error
    async with runtime.db.reading() as tx:
        survey = await tx.surveys.by_token(token)
        assert survey is not None and survey.status == "expired"
        assert (await tx.session.execute(select(AnswerRow))).first() is None


async def test_unknown_and_overlong_tokens_get_a_friendly_page(client):
    page = await client.get("/s/no-such-token", headers={"Accept-Language": "vi"})
    assert page.status_code == 404 and "Không tìm thấy" in page.text
    page = await client.get("/s/" + "x" * 300, headers={"Accept-Language": "en-GB"})
    assert page.status_code == 404 and "could not find" in page.text
    posted = await client.post("/s/no-such-token", data={"value": "1", "visit": "1"})
    assert posted.status_code == 303


async def test_odd_form_posts_are_ignored_not_refused(client):
    token = await web_survey(client, "evt-odd")
    await start(client, token)
    for form in (
        {"value": "5", "visit": "abc"},
        {"value": "5"},  # no visit: which question?
        {"value": "5" * 500, "visit": "1"},
        {"action": "dance", "visit": "1"},
        {"action": "text", "text": "words for no text question", "visit": "1"},
    ):
        response = await client.post(f"/s/{token}", data=form)
        assert response.status_code == 303, form
    page = await client.get(f"/s/{token}")
    assert page.text.count("How satisfied") == 1 and "words for" not in page.text


async def test_typed_words_count_for_their_own_question_only(client):
    runtime = client._transport.app.state.runtime
    token = await web_survey(client, "evt-twice")
    await start(client, token)
    for visit, value in enumerate(("5", "10", "7"), start=1):
        await answer(client, token, value=value, visit=str(visit))
    page = await client.get(f"/s/{token}")
    assert 'maxlength="1000"' in page.text  # the step's own limit
    await answer(client, token, action="text", text="line one\r\n" + "x" * 900, visit="4")
    await answer(client, token, action="text", text="a double click", visit="4")
    async with runtime.db.reading() as tx:
        [comment] = (
            await tx.session.execute(select(AnswerRow).where(AnswerRow.step_id == "comment"))
        ).scalars()
    assert comment.value_text == "line one\n" + "x" * 900
    page = await client.get(f"/s/{token}")
    assert "a double click" not in page.text


async def test_a_stale_tap_on_the_web_leaves_the_survey_in_telegram(client):
    runtime = client._transport.app.state.runtime
    token = await web_survey(client, "evt-stale", telegram=True)
    await runtime.conversation.open_link(Contact("telegram", "4242", language="en"), token)
    await client.post(f"/s/{token}", data={"value": "5", "visit": "99"})
    async with runtime.db.reading() as tx:
        survey = await tx.surveys.by_token(token)
        assert survey is not None and (survey.status, survey.channel) == ("active", "telegram")
    page = await client.get(f"/s/{token}")
    assert "Continue here" in page.text  # it is under way in Telegram


async def test_a_nul_byte_in_a_typed_comment_is_dropped_and_the_rest_kept(client):
    runtime = client._transport.app.state.runtime
    token = await web_survey(client, "evt-nul")
    await start(client, token)
    for visit, value in enumerate(("5", "10", "7"), start=1):
        await answer(client, token, value=value, visit=str(visit))
    page = await answer(client, token, action="text", text="fast\x00 delivery\x00", visit="4")
    assert page.status_code == 200 and "fast delivery" in page.text
    async with runtime.db.reading() as tx:
        [comment] = (
            await tx.session.execute(select(AnswerRow).where(AnswerRow.step_id == "comment"))
        ).scalars()
    assert comment.value_text == "fast delivery"


async def test_a_nul_byte_in_a_tapped_value_is_ignored_like_any_odd_value(client):
    token = await web_survey(client, "evt-nul-tap")
    await start(client, token)
    response = await client.post(f"/s/{token}", data={"value": "5\x00", "visit": "1"})
    assert response.status_code == 303
    page = await client.get(f"/s/{token}")
    assert page.text.count("How satisfied") == 1


async def test_a_link_past_its_expiry_is_closed_before_its_timer_fires(make_client):
    clock = ManualClock()
    client = await make_client(clock)
    runtime = client._transport.app.state.runtime
    token = await web_survey(client, "evt-overdue")
    clock.advance(timedelta(days=30))  # the expiry timer has not run yet
    page = await client.get(f"/s/{token}", headers={"Accept-Language": "en"})
    assert "This survey is closed" in page.text and 'value="start"' not in page.text
    await start(client, token)
    async with runtime.db.reading() as tx:
        survey = await tx.surveys.by_token(token)
        assert survey is not None and survey.status == "pending"  # not begun after its end


async def test_an_answer_posted_after_the_survey_ended_is_not_taken(make_client):
    clock = ManualClock()
    client = await make_client(clock)
    runtime = client._transport.app.state.runtime
    token = await web_survey(client, "evt-late-answer")
    await start(client, token)
    clock.advance(timedelta(days=30))  # over; its expiry timer has not run yet
    await client.post(f"/s/{token}", data={"value": "5", "visit": "1"})
    async with runtime.db.reading() as tx:
        survey = await tx.surveys.by_token(token)
        assert survey is not None
        assert await tx.answers.for_survey(survey.id) == []
