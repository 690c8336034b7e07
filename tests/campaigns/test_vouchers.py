"""Vouchers through the real services on SQLite and PostgreSQL: issued exactly once, never
beyond budget or pool, redeemed once, compensation from a case card, lucky draws, report."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.campaigns.draws import audit_lines, pick_winners
from bot.campaigns.pool_import import import_pool
from bot.campaigns.report import campaign_report
from bot.campaigns.vouchers import Redemption
from bot.storage.models import Voucher, VoucherMiss
from bot.support.cases import Staff
from tests.harness import SUPPORT_CHAT, build_world

MINH = Staff(501, "Minh")
HOA = Staff(502, "Hoa")

THANK_YOU = """
id: thank_you
name: 10% off
reward: {percent: 10, terms: {vi: "Đơn từ 200k", en: "Orders from 200k"}}
codes: {source: generated, prefix: "TKS-"}
validity: {days: 30}
eligibility: {flows: [post_purchase], per_customer: {max: 1, period: 30d}}
message:
  vi: "🎁 Mã: <code>{{ voucher.code }}</code> giảm {{ voucher.value }} đến {{ voucher.expires }}"
  en: "🎁 Code: <code>{{ voucher.code }}</code>, {{ voucher.value }} off, {{ voucher.expires }}"
"""

SORRY = """
id: we_are_sorry
name: 50k to make up
compensation: true
reward: {amount: 50000, currency: VND}
codes: {source: generated, prefix: "SORRY-"}
validity: {days: 60}
eligibility: {completed_survey: false}
message: "Sorry! <code>{{ voucher.code }}</code> {{ voucher.value }}"
"""

DRAW = """
id: monthly_draw
name: Lucky draw
kind: draw
reward: {amount: 500000, currency: VND}
codes: {source: generated, prefix: "LUCKY-"}
validity: {days: 60}
draw: {winners: 2, schedule: "0 9 1 * *", period: month}
message: "You won! <code>{{ voucher.code }}</code>"
"""


def campaigns(tmp_path: Path, thank_you: str = THANK_YOU, *extra: str) -> Path:
    folder = tmp_path / "campaigns"
    folder.mkdir(exist_ok=True)
    for number, text in enumerate((thank_you, SORRY, DRAW, *extra)):
        (folder / f"c{number}.yaml").write_text(text, encoding="utf-8")
    return folder


def variant(**changes: str) -> str:
    """THANK_YOU with some top-level lines replaced."""
    lines = THANK_YOU.strip().splitlines()
    out = [
        next(
            (f"{key}: {value}" for key, value in changes.items() if line.startswith(f"{key}:")),
            line,
        )
        for line in lines
    ]
    out += [
        f"{key}: {value}"
        for key, value in changes.items()
        if not any(line.startswith(f"{key}:") for line in lines)
    ]
    return "\n".join(out) + "\n"


@pytest.fixture
def world(database, tmp_path):
    return build_world(database, campaigns_dir=campaigns(tmp_path))


async def at_last_question(world, chat: int, nps: str = "10") -> tuple[int, int]:
    """A walk-in answers up to the optional comment; returns (survey id, visit)."""
    await world.conversation.walk_in(world.contact(chat, language="en"))
    await world.deliver()
    for label in ("5", nps, "7"):
        await world.tap(chat, label)
    question = world.question(chat)
    return question.survey_id, question.visit


async def vouchers(world) -> list[Voucher]:
    async with world.db.reading() as tx:
        return list((await tx.session.execute(select(Voucher).order_by(Voucher.id))).scalars())


async def misses(world) -> dict[str, int]:
    async with world.db.reading() as tx:
        rows = await tx.session.execute(
            select(VoucherMiss.reason, func.count()).group_by(VoucherMiss.reason)
        )
        return dict(rows.all())


async def test_a_completed_survey_gets_its_voucher_in_the_chat(world):
    survey_id, visit = await at_last_question(world, 7)
    await world.conversation.skip(world.contact(7), survey_id, visit)
    await world.deliver()
    [voucher] = await vouchers(world)
    assert voucher.campaign_id == "thank_you" and voucher.survey_id == survey_id
    assert voucher.code.startswith("TKS-") and voucher.percent == 10
    assert voucher.expires_at == voucher.issued_at + timedelta(days=30)
    texts = world.texts(7)
    assert texts[-2].startswith("Thank you so much")
    assert f"<code>{voucher.code}</code>" in texts[-1] and "10% off" in texts[-1]


async def test_fifty_parallel_completions_of_one_survey_give_one_voucher(world):
    survey_id, visit = await at_last_question(world, 7)
    contact = world.contact(7)
    await asyncio.gather(*(world.conversation.skip(contact, survey_id, visit) for _ in range(50)))
    await world.deliver()
    assert len(await vouchers(world)) == 1
    assert sum("<code>TKS-" in text for text in world.texts(7)) == 1


async def test_the_budget_edge_is_never_crossed(database, tmp_path):
    world = build_world(
        database, campaigns_dir=campaigns(tmp_path, variant(budget="{max_vouchers: 5}"))
    )
    customers = range(1000, 1020)
    waiting = [await at_last_question(world, chat) for chat in customers]
    await asyncio.gather(
        *(
            world.conversation.skip(world.contact(chat), survey_id, visit)
            for chat, (survey_id, visit) in zip(customers, waiting, strict=True)
        )
    )
    await world.deliver()
    assert len(await vouchers(world)) == 5
    assert await misses(world) == {"budget_spent": 15}
    graceful = [
        chat for chat in customers if "This offer has just run out" in world.texts(chat)[-1]
    ]
    assert len(graceful) == 15
    report = await campaign_report(world.db, world.campaigns.get("thank_you"))
    assert (report.issued, report.vouchers_left, report.misses) == (5, 0, {"budget_spent": 15})


async def test_a_value_budget_counts_face_value(database, tmp_path):
    amount = variant(reward="{amount: 50000, currency: VND}", budget="{max_value: 120000}")
    world = build_world(database, campaigns_dir=campaigns(tmp_path, amount))
    customers = range(2000, 2006)
    waiting = [await at_last_question(world, chat) for chat in customers]
    await asyncio.gather(
        *(
            world.conversation.skip(world.contact(chat), survey_id, visit)
            for chat, (survey_id, visit) in zip(customers, waiting, strict=True)
        )
    )
    assert len(await vouchers(world)) == 2  # a third 50,000 would make 150,000 > 120,000
    report = await campaign_report(world.db, world.campaigns.get("thank_you"))
    assert report.value_issued == Decimal(100000) and report.value_left == Decimal(20000)


async def test_a_pool_of_n_codes_serves_n_claimants_and_thanks_the_rest(database, tmp_path):
    pool = variant(codes="{source: pool, low_warning: 2}")
    world = build_world(database, campaigns_dir=campaigns(tmp_path, pool))
    codes = tmp_path / "codes.csv"
    codes.write_text(
        "code,batch\nshop-0001,a\nSHOP-0002,a\nSHOP-0003,a\nSHOP-0004,b\n"
        "SHOP-0005,b\nSHOP-0005,b\n\n",
        encoding="utf-8",
    )
    campaign = world.campaigns.get("thank_you")
    imported = await import_pool(world.db, campaign, codes, world.clock)
    assert (imported.read, imported.added, imported.repeated) == (6, 5, 1)
    assert (await import_pool(world.db, campaign, codes, world.clock)).added == 0
    customers = range(3000, 3015)
    waiting = [await at_last_question(world, chat) for chat in customers]
    await asyncio.gather(
        *(
            world.conversation.skip(world.contact(chat), survey_id, visit)
            for chat, (survey_id, visit) in zip(customers, waiting, strict=True)
        )
    )
    await world.deliver()
    issued = await vouchers(world)
    assert sorted(v.code for v in issued) == [f"SHOP-000{n}" for n in range(1, 6)]
    assert await misses(world) == {"pool_empty": 10}
    graceful = [
        chat for chat in customers if "This offer has just run out" in world.texts(chat)[-1]
    ]
    assert len(graceful) == 10
    report = await campaign_report(world.db, campaign)
    assert report.pool is not None and report.pool.available == 0 and report.pool.low


async def test_fifty_parallel_redemptions_one_wins(world):
    survey_id, visit = await at_last_question(world, 7)
    await world.conversation.skip(world.contact(7), survey_id, visit)
    [voucher] = await vouchers(world)
    outcomes = await asyncio.gather(
        *(world.vouchers.redeem(voucher.code.lower(), f"POS-{n}") for n in range(50))
    )
    kinds = [outcome for outcome, _ in outcomes]
    assert kinds.count(Redemption.REDEEMED) == 1
    assert kinds.count(Redemption.ALREADY) == 49
    [stored] = await vouchers(world)
    winner = next(v for outcome, v in outcomes if outcome == Redemption.REDEEMED)
    assert stored.redeemed_order == winner.redeemed_order


async def test_a_retried_redemption_for_the_same_order_succeeds_again(world):
    survey_id, visit = await at_last_question(world, 7)
    await world.conversation.skip(world.contact(7), survey_id, visit)
    [voucher] = await vouchers(world)
    first = await world.vouchers.redeem(voucher.code, "POS-1")
    retry = await world.vouchers.redeem(voucher.code, "POS-1")  # the till timed out
    other = await world.vouchers.redeem(voucher.code, "POS-2")
    assert [first[0], retry[0], other[0]] == [
        Redemption.REDEEMED,
        Redemption.REDEEMED,
        Redemption.ALREADY,
    ]
    assert retry[1].redeemed_at == first[1].redeemed_at


async def test_expired_and_unknown_codes_are_refused(world):
    survey_id, visit = await at_last_question(world, 7)
    await world.conversation.skip(world.contact(7), survey_id, visit)
    [voucher] = await vouchers(world)
    assert (await world.vouchers.redeem("TKS-NOPE", "POS-1"))[0] == Redemption.UNKNOWN
    world.clock.advance(timedelta(days=31))
    outcome, found = await world.vouchers.redeem(voucher.code, "POS-1")
    assert outcome == Redemption.EXPIRED and found.redeemed_at is None


async def test_one_voucher_per_customer_per_period_and_no_apology_for_it(world):
    first = await at_last_question(world, 7)
    await world.conversation.skip(world.contact(7), *first)
    world.clock.advance(timedelta(days=2))
    second = await at_last_question(world, 7)
    await world.conversation.skip(world.contact(7), *second)
    await world.deliver()
    assert len(await vouchers(world)) == 1
    assert await misses(world) == {"customer_limit": 1}
    assert world.texts(7)[-1].startswith("Thank you so much")  # no "run out" apology


async def test_a_paused_campaign_gives_nothing_until_resumed(world):
    async with world.db.transaction() as tx:
        await tx.vouchers.set_paused("thank_you", True, world.clock.now())
    first = await at_last_question(world, 7)
    await world.conversation.skip(world.contact(7), *first)
    assert await vouchers(world) == []
    async with world.db.transaction() as tx:
        await tx.vouchers.set_paused("thank_you", False, world.clock.now())
    second = await at_last_question(world, 8)
    await world.conversation.skip(world.contact(8), *second)
    assert len(await vouchers(world)) == 1


async def detractor_case(world, chat=9) -> None:
    survey_id, visit = await at_last_question(world, chat, nps="2")
    await world.conversation.skip(world.contact(chat), survey_id, visit)
    await world.deliver()


async def test_staff_send_a_compensation_voucher_once_from_the_card(world):
    await detractor_case(world)
    card = world.channel.chats[SUPPORT_CHAT][0]
    assert [label for label, _, _ in card.buttons] == ["🙋 Claim", "✅ Resolve", "🎁 Send voucher"]
    action = card.buttons[2][2]
    toasts = await asyncio.gather(
        world.cases.extra_action(MINH, 1, action), world.cases.extra_action(HOA, 1, action)
    )
    await world.deliver()
    sorry = [v for v in await vouchers(world) if v.campaign_id == "we_are_sorry"]
    assert len(sorry) == 1 and sorry[0].case_id == 1
    assert sorted(toasts) == sorted(
        ["Voucher sent for case #1.", f"Case #1 already got a voucher: {sorry[0].code}."]
    )
    assert sum(sorry[0].code in text for text in world.texts(9)) == 1
    assert any(f"<code>{sorry[0].code}</code> sent" in t for t in world.texts(SUPPORT_CHAT))


async def test_the_lucky_draw_is_reproducible_auditable_and_drawn_once(world):
    for chat in (21, 22, 23, 24):
        survey_id, visit = await at_last_question(world, chat)
        await world.conversation.skip(world.contact(chat), survey_id, visit)
    world.clock.set(world.clock.now() + timedelta(days=40))
    result = await world.draws.run("monthly_draw")
    assert result is not None and len(result.winners) == 2 and len(result.candidates) == 4
    assert pick_winners(result.candidates, 2, result.seed) == result.winners
    assert await world.draws.run("monthly_draw") is None  # this period is drawn
    await world.deliver()
    lucky = [v for v in await vouchers(world) if v.campaign_id == "monthly_draw"]
    assert sorted(v.customer_id for v in lucky) == sorted(result.winners)
    won = [chat for chat in (21, 22, 23, 24) if "You won!" in world.texts(chat)[-1]]
    assert len(won) == 2
    [audit, *_] = [line for line in await audit_lines(world.db) if "winners" in line]
    assert "verified" in audit


async def test_the_draw_leaves_out_customers_who_opted_out_or_blocked_the_bot(world):
    for chat in (41, 42, 43):
        survey_id, visit = await at_last_question(world, chat)
        await world.conversation.skip(world.contact(chat), survey_id, visit)
    await world.conversation.opt_out(world.contact(41))
    async with world.db.transaction() as tx:
        blocked = await tx.contacts.get("telegram", "42")
        blocked.unreachable_at = world.clock.now()
        staying = await tx.customers.by_contact("telegram", str(43))
        staying_id = staying.id
    world.clock.set(world.clock.now() + timedelta(days=40))
    result = await world.draws.run("monthly_draw")
    assert result is not None and result.candidates == [staying_id]


async def test_the_report_counts_redemptions_and_reorders(world):
    for chat in (31, 32):
        survey_id, visit = await at_last_question(world, chat)
        await world.conversation.skip(world.contact(chat), survey_id, visit)
    first, _ = await vouchers(world)
    await world.vouchers.redeem(first.code, "POS-9")
    report = await campaign_report(world.db, world.campaigns.get("thank_you"))
    assert (report.issued, report.redeemed, report.redemption_rate) == (2, 1, 0.5)
    assert report.reorders == 0
    text = "\n".join(report.lines())
    assert "issued        2" in text and "rate 50.0%" in text


def test_a_draw_period_is_the_last_whole_month_in_shop_time():
    from zoneinfo import ZoneInfo

    from bot.campaigns.draws import previous_period

    start, end = previous_period(
        datetime(2026, 12, 1, 2, 0, tzinfo=UTC), "month", ZoneInfo("Asia/Ho_Chi_Minh")
    )
    assert (start, end) == (
        datetime(2026, 10, 31, 17, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 17, 0, tzinfo=UTC),
    )
