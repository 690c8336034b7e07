"""What the answers say: metrics by the standard definitions, grouped and over time, the
responses themselves, their themes, and the sent -> started -> completed funnel.

Each figure is dated by the moment that makes it meaningful (docs/insight.md):
- scores, comments and the responses list by the survey's first answer;
- the funnel by the survey's first question (so completed <= started <= sent);
- case figures (first staff response, recovery) by when the case was opened.

Every answer is judged by the cut-offs of its own flow (`metrics:` in the flow file).
Results are JSON-ready dicts with `n` next to every figure. Read-only: nothing here writes.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.flows.catalog import FlowCatalog
from bot.insight.figures import (
    GROUPS,
    SCORES,
    Grouping,
    Tally,
    attribute_text,
    comment_of,
    cutoffs_json,
    first_reason,
    first_scores,
    funnel_json,
    is_detractor,
    merge_themes,
)
from bot.insight.metrics import Cutoffs, Period, bucket, cutoffs_of, next_bucket
from bot.insight.metrics import Funnel as FunnelCounts
from bot.insight.themes import Theme
from bot.storage.database import Database
from bot.storage.repositories.insight import CaseFact, SurveyFact, SurveyScope, TimeBasis

__all__ = [
    "GROUPS",
    "Insight",
    "ResponseFilter",
    "ResponsePage",
    "ResponseRow",
    "Theme",
    "parse_moment",
]

BATCH = 1000
EARLIEST_YEAR, LATEST_YEAR = 2000, 2200
MAX_PERIODS = 1500  # four years by day
# "+07:00" arrives as " 07:00" when a client forgot to encode the plus sign of a URL.
_UNENCODED_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def parse_moment(text: str, tz: ZoneInfo, *, end: bool = False) -> datetime:
    """An ISO date or datetime as given to a report; one without an offset is shop time
    (`tz`). A date as the `end` of a range means the end of that day (the next midnight),
    so `--to 2026-11-30` includes the 30th. ValueError says what to write."""
    text = _UNENCODED_PLUS.sub(r"\1+\2", text.strip())
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            moment = datetime.combine(day, datetime.min.time())
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date or time; write 2026-11-20 or 2026-11-20T08:00+07:00"
        ) from None
    except OverflowError:  # the day after 9999-12-31
        moment = datetime.max
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        # Far-off years overflow on the way to UTC and make endless period lists.
        raise ValueError(
            f"{text!r} is out of range; use a date from {EARLIEST_YEAR} to {LATEST_YEAR}"
        )
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


class TooManyPeriods(ValueError):
    """A report by day/week/month over a span that would list too many periods."""


def _check_periods(filters: ResponseFilter, period: Period | None, now: datetime) -> None:
    """TooManyPeriods when grouping `filters`' dates by `period` lists more than
    MAX_PERIODS (an open end counts as now: the data ends there)."""
    if period is None or filters.start is None:
        return
    end = filters.end or now
    days = (end - filters.start).days
    count = {Period.DAY: days, Period.WEEK: days // 7, Period.MONTH: days // 28}[period]
    if count > MAX_PERIODS:
        raise TooManyPeriods(
            f"by {period.value} that is {count} periods; at most {MAX_PERIODS}: narrow "
            "the dates or group by a longer period"
        )


@dataclass(frozen=True)
class ResponseFilter:
    """Which surveys a report covers. Times are aware; `end` is exclusive."""

    flow: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    store: str | None = None
    channel: str | None = None
    sku: str | None = None
    segment: tuple[str, str] | None = None  # (customer attribute, value)
    search: str | None = None  # words in comments (all of them, any case)
    exclude_flows: tuple[str, ...] = ()
    score: str = "nps"  # the score min_score/max_score bound
    min_score: int | None = None
    max_score: int | None = None
    has_comment: bool | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must come after start")
        if self.score not in SCORES:
            raise ValueError(f"score must be one of {', '.join(SCORES)}, got {self.score!r}")
        if (
            self.min_score is not None
            and self.max_score is not None
            and self.min_score > self.max_score
        ):
            raise ValueError("min_score must not be above max_score")

    @property
    def scope(self) -> SurveyScope:
        return SurveyScope(
            self.flow, self.exclude_flows, self.start, self.end, self.store, self.channel
        )


@dataclass(frozen=True)
class ResponseRow:
    """One survey that got at least one answer."""

    survey_id: int
    responded_at: datetime  # its first answer
    completed_at: datetime | None
    flow: str
    flow_version: str
    status: str
    customer: str | None  # the shop's customer id
    customer_name: str | None
    order: str | None  # the shop's order id
    store: str | None
    channel: str | None
    skus: tuple[str, ...]
    locale: str
    csat: int | None
    nps: int | None
    ces: int | None
    reason: str | None  # the first choice picked (option id)
    comment: str | None
    segments: dict[str, Any]

    def to_json(self, tz: ZoneInfo) -> dict[str, Any]:
        return {
            "survey_id": self.survey_id,
            "responded_at": self.responded_at.astimezone(tz).isoformat(),
            "completed_at": self.completed_at.astimezone(tz).isoformat()
            if self.completed_at
            else None,
            "flow": self.flow,
            "flow_version": self.flow_version,
            "status": self.status,
            "customer": {"id": self.customer, "name": self.customer_name},
            "order": self.order,
            "store": self.store,
            "channel": self.channel,
            "skus": list(self.skus),
            "locale": self.locale,
            "scores": {"csat": self.csat, "nps": self.nps, "ces": self.ces},
            "reason": self.reason,
            "comment": self.comment,
            "segments": self.segments,
        }


@dataclass(frozen=True)
class ResponsePage:
    rows: list[ResponseRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def to_json(self, tz: ZoneInfo) -> dict[str, Any]:
        return {
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "pages": self.pages,
            "rows": [row.to_json(tz) for row in self.rows],
        }


def accepts(filters: ResponseFilter, fact: SurveyFact) -> bool:
    """The filters SQL does not apply: SKU, segment, score range, comment, words."""
    if filters.sku is not None and filters.sku not in fact.skus:
        return False
    if filters.segment is not None:
        attribute, value = filters.segment
        if attribute_text(fact.attributes.get(attribute)) != value:
            return False
    if filters.min_score is not None or filters.max_score is not None:
        score = first_scores(fact)[filters.score]
        if score is None:
            return False
        if filters.min_score is not None and score < filters.min_score:
            return False
        if filters.max_score is not None and score > filters.max_score:
            return False
    comment = comment_of(fact)
    if filters.has_comment is not None and (comment is not None) != filters.has_comment:
        return False
    if filters.search:
        folded = (comment or "").casefold()
        if not all(word in folded for word in filters.search.casefold().split()):
            return False
    return True


def response_row(fact: SurveyFact) -> ResponseRow:
    scores = first_scores(fact)
    return ResponseRow(
        survey_id=fact.survey_id,
        responded_at=fact.responded_at or fact.dated_at,
        completed_at=fact.completed_at,
        flow=fact.flow_id,
        flow_version=fact.flow_version,
        status=fact.status,
        customer=fact.customer_ref,
        customer_name=fact.customer_name,
        order=fact.order_ref,
        store=fact.store,
        channel=fact.channel,
        skus=fact.skus,
        locale=fact.locale,
        csat=scores["csat"],
        nps=scores["nps"],
        ces=scores["ces"],
        reason=first_reason(fact),
        comment=comment_of(fact),
        segments=dict(fact.attributes),
    )


class Insight:
    def __init__(
        self, db: Database, catalog: FlowCatalog, clock: Clock, timezone: ZoneInfo
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.clock = clock
        self.timezone = timezone

    def cutoffs(self, flow_id: str) -> Cutoffs:
        """A flow's cut-offs (the live file's; the standard ones for a flow now gone)."""
        return cutoffs_of(self.catalog.get(flow_id))

    async def known_flows(self) -> set[str]:
        """Flows that are live or ever asked a question."""
        async with self.db.reading() as tx:
            return set(self.catalog.flows) | await tx.insight.flow_ids()

    # -- figures --------------------------------------------------------------------------

    async def metrics(self, filters: ResponseFilter, group_by: str | None = None) -> dict[str, Any]:
        """CSAT, NPS, CES, the funnel and case figures, overall and per group, each with n.

        `group_by` is one of GROUPS (ValueError otherwise). Period groups come in time
        order with empty periods included; other groups by key (no value last).
        """
        grouping = Grouping.parse(group_by)
        overall, groups = await self._tallies(filters, grouping)
        flows = sorted({flow for kind in SCORES for flow in overall.scores[kind]})
        result: dict[str, Any] = {
            "filters": self._describe(filters),
            "group_by": str(grouping) if grouping else None,
            "cutoffs": {flow: cutoffs_json(self.cutoffs(flow)) for flow in flows},
            **overall.figures(self.cutoffs),
        }
        if grouping is not None:
            result["groups"] = [
                {"key": key, **tally.figures(self.cutoffs)}
                for key, tally in self._ordered(groups, grouping, filters)
            ]
        return result

    async def trend(self, filters: ResponseFilter, period: str = "week") -> list[dict[str, Any]]:
        """One point per day/week/month (local start date): NPS score, CSAT share, CES mean,
        each with its n; periods without answers are included with n=0."""
        grouping = Grouping.parse(period)
        if grouping is None or grouping.period is None:
            raise ValueError(f"period must be day, week or month, got {period!r}")
        _, groups = await self._tallies(filters, grouping, funnel=False, cases=False)
        points = []
        for key, tally in self._ordered(groups, grouping, filters):
            figures = tally.figures(self.cutoffs)
            points.append(
                {
                    "start": key,
                    "nps": figures["nps"]["score"],
                    "nps_n": figures["nps"]["n"],
                    "nps_margin_of_error": figures["nps"]["margin_of_error"],
                    "csat": figures["csat"]["share"],
                    "csat_mean": figures["csat"]["mean"],
                    "csat_n": figures["csat"]["n"],
                    "ces": figures["ces"]["mean"],
                    "ces_easy_share": figures["ces"]["easy_share"],
                    "ces_n": figures["ces"]["n"],
                }
            )
        return points

    async def funnel(self, filters: ResponseFilter) -> dict[str, Any]:
        """Surveys asked in the period: sent, started (answered once), completed, with rates."""
        tally = Tally()
        async for fact in self._matching(filters, TimeBasis.ASKED):
            tally.add_asked(fact)
        return funnel_json(FunnelCounts(tally.sent, tally.started, tally.completed))

    # -- what was said --------------------------------------------------------------------

    async def responses(
        self, filters: ResponseFilter, page: int = 1, per_page: int = 50
    ) -> ResponsePage:
        """One row per answered survey, newest first."""
        if page < 1 or not 1 <= per_page <= 1000:
            raise ValueError("page starts at 1 and per_page is 1-1000")
        first = (page - 1) * per_page
        rows: list[ResponseRow] = []
        total = 0
        async for fact in self._matching(filters, TimeBasis.RESPONDED):
            if first <= total < first + per_page:
                rows.append(response_row(fact))
            total += 1
        return ResponsePage(rows, total, page, per_page)

    async def rows(self, filters: ResponseFilter) -> AsyncIterator[ResponseRow]:
        """Every matching response, newest first, read batch by batch (for exports)."""
        async for fact in self._matching(filters, TimeBasis.RESPONDED):
            yield response_row(fact)

    async def themes(
        self, filters: ResponseFilter, limit: int = 10, *, detractors_only: bool = False
    ) -> list[Theme]:
        """The most mentioned words and phrases of the comments (bot.insight.themes),
        each comment read in its survey's language."""
        by_locale: dict[str, list[str]] = defaultdict(list)
        async for fact in self._matching(filters, TimeBasis.RESPONDED):
            if detractors_only and not is_detractor(fact, self.cutoffs(fact.flow_id)):
                continue
            comment = comment_of(fact)
            if comment is not None:
                by_locale[fact.locale].append(comment)
        return merge_themes(by_locale, limit)

    async def reasons(
        self, filters: ResponseFilter, *, detractors_only: bool = False
    ) -> list[tuple[str, str, int]]:
        """The choice answers picked (flow, option id, count), most picked first."""
        picked: list[tuple[str, str]] = []
        async for fact in self._matching(filters, TimeBasis.RESPONDED):
            if detractors_only and not is_detractor(fact, self.cutoffs(fact.flow_id)):
                continue
            reason = first_reason(fact)
            if reason is not None:
                picked.append((fact.flow_id, reason))
        counted = Counter(picked)
        ranked = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
        return [(flow, option, count) for (flow, option), count in ranked]

    # -- internals ------------------------------------------------------------------------

    async def _matching(
        self, filters: ResponseFilter, basis: TimeBasis
    ) -> AsyncIterator[SurveyFact]:
        """The surveys the filters select, newest first, batch by batch."""
        cursor: tuple[datetime, int] | None = None
        while True:
            async with self.db.reading() as tx:
                batch = await tx.insight.surveys(filters.scope, basis, after=cursor, limit=BATCH)
            for fact in batch:
                if accepts(filters, fact):
                    yield fact
            if len(batch) < BATCH:
                return
            cursor = (batch[-1].dated_at, batch[-1].survey_id)

    async def _cases(self, filters: ResponseFilter) -> list[CaseFact]:
        async with self.db.reading() as tx:
            found = await tx.insight.cases(filters.scope)
        return [c for c in found if c.survey is not None and accepts(filters, c.survey)]

    async def _tallies(
        self,
        filters: ResponseFilter,
        grouping: Grouping | None,
        *,
        funnel: bool = True,
        cases: bool = True,
    ) -> tuple[Tally, dict[str | None, Tally]]:
        # Before any reading: every report by period lists each period, empty or not.
        _check_periods(filters, grouping.period if grouping else None, self.clock.now())
        overall = Tally()
        groups: dict[str | None, Tally] = defaultdict(Tally)

        def split(fact: SurveyFact, moment: datetime) -> Iterable[Tally]:
            yield overall
            if grouping is not None:
                for key in grouping.keys(fact, moment, self.timezone):
                    yield groups[key]

        async for fact in self._matching(filters, TimeBasis.RESPONDED):
            for tally in split(fact, fact.dated_at):
                tally.add_scores(fact)
        if funnel:
            async for fact in self._matching(filters, TimeBasis.ASKED):
                for tally in split(fact, fact.dated_at):
                    tally.add_asked(fact)
        if cases:
            for case in await self._cases(filters):
                assert case.survey is not None
                for tally in split(case.survey, case.opened_at):
                    tally.add_case(case)
        return overall, groups

    def _ordered(
        self, groups: dict[str | None, Tally], grouping: Grouping, filters: ResponseFilter
    ) -> list[tuple[str | None, Tally]]:
        period = grouping.period
        if period is None:
            return sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or ""))
        edges = [date.fromisoformat(key) for key in groups if key is not None]
        if filters.start is not None:
            edges.append(bucket(filters.start, period, self.timezone))
        if filters.end is not None:
            edges.append(bucket(filters.end - timedelta(microseconds=1), period, self.timezone))
        if not edges:
            return []
        ordered: list[tuple[str | None, Tally]] = []
        current, last = min(edges), max(edges)
        while current <= last:
            ordered.append((current.isoformat(), groups.get(current.isoformat()) or Tally()))
            current = next_bucket(current, period)
        return ordered

    def _describe(self, filters: ResponseFilter) -> dict[str, Any]:
        def local(moment: datetime | None) -> str | None:
            return moment.astimezone(self.timezone).isoformat() if moment else None

        return {
            "flow": filters.flow,
            "from": local(filters.start),
            "to": local(filters.end),
            "store": filters.store,
            "channel": filters.channel,
            "sku": filters.sku,
            "segment": ":".join(filters.segment) if filters.segment else None,
            "search": filters.search,
            "timezone": self.timezone.key,
        }
