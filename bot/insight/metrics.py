"""Survey metrics by their standard definitions, computed from plain answer values.

Every result carries `n`, the number of answers it is based on; no answers give n=0 and
None for the figures. Shares are percents (0-100). Nothing is rounded here: `rounded()` is
for presentation only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from bot.flows.schema import SCALES, Flow, StepKind

CSAT_SCALE = SCALES[StepKind.CSAT]
NPS_SCALE = SCALES[StepKind.NPS]
CES_SCALE = SCALES[StepKind.CES]
_Z95 = 1.96  # two-sided 95% normal quantile


@dataclass(frozen=True)
class Cutoffs:
    """Where the good answers start: CSAT 4-5 satisfied, NPS 9-10 promoters and 0-6
    detractors, CES 5-7 easy."""

    csat_satisfied_min: int = 4
    nps_promoter_min: int = 9
    nps_detractor_max: int = 6
    ces_easy_min: int = 5

    def __post_init__(self) -> None:
        _check_in_scale("csat_satisfied_min", self.csat_satisfied_min, CSAT_SCALE)
        _check_in_scale("nps_promoter_min", self.nps_promoter_min, NPS_SCALE)
        _check_in_scale("nps_detractor_max", self.nps_detractor_max, NPS_SCALE)
        _check_in_scale("ces_easy_min", self.ces_easy_min, CES_SCALE)
        if self.nps_detractor_max >= self.nps_promoter_min:
            raise ValueError(
                f"nps_detractor_max ({self.nps_detractor_max}) must be below "
                f"nps_promoter_min ({self.nps_promoter_min}): a score cannot be both"
            )


def _check_in_scale(name: str, value: int, scale: tuple[int, int]) -> None:
    low, high = scale
    if not low <= value <= high:
        raise ValueError(f"{name} must be within {low}-{high}, got {value!r}")


DEFAULT_CUTOFFS = Cutoffs()


def cutoffs_of(flow: Flow | None) -> Cutoffs:
    """The cut-offs a flow's `metrics:` section sets (the standard ones for no flow)."""
    if flow is None:
        return DEFAULT_CUTOFFS
    given = flow.metrics
    return Cutoffs(
        csat_satisfied_min=given.csat_satisfied_from,
        nps_promoter_min=given.nps_promoter_from,
        nps_detractor_max=given.nps_detractor_to,
        ces_easy_min=given.ces_easy_from,
    )


# Answers of several flows together, each judged by its own flow's cut-offs.
Parts = Iterable[tuple[Iterable[int], Cutoffs]]


