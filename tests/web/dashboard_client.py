"""Helpers for the dashboard tests: a client over https (its cookies are Secure), users,
signing in, and the CSRF token of a page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from bot.app.runtime import Runtime
from bot.flows.registry import FlowRegistry
from bot.staff.accounts import Accounts
from bot.staff.roles import Role
from bot.storage.models import AnswerRow, Customer, Order
from bot.surveys.engine import SessionStatus
from tests.harness import ROOT

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def dashboard_client(make_client: Callable[..., Any], **overrides: Any) -> httpx.AsyncClient:
    values = {"dashboard": True, "campaigns_dir": ROOT / "campaigns"} | overrides
    client: httpx.AsyncClient = await make_client(**values)
    client.base_url = httpx.URL("https://testserver")  # httpx sends Secure cookies on https only
    client.headers["Accept-Language"] = "en-US,en;q=0.8"
    return client


def runtime_of(client: httpx.AsyncClient) -> Runtime:
    runtime: Runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
    return runtime


async def add_user(
    client: httpx.AsyncClient, login: str, role: str, password: str = PASSWORD
) -> None:
    runtime = runtime_of(client)
    await Accounts(runtime.db, runtime.clock).add(login, Role(role), password)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def sign_in(
    client: httpx.AsyncClient, login: str, password: str = PASSWORD, next_path: str = ""
) -> httpx.Response:
    form = await client.get("/dashboard/login")
    assert form.status_code == 200, form.text
    data = {"csrf": csrf_of(form.text), "login": login, "password": password}
    if next_path:
        data["next"] = next_path
    return await client.post("/dashboard/login", data=data)


async def signed_in_as(
    make_client: Callable[..., Any], role: str, login: str | None = None, **overrides: Any
) -> httpx.AsyncClient:
    client = await dashboard_client(make_client, **overrides)
    login = login or f"{role}@shop.test"
    await add_user(client, login, role)
    response = await sign_in(client, login)
    assert response.status_code == 303, response.text
    return client


async def seed_response(
    runtime: Runtime,
    at: datetime,
    *,
    customer: str = "Lan",
    store: str | None = "HN-01",
    sku: str = "A1",
    csat: int | None = 5,
    nps: int | None = 9,
    ces: int | None = 6,
    comment: str | None = None,
    attributes: dict[str, Any] | None = None,
    flow_id: str = "post_purchase",
    locale: str = "en",
) -> int:
    """A completed survey answered at `at` (written directly: the reports only read)."""
    flow = runtime.catalog.get(flow_id)
    assert flow is not None
    async with runtime.db.transaction() as tx:
        person = Customer(
            external_id=f"C-{uuid.uuid4().hex[:12]}",
            name=customer,
            locale=locale,
            attributes=attributes or {},
            created_at=at,
            updated_at=at,
        )
        tx.session.add(person)
        await tx.session.flush()
        order = Order(
            external_id=f"SO-{person.id}",
            customer_id=person.id,
            store=store,
            items=[{"sku": sku, "qty": 1}],
            occurred_at=at,
            created_at=at,
        )
        tx.session.add(order)
        await tx.session.flush()
        await FlowRegistry(runtime.catalog).remember(tx, flow, at)
        survey = await tx.surveys.add(
            flow_id=flow.id,
            flow_version=flow.version,
            customer_id=person.id,
            order_id=order.id,
            locale=locale,
            status=SessionStatus.COMPLETED,
            channel="telegram",
            now=at,
        )
        survey.started_at = survey.sent_at = survey.completed_at = at
        answers = [("csat", "csat", csat, None), ("nps", "nps", nps, None)]
        answers += [("ces", "ces", ces, None), ("comment", "text", None, comment)]
        for step, kind, number, text in answers:
            if number is None and text is None:
                continue
            tx.session.add(
                AnswerRow(
                    survey_id=survey.id,
                    flow_id=flow.id,
                    flow_version=flow.version,
                    step_id=step,
                    kind=kind,
                    value_int=number,
                    value_text=text,
                    skipped=False,
                    answered_at=at,
                )
            )
        return survey.id
