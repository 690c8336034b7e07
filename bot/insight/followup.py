"""One case's follow-up ("is it sorted out for you?", flows/recovery.yaml) as its case page
shows it: when it was asked, what was answered and when, and the outcome by the same rule
the recovery rate counts it (bot.insight.figures.recovered)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.insight.figures import first_scores, recovered
from bot.storage.repositories.insight import SurveyFact


@dataclass(frozen=True)
class FollowupResult:
    asked_at: datetime | None
    answer: str | None  # the option id picked first (yes / no in flows/recovery.yaml)
    answered_at: datetime | None
    recovered: bool | None  # True fixed, False not, None no answer (left out of the rate)
    nps_after: int | None  # the NPS asked again after a "yes"


def followup_result(fact: SurveyFact) -> FollowupResult:
    """The follow-up survey's outcome. Its first choice answer counts, as in the report's
    recovery rate (InsightRepository.cases reads the same)."""
    choice = next(
        (a for a in fact.answers if a.kind == "choice" and a.value_text is not None), None
    )
    answer = choice.value_text if choice is not None else None
    return FollowupResult(
        asked_at=fact.asked_at,
        answer=answer,
        answered_at=choice.answered_at if choice is not None else None,
        recovered=recovered(answer),
        nps_after=first_scores(fact)["nps"],
    )
