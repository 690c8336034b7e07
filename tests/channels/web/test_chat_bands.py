"""Bands of scores on the web chat: drawn as form buttons that carry the band, and a tapped
band offers the exact scores next (the page itself shows all eleven, so nothing changes)."""

from bot.channels.web.chat import Bubble, ChatPage, Choice, PageState
from bot.channels.web.html import to_web_html
from bot.channels.web.routes import LABELS
from bot.web.dashboard.page_context import templates_at
from tests.harness import ROOT
from tests.http_client import web_survey


def render(page: ChatPage) -> str:
    template = templates_at(ROOT / "templates" / "web").env.get_template("chat.html")
    return template.render(
        page=page, token="tok", t=LABELS["en"], lang="en", html=to_web_html, shop="Shop"
    )


def test_a_band_is_a_button_that_posts_its_range():
    page = ChatPage(
        PageState.OPEN,
        "en",
        [Bubble("Recommend?")],
        [[Choice("0–6", "narrow", "0-6"), Choice("9", "answer", "9")], [Choice("Skip", "skip")]],
        visit=3,
    )
    html = render(page)
    assert '<button type="submit" name="band" value="0-6">0–6</button>' in html
    assert '<button type="submit" name="value" value="9">9</button>' in html
    assert 'name="action" value="skip"' in html


async def post(client, token, **form):
    response = await client.post(f"/s/{token}", data=form)
    assert response.status_code == 303
    return await client.get(f"/s/{token}")


async def test_a_posted_band_offers_its_exact_scores_then_one_answers(client):
    token = await web_survey(client)
    await post(client, token, action="start")
    page = await post(client, token, value="5", visit="1")  # csat 5: the NPS comes next
    assert page.text.count('name="value"') == 11
    page = await post(client, token, band="7-8", visit="2")
    assert "Which score exactly, from 7 to 8?" in page.text
    assert page.text.count('name="value"') == 2 and 'name="value" value="8"' in page.text
    page = await post(client, token, value="8", visit="2")
    assert "How easy" in page.text
    runtime = client._transport.app.state.runtime
    async with runtime.db.reading() as tx:
        survey = await tx.surveys.by_token(token)
        answers = await tx.answers.for_survey(survey.id)
    assert [(a.step_id, a.value_int) for a in answers] == [("csat", 5), ("nps", 8)]


async def test_a_stale_or_forged_band_changes_nothing(client):
    token = await web_survey(client)
    await post(client, token, action="start")
    before = await post(client, token, value="5", visit="1")
    for form in ({"band": "7-8", "visit": "1"}, {"band": "40-50", "visit": "2"}):
        page = await post(client, token, **form)
        assert page.text.count('name="value"') == 11 and "Which score exactly" not in page.text
    assert page.text == before.text
