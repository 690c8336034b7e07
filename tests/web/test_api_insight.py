"""GET /api/v1/metrics, /responses and /responses/export over HTTP: figures with n, filters,
dates in shop time, and 422s that name the parameter."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from tests.http_client import API_KEY
from tests.insight.insight_seed import MONDAY, Seed

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
async def seeded(database):
    seed = Seed(database)
    await seed.survey(nps=10, csat=5, store="HN-01", comment="=1+2 giao nhanh", locale="en")
    await seed.survey(nps=3, csat=2, store="HCM-02", reason="late", attributes={"tier": "gold"})
    await seed.survey(nps=9, at=MONDAY + timedelta(days=7), store="HN-01")
    return seed


async def test_metrics_answer_every_figure_with_n(client, seeded):
    response = await client.get("/api/v1/metrics", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["nps"]["n"] == 3 and body["nps"]["score"] == pytest.approx(33.33)
    assert body["csat"] == {"n": 2, "satisfied": 1, "share": 50.0, "mean": 3.5}
    for figure in ("csat", "nps", "ces", "funnel", "first_response", "recovery", "responses"):
        assert "n" in body[figure], figure


async def test_metrics_grouped_by_store_within_dates_in_shop_time(client, seeded):
    # 2026-11-16 is the seeded Monday in Ho Chi Minh City; `to` as a date includes the day.
    response = await client.get(
        "/api/v1/metrics",
        params={"from": "2026-11-16", "to": "2026-11-16", "group_by": "store"},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["filters"]["from"] == "2026-11-16T00:00:00+07:00"
    assert body["filters"]["to"] == "2026-11-17T00:00:00+07:00"
    assert [(g["key"], g["nps"]["n"]) for g in body["groups"]] == [("HCM-02", 1), ("HN-01", 1)]


async def test_an_offset_sent_without_encoding_its_plus_still_counts(client, seeded):
    response = await client.get(
        "/api/v1/metrics?from=2026-11-16T10:00:00+07:00&to=2026-11-16T10:00:01%2B07:00",
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    assert response.json()["nps"]["n"] == 2  # both answered at 10:00:00 shop time


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "last tuesday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"from": "2026-11-20", "to": "2026-11-19"}, "to"),
        ({"group_by": "colour"}, "group_by"),
        ({"flow": "no_such_flow"}, "flow"),
        ({"flow": "Not An Id"}, "flow"),
        ({"segment": "gold"}, "segment"),
        ({"min_score": "x"}, "min_score"),
        ({"min_score": 5, "max_score": 2}, "max_score"),
        ({"score": "happiness"}, "score"),
        ({"has_comment": "maybe"}, "has_comment"),
        ({"to": "9999-12-31"}, "to"),  # past the end of datetime once it is a day's end
        ({"from": "0001-01-01T00:00+05:00"}, "from"),  # before year 1 in UTC
        ({"from": "2026-01-01", "to": "2199-12-30", "group_by": "day"}, "group_by"),
    ],
)
async def test_a_bad_parameter_is_a_422_naming_it(client, params, field):
    response = await client.get("/api/v1/metrics", params=params, headers=AUTH)
    assert response.status_code == 422, response.text
    assert [problem["field"] for problem in response.json()["detail"]] == [field]


async def test_the_insight_api_needs_a_key(client):
    for path in ("/api/v1/metrics", "/api/v1/responses", "/api/v1/responses/export"):
        response = await client.get(path)
        assert response.status_code == 401, path
        wrong = await client.get(path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401, path


async def test_responses_are_paginated_and_filtered(client, seeded):
    response = await client.get(
        "/api/v1/responses", params={"per_page": 2, "page": 1}, headers=AUTH
    )
    body = response.json()
    assert (body["total"], body["pages"], len(body["rows"])) == (3, 2, 2)
    assert body["rows"][0]["scores"]["nps"] == 9  # newest first
    gold = await client.get("/api/v1/responses", params={"segment": "tier:gold"}, headers=AUTH)
    assert [row["reason"] for row in gold.json()["rows"]] == ["late"]
    words = await client.get("/api/v1/responses", params={"search": "NHANH"}, headers=AUTH)
    assert [row["store"] for row in words.json()["rows"]] == ["HN-01"]
    low = await client.get(
        "/api/v1/responses", params={"score": "nps", "max_score": 6}, headers=AUTH
    )
    assert [row["scores"]["nps"] for row in low.json()["rows"]] == [3]


async def test_export_as_csv_is_an_attachment_safe_for_excel(client, seeded):
    response = await client.get(
        "/api/v1/responses/export", params={"format": "csv", "store": "HN-01"}, headers=AUTH
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["nps"] for row in rows] == ["9", "10"]
    assert rows[1]["comment"] == "'=1+2 giao nhanh"  # never run as a formula


async def test_export_as_xlsx_keeps_text_as_text(client, seeded):
    response = await client.get("/api/v1/responses/export", params={"format": "xlsx"}, headers=AUTH)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header, *rows = list(sheet.values)
    assert len(rows) == 3
    comments = [row[header.index("comment")] for row in rows]
    assert "=1+2 giao nhanh" in comments
    cell = next(c for r in sheet.iter_rows() for c in r if c.value == "=1+2 giao nhanh")
    assert cell.data_type == "s"


async def test_an_unknown_export_format_is_a_422(client):
    response = await client.get("/api/v1/responses/export", params={"format": "pdf"}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "format"
