"""Lucky draws: a few winners among the customers who completed a survey in a period.

Reproducible and auditable: the candidates (sorted customer ids) and the random seed are
recorded with the winners, so anyone can re-run `random.Random(seed).sample(candidates,
n)` and get the same winners. A period is drawn once, whatever the number of workers (a
unique key on campaign and period).
"""

from __future__ import annotations

import json
import logging
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.campaigns.catalog import CampaignCatalog
from bot.campaigns.schema import Campaign
from bot.campaigns.vouchers import VoucherService
from bot.clock import Clock
from bot.messaging.message import OutgoingMessage
from bot.storage.database import Database
from bot.storage.models import Contact, Customer, Survey
from bot.storage.unit_of_work import UnitOfWork
from bot.surveys.conversation import DeliveryKick
from bot.surveys.engine import SessionStatus
from bot.surveys.runner import BULK_PRIORITY

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrawResult:
    campaign_id: str
    period_start: datetime
    period_end: datetime
    seed: str
    candidates: list[int]
    winners: list[int]


def previous_period(now: datetime, period: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The last whole week (Monday-Sunday) or month before `now`, in shop time, as UTC."""
    today = now.astimezone(tz).date()
    if period == "week":
        end_day = today - timedelta(days=today.weekday())
        start_day = end_day - timedelta(days=7)
    else:
        end_day = today.replace(day=1)
        start_day = (end_day - timedelta(days=1)).replace(day=1)
    return _midnight(start_day, tz), _midnight(end_day, tz)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def pick_winners(candidates: list[int], count: int, seed: str) -> list[int]:
    """The same candidates and seed always give the same winners."""
    ordered = sorted(set(candidates))
    return random.Random(seed).sample(ordered, min(count, len(ordered)))


class DrawService:
    def __init__(
        self,
        db: Database,
        catalog: CampaignCatalog,
        vouchers: VoucherService,
        clock: Clock,
        timezone: ZoneInfo,
        delivery: DeliveryKick,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.vouchers = vouchers
        self.clock = clock
        self.timezone = timezone
        self.delivery = delivery

    async def run(self, campaign_id: str) -> DrawResult | None:
        """Draw the period just ended; None if it was drawn before (or is empty)."""
        campaign = self.catalog.get(campaign_id)
        if campaign is None or campaign.draw is None:
            raise KeyError(f"{campaign_id} is not a lucky-draw campaign")
        start, end = previous_period(self.clock.now(), campaign.draw.period, self.timezone)
        async with self.db.transaction() as tx:
            if await tx.vouchers.paused(campaign.id):
                return None
            candidates = await self._candidates(tx.session, campaign, start, end)
            seed = secrets.token_hex(16)
            winners = pick_winners(candidates, campaign.draw.winners, seed)
            draw_id = await tx.vouchers.add_draw(
                campaign_id=campaign.id,
                period_start=start,
                period_end=end,
                seed=seed,
                candidates=sorted(set(candidates)),
                winners=winners,
                drawn_at=self.clock.now(),
            )
            if draw_id is None:
                return None  # another worker drew this period
            for customer_id in winners:
                await self._reward(tx, campaign, customer_id, draw_id)
        log.info(
            "lucky draw",
            extra={"campaign": campaign.id, "candidates": len(candidates), "winners": winners},
        )
        self.delivery.kick()
        return DrawResult(campaign.id, start, end, seed, sorted(set(candidates)), winners)

    async def _candidates(
        self, session: AsyncSession, campaign: Campaign, start: datetime, end: datetime
    ) -> list[int]:
        # Only customers the bot may and can still tell: not after /stop, not blocked
        # everywhere (a contact marked unreachable, and none that is not).
        blocked = exists().where(
            Contact.customer_id == Survey.customer_id, Contact.unreachable_at.is_not(None)
        )
        reachable = exists().where(
            Contact.customer_id == Survey.customer_id, Contact.unreachable_at.is_(None)
        )
        statement = (
            select(Survey.customer_id)
            .join(Customer, Customer.id == Survey.customer_id)
            .where(
                Survey.status == SessionStatus.COMPLETED,
                Survey.completed_at >= start,
                Survey.completed_at < end,
                Customer.opted_out_at.is_(None),
                or_(~blocked, reachable),
            )
        )
        if campaign.eligibility.flows:
            statement = statement.where(Survey.flow_id.in_(campaign.eligibility.flows))
        rows = await session.execute(statement)
        return [int(customer_id) for (customer_id,) in rows.all()]

    async def _reward(
        self, tx: UnitOfWork, campaign: Campaign, customer_id: int, draw_id: int
    ) -> None:
        customer = await tx.customers.get(customer_id)
        assert customer is not None
        issued = await self.vouchers.issue(tx, campaign, customer, draw_id=draw_id)
        if issued.voucher is None:
            return
        locale = customer.locale or "vi"
        text = self.vouchers.message(campaign, issued.voucher, customer, locale)
        # None when no contact takes it: the voucher is theirs all the same (the till
        # finds it by customer), it is just not announced.
        await self.vouchers.runner.outbox.to_customer(
            tx, customer.id, OutgoingMessage(text), priority=BULK_PRIORITY, locale=locale
        )


async def audit_lines(db: Database, campaign_id: str | None = None) -> list[str]:
    """Each draw, its seed and candidates, and whether re-drawing gives the same winners."""
    lines = []
    async with db.reading() as tx:
        for draw in await tx.vouchers.draws(campaign_id):
            redrawn = pick_winners(list(draw.candidates), len(draw.winners), draw.seed)
            verdict = "verified" if redrawn == list(draw.winners) else "MISMATCH"
            names = []
            for customer_id in draw.winners:
                customer = await tx.customers.get(int(customer_id))
                names.append((customer.external_id if customer else None) or f"#{customer_id}")
            lines += [
                f"draw {draw.id} · {draw.campaign_id} · {draw.period_start:%Y-%m-%d} to "
                f"{draw.period_end:%Y-%m-%d} (UTC) · drawn {draw.drawn_at:%Y-%m-%d %H:%M} UTC",
                f"  seed        {draw.seed}",
                f"  candidates  {len(draw.candidates)} customer id(s): "
                f"{json.dumps(draw.candidates)}",
                f"  winners     {', '.join(names) or 'none'} ({verdict}: "
                f"random.Random(seed).sample(sorted(candidates), {len(draw.winners)}))",
            ]
    return lines
