"""The pieces of a report: how surveys are grouped, what is counted per group, and how
the counts become JSON figures (each with its n). Used by bot.insight.reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.insight.metrics import (
    Cutoffs,
    DurationSummary,
    Period,
    bucket,
    ces_of_parts,
    csat_of_parts,
    first_response_times,
    nps_of_parts,
    recovery,
    rounded,
)
from bot.insight.metrics import Funnel as FunnelCounts
from bot.insight.themes import Theme, themes
from bot.storage.repositories.insight import CaseFact, SurveyFact

SCORES = ("csat", "nps", "ces")
DIGITS = 2  # figures in results are rounded to this many decimals
COMPLETED = "completed"
RECOVERED, NOT_RECOVERED = "yes", "no"  # the follow-up flow's option ids (flows/recovery.yaml)
_PLAIN_GROUPS = ("flow", "store", "channel", "sku", "locale")
GROUPS = (*_PLAIN_GROUPS, *(period.value for period in Period), "segment:<attribute>")


@dataclass(frozen=True)
class Grouping:
    """How a report is split: by a survey property, a customer attribute, or a period."""

    name: str
    attribute: str | None = None

    @classmethod
    def parse(cls, text: str | None) -> Grouping | None:
        """`flow`, `store`, `channel`, `sku`, `locale`, `day`, `week`, `month` or
        `segment:<customer attribute>`; ValueError names the choices."""
        if text is None or text == "":
            return None
        if text in _PLAIN_GROUPS or text in Period.__members__.values():
            return cls(text)
        prefix, _, attribute = text.partition(":")
        if prefix == "segment" and attribute.strip():
            return cls("segment", attribute.strip())
        raise ValueError(f"cannot group by {text!r}; choose one of {', '.join(GROUPS)}")

    @property
    def period(self) -> Period | None:
        return Period(self.name) if self.name in Period.__members__.values() else None

    def __str__(self) -> str:
        return f"segment:{self.attribute}" if self.attribute else self.name

    def keys(self, fact: SurveyFact, moment: datetime, tz: ZoneInfo) -> list[str | None]:
        """The group(s) a survey falls in (several for an order with several SKUs)."""
        if self.period is not None:
            return [bucket(moment, self.period, tz).isoformat()]
        if self.name == "flow":
            return [fact.flow_id]
        if self.name == "store":
            return [fact.store]
        if self.name == "channel":
            return [fact.channel]
        if self.name == "locale":
            return [fact.locale]
        if self.name == "sku":
            return list(fact.skus) or [None]
        assert self.attribute is not None
        return [attribute_text(fact.attributes.get(self.attribute))]


def attribute_text(value: Any) -> str | None:
    """A customer attribute as the text a segment filter matches (true/false for booleans)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class Tally:
    """Everything counted for one group, before it becomes figures."""

    scores: dict[str, dict[str, list[int]]] = field(
        default_factory=lambda: {kind: defaultdict(list) for kind in SCORES}
    )
    responses: int = 0
    sent: int = 0
    started: int = 0
    completed: int = 0
    waits: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    outcomes: list[bool | None] = field(default_factory=list)

    def add_scores(self, fact: SurveyFact) -> None:
        self.responses += 1
        for kind, value in first_scores(fact).items():
            if value is not None:
                self.scores[kind][fact.flow_id].append(value)

    def add_asked(self, fact: SurveyFact) -> None:
        self.sent += 1
        self.started += bool(fact.answers)
        self.completed += fact.status == COMPLETED

    def add_case(self, case: CaseFact) -> None:
        self.waits.append((case.opened_at, case.first_response_at))
        self.outcomes.append(recovered(case.followup_answer))

    def figures(self, cutoffs: Callable[[str], Cutoffs]) -> dict[str, Any]:
        def parts(kind: str) -> list[tuple[list[int], Cutoffs]]:
            return [(values, cutoffs(flow)) for flow, values in self.scores[kind].items()]

        csat = csat_of_parts(parts("csat"))
        nps = nps_of_parts(parts("nps"))
        ces = ces_of_parts(parts("ces"))
        funnel = FunnelCounts(self.sent, self.started, self.completed)
        outcome = recovery(self.outcomes)
        return {
            "responses": {"n": self.responses},
            "csat": {
                "n": csat.n,
                "satisfied": csat.satisfied,
                "share": rounded(csat.share, DIGITS),
                "mean": rounded(csat.mean, DIGITS),
            },
            "nps": {
                "n": nps.n,
                "score": rounded(nps.score, DIGITS),
                "margin_of_error": rounded(nps.margin_of_error, DIGITS),
                "promoters": nps.promoters,
                "passives": nps.passives,
                "detractors": nps.detractors,
            },
            "ces": {
                "n": ces.n,
                "mean": rounded(ces.mean, DIGITS),
                "easy": ces.easy,
                "easy_share": rounded(ces.easy_share, DIGITS),
            },
            "funnel": funnel_json(funnel),
            "first_response": durations_json(first_response_times(self.waits)),
            "recovery": {
                "n": outcome.n,
                "recovered": outcome.recovered,
                "rate": rounded(outcome.rate, DIGITS),
            },
        }


