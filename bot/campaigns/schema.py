"""Incentive campaigns, as marketers write them in `campaigns/*.yaml` (strict schema).

A campaign says what is given (a percentage or an amount off), where codes come from
(generated, or a pool imported from a CSV), how long a voucher is valid, the budget, who is
eligible, when it runs, and the message that delivers the voucher. `kind: draw` gives
vouchers to a few winners drawn from a period's completed surveys instead.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bot.flows.schema import Duration, Identifier, LocalizedText

_CRON = re.compile(r"^\s*(\S+\s+){4}\S+\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CampaignKind(StrEnum):
    REWARD = "reward"  # given for completing a survey (or by staff, if compensation)
    DRAW = "draw"  # a few winners among a period's completed surveys


class Reward(_Strict):
    percent: int | None = Field(default=None, ge=1, le=100)
    amount: Decimal | None = Field(default=None, gt=0, max_digits=16, decimal_places=2)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    terms: LocalizedText = Field(default="", description="Conditions, shown with the code.")

    @model_validator(mode="after")
    def _one_kind_of_value(self) -> Reward:
        if (self.percent is None) == (self.amount is None):
            raise ValueError(
                "give either percent or amount; write `percent: 10` or `amount: 50000` with "
                "`currency: VND`"
            )
        if self.amount is not None and self.currency is None:
            raise ValueError("an amount needs its currency; add `currency: VND`")
        return self


class Codes(_Strict):
    source: Literal["generated", "pool"]
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{0,12}-?$")] = ""
    low_warning: int = Field(default=20, ge=0, description="Warn when a pool has this few left.")


class Validity(_Strict):
    days: int | None = Field(default=None, ge=1, le=3650)
    until: date | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> Validity:
        if (self.days is None) == (self.until is None):
            raise ValueError("give either days (after issue) or until (a date); e.g. `days: 30`")
        return self

    def expires(self, issued: datetime, shop: tzinfo) -> datetime:
        """The moment a voucher issued at `issued` stops working: `days` later, or at the
        end of the `until` day in the shop's own time (the next local midnight)."""
        if self.days is not None:
            return issued + timedelta(days=self.days)
        assert self.until is not None
        midnight = datetime.combine(self.until + timedelta(days=1), time(), shop)
        return midnight.astimezone(issued.tzinfo)


class Budget(_Strict):
    max_vouchers: int | None = Field(default=None, ge=1)
    max_value: Decimal | None = Field(default=None, gt=0, description="Total face value.")


class PerCustomer(_Strict):
    max: int = Field(ge=1)
    period: Duration


class Eligibility(_Strict):
    flows: list[Identifier] = Field(default_factory=list, description="Empty: any flow.")
    completed_survey: bool = True
    one_per_order: bool = True
    per_customer: PerCustomer | None = None
    segments: dict[str, str | list[str]] = Field(
        default_factory=dict, description="Customer attributes that must match, e.g. tier."
    )


class Draw(_Strict):
    winners: int = Field(ge=1, le=1000)
    schedule: str = Field(description="Cron (minute hour day month weekday), shop time.")
    period: Literal["week", "month"] = "month"

    @model_validator(mode="after")
    def _cron_shape(self) -> Draw:
        problem = None
        if not _CRON.match(self.schedule):
            problem = "is not a cron schedule"
        else:
            try:
                CronTrigger.from_crontab(self.schedule)
            except ValueError as exc:
                problem = f"is not a valid cron schedule ({exc})"
        if problem:
            raise ValueError(
                f"{self.schedule!r} {problem}; write five fields, e.g. "
                '"0 9 1 * *" for 09:00 on the first of each month (weekdays as mon..sun)'
            )
        return self


class Campaign(_Strict):
    id: Identifier
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    kind: CampaignKind = CampaignKind.REWARD
    compensation: bool = Field(
        default=False, description="Support staff may send it from a case card."
    )
    reward: Reward
    codes: Codes
    validity: Validity
    budget: Budget = Budget()
    eligibility: Eligibility = Eligibility()
    starts: date | None = None
    ends: date | None = None
    message: LocalizedText = Field(description="Delivers the voucher; may use `voucher`.")
    draw: Draw | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Campaign:
        if (self.kind == CampaignKind.DRAW) != (self.draw is not None):
            raise ValueError(
                "a `kind: draw` campaign needs a `draw:` section (winners, schedule), and only "
                "a draw campaign may have one"
            )
        if self.budget.max_value is not None and self.reward.amount is None:
            raise ValueError(
                "max_value limits the total face value, which a percent reward does not have; "
                "limit a percent campaign with max_vouchers"
            )
        if self.starts and self.ends and self.ends < self.starts:
            raise ValueError("ends is before starts; swap the dates")
        return self

    @property
    def value(self) -> Decimal:
        """The face value counted against the budget (0 for a percent reward)."""
        return self.reward.amount or Decimal(0)

    def running(self, day: date) -> bool:
        return (self.starts is None or self.starts <= day) and (
            self.ends is None or day <= self.ends
        )

    def matches_segments(self, attributes: dict[str, Any]) -> bool:
        for key, wanted in self.eligibility.segments.items():
            allowed = wanted if isinstance(wanted, list) else [wanted]
            if str(attributes.get(key)) not in [str(value) for value in allowed]:
                return False
        return True


def campaign_json_schema() -> dict[str, Any]:
    schema = Campaign.model_json_schema(mode="validation")
    schema["title"] = "surveybot campaign"
    return schema
