"""Working a case from the dashboard: claim, reply, note, voucher, resolve, reopen, each a
CSRF-protected form that redirects back (or answers JSON), each in the case's timeline with
who and when, and each the same operation as the Telegram group's."""

from __future__ import annotations

import asyncio
import re

import httpx
from sqlalchemy import select

from bot.storage.models import CaseEvent, CaseMessage, OutboxMessage, Voucher
from bot.support.cases import Staff
from bot.surveys.conversation import Contact
from tests.web.dashboard_client import add_user, csrf_of, runtime_of, sign_in, signed_in_as
from tests.web.test_dashboard_cases import open_case

JSON = {"Accept": "application/json"}


def hidden(html: str, form_action: str, name: str) -> str:
    """A hidden field's value in the form posting to `form_action`."""
    form = html.split(f'action="{form_action}"', 1)[1].split("</form>", 1)[0]
    found = re.search(rf'name="{name}" value="([^"]*)"', form)
    assert found, f"no {name} in the form of {form_action}"
    return found.group(1)


async def form_of(client: httpx.AsyncClient, action: str) -> dict[str, str]:
    """The hidden fields of a case-page form, as the browser would send them."""
    page = await client.get("/dashboard/cases/1")
    assert page.status_code == 200, page.text
    path = f"/dashboard/cases/1/{action}"
    fields = {"csrf": csrf_of(page.text)}
    for name in ("version", "key"):
        if f'name="{name}"' in page.text.split(f'action="{path}"', 1)[1].split("</form>", 1)[0]:
            fields[name] = hidden(page.text, path, name)
    return fields


async def post(
    client: httpx.AsyncClient, action: str, headers: dict[str, str] | None = None, **fields: str
) -> httpx.Response:
    data = await form_of(client, action) | fields
    return await client.post(f"/dashboard/cases/1/{action}", data=data, headers=headers)


async def second_staff(client: httpx.AsyncClient, login: str) -> httpx.AsyncClient:
    """Another signed-in support user of the same running surveybot."""
    other = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    other.headers["Accept-Language"] = "en"
    await add_user(other, login, "support")
    assert (await sign_in(other, login)).status_code == 303
    return other


async def events(client: httpx.AsyncClient) -> list[tuple[str, str, str, str | None]]:
    async with runtime_of(client).db.reading() as tx:
        rows = (await tx.session.execute(select(CaseEvent).order_by(CaseEvent.id))).scalars()
        return [(e.kind, e.actor_via, e.actor_name, e.detail) for e in rows]


async def test_claim_reply_note_resolve_and_reopen_each_redirect_back_and_are_in_the_timeline(
    make_client,
):
    client = await signed_in_as(make_client, "support", login="minh@shop.test")
    await open_case(client)

    claimed = await post(client, "claim")
    assert claimed.status_code == 303
    assert claimed.headers["location"] == "/dashboard/cases/1?done=claim"
    page = await client.get(claimed.headers["location"])
    assert "The case is yours." in page.text and "minh@shop.test" in page.text
    assert 'action="/dashboard/cases/1/claim"' not in page.text  # claimed: no Claim button

    replied = await post(client, "reply", text="Xin lỗi chị, shop gửi lại hàng ngay <3")
    assert replied.status_code == 303
    noted = await post(client, "note", text="Called the courier")
    assert noted.status_code == 303
    resolved = await post(client, "resolve", reason="Sent a new one")
    assert resolved.headers["location"] == "/dashboard/cases/1?done=resolve"
    page = await client.get("/dashboard/cases/1")
    assert "Sent a new one" in page.text and 'action="/dashboard/cases/1/reopen"' in page.text
    reopened = await post(client, "reopen")
    assert reopened.status_code == 303
    async with runtime_of(client).db.reading() as tx:
        case = await tx.cases.get(1)
    assert case is not None and (case.status, case.claimed_by) == ("open", None)
    assert (case.reannounced_at, case.escalated_at, case.resolved_at) == (None, None, None)

    timeline = (await client.get("/dashboard/cases/1")).text.split('id="timeline"')[1]
    order = [
        "Claimed",
        "To the customer",
        "Xin lỗi chị, shop gửi lại hàng ngay &lt;3",
        "Internal note",
        "Called the courier",
        "Resolved",
        "Reopened",
    ]
    positions = [timeline.index(text) for text in order]
    assert positions == sorted(positions)
    assert await events(client) == [
        ("claimed", "dashboard", "minh", None),  # no e-mail domain: it may reach customers
        ("resolved", "dashboard", "minh", "Sent a new one"),
        ("reopened", "dashboard", "minh", None),
    ]
    async with runtime_of(client).db.reading() as tx:
        sent = (await tx.session.execute(select(OutboxMessage))).scalars().all()
    assert any("shop gửi lại hàng ngay" in str(row.payload.get("text")) for row in sent)


async def test_a_case_claimed_in_telegram_shows_as_claimed_and_a_web_reply_is_refused(
    make_client,
):
    client = await signed_in_as(make_client, "support")
    await open_case(client)
    answer = await runtime_of(client).cases.claim(Staff(401, "Minh"), 1)  # the card's button
    assert answer.done
    page = await client.get("/dashboard/cases/1")
    assert "Minh" in page.text and 'action="/dashboard/cases/1/claim"' not in page.text

    refused = await post(client, "reply", text="Hello")
    assert refused.status_code == 409
    assert "already claimed by Minh" in refused.text or "Minh" in refused.text
    async with runtime_of(client).db.reading() as tx:
        replies = (await tx.session.execute(select(CaseMessage))).scalars().all()
    assert replies == []