def funnel_json(funnel: FunnelCounts) -> dict[str, Any]:
    return {
        "n": funnel.n,
        "sent": funnel.sent,
        "started": funnel.started,
        "completed": funnel.completed,
        "start_rate": rounded(funnel.start_rate, DIGITS),
        "completion_rate": rounded(funnel.completion_rate, DIGITS),
        "response_rate": rounded(funnel.response_rate, DIGITS),
    }


def durations_json(summary: DurationSummary) -> dict[str, Any]:
    def seconds(value: timedelta | None) -> float | None:
        return rounded(value.total_seconds(), DIGITS) if value is not None else None

    return {
        "n": summary.n,
        "median_seconds": seconds(summary.median),
        "mean_seconds": seconds(summary.mean),
        "p90_seconds": seconds(summary.p90),
        "unanswered": summary.unanswered,
    }


def recovered(followup_answer: str | None) -> bool | None:
    """The follow-up's answer as an outcome: "yes" fixed, "no" not, anything else unknown."""
    if followup_answer == RECOVERED:
        return True
    if followup_answer == NOT_RECOVERED:
        return False
    return None


def first_scores(fact: SurveyFact) -> dict[str, int | None]:
    """The first answered CSAT, NPS and CES of a survey (None when not answered)."""
    found: dict[str, int | None] = dict.fromkeys(SCORES)
    for answer in fact.answers:
        if answer.kind in found and found[answer.kind] is None and not answer.skipped:
            found[answer.kind] = answer.value_int
    return found


def first_reason(fact: SurveyFact) -> str | None:
    return next(
        (
            a.value_text
            for a in fact.answers
            if a.kind == "choice" and not a.skipped and a.value_text is not None
        ),
        None,
    )


def comment_of(fact: SurveyFact) -> str | None:
    """The survey's free-text answers, one per line (None when there are none)."""
    texts = [
        a.value_text.strip()
        for a in fact.answers
        if a.kind == "text" and not a.skipped and a.value_text and a.value_text.strip()
    ]
    return "\n".join(texts) or None


def is_detractor(fact: SurveyFact, cutoffs: Cutoffs) -> bool:
    """An NPS detractor; without an NPS answer, a CSAT below satisfied."""
    scores = first_scores(fact)
    if scores["nps"] is not None:
        return scores["nps"] <= cutoffs.nps_detractor_max
    return scores["csat"] is not None and scores["csat"] < cutoffs.csat_satisfied_min


def merge_themes(by_locale: dict[str, list[str]], limit: int) -> list[Theme]:
    """Themes of comments in several languages: each language's own, counts added up."""
    total = sum(len([c for c in comments if c.strip()]) for comments in by_locale.values())
    counts: dict[str, int] = defaultdict(int)
    examples: dict[str, list[str]] = defaultdict(list)
    for locale, comments in sorted(by_locale.items()):
        for theme in themes(comments, locale, top=max(limit, 0) * 3):
            counts[theme.phrase] += theme.count
            examples[theme.phrase] += theme.examples
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [
        Theme(
            phrase,
            count,
            100 * count / total if total else 0.0,
            tuple(sorted(set(examples[phrase]), key=lambda text: (len(text), text))[:3]),
        )
        for phrase, count in ranked
    ]


def cutoffs_json(cutoffs: Cutoffs) -> dict[str, int]:
    return {
        "csat_satisfied_from": cutoffs.csat_satisfied_min,
        "nps_promoter_from": cutoffs.nps_promoter_min,
        "nps_detractor_to": cutoffs.nps_detractor_max,
        "ces_easy_from": cutoffs.ces_easy_min,
    }
