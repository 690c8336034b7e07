"""The real HTTP app as a client, built from settings (a pytest plugin), and a web survey."""

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.app.http_app import http_app
from bot.app.runtime import Runtime, build_runtime, close_runtime
from bot.clock import Clock
from bot.config import Settings
from tests.harness import ROOT

API_KEY = "test-key-1"


@pytest.fixture
async def make_client(
    database_url: str,
) -> AsyncIterator[Callable[..., Any]]:
    """An HTTP client for the real app, built from settings (no Telegram by default)."""
    runtimes: list[Runtime] = []

    async def make(clock: Clock | None = None, **overrides: Any) -> httpx.AsyncClient:
        values: dict[str, Any] = {
            "database_url": database_url,
            "flows_dir": ROOT / "flows",
            "templates_dir": ROOT / "templates",
            "campaigns_dir": ROOT / "campaigns",
            "telegram_token": None,
            "api_keys": API_KEY + ", test-key-2",
            "public_url": "https://surveys.shop.test",
        }
        settings = Settings(**(values | overrides))
        runtime = await build_runtime(settings, clock)
        runtimes.append(runtime)
        app = http_app(runtime)
        app.state.runtime = runtime  # for the tests: the whole world behind the app
        transport = httpx.ASGITransport(app=app)
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    yield make
    for runtime in runtimes:
        await close_runtime(runtime)


@pytest.fixture
async def client(make_client: Callable[..., Any]) -> httpx.AsyncClient:
    return await make_client()


async def web_survey(
    client: httpx.AsyncClient,
    event_id: str = "evt-web",
    telegram: bool = False,
    age: timedelta = timedelta(0),
) -> str:
    """A new survey for a new customer (posted `age` after its delivery); its link token."""
    customer = {"id": f"C-{event_id}", "name": "Lan <3", "locale": "en"}
    if telegram:
        customer["telegram_chat_id"] = 4242
    runtime = client._transport.app.state.runtime
    response = await client.post(
        "/api/v1/events",
        headers={"Authorization": f"Bearer {API_KEY}"},
        json={
            "id": event_id,
            "type": "order.delivered",
            "occurred_at": (runtime.clock.now() - age).isoformat(),
            "order": {"id": f"SO-{event_id}", "store": "HN-01"},
            "customer": customer,
        },
    )
    assert response.status_code == 202, response.text
    return str(response.json()["surveys"][0]["web_link"].rsplit("/", 1)[1])
