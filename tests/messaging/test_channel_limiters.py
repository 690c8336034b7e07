"""Each channel is paced by its own limiter, built from the limits it declares; a chat is
keyed by its address as text, so the same address on two channels is two chats."""

import pytest

from bot.channels.telegram.capabilities import TELEGRAM
from bot.channels.web.capabilities import WEB_CHAT
from bot.errors import RetryLater
from bot.messaging.capabilities import RateLimits
from bot.messaging.dispatcher import OutboxDispatcher
from bot.messaging.message import OutgoingMessage
from bot.messaging.rate_limit import limiters_for
from tests.harness import UNLIMITED, RecordingChannel, build_world, limiter_time
from tests.messaging.tight_channel import TIGHT


class Declares:
    def __init__(self, capabilities):
        self.capabilities = capabilities


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send(limiter, address):
    wait = limiter.wait_time(address, group=False, new_message=True, interactive=True)
    if wait == 0:
        limiter.take(address, group=False, new_message=True)
        limiter.release(address, group=False, new_message=True)
    return wait


def test_each_channel_gets_a_limiter_with_the_limits_it_declares():
    limiters = limiters_for({"telegram": Declares(TELEGRAM), "tight": Declares(TIGHT)})
    assert limiters["telegram"].limits == RateLimits(30, 1.0, 1.0, 20, 60.0)
    assert limiters["tight"].limits == TIGHT.rate_limits
    assert limiters["telegram"] is not limiters["tight"]


def test_the_settings_override_a_channels_declared_limits():
    settings = RateLimits.per_second(15, 1, 20)  # SURVEYBOT_RATE_GLOBAL_PER_SECOND=15
    limiters = limiters_for({"telegram": Declares(TELEGRAM)}, overrides={"telegram": settings})
    assert limiters["telegram"].limits.global_per_second == 15


def test_a_channel_that_declares_no_limits_is_not_paced():
    limiter = limiters_for({"web": Declares(WEB_CHAT)})["web"]
    assert [send(limiter, "1") for _ in range(100)] == [0] * 100


def test_the_same_address_on_two_channels_is_paced_apart():
    time_ = FakeTime()
    limiters = limiters_for({"telegram": Declares(TELEGRAM), "tight": Declares(TIGHT)}, now=time_)
    assert send(limiters["telegram"], "123") == 0
    assert send(limiters["tight"], "123") == 0  # not held up by Telegram's second
    assert send(limiters["telegram"], "123") == pytest.approx(1.0)
    assert send(limiters["tight"], "123") == pytest.approx(2.0)  # its own, slower pace


class TightChannel(RecordingChannel):
    name = "tight"
    capabilities = TIGHT


def two_channel_dispatcher(world, tight: TightChannel) -> OutboxDispatcher:
    """Telegram (the world's recording channel) and the tight channel, neither paced by
    its limits, so only pauses show in their limiters."""
    channels = {"telegram": world.channel, "tight": tight}
    return OutboxDispatcher(
        world.db,
        channels,
        limiters_for(
            channels,
            overrides={"telegram": UNLIMITED, "tight": UNLIMITED},
            now=limiter_time(world.clock),
        ),
        world.clock,
    )


async def queue_on_tight(world, address: str = "5") -> None:
    async with world.db.transaction() as tx:
        await tx.outbox.add(
            channel="tight",
            address=address,
            kind="send",
            payload=OutgoingMessage("hi").to_payload(),
            now=world.clock.now(),
        )


def wait_for(dispatcher: OutboxDispatcher, channel: str, address: str) -> float:
    return dispatcher.limiters[channel].wait_time(
        address, group=False, new_message=True, interactive=True
    )


async def test_a_429_pauses_that_chat_on_that_channel_only(database):
    world = build_world(database)
    tight = TightChannel()
    dispatcher = two_channel_dispatcher(world, tight)
    world.channel.failures.append(RetryLater(30, "flood control"))
    await world.conversation.help(world.contact(5))
    await queue_on_tight(world)
    await dispatcher.drain()
    assert [m.text for m in tight.chats[5]] == ["hi"]
    assert world.texts(5) == []
    assert wait_for(dispatcher, "telegram", "5") == pytest.approx(30, abs=1)
    assert wait_for(dispatcher, "tight", "5") == pytest.approx(0, abs=0.01)


async def test_a_limit_of_the_whole_channel_pauses_every_chat_there_and_nothing_else(database):
    world = build_world(database)
    tight = TightChannel()
    dispatcher = two_channel_dispatcher(world, tight)
    tight.failures.append(RetryLater(60, "Zalo's call limit", whole_channel=True))
    await queue_on_tight(world)
    await dispatcher.drain()
    assert wait_for(dispatcher, "tight", "5") == pytest.approx(60, abs=1)
    assert wait_for(dispatcher, "tight", "6") == pytest.approx(60, abs=1)  # another waits too
    assert wait_for(dispatcher, "telegram", "5") == pytest.approx(0, abs=0.01)
    assert wait_for(dispatcher, "telegram", "6") == pytest.approx(0, abs=0.01)