async def test_json_answers_and_a_resend_of_the_same_form_is_one_reply(make_client):
    client = await signed_in_as(make_client, "support")
    await open_case(client)
    fields = await form_of(client, "reply")
    first = await client.post(
        "/dashboard/cases/1/reply", data=fields | {"text": "On it"}, headers=JSON
    )
    again = await client.post(
        "/dashboard/cases/1/reply", data=fields | {"text": "On it"}, headers=JSON
    )
    assert first.status_code == 200 and first.json()["done"] is True
    assert first.json()["case"]["status"] == "claimed"  # replying to an open case takes it
    assert again.status_code == 200
    async with runtime_of(client).db.reading() as tx:
        replies = (await tx.session.execute(select(CaseMessage))).scalars().all()
    assert [r.text for r in replies] == ["On it"]


async def test_a_voucher_goes_once_whoever_presses(make_client):
    client = await signed_in_as(make_client, "support")
    await open_case(client)
    first = await post(client, "voucher", headers=JSON, campaign="we_are_sorry")
    second = await post(client, "voucher", headers=JSON, campaign="we_are_sorry")
    assert first.json()["done"] is True
    assert second.status_code == 409 and second.json()["done"] is False
    async with runtime_of(client).db.reading() as tx:
        vouchers = (
            (await tx.session.execute(select(Voucher).where(Voucher.case_id == 1))).scalars().all()
        )
    assert len(vouchers) == 1
    assert [e[0] for e in await events(client)] == ["voucher"]
    unknown = await post(client, "voucher", campaign="thank_you")  # not a compensation one
    assert unknown.status_code == 400


async def test_two_staff_at_once_both_replies_are_stored_and_one_resolve_wins(make_client):
    minh = await signed_in_as(make_client, "support", login="minh@shop.test")
    await open_case(minh)
    assert (await post(minh, "claim")).status_code == 303
    hoa = await second_staff(minh, "hoa@shop.test")
    # Both open the page, then both resolve: one wins, the other is told.
    minh_form, hoa_form = await form_of(minh, "resolve"), await form_of(hoa, "resolve")
    answers = await asyncio.gather(
        minh.post("/dashboard/cases/1/resolve", data=minh_form, headers=JSON),
        hoa.post("/dashboard/cases/1/resolve", data=hoa_form, headers=JSON),
    )
    assert sorted(a.json()["done"] for a in answers) == [False, True]
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert [e[0] for e in await events(minh)] == ["claimed", "resolved"]


async def test_a_stale_page_cannot_resolve_a_case_that_changed_since(make_client):
    minh = await signed_in_as(make_client, "support", login="minh@shop.test")
    await open_case(minh)
    stale = await form_of(minh, "resolve")
    await runtime_of(minh).cases.claim(Staff(401, "Minh in Telegram"), 1)
    refused = await minh.post("/dashboard/cases/1/resolve", data=stale)
    assert refused.status_code == 409
    assert "The case changed since this page was loaded" in refused.text
    fresh = await post(minh, "resolve")
    assert fresh.status_code == 303


async def test_a_marketer_cannot_act_and_a_forged_post_is_refused(make_client):
    support = await signed_in_as(make_client, "support")
    await open_case(support)
    forged = await support.post("/dashboard/cases/1/claim", data={"csrf": "forged"})
    assert forged.status_code == 403
    no_token = await support.post("/dashboard/cases/1/resolve", data={})
    assert no_token.status_code == 403
    marketer = httpx.AsyncClient(transport=support._transport, base_url=support.base_url)
    await add_user(marketer, "mai@shop.test", "marketer")
    await sign_in(marketer, "mai@shop.test")
    for action in ("claim", "reply", "note", "voucher", "resolve", "reopen"):
        answer = await marketer.post(f"/dashboard/cases/1/{action}", data={"text": "x"})
        assert answer.status_code == 403, action
    assert await events(support) == []


async def test_bad_input_gets_a_clear_error_never_a_500(make_client):
    client = await signed_in_as(make_client, "support")
    await open_case(client)
    cases = [
        ("reply", {"text": "   "}, 400),
        ("reply", {"text": "x" * 5000}, 400),
        ("note", {"text": "a\x00b"}, 400),
        ("voucher", {"campaign": "<script>"}, 400),
        ("resolve", {"reason": "r" * 600}, 400),
        ("reply", {"text": "ok", "key": "k" * 200}, 400),
    ]
    for action, fields, status in cases:
        answer = await post(client, action, **fields)
        assert answer.status_code == status, (action, fields, answer.text[:200])
        assert "&lt;script&gt;" in answer.text or "<script>" not in answer.text
    token = (await form_of(client, "claim"))["csrf"]
    for case in ("999", str(2**31), "9" * 18, "²"):  # beyond the id column: no case, no 500
        missing = await client.post(f"/dashboard/cases/{case}/claim", data={"csrf": token})
        assert missing.status_code == 404, case
        assert (await client.get(f"/dashboard/cases/{case}")).status_code == 404, case
    as_json = await post(client, "reply", headers=JSON, text="")
    assert as_json.status_code == 400 and as_json.json()["done"] is False


async def test_without_a_support_group_the_customers_message_is_kept_in_the_case(make_client):
    client = await signed_in_as(make_client, "support")  # a shop with no Telegram group
    await open_case(client)
    lan = Contact("telegram", "5", name="Lan <b>", language="vi")
    await runtime_of(client).conversation.typed(lan, "Bao giờ hàng tới ạ?", message_id="m-9")
    timeline = (await client.get("/dashboard/cases/1")).text.split('id="timeline"')[1]
    assert "From the customer" in timeline and "Bao giờ hàng tới ạ?" in timeline
