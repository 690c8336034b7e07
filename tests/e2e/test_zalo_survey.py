"""The real `surveybot run` process against the fake Zalo: a follower takes the whole
after-purchase survey in the OA chat, and the webhook refuses what is forged or replayed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.app.status import system_status
from bot.clock import SystemClock
from bot.storage.models import AnswerRow, InboundMessage, Survey
from bot.surveys.engine import SessionStatus
from tests.e2e.conftest import zalo_settings
from tests.e2e.process import SurveybotProcess
from tests.fakes.zalo import FakeZalo, SentMessage
from tests.harness import ROOT

pytestmark = pytest.mark.e2e

LAN = "5001"
KEY = "zalo-e2e-key"


def prompt_flows(tmp_path: Path) -> Path:
    """The shipped flows, with the survey due a second after delivery at any hour."""
    folder = tmp_path / "flows"
    folder.mkdir()
    for path in (ROOT / "flows").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        text = text.replace('  delay: 2h\n  send_window: "09:00-21:00"\n', "  delay: 1s\n")
        (folder / path.name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
async def workers(
    zalo: FakeZalo, database_url: str, tmp_path: Path
) -> AsyncIterator[Callable[[], SurveybotProcess]]:
    """A factory of surveybot processes on the fake Zalo and the test database (not started)."""
    refresh_token = zalo.issue_refresh_token()
    flows = prompt_flows(tmp_path)
    started: list[SurveybotProcess] = []

    def make() -> SurveybotProcess:
        process = SurveybotProcess(
            tmp_path,
            {
                **zalo_settings(zalo, refresh_token),
                "SURVEYBOT_DATABASE_URL": database_url,
                "SURVEYBOT_FLOWS_DIR": str(flows),
                "SURVEYBOT_API_KEYS": KEY,
                "SURVEYBOT_TIMER_TICK_SECONDS": "0.2",
            },
        )
        started.append(process)
        return process

    yield make
    for process in started:
        if process.process is not None and process.process.returncode is None:
            await process.stop()


@pytest.fixture
async def bot(zalo: FakeZalo, workers: Callable[[], SurveybotProcess]) -> SurveybotProcess:
    process = workers()
    zalo.webhook_url = f"{process.url}/zalo/webhook"
    return await process.start()


async def order_delivered(bot: SurveybotProcess, user_id: str) -> None:
    event = {
        "id": "evt-zalo-1",
        "type": "order.delivered",
        "occurred_at": datetime.now(UTC).isoformat(),
        "order": {"id": "SO-1"},
        "customer": {
            "id": "C-9",
            "name": "Lan",
            "locale": "vi",
            "contacts": [{"channel": "zalo", "address": user_id}],
        },
    }
    async with httpx.AsyncClient(
        base_url=bot.url, headers={"Authorization": f"Bearer {KEY}"}
    ) as client:
        response = await client.post("/api/v1/events", json=event)
    assert response.status_code == 202, response.text


async def next_message(zalo: FakeZalo, user_id: str, contains: str) -> SentMessage:
    def found(fake: FakeZalo) -> SentMessage | None:
        return next((m for m in reversed(fake.messages(user_id)) if contains in m.text), None)

    return await zalo.wait_for(found, timeout=20)


def titles(message: SentMessage) -> list[str]:
    return [button.title for button in message.buttons]


async def answers(db, survey_id: int) -> dict[str, object]:
    async with db.reading() as tx:
        rows = (
            await tx.session.execute(select(AnswerRow).where(AnswerRow.survey_id == survey_id))
        ).scalars()
        return {r.step_id: (r.value_int if r.value_int is not None else r.value_text) for r in rows}


async def test_a_follower_answers_the_whole_survey_with_buttons_and_typing(zalo, bot, db):
    zalo.add_user(LAN, name="Lan")
    zalo.interacted(LAN, at=time.time() - 3600)  # wrote to the shop's OA an hour ago
    await order_delivered(bot, LAN)

    csat = await next_message(zalo, LAN, "Bạn hài lòng")
    assert titles(csat)[:5] == ["1", "2", "3", "4", "5"]
    zalo.user_presses(LAN, csat.message_id, "2")  # the chat shows "2", sent by Lan
    why = await next_message(zalo, LAN, "Điều gì khiến")
    assert "1." in why.text and "Giao hàng trễ" in why.text  # 6 reasons: listed, typed
    zalo.user_sends(LAN, "1")

    nps = await next_message(zalo, LAN, "giới thiệu")
    # 11 scores on 5 buttons: bands along the NPS categories; the band, then the score.
    assert titles(nps) == ["0–2", "3–4", "5–6", "7–8", "9–10"]
    zalo.user_presses(LAN, nps.message_id, "7–8")
    exact = await zalo.wait_for(
        lambda fake: next((m for m in fake.messages(LAN) if titles(m)[:2] == ["7", "8"]), None)
    )
    zalo.user_presses(LAN, exact.message_id, "8")

    await next_message(zalo, LAN, "dễ dàng")
    zalo.user_sends(LAN, "6")  # typed where buttons are offered
    await next_message(zalo, LAN, "nhắn gì thêm")
    zalo.user_sends(LAN, "Giao chậm quá")
    await next_message(zalo, LAN, "đã dành thời gian trả lời")
    gift = await next_message(zalo, LAN, "Quà cảm ơn")  # the campaign's voucher, on Zalo
    assert "TKS-" in gift.text and "<code>" not in gift.text

    async with db.reading() as tx:
        survey = await tx.session.scalar(select(Survey))
    assert survey.status == SessionStatus.COMPLETED and survey.channel == "zalo"
    assert await answers(db, survey.id) == {
        "csat": 2,
        "why": "late",
        "nps": 8,
        "ces": 6,
        "comment": "Giao chậm quá",
    }
    assert all(delivery.status == 200 for delivery in zalo.webhook_deliveries)
    assert all("<" not in m.text for m in zalo.messages(LAN))  # plain text, no HTML
    status = (await system_status(db, SystemClock())).channels["zalo"]
    assert status.startswith("token valid until") and "last event never" not in status


async def test_a_forged_or_replayed_webhook_changes_nothing(zalo, bot, db):
    zalo.add_user(LAN, name="Lan")
    zalo.interacted(LAN, at=time.time() - 60)
    await order_delivered(bot, LAN)
    csat = await next_message(zalo, LAN, "Bạn hài lòng")

    async with httpx.AsyncClient(base_url=bot.url) as client:
        unsigned = await client.post("/zalo/webhook", json={"event_name": "user_send_text"})
        forged = await client.post(
            "/zalo/webhook",
            content=b'{"event_name": "user_send_text", "timestamp": "1"}',
            headers={"X-ZEvent-Signature": "mac=" + "0" * 64},
        )
    assert (unsigned.status_code, forged.status_code) == (401, 403)

    zalo.user_presses(LAN, csat.message_id, "5")
    await next_message(zalo, LAN, "giới thiệu")
    sent = len(zalo.messages(LAN))
    zalo.redeliver()  # the same press again, byte for byte
    await zalo.wait_for(lambda fake: len(fake.webhook_deliveries) >= 2 or None)
    assert zalo.webhook_deliveries[-1].status == 200
    async with db.reading() as tx:
        survey = await tx.session.scalar(select(Survey))
        handled = await tx.session.scalar(select(func.count()).select_from(InboundMessage))
    assert await answers(db, survey.id) == {"csat": 5}
    assert handled == 1
    assert len(zalo.messages(LAN)) == sent


@pytest.mark.postgres
async def test_two_workers_starting_together_refresh_the_token_exactly_once(
    zalo, workers, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers share PostgreSQL (SQLite is the one-process default)")
    zalo.refresh_delay = 0.5  # both ask while the first refresh is still under way
    await asyncio.gather(workers().start(), workers().start())
    assert [refresh.succeeded for refresh in zalo.refreshes] == [True]


async def test_a_quota_error_pauses_zalo_and_is_counted_in_the_status(zalo, bot, db):
    zalo.add_user(LAN, name="Lan")
    zalo.interacted(LAN, at=time.time() - 3600)
    zalo.fail_next("/v3.0/oa/message/cs", -211)  # the OA's monthly quota is used up
    await order_delivered(bot, LAN)
    await zalo.wait_for(lambda fake: fake.injected_faults, timeout=20)
    for _ in range(100):
        status = (await system_status(db, SystemClock())).channels["zalo"]
        if "quota" in status:
            break
        await asyncio.sleep(0.1)
    assert "1 quota/call-limit error in the last 24 h" in status and "-211" in status
    await asyncio.sleep(1.0)
    assert zalo.messages(LAN) == []  # the channel waits out the quota, it does not hammer
