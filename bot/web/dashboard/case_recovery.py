"""The Recovery section of a case page: was the follow-up asked, what did the customer
answer, and when."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.durations import format_duration
from bot.insight.followup import followup_result
from bot.storage.models import Case
from bot.storage.unit_of_work import UnitOfWork
from bot.support.cards import CaseCards
from bot.support.case_rules import CaseStatus

if TYPE_CHECKING:
    from bot.web.services import WebServices


async def recovery_of(
    services: WebServices, tx: UnitOfWork, case: Case, cards: CaseCards, now: datetime
) -> dict[str, Any]:
    """`state`: "off" (no follow-up flow is set up), "waiting" (asked once resolved),
    "not_asked" (resolved, not asked yet or not reachable) or "asked", with its answer:
    `outcome` "yes" / "no" / "other" (an answer the recovery rate does not count) / None."""
    config = services.cases.config
    section: dict[str, Any] = {"delay": format_duration(config.followup_delay)}
    if case.followup_survey_id is not None:
        facts = await tx.insight.surveys_by_id([case.followup_survey_id])
        fact = facts.get(case.followup_survey_id)
        if fact is not None:
            result = followup_result(fact)
            outcome = {True: "yes", False: "no", None: None}[result.recovered]
            if outcome is None and result.answer is not None:
                outcome = "other"
            return section | {
                "state": "asked",
                "asked": cards.local_time(result.asked_at, now),
                "outcome": outcome,
                "answer": result.answer,
                "answered": cards.local_time(result.answered_at, now),
                "nps_after": result.nps_after,
            }
    if not config.followup_flow or config.followup_flow not in services.catalog.flows:
        return section | {"state": "off"}
    if case.status != CaseStatus.RESOLVED:
        return section | {"state": "waiting"}
    return section | {"state": "not_asked"}
