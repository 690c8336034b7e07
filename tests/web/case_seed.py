"""Support cases and their follow-ups written straight into the tables, in chosen states and
at chosen times, for the dashboard's case list, case page and recovery figures."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app.runtime import Runtime
from bot.flows.registry import FlowRegistry
from bot.storage.models import AnswerRow, Case, Survey
from bot.surveys.engine import SessionStatus
from tests.web.dashboard_client import seed_response


async def seed_case(
    runtime: Runtime,
    opened_at: datetime,
    *,
    customer: str = "Lan",
    sla: timedelta = timedelta(hours=4),
    status: str = "open",
    claimed_by: int | None = None,
    claimed_by_name: str | None = None,
    claimed_via: str = "dashboard",
    resolved_at: datetime | None = None,
    escalated_at: datetime | None = None,
) -> int:
    """A case on an unhappy post-purchase answer given at `opened_at`; its id."""
    survey_id = await seed_response(runtime, opened_at, customer=customer, csat=1, nps=2, ces=2)
    if claimed_by is not None and claimed_by_name is None:
        claimed_by_name = f"Staff {claimed_by}"
    async with runtime.db.transaction() as tx:
        survey = await tx.session.get(Survey, survey_id)
        assert survey is not None
        case = Case(
            survey_id=survey_id,
            customer_id=survey.customer_id,
            order_id=survey.order_id,
            flow_id=survey.flow_id,
            severity="critical",
            status=status,
            sla_due_at=opened_at + sla,
            opened_at=opened_at,
            claimed_at=opened_at if claimed_by is not None else None,
            claimed_by=claimed_by,
            claimed_by_name=claimed_by_name,
            claimed_via=claimed_via if claimed_by is not None else None,
            resolved_at=resolved_at,
            resolved_by_name=claimed_by_name if resolved_at else None,
            escalated_at=escalated_at,
            updated_at=opened_at,
        )
        tx.session.add(case)
        await tx.session.flush()
        return case.id


async def seed_followup(
    runtime: Runtime,
    case_id: int,
    asked_at: datetime,
    answer: str | None = None,
    *,
    nps_after: int | None = None,
) -> int:
    """The follow-up survey (flows/recovery.yaml) asked on a case at `asked_at`, answered
    `answer` ("yes" / "no") a minute later, then `nps_after` another minute later."""
    flow = runtime.catalog.get("recovery")
    assert flow is not None
    async with runtime.db.transaction() as tx:
        case = await tx.cases.get(case_id)
        assert case is not None
        await FlowRegistry(runtime.catalog).remember(tx, flow, asked_at)
        survey = await tx.surveys.add(
            flow_id=flow.id,
            flow_version=flow.version,
            customer_id=case.customer_id,
            order_id=None,
            locale="en",
            status=SessionStatus.COMPLETED if answer else SessionStatus.ACTIVE,
            channel="telegram",
            now=asked_at,
        )
        survey.started_at = survey.sent_at = asked_at
        answers = [("resolved", "choice", None, answer), ("nps_again", "nps", nps_after, None)]
        for minutes, (step, kind, number, text) in enumerate(answers, start=1):
            if number is None and text is None:
                continue
            tx.session.add(
                AnswerRow(
                    survey_id=survey.id,
                    flow_id=flow.id,
                    flow_version=flow.version,
                    step_id=step,
                    kind=kind,
                    value_int=number,
                    value_text=text,
                    skipped=False,
                    answered_at=asked_at + timedelta(minutes=minutes),
                )
            )
        case.followup_survey_id = survey.id
        return survey.id
