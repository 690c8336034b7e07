"""The overview, responses and flows pages: figures with n, charts, filters, themes."""

import re
from datetime import UTC, datetime, timedelta

from tests.web.dashboard_client import runtime_of, seed_response, signed_in_as

MONDAY = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)  # 10:00 in Ho Chi Minh City


async def test_the_overview_shows_nps_csat_ces_with_n_and_a_trend_chart(make_client):
    client = await signed_in_as(make_client, "marketer")
    runtime = runtime_of(client)
    await seed_response(runtime, MONDAY, nps=10, csat=5, ces=7)
    await seed_response(runtime, MONDAY + timedelta(days=7), nps=3, csat=2, ces=2)
    await seed_response(runtime, MONDAY + timedelta(days=7), nps=9, csat=4, ces=5)
    page = await client.get("/dashboard/overview")
    assert page.status_code == 200
    nps = page.text.split('id="nps"')[1].split("</section>")[0]
    assert "+33" in nps and "n = 3" in nps  # 2 promoters, 1 detractor of 3
    chart = page.text.split('id="trend-nps"')[1].split("</svg>")[0]
    points = re.findall(r'data-label="([^"]+)" data-value="([^"]+)" data-n="(\d+)"', chart)
    assert points == [("2026-11-02", "100", "1"), ("2026-11-09", "0", "2")]


async def test_the_overview_shows_no_data_rather_than_an_error_when_empty(make_client):
    client = await signed_in_as(make_client, "marketer")
    page = await client.get("/dashboard/overview?period=month")
    assert page.status_code == 200
    assert "No answers for these filters yet." in page.text and "n = 0" in page.text


async def test_the_overview_groups_comments_into_themes(make_client):
    client = await signed_in_as(make_client, "admin")
    runtime = runtime_of(client)
    for text in ("Delivery was late again", "late delivery, box damaged", "Great price"):
        await seed_response(runtime, MONDAY, comment=text)
    page = await client.get("/dashboard/overview")
    themes = page.text.split('id="themes-title"')[1]
    assert "delivery" in themes and "2 comments (67%)" in themes


async def test_responses_show_the_customers_own_words_escaped(make_client):
    client = await signed_in_as(make_client, "support")
    runtime = runtime_of(client)
    await seed_response(runtime, MONDAY, customer="Lan <b>", comment="Hàng tới trễ <script>")
    page = await client.get("/dashboard/responses")
    assert page.status_code == 200
    assert "Hàng tới trễ &lt;script&gt;" in page.text and "<script>" not in page.text
    assert "Lan &lt;b&gt;" in page.text


async def test_responses_are_filtered_by_store_sku_segment_words_and_dates(make_client):
    client = await signed_in_as(make_client, "support")
    runtime = runtime_of(client)
    await seed_response(runtime, MONDAY, customer="An", store="HN-01", comment="fast")
    await seed_response(
        runtime,
        MONDAY,
        customer="Binh",
        store="SG-02",
        sku="B2",
        comment="slow delivery",
        attributes={"tier": "gold"},
    )
    await seed_response(runtime, MONDAY + timedelta(days=20), customer="Chi", comment="late")

    async def names(query: str) -> set[str]:
        page = await client.get(f"/dashboard/responses?{query}")
        assert page.status_code == 200, page.text
        return {name for name in ("An", "Binh", "Chi") if f"<td>{name}<br>" in page.text}

    assert await names("") == {"An", "Binh", "Chi"}
    assert await names("store=SG-02") == {"Binh"}
    assert await names("sku=A1") == {"An", "Chi"}
    assert await names("segment=tier%3Dgold") == {"Binh"}
    assert await names("search=DELIVERY") == {"Binh"}
    assert await names("from=2026-11-01&to=2026-11-10") == {"An", "Binh"}
    assert await names("flow=post_purchase&from=2026-11-15") == {"Chi"}


async def test_responses_are_paged(make_client):
    client = await signed_in_as(make_client, "support")
    runtime = runtime_of(client)
    for minute in range(27):
        await seed_response(runtime, MONDAY + timedelta(minutes=minute), customer=f"P{minute}")
    first = await client.get("/dashboard/responses?store=HN-01")
    assert "Page 1 of 2" in first.text and "27 responses" in first.text
    second = await client.get("/dashboard/responses?store=HN-01&page=2")
    assert second.text.count("<tr>") == 1 + 2  # header + 2 rows


async def test_bad_filters_get_a_clear_400_page(make_client):
    client = await signed_in_as(make_client, "support")
    for query, words in [
        ("from=yesterday", "is not a date"),
        ("from=2026-11-10&to=2026-11-01", "must be before"),
        ("segment=gold", "attribute=value"),
        ("flow=nope", "is not one of the choices"),
        ("page=0", "is not one of the choices"),
        ("period=decade", "is not one of the choices"),
    ]:
        page = await client.get(f"/dashboard/responses?{query}")
        assert page.status_code == 400, query
        assert words in page.text, query


async def test_the_flows_page_shows_what_is_live_and_its_funnel(make_client):
    client = await signed_in_as(make_client, "marketer")
    runtime = runtime_of(client)
    await seed_response(runtime, MONDAY)
    page = await client.get("/dashboard/flows")
    assert page.status_code == 200
    section = page.text.split('id="flow-post_purchase"')[1].split("</section>")[0]
    assert "csat" in section and "default" in section
    bars = re.findall(r'data-label="([^"]+)" data-value="(\d+)"', section)
    assert bars == [("Sent", "1"), ("Started", "1"), ("Completed", "1")]


async def test_a_trend_over_centuries_by_day_is_a_clear_400(make_client):
    client = await signed_in_as(make_client, "marketer")
    page = await client.get("/dashboard/overview?period=day&from=2001-01-01&to=2199-12-31")
    assert page.status_code == 400 and "at most 1500" in page.text
