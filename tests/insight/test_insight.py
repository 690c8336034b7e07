"""Insight over real rows (SQLite and PostgreSQL): every figure against a hand count."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.errors import FlowLoadError
from bot.flows.catalog import FlowCatalog, load_catalog
from bot.insight.reports import Insight, ResponseFilter
from bot.messaging.texts import MessageTexts
from bot.storage.database import Database
from tests.insight.insight_seed import MONDAY, Seed

ROOT = Path(__file__).resolve().parents[2]
SHOP = ZoneInfo("Asia/Ho_Chi_Minh")


def catalog(tmp_path: Path | None = None, extra: str | None = None) -> FlowCatalog:
    """The shipped flows, plus one written for the test (in a copy of flows/)."""
    if extra is None:
        return load_catalog(ROOT / "flows", MessageTexts(ROOT / "templates"))
    assert tmp_path is not None
    flows = tmp_path / "flows"
    flows.mkdir(exist_ok=True)
    for shipped in (ROOT / "flows").glob("*.yaml"):
        (flows / shipped.name).write_bytes(shipped.read_bytes())
    (flows / "extra.yaml").write_text(textwrap.dedent(extra), encoding="utf-8")
    return load_catalog(flows, MessageTexts(ROOT / "templates"))


LENIENT_FLOW = """
    id: lenient
    name: Lenient
    locales: [en]
    metrics:
      nps_promoter_from: 8
      nps_detractor_to: 5
      csat_satisfied_from: 3
      ces_easy_from: 6
    steps:
      - {id: nps, kind: nps, text: "How likely?"}
      - {id: csat, kind: csat, text: "How was it?"}
      - {id: ces, kind: ces, text: "How easy?"}
      - {id: bye, kind: end, text: "Thanks"}
