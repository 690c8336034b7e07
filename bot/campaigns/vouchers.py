"""Issuing and redeeming vouchers: exactly once, within budget, or a graceful no.

A survey's `reward:` issues inside the transaction that completes the survey (the survey
row is locked, so a completion happens once); a unique (campaign, survey) key backs that
up. Budget and pool are spent inside a savepoint: if either is exhausted, nothing is
spent, the miss is recorded for the report, and the customer gets a warm thank-you.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from bot.campaigns.catalog import CampaignCatalog
from bot.campaigns.codes import generate, normalize
from bot.campaigns.rewards import MissReason, refusal
from bot.campaigns.schema import Campaign
from bot.campaigns.voucher_display import voucher_context
from bot.clock import Clock
from bot.messaging.message import OutgoingMessage
from bot.messaging.texts import MessageTexts
from bot.storage.database import Database
from bot.storage.models import Customer, Survey, Voucher
from bot.storage.unit_of_work import UnitOfWork
from bot.surveys.engine import Reward
from bot.surveys.runner import SurveyEvent, SurveyRunner

log = logging.getLogger(__name__)

CODE_ATTEMPTS = 5  # a collision of 50-bit codes is a once-in-a-lifetime event; retry anyway


@dataclass(frozen=True)
class Issued:
    voucher: Voucher | None
    miss: MissReason | None = None


class VoucherState(StrEnum):
    VALID = "valid"
    REDEEMED = "redeemed"
    EXPIRED = "expired"


class Redemption(StrEnum):
    REDEEMED = "redeemed"
    ALREADY = "already_redeemed"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class VoucherService:
    def __init__(
        self,
        db: Database,
        catalog: CampaignCatalog,
        runner: SurveyRunner,
        clock: Clock,
        timezone: ZoneInfo,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.runner = runner
        self.clock = clock
        self.timezone = timezone
        self.texts: MessageTexts = runner.presenter.texts

    # ---- rewards for surveys ------------------------------------------------------

    async def on_survey_event(self, event: SurveyEvent) -> None:
        """The survey runner's hook: a completed survey's `reward:` gives its voucher."""
        if not isinstance(event.action, Reward):
            return
        campaign = self.catalog.get(event.action.campaign_id)
        if campaign is None:
            log.error(
                "flow %s rewards from unknown campaign %s", event.flow.id, event.action.campaign_id
            )
            return
        tx, survey, customer = event.tx, event.survey, event.customer
        if await tx.vouchers.for_survey(campaign.id, survey.id) is not None:
            return  # already given for this survey
        # Two surveys of one customer completing at once (two flows, two workers) must
        # not both pass the per-order and per-customer limits: take turns.
        await tx.customers.lock(customer.id)
        now = self.clock.now()
        reason = refusal(
            campaign,
            paused=await tx.vouchers.paused(campaign.id),
            today=now.astimezone(self.timezone).date(),
            flow_id=survey.flow_id,
            completed=True,
            order_already=survey.order_id is not None
            and await tx.vouchers.for_order(campaign.id, survey.order_id) is not None,
            given_recently=await self._given_recently(tx, campaign, customer.id, now),
            attributes=customer.attributes or {},
        )
        issued = (
            Issued(None, reason)
            if reason
            else await self.issue(tx, campaign, customer, survey=survey, order_id=survey.order_id)
        )
        await self._deliver(tx, campaign, survey, customer, issued)

    async def _given_recently(
        self, tx: UnitOfWork, campaign: Campaign, customer_id: int, now: datetime
    ) -> int:
        limit = campaign.eligibility.per_customer
        if limit is None:
            return 0
        return await tx.vouchers.given_to_customer_since(
            campaign.id, customer_id, now - limit.period
        )

    async def _deliver(
        self,
        tx: UnitOfWork,
        campaign: Campaign,
        survey: Survey,
        customer: Customer,
        issued: Issued,
    ) -> None:
        if issued.voucher is not None:
            text = self.message(campaign, issued.voucher, customer, survey.locale)
        elif issued.miss is not None:
            await tx.vouchers.miss(
                campaign_id=campaign.id,
                survey_id=survey.id,
                customer_id=customer.id,
                reason=issued.miss.value,
                at=self.clock.now(),
            )
            log.info(
                "voucher not given",
                extra={
                    "campaign": campaign.id,
                    "survey_id": survey.id,
                    "reason": issued.miss.value,
                },
            )
            if not issued.miss.exhausted:
                return  # they were never entitled: nothing to apologise for
            text = self.texts.phrase("reward_exhausted", survey.locale)
        else:
            return
        await self.runner.emit(tx, survey, customer, OutgoingMessage(text))

    # ---- issuing ------------------------------------------------------------------

    async def issue(
        self,
        tx: UnitOfWork,
        campaign: Campaign,
        customer: Customer,
        *,
        survey: Survey | None = None,
        case_id: int | None = None,
        order_id: int | None = None,
        draw_id: int | None = None,
    ) -> Issued:
        """Spend budget, take a code and record the voucher, or spend nothing at all."""
        now = self.clock.now()
        try:
            async with tx.session.begin_nested():
                budget = campaign.budget
                if not await tx.vouchers.spend(
                    campaign.id, campaign.value, budget.max_vouchers, budget.max_value
                ):
                    raise _Exhausted(MissReason.BUDGET_SPENT)
                voucher = await self._record(
                    tx,
                    campaign,
                    customer,
                    now,
                    survey=survey,
                    case_id=case_id,
                    order_id=order_id,
                    draw_id=draw_id,
                )
        except _Exhausted as exhausted:
            return Issued(None, exhausted.reason)
        log.info("voucher issued", extra={"campaign": campaign.id, "voucher_id": voucher.id})
        return Issued(voucher)

    async def _record(
        self, tx: UnitOfWork, campaign: Campaign, customer: Customer, now: datetime, **links: Any
    ) -> Voucher:
        survey: Survey | None = links.pop("survey")
        for _ in range(CODE_ATTEMPTS):
            code = await self._code(tx, campaign)
            try:
                async with tx.session.begin_nested():
                    return await tx.vouchers.add(
                        code=code,
                        campaign_id=campaign.id,
                        customer_id=customer.id,
                        survey_id=survey.id if survey else None,
                        percent=campaign.reward.percent,
                        amount=campaign.reward.amount,
                        currency=campaign.reward.currency,
                        issued_at=now,
                        expires_at=campaign.validity.expires(now, self.timezone),
                        **links,
                    )
            except IntegrityError:
                if await tx.vouchers.by_code(code) is None:
                    raise  # not a code collision: this survey or case got its voucher already
                # A generated code collided, or a code in two campaigns' pools was given by
                # the other one a moment ago: draw another.
                continue
        raise RuntimeError(
            f"could not draw a free code for {campaign.id} in {CODE_ATTEMPTS} attempts"
        )

    async def _code(self, tx: UnitOfWork, campaign: Campaign) -> str:
        if campaign.codes.source == "generated":
            return generate(campaign.codes.prefix)
        while True:
            code = await tx.vouchers.take_pool_code(campaign.id)
            if code is None:
                raise _Exhausted(MissReason.POOL_EMPTY)
            if await tx.vouchers.by_code(code) is None:
                return code
            # The same code was imported into another campaign's pool and given there.
            log.warning("pool code of %s already given elsewhere; skipped", campaign.id)

    def message(self, campaign: Campaign, voucher: Voucher, customer: Customer, locale: str) -> str:
        context = {
            "voucher": voucher_context(
                campaign, voucher.code, voucher.expires_at, locale, self.timezone
            ),
            "customer": {"name": customer.name, "id": customer.external_id},
            "locale": locale,
        }
        first = next(iter(campaign.message)) if isinstance(campaign.message, dict) else locale
        return self.texts.render(campaign.message, locale, context, default_locale=first)

    # ---- redemption ---------------------------------------------------------------

    async def redeem(self, code: str, order: str) -> tuple[Redemption, Voucher | None]:
        """Use a voucher for an order: exactly one of many concurrent attempts succeeds;
        the same order asking again (a retry after a timeout) is told it succeeded."""
        code = normalize(code)
        async with self.db.transaction() as tx:
            now = self.clock.now()
            if await tx.vouchers.redeem(code, order, now):
                voucher = await tx.vouchers.by_code(code)
                log.info("voucher redeemed", extra={"code": code, "order": order})
                return Redemption.REDEEMED, voucher
            voucher = await tx.vouchers.by_code(code)
        if voucher is None:
            return Redemption.UNKNOWN, None
        if voucher.redeemed_at is not None:
            if voucher.redeemed_order == order:
                return Redemption.REDEEMED, voucher  # the till retried its own request
            return Redemption.ALREADY, voucher
        return Redemption.EXPIRED, voucher

    def state(self, voucher: Voucher) -> VoucherState:
        if voucher.redeemed_at is not None:
            return VoucherState.REDEEMED
        if voucher.expires_at <= self.clock.now():
            return VoucherState.EXPIRED
        return VoucherState.VALID

    async def lookup(self, code: str) -> Voucher | None:
        async with self.db.reading() as tx:
            return await tx.vouchers.by_code(normalize(code))


class _Exhausted(Exception):
    def __init__(self, reason: MissReason) -> None:
        self.reason = reason
        super().__init__(reason.value)
