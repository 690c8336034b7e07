"""Answers, one row per (survey, step): a redelivered answer cannot create a second row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.schema import StepKind
from bot.storage.dialect import upsert
from bot.storage.models import AnswerRow
from bot.surveys.engine import Answer


class AnswerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self, survey_id: int, flow_id: str, flow_version: str, answer: Answer, now: datetime
    ) -> None:
        """Store an answer; answering a step again (a loop back to it) replaces it."""
        values = {
            "value_int": answer.value if isinstance(answer.value, int) else None,
            "value_text": answer.value if isinstance(answer.value, str) else None,
            "skipped": answer.skipped,
            "answered_at": now,
        }
        statement = upsert(self.session, AnswerRow).values(
            survey_id=survey_id,
            flow_id=flow_id,
            flow_version=flow_version,
            step_id=answer.step_id,
            kind=answer.kind.value,
            **values,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[AnswerRow.survey_id, AnswerRow.step_id], set_=values
            )
        )

    async def for_survey(self, survey_id: int) -> list[AnswerRow]:
        statement = (
            select(AnswerRow)
            .where(AnswerRow.survey_id == survey_id)
            .order_by(AnswerRow.answered_at, AnswerRow.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def last_answered_at(self, survey_id: int) -> datetime | None:
        """When the survey's newest answer was given (None before the first)."""
        statement = (
            select(AnswerRow.answered_at)
            .where(AnswerRow.survey_id == survey_id)
            .order_by(AnswerRow.answered_at.desc())
            .limit(1)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def as_domain(self, survey_id: int) -> dict[str, Answer]:
        """The answers in the engine's own form, to resume a survey."""
        answers = {}
        for row in await self.for_survey(survey_id):
            value = row.value_int if row.value_int is not None else row.value_text
            answers[row.step_id] = Answer(row.step_id, StepKind(row.kind), value)
        return answers