def _answers(values: Iterable[int], scale: tuple[int, int], metric: str) -> list[int]:
    """The values as a list, refusing any that is off the metric's scale."""
    low, high = scale
    answers = list(values)
    for value in answers:
        if not low <= value <= high:
            raise ValueError(f"{metric} answers are {low}-{high}, got {value!r}")
    return answers


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _mean(values: Sequence[int]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class CsatResult:
    n: int
    satisfied: int
    share: float | None  # percent of answers that are satisfied
    mean: float | None


def csat(values: Iterable[int], cutoffs: Cutoffs = DEFAULT_CUTOFFS) -> CsatResult:
    """CSAT (1-5): the share of satisfied answers (>= `csat_satisfied_min`) and the mean."""
    answers = _answers(values, CSAT_SCALE, "CSAT")
    satisfied = sum(1 for value in answers if value >= cutoffs.csat_satisfied_min)
    return CsatResult(len(answers), satisfied, _percent(satisfied, len(answers)), _mean(answers))


@dataclass(frozen=True)
class NpsResult:
    n: int
    promoters: int
    passives: int
    detractors: int
    score: float | None  # -100..100
    margin_of_error: float | None  # 95%, in NPS points


def nps(values: Iterable[int], cutoffs: Cutoffs = DEFAULT_CUTOFFS) -> NpsResult:
    """NPS (0-10): % promoters - % detractors, with its 95% margin of error.

    With p and d the promoter and detractor proportions of n answers, the variance of one
    answer scored +1/0/-1 is `(p + d) - (p - d)**2`, and the margin is
    `1.96 * sqrt(variance / n) * 100` NPS points (normal approximation; 0 when every
    answer is in the same group, so n=1 gives 0).
    """
    answers = _answers(values, NPS_SCALE, "NPS")
    promoters = sum(1 for value in answers if value >= cutoffs.nps_promoter_min)
    detractors = sum(1 for value in answers if value <= cutoffs.nps_detractor_max)
    return nps_from_counts(promoters, len(answers) - promoters - detractors, detractors)


def nps_from_counts(promoters: int, passives: int, detractors: int) -> NpsResult:
    """NPS and its margin of error from the three groups' sizes (see `nps`)."""
    if min(promoters, passives, detractors) < 0:
        raise ValueError(f"counts cannot be negative: {promoters=}, {passives=}, {detractors=}")
    n = promoters + passives + detractors
    if not n:
        return NpsResult(0, 0, 0, 0, None, None)
    # The variance with integer counts: ((P + D) * n - (P - D)**2) / n**2, exact and >= 0.
    variance = ((promoters + detractors) * n - (promoters - detractors) ** 2) / n**2
    return NpsResult(
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        score=100 * (promoters - detractors) / n,
        margin_of_error=_Z95 * math.sqrt(variance / n) * 100,
    )


@dataclass(frozen=True)
class CesResult:
    n: int
    mean: float | None
    easy: int
    easy_share: float | None  # percent of answers that are easy


def ces(values: Iterable[int], cutoffs: Cutoffs = DEFAULT_CUTOFFS) -> CesResult:
    """CES (1-7, 7 = very easy): the mean and the share of easy answers (>= `ces_easy_min`)."""
    answers = _answers(values, CES_SCALE, "CES")
    easy = sum(1 for value in answers if value >= cutoffs.ces_easy_min)
    return CesResult(len(answers), _mean(answers), easy, _percent(easy, len(answers)))


def _pooled(
    parts: Parts, scale: tuple[int, int], metric: str, counted: Callable[[list[int], Cutoffs], int]
) -> tuple[list[int], int]:
    """All parts' answers in one list, and the sum of what `counted` finds in each part
    against that part's own cut-offs."""
    answers: list[int] = []
    count = 0
    for values, cutoffs in parts:
        own = _answers(values, scale, metric)
        count += counted(own, cutoffs)
        answers += own
    return answers, count


def csat_of_parts(parts: Parts) -> CsatResult:
    """CSAT over several flows' answers, each part against its own cut-offs."""
    answers, satisfied = _pooled(
        parts, CSAT_SCALE, "CSAT", lambda own, cutoffs: csat(own, cutoffs).satisfied
    )
    return CsatResult(len(answers), satisfied, _percent(satisfied, len(answers)), _mean(answers))


def nps_of_parts(parts: Parts) -> NpsResult:
    """NPS over several flows' answers, each part against its own cut-offs."""
    promoters = passives = detractors = 0
    for values, cutoffs in parts:
        own = nps(values, cutoffs)
        promoters, passives = promoters + own.promoters, passives + own.passives
        detractors += own.detractors
    return nps_from_counts(promoters, passives, detractors)


def ces_of_parts(parts: Parts) -> CesResult:
    """CES over several flows' answers, each part against its own cut-offs."""
    answers, easy = _pooled(parts, CES_SCALE, "CES", lambda own, cutoffs: ces(own, cutoffs).easy)
    return CesResult(len(answers), _mean(answers), easy, _percent(easy, len(answers)))


@dataclass(frozen=True)
class Funnel:
    """How many surveys were sent, started (first answer) and completed, counted over the
    same surveys (a cohort), so that completed <= started <= sent."""

    sent: int
    started: int
    completed: int

    def __post_init__(self) -> None:
        if not 0 <= self.completed <= self.started <= self.sent:
            raise ValueError(
                "a funnel needs 0 <= completed <= started <= sent (count the same surveys), "
                f"got sent={self.sent}, started={self.started}, completed={self.completed}"
            )

    @property
    def n(self) -> int:
        return self.sent

    @property
    def start_rate(self) -> float | None:
        """Percent of sent surveys that got a first answer."""
        return _percent(self.started, self.sent)

    @property
    def completion_rate(self) -> float | None:
        """Percent of started surveys that were completed."""
        return _percent(self.completed, self.started)

    @property
    def response_rate(self) -> float | None:
        """Percent of sent surveys that were completed."""
        return _percent(self.completed, self.sent)


@dataclass(frozen=True)
class DurationSummary:
    n: int  # durations summarized
    median: timedelta | None
    mean: timedelta | None
    p90: timedelta | None  # nearest rank: 90% of the durations are at most this
    unanswered: int = 0  # cases still without a first response (not in n)


def summarize_durations(durations: Iterable[timedelta], unanswered: int = 0) -> DurationSummary:
    """Median, mean and 90th percentile (nearest-rank, so always an observed duration)."""
    ordered = sorted(durations)
    n = len(ordered)
    if not n:
        return DurationSummary(0, None, None, None, unanswered)
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    mean = sum(ordered, timedelta()) / n
    p90 = ordered[(9 * n + 9) // 10 - 1]  # the ceil(0.9 * n)-th smallest
    return DurationSummary(n, median, mean, p90, unanswered)


def first_response_times(
    pairs: Iterable[tuple[datetime, datetime | None]],
) -> DurationSummary:
    """How long cases waited for staff's first response, from (opened_at, first_response_at)
    pairs; a case without a response yet counts in `unanswered`, not in the times."""
    durations: list[timedelta] = []
    unanswered = 0
    for opened_at, responded_at in pairs:
        if responded_at is None:
            unanswered += 1
            continue
        if responded_at < opened_at:
            raise ValueError(
                f"a first response ({responded_at.isoformat()}) cannot come before the case "
                f"was opened ({opened_at.isoformat()})"
            )
        durations.append(responded_at - opened_at)
    return summarize_durations(durations, unanswered)


@dataclass(frozen=True)
class RecoveryResult:
    n: int  # customers who answered the follow-up
    recovered: int
    rate: float | None  # percent


def recovery(outcomes: Iterable[bool | None]) -> RecoveryResult:
    """Service recovery: the share of answered follow-ups (True: the problem was solved,
    False: it was not) that say solved; None (no answer) is left out of n."""
    answered = [outcome for outcome in outcomes if outcome is not None]
    recovered = sum(1 for outcome in answered if outcome)
    return RecoveryResult(len(answered), recovered, _percent(recovered, len(answered)))


# -- periods and trends -----------------------------------------------------------------


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO week, starting on Monday
    MONTH = "month"


def bucket(moment: datetime, period: Period, tz: ZoneInfo) -> date:
    """The local date the day / ISO week (its Monday) / month of `moment` starts on in `tz`."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no timezone; use aware UTC datetimes")
    local = moment.astimezone(tz).date()
    if period is Period.DAY:
        return local
    if period is Period.WEEK:
        return local - timedelta(days=local.weekday())
    return local.replace(day=1)


def bucket_start(day: date, tz: ZoneInfo) -> datetime:
    """The UTC moment a local day starts (midnight; just after it when DST skips it)."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def next_bucket(start: date, period: Period) -> date:
    """The start of the bucket after the one starting on `start`."""
    if period is Period.DAY:
        return start + timedelta(days=1)
    if period is Period.WEEK:
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")


def group_by(rows: Iterable[T], key: Callable[[T], K]) -> dict[K, list[T]]:
    """Rows by key, keys in the order first seen, rows in their original order."""
    groups: dict[K, list[T]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


@dataclass(frozen=True)
class Point(Generic[R]):
    """One bucket of a trend: its local start date and the metric over its rows."""

    start: date
    result: R


@dataclass(frozen=True)
class Series(Generic[V, R]):
    """A metric per day/week/month for a trend chart, e.g.
    `Series(Period.WEEK, ZoneInfo("Asia/Ho_Chi_Minh"), nps).points(rows)`."""

    period: Period
    tz: ZoneInfo
    metric: Callable[[Sequence[V]], R]

    def points(
        self,
        rows: Iterable[tuple[datetime, V]],
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Point[R]]:
        """Chronological points from (aware timestamp, value) rows, with empty buckets
        (the metric of no values, n=0) between the first and the last. `since`/`until`
        (half-open) limit the rows and stretch the axis to the whole range."""
        kept = [
            (moment, value)
            for moment, value in rows
            if (since is None or moment >= since) and (until is None or moment < until)
        ]
        groups = group_by(kept, lambda row: bucket(row[0], self.period, self.tz))
        edges = list(groups)
        if since is not None:
            edges.append(bucket(since, self.period, self.tz))
        if until is not None and (since is None or until > since):
            edges.append(bucket(until - timedelta(microseconds=1), self.period, self.tz))
        if not edges:
            return []
        points: list[Point[R]] = []
        current, last = min(edges), max(edges)
        while current <= last:
            values = [value for _, value in groups.get(current, [])]
            points.append(Point(current, self.metric(values)))
            current = next_bucket(current, self.period)
        return points


def rounded(x: float | None, digits: int = 1) -> float | None:
    """`x` rounded half away from zero for display (2.25 -> 2.3); None stays None."""
    if x is None or not math.isfinite(x):
        return x
    step = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(x)).quantize(step, rounding=ROUND_HALF_UP)) + 0.0
