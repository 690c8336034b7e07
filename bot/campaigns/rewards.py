"""Whether a campaign's voucher may be given, decided in one place with a reason if not."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from bot.campaigns.schema import Campaign


class MissReason(StrEnum):
    PAUSED = "paused"
    NOT_RUNNING = "not_running"
    OTHER_FLOW = "other_flow"
    NOT_COMPLETED = "not_completed"
    ORDER_ALREADY = "order_already"
    CUSTOMER_LIMIT = "customer_limit"
    SEGMENT = "segment"
    BUDGET_SPENT = "budget_spent"
    POOL_EMPTY = "pool_empty"

    @property
    def exhausted(self) -> bool:
        """The customer was entitled but nothing is left: they get a graceful thank-you."""
        return self in (MissReason.BUDGET_SPENT, MissReason.POOL_EMPTY, MissReason.PAUSED)


def refusal(
    campaign: Campaign,
    *,
    paused: bool,
    today: date,
    flow_id: str | None,
    completed: bool,
    order_already: bool,
    given_recently: int,
    attributes: dict[str, Any],
) -> MissReason | None:
    """Why `campaign` gives nothing here (None: it gives). Budget and pool come later."""
    rules = campaign.eligibility
    if paused:
        return MissReason.PAUSED
    if not campaign.running(today):
        return MissReason.NOT_RUNNING
    if flow_id is not None and rules.flows and flow_id not in rules.flows:
        return MissReason.OTHER_FLOW
    if rules.completed_survey and not completed:
        return MissReason.NOT_COMPLETED
    if rules.one_per_order and order_already:
        return MissReason.ORDER_ALREADY
    if rules.per_customer is not None and given_recently >= rules.per_customer.max:
        return MissReason.CUSTOMER_LIMIT
    if not campaign.matches_segments(attributes):
        return MissReason.SEGMENT
    return None
