"""Surveys, answers and cases written straight into the tables, at chosen times, for the
insight, export, API and digest tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.storage.database import Database
from bot.storage.models import AnswerRow, Case, Customer, Order, Survey
from bot.surveys.engine import SessionStatus

MONDAY = datetime(2026, 11, 16, 3, 0, tzinfo=UTC)  # 10:00 in Ho Chi Minh City, a Monday


@dataclass
class Seed:
    """Writes surveys and answers with chosen times, straight into the tables."""

    db: Database
    counter: int = 0
    versions: set[str] = field(default_factory=set)

    async def survey(
        self,
        *,
        at: datetime = MONDAY,
        flow: str = "post_purchase",
        csat: int | None = None,
        nps: int | None = None,
        ces: int | None = None,
        reason: str | None = None,
        comment: str | None = None,
        store: str | None = "HN-01",
        skus: tuple[str, ...] = ("A1",),
        channel: str | None = "telegram",
        attributes: dict[str, Any] | None = None,
        locale: str = "vi",
        status: str | None = None,
        asked_at: datetime | None = None,
        answered: bool = True,
    ) -> int:
        self.counter += 1
        n = self.counter
        asked = asked_at or at - timedelta(minutes=5)
        answers: list[tuple[str, str, int | None, str | None]] = []
        for step, kind, value in (("csat", "csat", csat), ("nps", "nps", nps), ("ces", "ces", ces)):
            if value is not None:
                answers.append((step, kind, value, None))
        if reason is not None:
            answers.append(("why", "choice", None, reason))
        if comment is not None:
            answers.append(("comment", "text", None, comment))
        if status is None:
            status = "completed" if answers and answered else "active"
        async with self.db.transaction() as tx:
            if flow not in self.versions:
                await tx.flow_versions.remember(flow, "v1", "source", asked)
                self.versions.add(flow)
            customer = Customer(
                external_id=f"C-{n}",
                name=f"Customer {n}",
                locale=locale,
                attributes=attributes or {},
                created_at=asked,
                updated_at=asked,
            )
            tx.session.add(customer)
            await tx.session.flush()
            order = Order(
                external_id=f"SO-{n}",
                customer_id=customer.id,
                store=store,
                items=[{"sku": sku, "qty": 1} for sku in skus],
                created_at=asked,
            )
            tx.session.add(order)
            await tx.session.flush()
            survey = await tx.surveys.add(
                flow_id=flow,
                flow_version="v1",
                customer_id=customer.id,
                order_id=order.id,
                locale=locale,
                status=SessionStatus(status),
                channel=channel,
                now=asked,
            )
            survey.started_at = asked
            if status == "completed":
                survey.completed_at = at + timedelta(minutes=len(answers))
            if answered:
                for offset, (step, kind, number, text) in enumerate(answers):
                    tx.session.add(
                        AnswerRow(
                            survey_id=survey.id,
                            flow_id=flow,
                            flow_version="v1",
                            step_id=step,
                            kind=kind,
                            value_int=number,
                            value_text=text,
                            skipped=False,
                            answered_at=at + timedelta(seconds=offset),
                        )
                    )
            await tx.session.flush()
            return survey.id

    async def case(
        self,
        survey_id: int,
        *,
        opened_at: datetime,
        first_response_at: datetime | None = None,
        followup: str | None = None,
    ) -> None:
        followup_id = None
        if followup is not None:
            followup_id = await self.survey(
                flow="recovery", reason=followup, at=opened_at + timedelta(days=1)
            )
        async with self.db.transaction() as tx:
            survey = await tx.session.get(Survey, survey_id)
            assert survey is not None
            tx.session.add(
                Case(
                    survey_id=survey_id,
                    customer_id=survey.customer_id,
                    order_id=survey.order_id,
                    flow_id=survey.flow_id,
                    severity="high",
                    status="open",
                    sla_due_at=opened_at + timedelta(hours=4),
                    opened_at=opened_at,
                    first_response_at=first_response_at,
                    followup_survey_id=followup_id,
                    updated_at=opened_at,
                )
            )
