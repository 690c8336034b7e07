"""What a campaign did: issued, redeemed, money, budget left, misses, and repurchases."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from bot.campaigns.schema import Campaign
from bot.campaigns.voucher_display import money
from bot.storage.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PoolLevel:
    available: int
    imported: int
    low_warning: int

    @property
    def low(self) -> bool:
        return self.available <= self.low_warning


@dataclass(frozen=True)
class CampaignReport:
    campaign: Campaign
    paused: bool
    issued: int
    redeemed: int
    value_issued: Decimal
    value_redeemed: Decimal
    misses: dict[str, int]
    reorders: int  # vouchers whose holder ordered again after receiving it
    pool: PoolLevel | None

    @property
    def redemption_rate(self) -> float | None:
        return self.redeemed / self.issued if self.issued else None

    @property
    def reorder_rate(self) -> float | None:
        return self.reorders / self.issued if self.issued else None

    @property
    def vouchers_left(self) -> int | None:
        limit = self.campaign.budget.max_vouchers
        return None if limit is None else max(0, limit - self.issued)

    @property
    def value_left(self) -> Decimal | None:
        limit = self.campaign.budget.max_value
        return None if limit is None else max(Decimal(0), limit - self.value_issued)

    def lines(self) -> list[str]:
        """The report as the CLI prints it."""
        c = self.campaign
        currency = c.reward.currency or ""

        def amount(value: Decimal | None) -> str:
            return "-" if value is None or c.reward.amount is None else money(value, currency, "en")

        def rate(value: float | None) -> str:
            return "-" if value is None else f"{value:.1%}"

        left = [
            f"{self.vouchers_left} vouchers" if self.vouchers_left is not None else None,
            amount(self.value_left) if self.value_left is not None else None,
        ]
        misses = ", ".join(f"{reason} {n}" for reason, n in sorted(self.misses.items()))
        lines = [
            f"{c.id} — {c.name}{' (paused)' if self.paused else ''}",
            f"  issued        {self.issued}  (value {amount(self.value_issued)})",
            f"  redeemed      {self.redeemed}  (value {amount(self.value_redeemed)}, "
            f"rate {rate(self.redemption_rate)})",
            f"  budget left   {', '.join(x for x in left if x) or 'no limit'}",
            f"  not given     {misses or 'none'}",
            f"  reordered     {self.reorders} holders ordered again after their voucher "
            f"({rate(self.reorder_rate)})",
        ]
        if self.pool is not None:
            warning = "  ⚠ low" if self.pool.low else ""
            lines.append(
                f"  pool          {self.pool.available} of {self.pool.imported} codes left{warning}"
            )
        return lines


async def campaign_report(db: Database, campaign: Campaign) -> CampaignReport:
    async with db.reading() as tx:
        issued, redeemed, value_issued, value_redeemed = await tx.vouchers.totals(campaign.id)
        pool = None
        if campaign.codes.source == "pool":
            available, imported = await tx.vouchers.pool_counts(campaign.id)
            pool = PoolLevel(available, imported, campaign.codes.low_warning)
        return CampaignReport(
            campaign=campaign,
            paused=await tx.vouchers.paused(campaign.id),
            issued=issued,
            redeemed=redeemed,
            value_issued=value_issued,
            value_redeemed=value_redeemed,
            misses=await tx.vouchers.misses(campaign.id),
            reorders=await tx.vouchers.reorders(campaign.id),
            pool=pool,
        )


async def pool_levels(db: Database, campaigns: list[Campaign]) -> dict[str, PoolLevel]:
    """Every pool campaign's codes left (for `surveybot vouchers low` and the hourly check)."""
    levels = {}
    async with db.reading() as tx:
        for campaign in campaigns:
            if campaign.codes.source == "pool":
                available, imported = await tx.vouchers.pool_counts(campaign.id)
                levels[campaign.id] = PoolLevel(available, imported, campaign.codes.low_warning)
    return levels


async def warn_low_pools(db: Database, campaigns: list[Campaign]) -> None:
    """The hourly check: a pool running dry is logged as a warning, every hour it stays low."""
    for campaign_id, level in (await pool_levels(db, campaigns)).items():
        if level.low:
            log.warning(
                "voucher pool %s is low: %d of %d codes left; import more with "
                "`surveybot vouchers import %s codes.csv`",
                campaign_id,
                level.available,
                level.imported,
                campaign_id,
            )
