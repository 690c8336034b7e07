"""CSAT, NPS, CES, funnel, case and trend metrics against hand-computed figures."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.insight.metrics import (
    CesResult,
    CsatResult,
    Cutoffs,
    DurationSummary,
    Funnel,
    NpsResult,
    Period,
    Point,
    RecoveryResult,
    Series,
    bucket,
    bucket_start,
    ces,
    csat,
    first_response_times,
    group_by,
    next_bucket,
    nps,
    recovery,
    rounded,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7, no DST
BERLIN = ZoneInfo("Europe/Berlin")  # CET/CEST
SANTIAGO = ZoneInfo("America/Santiago")  # DST switches at local midnight
MIN = timedelta(minutes=1)
properties = settings(database=None, deadline=None)


# -- CSAT, NPS, CES ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], CsatResult(n=0, satisfied=0, share=None, mean=None)),
        ([4], CsatResult(n=1, satisfied=1, share=100.0, mean=4.0)),
        ([3], CsatResult(n=1, satisfied=0, share=0.0, mean=3.0)),
        ([5, 4, 3, 2, 1], CsatResult(n=5, satisfied=2, share=40.0, mean=3.0)),
        ([5, 5, 4, 1], CsatResult(n=4, satisfied=3, share=75.0, mean=3.75)),
    ],
)
def test_csat_share_and_mean(values, expected):
    assert csat(values) == expected


def test_csat_follows_the_cutoff():
    assert csat([5, 4], Cutoffs(csat_satisfied_min=5)).share == 50.0


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], NpsResult(0, 0, 0, 0, None, None)),
        ([7], NpsResult(1, 0, 1, 0, 0.0, 0.0)),  # n=1: no spread, margin 0
        ([10], NpsResult(1, 1, 0, 0, 100.0, 0.0)),
        ([0, 3, 6, 6], NpsResult(4, 0, 0, 4, -100.0, 0.0)),  # all detractors
        ([9, 10, 10], NpsResult(3, 3, 0, 0, 100.0, 0.0)),  # all promoters
        ([7, 8, 8], NpsResult(3, 0, 3, 0, 0.0, 0.0)),  # all passives
    ],
)
def test_nps_edges(values, expected):
    assert nps(values) == expected


def test_nps_mixed_with_its_margin_of_error():
    # 5 promoters (10, 10, 9, 10, 9), 2 passives (8, 7), 3 detractors (5, 3, 0) of n=10:
    # p = 0.5, d = 0.3, NPS = 50 - 30 = 20.
    # variance = (p + d) - (p - d)**2 = 0.8 - 0.04 = 0.76
    # margin = 1.96 * sqrt(0.76 / 10) * 100 = 1.96 * 0.275681 * 100 = 54.0335 points
    result = nps([10, 10, 9, 8, 7, 5, 3, 0, 10, 9])
    assert (result.n, result.promoters, result.passives, result.detractors) == (10, 5, 2, 3)
    assert result.score == pytest.approx(20.0)
    assert result.margin_of_error == pytest.approx(54.0335, abs=1e-4)


def test_nps_follows_the_cutoffs():
    result = nps([8, 7, 6], Cutoffs(nps_promoter_min=8, nps_detractor_max=6))
    assert (result.promoters, result.passives, result.detractors) == (1, 1, 1)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], CesResult(n=0, mean=None, easy=0, easy_share=None)),
        ([5], CesResult(n=1, mean=5.0, easy=1, easy_share=100.0)),
        ([7, 5, 4, 1], CesResult(n=4, mean=4.25, easy=2, easy_share=50.0)),
    ],
)
def test_ces_mean_and_easy_share(values, expected):
    assert ces(values) == expected


@pytest.mark.parametrize(
    ("metric", "values", "message"),
    [
        (csat, [0], "CSAT answers are 1-5"),
        (csat, [6], "CSAT answers are 1-5"),
        (nps, [11], "NPS answers are 0-10"),
        (ces, [8], "CES answers are 1-7"),
    ],
)
def test_answers_off_the_scale_are_refused(metric, values, message):
    with pytest.raises(ValueError, match=message):
        metric(values)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"nps_detractor_max": 9, "nps_promoter_min": 9}, "must be below nps_promoter_min"),
        ({"nps_detractor_max": 8, "nps_promoter_min": 7}, "must be below nps_promoter_min"),
        ({"nps_promoter_min": 11}, "nps_promoter_min must be within 0-10"),
        ({"csat_satisfied_min": 6}, "csat_satisfied_min must be within 1-5"),
        ({"ces_easy_min": 0}, "ces_easy_min must be within 1-7"),
    ],
)
def test_bad_cutoffs_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Cutoffs(**kwargs)


@properties
@given(st.lists(st.integers(0, 10), min_size=1))
def test_nps_is_promoters_minus_detractors(values):
    result = nps(values)
    promoters = 100 * sum(v >= 9 for v in values) / len(values)
    detractors = 100 * sum(v <= 6 for v in values) / len(values)
    assert -100 <= result.score <= 100
    assert result.score == pytest.approx(promoters - detractors)
    assert result.margin_of_error >= 0
    assert result.promoters + result.passives + result.detractors == result.n == len(values)


@properties
@given(st.lists(st.integers(1, 5), min_size=1))
def test_csat_share_is_a_percent(values):
    result = csat(values)
    assert 0 <= result.share <= 100
    assert 1 <= result.mean <= 5


# -- funnel and cases --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("funnel", "start", "completion", "response"),
    [
        (Funnel(sent=100, started=40, completed=30), 40.0, 75.0, 30.0),
        (Funnel(sent=0, started=0, completed=0), None, None, None),
        (Funnel(sent=10, started=0, completed=0), 0.0, None, 0.0),
        (Funnel(sent=1, started=1, completed=1), 100.0, 100.0, 100.0),
    ],
)
def test_funnel_rates(funnel, start, completion, response):
    assert (funnel.start_rate, funnel.completion_rate, funnel.response_rate) == (
        start,
        completion,
        response,
    )
    assert funnel.n == funnel.sent


@pytest.mark.parametrize(("sent", "started", "completed"), [(10, 5, 6), (3, 4, 1), (-1, 0, 0)])
def test_inconsistent_funnel_is_refused(sent, started, completed):
    with pytest.raises(ValueError, match="completed <= started <= sent"):
        Funnel(sent, started, completed)


OPENED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("waits", "expected"),
    [
        ([], DurationSummary(0, None, None, None, 0)),
        ([None, None], DurationSummary(0, None, None, None, 2)),
        ([5], DurationSummary(1, 5 * MIN, 5 * MIN, 5 * MIN, 0)),
        # median (20 + 30) / 2, mean 120 / 4, p90 the ceil(3.6) = 4th smallest
        ([30, None, 10, 60, 20], DurationSummary(4, 25 * MIN, 30 * MIN, 60 * MIN, 1)),
        # 1..10 minutes: median 5.5, mean 5.5, p90 the 9th smallest
        (list(range(1, 11)), DurationSummary(10, 5.5 * MIN, 5.5 * MIN, 9 * MIN, 0)),
    ],
)
def test_first_response_summary(waits, expected):
    pairs = [(OPENED, None if w is None else OPENED + w * MIN) for w in waits]
    assert first_response_times(pairs) == expected


def test_first_response_before_opening_is_refused():
    with pytest.raises(ValueError, match="cannot come before"):
        first_response_times([(OPENED, OPENED - MIN)])


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([], RecoveryResult(0, 0, None)),
        ([None, None], RecoveryResult(0, 0, None)),
        ([True], RecoveryResult(1, 1, 100.0)),
        ([True, False, None, True, False], RecoveryResult(4, 2, 50.0)),
    ],
)
def test_recovery_rate_leaves_out_unanswered(outcomes, expected):
    assert recovery(outcomes) == expected


# -- periods and trends ------------------------------------------------------------------


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "period", "tz", "expected"),
    [
        # 2026-11-30 20:00 UTC is already 1 December 03:00 in Ho Chi Minh City.
        (utc(2026, 11, 30, 20, 0), Period.DAY, HCM, date(2026, 12, 1)),
        (utc(2026, 11, 30, 20, 0), Period.MONTH, HCM, date(2026, 12, 1)),
        (utc(2026, 11, 30, 20, 0), Period.MONTH, ZoneInfo("UTC"), date(2026, 11, 1)),
        (utc(2026, 11, 30, 20, 0), Period.WEEK, HCM, date(2026, 11, 30)),  # a Tuesday
        (utc(2026, 11, 29, 16, 59), Period.WEEK, HCM, date(2026, 11, 23)),  # Sunday 23:59
        (utc(2026, 11, 29, 17, 0), Period.WEEK, HCM, date(2026, 11, 30)),  # Monday 0:00
        # Berlin springs forward on 2026-03-29: 00:30 UTC is 01:30 CET, still Sunday.
        (utc(2026, 3, 29, 0, 30), Period.DAY, BERLIN, date(2026, 3, 29)),
        (utc(2026, 3, 28, 23, 0), Period.DAY, BERLIN, date(2026, 3, 29)),
        (utc(2026, 3, 28, 22, 59), Period.DAY, BERLIN, date(2026, 3, 28)),
        # ... and falls back on 2026-10-25: 22:00 UTC the day before is 00:00 CEST.
        (utc(2026, 10, 24, 22, 0), Period.DAY, BERLIN, date(2026, 10, 25)),
        (utc(2026, 10, 25, 22, 59), Period.DAY, BERLIN, date(2026, 10, 25)),
        (utc(2026, 10, 25, 23, 0), Period.DAY, BERLIN, date(2026, 10, 26)),
    ],
)
def test_bucket_is_local(moment, period, tz, expected):
    assert bucket(moment, period, tz) == expected


def test_naive_moment_is_refused():
    with pytest.raises(ValueError, match="no timezone"):
        bucket(datetime(2026, 11, 20, 9, 0), Period.DAY, HCM)


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        (date(2026, 12, 31), Period.DAY, date(2027, 1, 1)),
        (date(2026, 12, 28), Period.WEEK, date(2027, 1, 4)),
        (date(2026, 11, 1), Period.MONTH, date(2026, 12, 1)),
        (date(2026, 12, 1), Period.MONTH, date(2027, 1, 1)),
    ],
)
def test_next_bucket(start, period, expected):
    assert next_bucket(start, period) == expected


@properties
@given(
    st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(Period),
    st.sampled_from([BERLIN, HCM, SANTIAGO]),
)
def test_bucket_is_idempotent_and_dst_safe(moment, period, tz):
    start = bucket(moment, period, tz)
    begins = bucket_start(start, tz)
    assert bucket(begins, period, tz) == start
    assert begins <= moment < bucket_start(next_bucket(start, period), tz)


def test_group_by_keeps_first_seen_order():
    rows = [("b", 1), ("a", 2), ("b", 3), ("c", 4), ("a", 5)]
    assert group_by(rows, lambda row: row[0]) == {
        "b": [("b", 1), ("b", 3)],
        "a": [("a", 2), ("a", 5)],
        "c": [("c", 4)],
    }
    assert list(group_by(rows, lambda row: row[0])) == ["b", "a", "c"]


def test_series_fills_empty_days_between():
    rows = [
        (utc(2026, 11, 3, 2, 0), 10),  # 3 Nov, 09:00 local
        (utc(2026, 11, 1, 1, 0), 9),
        (utc(2026, 11, 1, 3, 0), 3),
        (utc(2026, 11, 2, 18, 0), 0),  # 3 Nov, 01:00 local
    ]
    points = Series(Period.DAY, HCM, nps).points(rows)
    assert [p.start for p in points] == [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    assert [p.result.n for p in points] == [2, 0, 2]
    assert points[1] == Point(date(2026, 11, 2), NpsResult(0, 0, 0, 0, None, None))
    assert [p.result.score for p in points] == [0.0, None, 0.0]


def test_series_by_week_with_a_range():
    rows = [(utc(2026, 11, 11, 5, 0), 5), (utc(2026, 11, 12, 5, 0), 3), (utc(2026, 10, 1), 1)]
    series = Series(Period.WEEK, HCM, csat)
    points = series.points(rows, since=utc(2026, 11, 1), until=utc(2026, 11, 22))
    assert [p.start for p in points] == [
        date(2026, 10, 26),
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
    ]
    assert [p.result.share for p in points] == [None, None, 50.0, None]  # 1 Oct is left out


def test_series_of_nothing_is_empty():
    assert Series(Period.MONTH, HCM, ces).points([]) == []


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (2.25, 1, 2.3),
        (2.35, 1, 2.4),
        (200 / 3, 1, 66.7),
        (-2.25, 1, -2.3),
        (-0.04, 1, 0.0),
        (54.033471108193666, 0, 54.0),
        (None, 1, None),
    ],
)
def test_rounded_is_for_display(value, digits, expected):
    assert rounded(value, digits) == expected
