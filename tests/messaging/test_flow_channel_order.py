"""A flow's `channels` key: its customers hear from those channels first, the survey's
messages and its fallback follow that order, and a flow without it uses the shop's."""

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.errors import Unreachable
from tests.harness import ROOT, build_world
from tests.messaging.push_channel import PushChannel

DELIVERED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
SEND = DELIVERED + timedelta(hours=2)
CHAT = 123
ZALO_USER = "zalo-user-7"


def flows_preferring(tmp_path: Path, channels: str | None) -> Path:
    folder = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", folder)
    if channels is not None:
        path = folder / "post_purchase.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("locales: [vi, en]\n", f"locales: [vi, en]\nchannels: {channels}\n"),
            encoding="utf-8",
        )
    return folder


async def world_with(database, tmp_path, zalo, channels):
    world = build_world(
        database,
        clock=ManualClock(DELIVERED),
        flows_dir=flows_preferring(tmp_path, channels),
        extra_channels={"zalo": zalo},  # after Telegram in the shop's order
    )
    await world.event()  # Lan, on Telegram chat 123
    async with world.db.transaction() as tx:
        customer = await tx.customers.by_external_id("C-9")
        await tx.contacts.bind(customer, "zalo", ZALO_USER, world.clock.now())
    world.clock.set(SEND)
    return world


@pytest.fixture
def zalo():
    return PushChannel("zalo")  # a second channel named as a contact channel


async def test_a_flow_preferring_a_channel_is_sent_there_first(database, tmp_path, zalo):
    world = await world_with(database, tmp_path, zalo, "[zalo, telegram]")
    await world.tick()
    await world.deliver()
    (question,) = zalo.sent
    assert question.address == ZALO_USER and question.payload["buttons"]
    assert world.texts(CHAT) == []
    async with world.db.reading() as tx:
        survey = await tx.surveys.get(1)
    assert survey.channel == "zalo"


async def test_the_reminder_follows_the_flows_order_too(database, tmp_path, zalo):
    world = await world_with(database, tmp_path, zalo, "[zalo]")
    await world.tick()
    await world.deliver()
    world.clock.set(SEND + timedelta(days=1, minutes=1))
    await world.tick()
    await world.deliver()
    _, reminder = (delivery for delivery in zalo.sent if delivery.kind == "send")
    assert reminder.payload["buttons"] and reminder.address == ZALO_USER
    assert world.texts(CHAT) == []


async def test_the_fallback_from_a_preferred_channel_follows_the_flows_order(
    database, tmp_path, zalo
):
    zalo.failures.append(Unreachable("the user unfollowed the OA"))
    world = await world_with(database, tmp_path, zalo, "[zalo, telegram]")
    await world.tick()
    await world.deliver()
    assert zalo.sent == []
    assert len(world.texts(CHAT)) == 1  # the question, moved to Telegram


async def test_without_the_key_the_shops_order_decides(database, tmp_path, zalo):
    world = await world_with(database, tmp_path, zalo, None)
    await world.tick()
    await world.deliver()
    assert zalo.sent == []
    assert len(world.texts(CHAT)) == 1
