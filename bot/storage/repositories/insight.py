"""Read-only queries for reports: surveys with their customer, order and answers, and the
cases opened on them. Returned as plain DTOs; the grouping and the metrics are done by
bot.insight.reports.

Only what SQL does the same on SQLite and PostgreSQL is filtered here (flow, time range,
store, channel); filters on JSON (SKUs, customer attributes) and on comment words are
applied by the service, batch by batch (keyset pagination, newest first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    AnswerRow,
    Case,
    Customer,
    FlowVersion,
    Order,
    Survey,
    UtcDateTime,
)

_IN_CHUNK = 500  # ids per IN (...) list


class TimeBasis(StrEnum):
    """Which moment of a survey dates it in a report."""

    RESPONDED = "responded"  # its first answer (scores, comments, the responses list)
    ASKED = "asked"  # its first question (the sent -> started -> completed funnel)


@dataclass(frozen=True)
class SurveyScope:
    """The SQL part of a report's filters; times are aware UTC, `end` exclusive."""

    flow: str | None = None
    exclude_flows: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    store: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class AnswerFact:
    step_id: str
    kind: str
    value_int: int | None
    value_text: str | None
    skipped: bool
    answered_at: datetime


@dataclass(frozen=True)
class SurveyFact:
    """One survey as a report sees it."""

    survey_id: int
    flow_id: str
    flow_version: str
    status: str
    locale: str
    channel: str | None
    customer_id: int
    customer_ref: str | None  # the shop's customer id
    customer_name: str | None
    attributes: dict[str, Any]
    order_ref: str | None  # the shop's order id
    store: str | None
    skus: tuple[str, ...]
    asked_at: datetime | None
    completed_at: datetime | None
    dated_at: datetime  # the moment of the basis it was selected by
    answers: tuple[AnswerFact, ...] = ()

    @property
    def responded_at(self) -> datetime | None:
        """Its first answer, if any."""
        return min((a.answered_at for a in self.answers), default=None)


@dataclass(frozen=True)
class CaseFact:
    case_id: int
    survey_id: int
    opened_at: datetime
    first_response_at: datetime | None
    followup_answer: str | None  # the first choice picked in the follow-up survey
    survey: SurveyFact | None = field(default=None, compare=False)


Cursor = tuple[datetime, int]  # (dated_at, survey id) of the last row of the previous batch


class InsightRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def surveys(
        self,
        scope: SurveyScope,
        basis: TimeBasis,
        *,
        after: Cursor | None = None,
        limit: int = 1000,
    ) -> list[SurveyFact]:
        """Up to `limit` surveys dated (by `basis`) inside the scope, newest first, with
        their answers; pass the last one's (dated_at, survey_id) as `after` for the next."""
        dated = self._dated(basis)
        statement = self._select(dated).where(*self._conditions(scope, dated))
        if after is not None:
            moment, survey_id = after
            statement = statement.where(
                or_(dated < moment, and_(dated == moment, Survey.id < survey_id))
            )
        statement = statement.order_by(dated.desc(), Survey.id.desc()).limit(limit)
        rows = (await self.session.execute(statement)).all()
        return await self._with_answers([_fact(row) for row in rows])

    async def surveys_by_id(self, survey_ids: Sequence[int]) -> dict[int, SurveyFact]:
        """These surveys (dated by their first question), with their answers."""
        facts: list[SurveyFact] = []
        dated = self._dated(TimeBasis.ASKED)
        for chunk in _chunks(sorted(set(survey_ids))):
            statement = self._select(dated).where(Survey.id.in_(chunk))
            facts += [_fact(row) for row in (await self.session.execute(statement)).all()]
        return {fact.survey_id: fact for fact in await self._with_answers(facts)}

    async def cases(self, scope: SurveyScope) -> list[CaseFact]:
        """Cases opened inside the scope's time range, on surveys inside its other filters,
        oldest first, each with its survey and what its follow-up answered."""
        conditions = self._conditions(
            SurveyScope(scope.flow, scope.exclude_flows, None, None, scope.store, scope.channel),
            Survey.started_at.expression,
        )
        statement = (
            select(Case.id, Case.survey_id, Case.opened_at, Case.first_response_at)
            .add_columns(Case.followup_survey_id)
            .join(Survey, Survey.id == Case.survey_id)
            .outerjoin(Order, Order.id == Survey.order_id)
            .where(*conditions)
            .order_by(Case.opened_at, Case.id)
        )
        if scope.start is not None:
            statement = statement.where(Case.opened_at >= scope.start)
        if scope.end is not None:
            statement = statement.where(Case.opened_at < scope.end)
        rows = (await self.session.execute(statement)).all()
        surveys = await self.surveys_by_id([row.survey_id for row in rows])
        followups = await self._first_choices(
            [row.followup_survey_id for row in rows if row.followup_survey_id is not None]
        )
        return [
            CaseFact(
                case_id=row.id,
                survey_id=row.survey_id,
                opened_at=row.opened_at,
                first_response_at=row.first_response_at,
                followup_answer=followups.get(row.followup_survey_id)
                if row.followup_survey_id is not None
                else None,
                survey=surveys.get(row.survey_id),
            )
            for row in rows
        ]

    async def flow_ids(self) -> set[str]:
        """Every flow that ever asked a question (its versions are on record)."""
        rows = await self.session.execute(select(FlowVersion.flow_id).distinct())
        return {flow_id for (flow_id,) in rows.all()}

    # -- building blocks ----------------------------------------------------------------

    @staticmethod
    def _dated(basis: TimeBasis) -> ColumnElement[datetime | None]:
        if basis is TimeBasis.ASKED:
            return Survey.started_at.expression
        first = (
            select(func.min(AnswerRow.answered_at))
            .where(AnswerRow.survey_id == Survey.id)
            .correlate(Survey)
            .scalar_subquery()
        )
        # An aggregate loses the column type: SQLite would hand back text.
        return type_coerce(first, UtcDateTime())

    @staticmethod
    def _select(dated: ColumnElement[datetime | None]) -> Select[*tuple[Any, ...]]:
        return (
            select(
                Survey.id,
                Survey.flow_id,
                Survey.flow_version,
                Survey.status,
                Survey.locale,
                Survey.channel,
                Survey.customer_id,
                Survey.started_at,
                Survey.completed_at,
                Customer.external_id.label("customer_ref"),
                Customer.name.label("customer_name"),
                Customer.attributes,
                Order.external_id.label("order_ref"),
                Order.store,
                Order.items,
                dated.label("dated_at"),
            )
            .join(Customer, Customer.id == Survey.customer_id)
            .outerjoin(Order, Order.id == Survey.order_id)
        )

    @staticmethod
    def _conditions(scope: SurveyScope, dated: ColumnElement[datetime | None]) -> list[Any]:
        # A first answer comes after the first question: the cheap column narrows it down.
        conditions: list[Any] = [dated.is_not(None), Survey.started_at.is_not(None)]
        if scope.flow is not None:
            conditions.append(Survey.flow_id == scope.flow)
        if scope.exclude_flows:
            conditions.append(Survey.flow_id.not_in(scope.exclude_flows))
        if scope.start is not None:
            conditions.append(dated >= scope.start)
        if scope.end is not None:
            conditions += [dated < scope.end, Survey.started_at < scope.end]
        if scope.store is not None:
            conditions.append(Order.store == scope.store)
        if scope.channel is not None:
            conditions.append(Survey.channel == scope.channel)
        return conditions

    async def _with_answers(self, facts: list[SurveyFact]) -> list[SurveyFact]:
        answers: dict[int, list[AnswerFact]] = {}
        for chunk in _chunks([fact.survey_id for fact in facts]):
            statement = (
                select(AnswerRow)
                .where(AnswerRow.survey_id.in_(chunk))
                .order_by(AnswerRow.answered_at, AnswerRow.id)
            )
            for row in (await self.session.execute(statement)).scalars():
                answers.setdefault(row.survey_id, []).append(
                    AnswerFact(
                        row.step_id,
                        row.kind,
                        row.value_int,
                        row.value_text,
                        row.skipped,
                        row.answered_at,
                    )
                )
        return [replace(fact, answers=tuple(answers.get(fact.survey_id, ()))) for fact in facts]

    async def _first_choices(self, survey_ids: Sequence[int]) -> dict[int, str]:
        picked: dict[int, str] = {}
        for chunk in _chunks(sorted(set(survey_ids))):
            statement = (
                select(AnswerRow.survey_id, AnswerRow.value_text)
                .where(
                    AnswerRow.survey_id.in_(chunk),
                    AnswerRow.kind == "choice",
                    AnswerRow.value_text.is_not(None),
                )
                .order_by(AnswerRow.answered_at, AnswerRow.id)
            )
            for survey_id, value in (await self.session.execute(statement)).all():
                if value is not None:
                    picked.setdefault(survey_id, value)
        return picked


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[i : i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK)]


def _fact(row: Any) -> SurveyFact:
    items = row.items or []
    skus = tuple(
        dict.fromkeys(
            str(item["sku"]) for item in items if isinstance(item, dict) and item.get("sku")
        )
    )
    return SurveyFact(
        survey_id=row.id,
        flow_id=row.flow_id,
        flow_version=row.flow_version,
        status=row.status,
        locale=row.locale,
        channel=row.channel,
        customer_id=row.customer_id,
        customer_ref=row.customer_ref,
        customer_name=row.customer_name,
        attributes=dict(row.attributes or {}),
        order_ref=row.order_ref,
        store=row.store,
        skus=skus,
        asked_at=row.started_at,
        completed_at=row.completed_at,
        dated_at=row.dated_at,
    )
