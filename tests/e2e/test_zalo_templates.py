"""The flow's Zalo template end to end (the real process, both fakes): a buyer who never
wrote to the OA gets the service rating template by phone; their stars, reason and note
answer the survey, and the apology and the support case follow. A follower whose 7-day
window has closed gets the template by user id instead of the question."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.storage.models import AnswerRow, Case, OutboxMessage, Survey
from bot.surveys.engine import SessionStatus
from tests.e2e.conftest import staff_on_telegram_customers_on_zalo
from tests.e2e.process import SurveybotProcess
from tests.e2e.test_zalo_survey import prompt_flows
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo, TemplateSend

pytestmark = pytest.mark.e2e

BUYER, PHONE = "6001", "+84901234567"
FOLLOWER = "6002"
MINH, SUPPORT = 402, -1005678
KEY = "zalo-template-key"
RATING = "800001"

ZALO_KEYS = f"""zalo:
  template: "{RATING}"
  template_data:
    customer_name: customer.name
    order_code: order.id

"""


def flows_with_template(tmp_path: Path) -> Path:
    folder = prompt_flows(tmp_path)
    path = folder / "post_purchase.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\ntrigger:\n", f"\n{ZALO_KEYS}trigger:\n", 1), encoding="utf-8")
    return folder


@pytest.fixture
async def shop(
    telegram: FakeTelegram, zalo: FakeZalo, database_url: str, tmp_path: Path
) -> AsyncIterator[SurveybotProcess]:
    telegram.add_user(MINH, first_name="Minh", language_code="en")
    telegram.add_group(SUPPORT, "Support", members=[MINH])
    zalo.add_user(BUYER, phone=PHONE[1:], follower=False, name="Lan")
    zalo.add_template(RATING, ["customer_name", "order_code"], rating=True)
    settings = staff_on_telegram_customers_on_zalo(
        telegram,
        zalo,
        database_url,
        flows_with_template(tmp_path),
        support_chat=SUPPORT,
        api_key=KEY,
    )
    process = SurveybotProcess(tmp_path, settings)
    zalo.webhook_url = f"{process.url}/zalo/webhook"
    await process.start()
    yield process
    await process.stop()


async def delivered(shop: SurveybotProcess, order: str, customer: dict[str, Any]) -> None:
    event = {
        "id": f"evt-{order}",
        "type": "order.delivered",
        "occurred_at": datetime.now(UTC).isoformat(),
        "order": {"id": order},
        "customer": {"name": "Lan", "locale": "vi", **customer},
    }
    async with httpx.AsyncClient(
        base_url=shop.url, headers={"Authorization": f"Bearer {KEY}"}
    ) as client:
        response = await client.post("/api/v1/events", json=event)
        assert response.status_code == 202, response.text


async def template_sent(zalo: FakeZalo) -> TemplateSend:
    sends = await zalo.wait_for(lambda fake: fake.templates_sent, timeout=20)
    return sends[-1]


async def test_a_buyer_who_never_wrote_rates_by_phone_and_the_apology_and_case_follow(
    shop, telegram, zalo, db
):
    await delivered(shop, "SO-1", {"id": "C-1", "phone": PHONE})
    sent = await template_sent(zalo)
    assert sent.phone == PHONE[1:]  # 84..., as Zalo's templates want it
    assert sent.template_id == RATING
    assert sent.template_data == {"customer_name": "Lan", "order_code": "SO-1"}

    zalo.user_rates(sent.msg_id, 2, ["Giao hàng trễ"], "Hộp bị móp")
    card = await telegram.wait_for_message(SUPPORT, contains="Case #1")
    assert "CSAT 2/5" in card.content
    zalo.redeliver()  # Zalo retries: nothing changes
    await zalo.wait_for_deliveries()

    async with db.reading() as tx:
        survey = (await tx.session.execute(select(Survey))).scalar_one()
        answers = {
            row.step_id: row.value_int if row.value_int is not None else row.value_text
            for row in (await tx.session.execute(select(AnswerRow))).scalars()
        }
        cases = (await tx.session.execute(select(Case))).scalars().all()
        web = (
            (await tx.session.execute(select(OutboxMessage).where(OutboxMessage.channel == "web")))
            .scalars()
            .all()
        )
    assert survey.status == SessionStatus.COMPLETED
    assert answers == {"csat": 2, "why": "late", "comment": "Hộp bị móp"}  # NPS, CES unasked
    assert len(cases) == 1
    # Zalo takes no free message to a phone: the thanks and the apology wait on the
    # survey's web page, where the template's link (or a receipt's) leads.
    assert len(web) >= 2
    assert [d.status for d in zalo.webhook_deliveries] == [200, 200]


async def survey_settled(db: Any) -> Survey:
    """The one survey, once it is no longer active (or as it is after 30 s)."""
    for _ in range(300):
        async with db.reading() as tx:
            survey = (await tx.session.execute(select(Survey))).scalar_one()
        if survey.status != SessionStatus.ACTIVE:
            break
        await asyncio.sleep(0.1)
    return survey


async def test_a_follower_outside_the_window_gets_the_template_by_user_id(shop, zalo, db):
    zalo.add_user(FOLLOWER, name="Hoa")
    zalo.interacted(FOLLOWER, at=time.time() - 8 * 86400)  # wrote 8 days ago
    await delivered(
        shop,
        "SO-2",
        {"id": "C-2", "name": "Hoa", "contacts": [{"channel": "zalo", "address": FOLLOWER}]},
    )
    sent = await template_sent(zalo)
    assert sent.phone is None and sent.user_id == FOLLOWER
    assert sent.template_data == {"customer_name": "Hoa", "order_code": "SO-2"}
    assert [r.error for r in zalo.rejected] == [-230]  # the question first: only Zalo knew
    zalo.rejected.clear()

    zalo.user_rates(sent.msg_id, 5)
    survey = await survey_settled(db)
    async with db.reading() as tx:
        answers = (await tx.session.execute(select(AnswerRow))).scalars().all()
    assert survey.status == SessionStatus.COMPLETED, shop.log()
    assert {a.step_id: a.value_int for a in answers} == {"csat": 5}


async def test_a_rating_that_comes_before_the_send_is_answered_is_taken(shop, zalo, db):
    # Zalo answers the send late; the customer rates at once: the rating names a message
    # id surveybot has not stored yet. It is taken when the send's answer is, not lost.
    zalo.add_user(FOLLOWER, name="Hoa")
    zalo.interacted(FOLLOWER, at=time.time() - 8 * 86400)
    zalo.send_answer_delay = 1.5
    await delivered(
        shop,
        "SO-4",
        {"id": "C-4", "name": "Hoa", "contacts": [{"channel": "zalo", "address": FOLLOWER}]},
    )
    sent = await template_sent(zalo)
    assert [r.error for r in zalo.rejected] == [-230]  # the question first, as above
    zalo.rejected.clear()
    zalo.user_rates(sent.msg_id, 4)
    survey = await survey_settled(db)
    async with db.reading() as tx:
        answers = (await tx.session.execute(select(AnswerRow))).scalars().all()
    assert survey.status == SessionStatus.COMPLETED, shop.log()
    assert {a.step_id: a.value_int for a in answers} == {"csat": 4}
    assert [d.status for d in zalo.webhook_deliveries] == [200]


async def test_a_rating_whose_webhook_was_missed_is_fetched_from_zalo_after_a_restart(
    shop, telegram, zalo, db
):
    await delivered(shop, "SO-3", {"id": "C-3", "phone": PHONE})
    sent = await template_sent(zalo)
    await shop.stop()
    zalo.user_rates(sent.msg_id, 1, ["Hàng bị hư hỏng"], "Vỡ", deliver=False)  # while down
    await shop.start()
    card = await telegram.wait_for_message(SUPPORT, contains="Case #1")
    assert "CSAT 1/5" in card.content
    async with db.reading() as tx:
        rows = (await tx.session.execute(select(AnswerRow))).scalars().all()
    assert {r.step_id: r.value_int or r.value_text for r in rows} == {
        "csat": 1,
        "why": "damaged",
        "comment": "Vỡ",
    }
    assert zalo.webhook_deliveries == []  # it came by the rating API alone


async def test_a_phone_zalo_does_not_know_leaves_the_survey_to_its_link(shop, zalo, db):
    await delivered(shop, "SO-4", {"id": "C-4", "phone": "+84909999999"})  # not on Zalo
    await zalo.wait_for(lambda fake: fake.rejected, timeout=20)
    assert [r.error for r in zalo.rejected] == [-118]
    zalo.rejected.clear()
    for _ in range(100):
        async with db.reading() as tx:
            survey = (await tx.session.execute(select(Survey))).scalar_one()
        if survey.channel is None:
            break
        await asyncio.sleep(0.1)
    # Not failed: the customer may still open the link from a receipt or an e-mail.
    assert survey.status == SessionStatus.ACTIVE and survey.channel is None
    async with httpx.AsyncClient(base_url=shop.url) as client:
        page = await client.get(f"/s/{survey.token}")
    assert page.status_code == 200
