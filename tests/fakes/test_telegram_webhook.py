"""Webhook mode of the fake Telegram, posting to a tiny aiohttp receiver."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError
from aiohttp import web

from tests.fakes.conftest import LAN
from tests.fakes.telegram import FakeTelegram


class Receiver:
    """Records what arrives; answers with the next scripted response (default: 200 {})."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.responses: list[Callable[[], web.Response]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        header = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        self.received.append((await request.json(), header))
        return self.responses.pop(0)() if self.responses else web.json_response({})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield receiver
    await runner.cleanup()


async def test_updates_are_posted_with_the_secret_token(
    fake: FakeTelegram, bot: Bot, receiver: Receiver
) -> None:
    assert await bot.set_webhook(receiver.url, secret_token="s3cret") is True

    sent = fake.user_sends(LAN, "/start")

    await fake.wait_for(lambda f: receiver.received, timeout=5)
    update, header = receiver.received[0]
    assert (update["message"], header) == (sent, "s3cret")
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (receiver.url, 0)


async def test_get_updates_conflicts_with_a_webhook(
    fake: FakeTelegram, bot: Bot, receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url)

    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()

    await bot.delete_webhook()
    assert await bot.get_updates() == []


async def test_a_failed_delivery_is_retried(
    fake: FakeTelegram, bot: Bot, receiver: Receiver
) -> None:
    receiver.responses.append(lambda: web.Response(status=500))
    await bot.set_webhook(receiver.url)

    fake.user_sends(LAN, "hi")

    await fake.wait_for(lambda f: len(receiver.received) == 2, timeout=5)
    assert [d.status for d in fake.webhook_deliveries] == [500, 200]
    assert receiver.received[0] == receiver.received[1]
    assert "500" in (await bot.get_webhook_info()).last_error_message


async def test_a_redelivered_update_is_posted_again(
    fake: FakeTelegram, bot: Bot, receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url)
    fake.user_sends(LAN, "5")
    await fake.wait_for(lambda f: receiver.received, timeout=5)

    fake.redeliver(receiver.received[0][0]["update_id"])

    await fake.wait_for(lambda f: len(receiver.received) == 2, timeout=5)
    assert receiver.received[0] == receiver.received[1]


async def test_a_method_in_the_webhook_response_is_executed(
    fake: FakeTelegram, bot: Bot, receiver: Receiver
) -> None:
    reply = {"method": "sendMessage", "chat_id": LAN, "text": "Chào bạn"}
    receiver.responses.append(lambda: web.json_response(reply))
    await bot.set_webhook(receiver.url)

    fake.user_sends(LAN, "/start")

    msg = await fake.wait_for_message(LAN, contains="Chào bạn", timeout=5)
    assert msg.from_bot