"""


@pytest.fixture
def seed(database: Database) -> Seed:
    return Seed(database)


@pytest.fixture
def insight(database: Database) -> Insight:
    return Insight(database, catalog(), ManualClock(MONDAY), SHOP)


ALL = ResponseFilter()


async def test_no_answers_give_n_zero_and_no_figures(insight):
    result = await insight.metrics(ALL)
    assert result["csat"] == {"n": 0, "satisfied": 0, "share": None, "mean": None}
    assert result["nps"]["n"] == 0 and result["nps"]["score"] is None
    assert result["nps"]["margin_of_error"] is None
    assert result["ces"] == {"n": 0, "mean": None, "easy": 0, "easy_share": None}
    assert result["funnel"]["n"] == 0 and result["funnel"]["response_rate"] is None
    assert result["first_response"]["n"] == 0 and result["recovery"]["rate"] is None


async def test_one_answer_is_a_figure_with_n_one(insight, seed):
    await seed.survey(nps=10)
    result = await insight.metrics(ALL)
    assert result["nps"] == {
        "n": 1,
        "score": 100.0,
        "margin_of_error": 0.0,
        "promoters": 1,
        "passives": 0,
        "detractors": 0,
    }
    assert result["csat"]["n"] == 0 and result["responses"] == {"n": 1}


async def test_csat_nps_ces_follow_the_standard_definitions(insight, seed):
    for csat, nps, ces in ((5, 10, 7), (4, 9, 5), (3, 8, 4), (2, 6, None), (None, 0, None)):
        await seed.survey(csat=csat, nps=nps, ces=ces)
    result = await insight.metrics(ALL)
    # CSAT 5,4,3,2: two of four are 4-5; mean 14/4.
    assert result["csat"] == {"n": 4, "satisfied": 2, "share": 50.0, "mean": 3.5}
    # NPS 10,9,8,6,0: 2 promoters, 1 passive, 2 detractors -> 0; variance (4*5-0)/25 = 0.8,
    # margin 1.96 * sqrt(0.8/5) * 100 = 78.4.
    assert result["nps"] == {
        "n": 5,
        "score": 0.0,
        "margin_of_error": 78.4,
        "promoters": 2,
        "passives": 1,
        "detractors": 2,
    }
    # CES 7,5,4: mean 16/3, two of three are 5-7.
    assert result["ces"] == {"n": 3, "mean": 5.33, "easy": 2, "easy_share": 66.67}


async def test_a_flow_that_sets_its_cutoffs_is_judged_by_them(database, seed, tmp_path):
    insight = Insight(database, catalog(tmp_path, LENIENT_FLOW), ManualClock(MONDAY), SHOP)
    await seed.survey(flow="lenient", nps=8, csat=3, ces=5)
    await seed.survey(flow="post_purchase", nps=8, csat=3, ces=5)
    lenient = await insight.metrics(ResponseFilter(flow="lenient"))
    # 8 promotes and 3 satisfies here, but 5 is not easy (this flow wants 6-7).
    figures = (lenient["nps"]["promoters"], lenient["csat"]["satisfied"], lenient["ces"]["easy"])
    assert figures == (1, 1, 0)
    assert lenient["cutoffs"] == {
        "lenient": {
            "csat_satisfied_from": 3,
            "nps_promoter_from": 8,
            "nps_detractor_to": 5,
            "ces_easy_from": 6,
        }
    }
    # Together, each answer keeps its own flow's cut-offs: one promoter, one passive; the
    # standard flow's CSAT 3 is not satisfied, its CES 5 is easy.
    both = await insight.metrics(ALL)
    assert (both["nps"]["promoters"], both["nps"]["passives"], both["nps"]["score"]) == (1, 1, 50.0)
    assert both["csat"]["satisfied"] == 1 and both["ces"]["easy"] == 1


def test_cutoffs_that_overlap_are_refused_when_the_flow_loads(tmp_path):
    broken = LENIENT_FLOW.replace("nps_detractor_to: 5", "nps_detractor_to: 8")
    with pytest.raises(FlowLoadError, match="nps_detractor_to"):
        catalog(tmp_path, broken)


async def test_groups_by_store_and_sku_count_each_sku_of_an_order(insight, seed):
    await seed.survey(nps=10, store="HN-01", skus=("A1", "B2"))
    await seed.survey(nps=0, store="HCM-02", skus=("B2",))
    await seed.survey(nps=9, store=None, skus=())
    by_store = await insight.metrics(ALL, group_by="store")
    assert [(g["key"], g["nps"]["n"], g["nps"]["score"]) for g in by_store["groups"]] == [
        ("HCM-02", 1, -100.0),
        ("HN-01", 1, 100.0),
        (None, 1, 100.0),
    ]
    by_sku = await insight.metrics(ALL, group_by="sku")
    assert [(g["key"], g["nps"]["n"], g["nps"]["score"]) for g in by_sku["groups"]] == [
        ("A1", 1, 100.0),
        ("B2", 2, 0.0),
        (None, 1, 100.0),
    ]
    assert by_sku["nps"]["n"] == 3  # overall counts each survey once


async def test_segments_group_and_filter_by_a_customer_attribute(insight, seed):
    await seed.survey(csat=5, attributes={"tier": "gold", "vip": True})
    await seed.survey(csat=1, attributes={"tier": "silver"})
    await seed.survey(csat=4, attributes={})
    grouped = await insight.metrics(ALL, group_by="segment:tier")
    assert [(g["key"], g["csat"]["n"]) for g in grouped["groups"]] == [
        ("gold", 1),
        ("silver", 1),
        (None, 1),
    ]
    vip = await insight.metrics(ResponseFilter(segment=("vip", "true")))
    assert vip["csat"]["n"] == 1 and vip["csat"]["mean"] == 5.0


async def test_weeks_are_shop_weeks_and_empty_ones_are_listed(insight, seed):
    sunday_night = datetime(2026, 11, 15, 16, 30, tzinfo=UTC)  # Sunday 23:30 in the shop
    monday_morning = datetime(2026, 11, 15, 17, 30, tzinfo=UTC)  # Monday 00:30 in the shop
    await seed.survey(nps=10, at=sunday_night)
    await seed.survey(nps=0, at=monday_morning)
    await seed.survey(nps=9, at=monday_morning + timedelta(days=14))
    trend = await insight.trend(ALL, "week")
    assert [(p["start"], p["nps_n"], p["nps"]) for p in trend] == [
        ("2026-11-09", 1, 100.0),
        ("2026-11-16", 1, -100.0),
        ("2026-11-23", 0, None),
        ("2026-11-30", 1, 100.0),
    ]


async def test_a_range_keeps_its_start_and_drops_its_end(insight, seed):
    start, end = MONDAY, MONDAY + timedelta(days=7)
    await seed.survey(nps=10, at=start)
    await seed.survey(nps=0, at=end)
    await seed.survey(nps=0, at=start - timedelta(seconds=1))
    result = await insight.metrics(ResponseFilter(start=start, end=end))
    assert (result["nps"]["n"], result["nps"]["score"]) == (1, 100.0)


async def test_funnel_counts_the_surveys_asked_in_the_period(insight, seed):
    await seed.survey(nps=10)  # asked, answered, completed
    await seed.survey(nps=3, status="active")  # asked, answered, not finished
    await seed.survey(answered=False)  # asked, never answered
    await seed.survey(answered=False)
    funnel = await insight.funnel(ALL)
    assert funnel == {
        "n": 4,
        "sent": 4,
        "started": 2,
        "completed": 1,
        "start_rate": 50.0,
        "completion_rate": 50.0,
        "response_rate": 25.0,
    }


async def test_case_figures_first_response_and_recovery(insight, seed):
    opened = MONDAY
    a = await seed.survey(nps=2, flow="post_purchase")
    b = await seed.survey(nps=1, flow="post_purchase")
    c = await seed.survey(nps=0, flow="post_purchase")
    await seed.case(
        a, opened_at=opened, first_response_at=opened + timedelta(minutes=10), followup="yes"
    )
    await seed.case(
        b, opened_at=opened, first_response_at=opened + timedelta(minutes=30), followup="no"
    )
    await seed.case(c, opened_at=opened)  # nobody answered yet, no follow-up
    result = await insight.metrics(ResponseFilter(flow="post_purchase"))
    assert result["first_response"] == {
        "n": 2,
        "median_seconds": 1200.0,
        "mean_seconds": 1200.0,
        "p90_seconds": 1800.0,
        "unanswered": 1,
    }
    assert result["recovery"] == {"n": 2, "recovered": 1, "rate": 50.0}


async def test_responses_are_newest_first_paginated_and_filtered(insight, seed):
    for day in range(5):
        await seed.survey(
            nps=day * 2,
            at=MONDAY + timedelta(days=day),
            comment=f"Giao hàng chậm lần {day}" if day % 2 == 0 else None,
        )
    page = await insight.responses(ALL, page=2, per_page=2)
    assert page.total == 5 and page.pages == 3
    assert [row.nps for row in page.rows] == [4, 2]
    commented = await insight.responses(ResponseFilter(has_comment=True))
    assert [row.nps for row in commented.rows] == [8, 4, 0]
    low = await insight.responses(ResponseFilter(score="nps", min_score=2, max_score=6))
    assert [row.nps for row in low.rows] == [6, 4, 2]
    found = await insight.responses(ResponseFilter(search="GIAO lần 4"))
    assert [row.comment for row in found.rows] == ["Giao hàng chậm lần 4"]


async def test_a_response_row_carries_what_the_list_shows(insight, seed):
    await seed.survey(
        csat=2,
        nps=3,
        ces=2,
        reason="late",
        comment="Two days late <b>",
        store="HN-01",
        skus=("A1", "B2"),
        attributes={"tier": "gold"},
        locale="en",
    )
    page = await insight.responses(ALL)
    row = page.to_json(SHOP)["rows"][0]
    assert row["scores"] == {"csat": 2, "nps": 3, "ces": 2}
    assert (row["reason"], row["comment"], row["locale"]) == ("late", "Two days late <b>", "en")
    assert row["customer"] == {"id": "C-1", "name": "Customer 1"}
    assert (row["order"], row["store"], row["skus"], row["segments"]) == (
        "SO-1",
        "HN-01",
        ["A1", "B2"],
        {"tier": "gold"},
    )
    assert row["responded_at"] == "2026-11-16T10:00:00+07:00"


async def test_more_responses_than_a_batch_are_all_read(insight, seed, monkeypatch):
    monkeypatch.setattr("bot.insight.reports.BATCH", 2)
    for minute in range(5):
        await seed.survey(nps=minute, at=MONDAY)  # same moment: the id breaks the tie
    page = await insight.responses(ALL, per_page=10)
    assert sorted(row.nps for row in page.rows) == [0, 1, 2, 3, 4]
    assert len({row.survey_id for row in page.rows}) == 5


async def test_detractor_themes_and_reasons(insight, seed):
    await seed.survey(nps=2, reason="late", comment="Giao hàng chậm quá")
    await seed.survey(nps=3, reason="late", comment="giao hàng chậm, đóng gói ẩu")
    await seed.survey(nps=4, reason="damaged", comment="hàng bị móp méo")
    await seed.survey(nps=10, reason="other", comment="giao hàng nhanh")  # a promoter
    reasons = await insight.reasons(ALL, detractors_only=True)
    assert reasons == [("post_purchase", "late", 2), ("post_purchase", "damaged", 1)]
    themes = await insight.themes(ALL, limit=3, detractors_only=True)
    assert [(t.phrase, t.count) for t in themes[:2]] == [("giao hàng", 2), ("giao hàng chậm", 2)]
    assert themes[0].examples == ("Giao hàng chậm quá", "giao hàng chậm, đóng gói ẩu")
    everyone = await insight.themes(ALL, limit=1)
    assert [(t.phrase, t.count, t.share) for t in everyone] == [("giao hàng", 3, 75.0)]


async def test_unknown_grouping_names_the_choices(insight):
    with pytest.raises(ValueError, match="segment:<attribute>"):
        await insight.metrics(ALL, group_by="colour")


async def test_other_flows_can_be_left_out(insight, seed):
    await seed.survey(nps=0, flow="post_purchase")
    await seed.survey(nps=10, flow="recovery")
    result = await insight.metrics(ResponseFilter(exclude_flows=("recovery",)))
    assert result["nps"]["n"] == 1 and result["nps"]["score"] == -100.0
