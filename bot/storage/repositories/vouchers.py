"""Vouchers, pools, budgets and draws. Money is at stake, so every limit is one atomic
statement: the budget is a conditional UPDATE, a pool code is claimed with FOR UPDATE
SKIP LOCKED, a redemption only succeeds on a voucher nobody redeemed yet."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialect import is_postgres, upsert
from bot.storage.models import (
    CampaignCounter,
    CampaignState,
    Draw,
    Order,
    PoolCode,
    Voucher,
    VoucherMiss,
)


class VoucherRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- campaign state and budget -----------------------------------------------

    async def paused(self, campaign_id: str) -> bool:
        state = await self.session.get(CampaignState, campaign_id)
        return bool(state and state.paused)

    async def set_paused(self, campaign_id: str, paused: bool, now: datetime) -> None:
        statement = upsert(self.session, CampaignState).values(
            campaign_id=campaign_id, paused=paused, updated_at=now
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[CampaignState.campaign_id],
                set_={"paused": paused, "updated_at": now},
            )
        )

    async def spend(
        self, campaign_id: str, value: Decimal, max_count: int | None, max_value: Decimal | None
    ) -> bool:
        """Count one more voucher against the budget; False (and nothing counted) if it
        would go over. Concurrent callers queue on the counter row."""
        await self.session.execute(
            upsert(self.session, CampaignCounter)
            .values(campaign_id=campaign_id, issued=0, issued_value=Decimal(0))
            .on_conflict_do_nothing(index_elements=[CampaignCounter.campaign_id])
        )
        statement = (
            update(CampaignCounter)
            .execution_options(synchronize_session=False)
            .where(CampaignCounter.campaign_id == campaign_id)
            .values(
                issued=CampaignCounter.issued + 1, issued_value=CampaignCounter.issued_value + value
            )
        )
        if max_count is not None:
            statement = statement.where(CampaignCounter.issued + 1 <= max_count)
        if max_value is not None:
            statement = statement.where(CampaignCounter.issued_value + value <= max_value)
        result = await self.session.execute(statement)
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def spent(self, campaign_id: str) -> tuple[int, Decimal]:
        counter = await self.session.get(CampaignCounter, campaign_id)
        return (counter.issued, counter.issued_value) if counter else (0, Decimal(0))

    # ---- pools --------------------------------------------------------------------

    async def take_pool_code(self, campaign_id: str) -> str | None:
        statement = (
            select(PoolCode)
            .where(PoolCode.campaign_id == campaign_id, PoolCode.taken.is_(False))
            .order_by(PoolCode.id)
            .limit(1)
        )
        if is_postgres(self.session):
            statement = statement.with_for_update(skip_locked=True)
        code = (await self.session.execute(statement)).scalar_one_or_none()
        if code is None:
            return None
        code.taken = True
        await self.session.flush()
        return code.code

    async def import_codes(self, campaign_id: str, codes: Iterable[str], now: datetime) -> int:
        """Add codes to a pool; returns how many were new (duplicates are skipped)."""
        added = 0
        for code in codes:
            result = await self.session.execute(
                upsert(self.session, PoolCode)
                .values(campaign_id=campaign_id, code=code, taken=False, imported_at=now)
                .on_conflict_do_nothing(index_elements=[PoolCode.campaign_id, PoolCode.code])
            )
            added += int(result.rowcount == 1)  # type: ignore[attr-defined]
        return added

    async def pool_counts(self, campaign_id: str) -> tuple[int, int]:
        """(codes still available, codes imported)."""
        rows = await self.session.execute(
            select(PoolCode.taken, func.count())
            .where(PoolCode.campaign_id == campaign_id)
            .group_by(PoolCode.taken)
        )
        counts = {bool(taken): int(n) for taken, n in rows.all()}
        return counts.get(False, 0), counts.get(False, 0) + counts.get(True, 0)

    # ---- vouchers -----------------------------------------------------------------

    async def add(self, **values: Any) -> Voucher:
        voucher = Voucher(**values)
        self.session.add(voucher)
        await self.session.flush()
        return voucher

    async def for_survey(self, campaign_id: str, survey_id: int) -> Voucher | None:
        return await self._one(Voucher.campaign_id == campaign_id, Voucher.survey_id == survey_id)

    async def for_case(self, campaign_id: str, case_id: int) -> Voucher | None:
        return await self._one(Voucher.campaign_id == campaign_id, Voucher.case_id == case_id)

    async def for_order(self, campaign_id: str, order_id: int) -> Voucher | None:
        return await self._one(Voucher.campaign_id == campaign_id, Voucher.order_id == order_id)

    async def for_survey_or_case(self, survey_id: int, case_id: int) -> list[Voucher]:
        """Every voucher the survey earned or the case compensated with, oldest first."""
        statement = (
            select(Voucher)
            .where((Voucher.case_id == case_id) | (Voucher.survey_id == survey_id))
            .order_by(Voucher.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def by_code(self, code: str) -> Voucher | None:
        statement = (
            select(Voucher).where(Voucher.code == code).execution_options(populate_existing=True)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def given_to_customer_since(
        self, campaign_id: str, customer_id: int, since: datetime
    ) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(Voucher)
                .where(
                    Voucher.campaign_id == campaign_id,
                    Voucher.customer_id == customer_id,
                    Voucher.issued_at >= since,
                )
            )
            or 0
        )

    async def redeem(self, code: str, order: str, now: datetime) -> bool:
        """Mark a valid, unredeemed voucher used by `order`; False for anything else."""
        result = await self.session.execute(
            update(Voucher)
            .execution_options(synchronize_session=False)
            .where(Voucher.code == code, Voucher.redeemed_at.is_(None), Voucher.expires_at > now)
            .values(redeemed_at=now, redeemed_order=order)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def miss(self, **values: Any) -> None:
        """Remember a voucher that could not be given (once per survey)."""
        await self.session.execute(
            upsert(self.session, VoucherMiss)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[VoucherMiss.campaign_id, VoucherMiss.survey_id])
        )

    async def issued(self, campaign_id: str) -> list[Voucher]:
        statement = select(Voucher).where(Voucher.campaign_id == campaign_id).order_by(Voucher.id)
        return list((await self.session.execute(statement)).scalars())

    async def totals(self, campaign_id: str) -> tuple[int, int, Decimal, Decimal]:
        """(issued, redeemed, face value issued, face value redeemed)."""
        redeemed = Voucher.redeemed_at.is_not(None)
        row = (
            await self.session.execute(
                select(
                    func.count(),
                    func.count(Voucher.redeemed_at),
                    func.coalesce(func.sum(Voucher.amount), 0),
                    func.coalesce(func.sum(case((redeemed, Voucher.amount), else_=0)), 0),
                ).where(Voucher.campaign_id == campaign_id)
            )
        ).one()
        return int(row[0]), int(row[1]), Decimal(row[2]), Decimal(row[3])

    async def misses(self, campaign_id: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(VoucherMiss.reason, func.count())
            .where(VoucherMiss.campaign_id == campaign_id)
            .group_by(VoucherMiss.reason)
        )
        return {reason: int(n) for reason, n in rows.all()}

    async def reorders(self, campaign_id: str) -> int:
        """Vouchers whose holder ordered again after receiving it (the repurchase signal)."""
        later = (
            select(Order.id)
            .where(
                Order.customer_id == Voucher.customer_id,
                Order.occurred_at > Voucher.issued_at,
            )
            .exists()
        )
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(Voucher)
                .where(Voucher.campaign_id == campaign_id, later)
            )
            or 0
        )

    # ---- draws --------------------------------------------------------------------

    async def add_draw(self, **values: Any) -> int | None:
        """Record a draw; None when this campaign's period was drawn already."""
        result = await self.session.execute(
            upsert(self.session, Draw)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[Draw.campaign_id, Draw.period_start])
            .returning(Draw.id)
        )
        return result.scalar_one_or_none()

    async def draws(self, campaign_id: str | None = None) -> list[Draw]:
        statement = select(Draw).order_by(Draw.drawn_at)
        if campaign_id is not None:
            statement = statement.where(Draw.campaign_id == campaign_id)
        return list((await self.session.execute(statement)).scalars())

    async def _one(self, *conditions: Any) -> Voucher | None:
        statement = select(Voucher).where(*conditions).limit(1)
        return (await self.session.execute(statement)).scalar_one_or_none()
