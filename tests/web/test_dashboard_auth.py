"""Dashboard sign-in: sessions, cookies, CSRF, throttling, sign-out, languages."""

from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.staff.accounts import Accounts
from bot.staff.passwords import AccountError
from bot.staff.roles import Role
from tests.web.dashboard_client import (
    PASSWORD,
    add_user,
    csrf_of,
    dashboard_client,
    runtime_of,
    sign_in,
    signed_in_as,
)

SESSION = "__Host-surveybot_session"


async def test_the_dashboard_is_off_by_default(client):
    response = await client.get("/dashboard/login")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "SURVEYBOT_DASHBOARD=1" in response.text


async def test_an_anonymous_visitor_is_sent_to_the_sign_in_page(make_client):
    client = await dashboard_client(make_client)
    response = await client.get("/dashboard/cases?status=open")
    assert response.status_code == 303
    assert (
        response.headers["location"] == "/dashboard/login?next=%2Fdashboard%2Fcases%3Fstatus%3Dopen"
    )
    page = await client.get(response.headers["location"])
    assert page.status_code == 200 and 'name="password"' in page.text


async def test_signing_in_sets_a_secure_httponly_lax_session_cookie(make_client):
    client = await dashboard_client(make_client)
    await add_user(client, "Lan@Shop.test", "support")
    response = await sign_in(client, "  lan@shop.TEST ")
    assert response.status_code == 303
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith(SESSION)
    )
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= attributes
    assert not any(part.startswith("domain") for part in attributes)


async def test_cookies_are_not_secure_when_turned_off_for_plain_http(make_client):
    client = await dashboard_client(make_client, dashboard_secure_cookies=False)
    client.base_url = "http://testserver"
    await add_user(client, "lan", "support")
    response = await sign_in(client, "lan")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("surveybot_session=") and "secure" not in cookie.lower()
    assert (await client.get("/dashboard/cases")).status_code == 200


async def test_signing_in_returns_to_the_page_asked_for(make_client):
    client = await dashboard_client(make_client)
    await add_user(client, "lan", "support")
    response = await sign_in(client, "lan", next_path="/dashboard/responses?search=late")
    assert response.headers["location"] == "/dashboard/responses?search=late"


@pytest.mark.parametrize("target", ["//evil.test/x", "https://evil.test/", "/healthz", "/\\evil"])
async def test_signing_in_never_sends_the_browser_off_the_dashboard(make_client, target):
    client = await dashboard_client(make_client)
    await add_user(client, "lan", "support")
    response = await sign_in(client, "lan", next_path=target)
    assert response.headers["location"] == "/dashboard/"


async def test_a_wrong_password_and_an_unknown_login_get_the_same_answer(make_client):
    client = await dashboard_client(make_client)
    await add_user(client, "lan", "support")
    wrong = await sign_in(client, "lan", "not the password")
    unknown = await sign_in(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong login or password." in wrong.text and "Wrong login or password." in unknown.text
    assert SESSION not in wrong.headers.get("set-cookie", "")


async def test_a_sign_in_without_the_csrf_token_is_refused(make_client):
    client = await dashboard_client(make_client)
    await add_user(client, "lan", "support")
    await client.get("/dashboard/login")
    forged = await client.post("/dashboard/login", data={"login": "lan", "password": PASSWORD})
    assert forged.status_code == 403
    assert "form has expired" in forged.text
    assert SESSION not in forged.headers.get("set-cookie", "")


async def test_a_sign_in_with_a_token_from_another_browser_is_refused(make_client):
    client = await dashboard_client(make_client)
    await add_user(client, "lan", "support")
    token = csrf_of((await client.get("/dashboard/login")).text)
    client.cookies.clear()
    forged = await client.post(
        "/dashboard/login", data={"csrf": token, "login": "lan", "password": PASSWORD}
    )
    assert forged.status_code == 403


async def test_signing_out_ends_the_session_on_the_server(make_client):
    client = await signed_in_as(make_client, "support")
    page = await client.get("/dashboard/cases")
    stolen = client.cookies.get(SESSION)
    response = await client.post("/dashboard/logout", data={"csrf": csrf_of(page.text)})
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login?signed_out=1"
    client.cookies.set(SESSION, stolen)
    assert (await client.get("/dashboard/cases")).status_code == 303


async def test_signing_out_without_the_csrf_token_is_refused(make_client):
    client = await signed_in_as(make_client, "support")
    response = await client.post("/dashboard/logout", data={})
    assert response.status_code == 403
    assert (await client.get("/dashboard/cases")).status_code == 200


async def test_failed_sign_ins_make_the_account_wait_longer_each_time(make_client):
    client = await dashboard_client(make_client)
    runtime = runtime_of(client)
    clock = runtime.clock = ManualClock()
    await add_user(client, "lan", "support")
    for _ in range(5):  # free
        assert (await sign_in(client, "lan", "guess")).status_code == 401
    assert (await sign_in(client, "lan", "guess")).status_code == 401  # now 2 s
    blocked = await sign_in(client, "lan", PASSWORD)
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "3"
    assert "Too many failed sign-ins" in blocked.text
    clock.advance(timedelta(seconds=2))
    assert (await sign_in(client, "lan", "guess")).status_code == 401  # now 4 s
    clock.advance(timedelta(seconds=3))
    assert (await sign_in(client, "lan", PASSWORD)).status_code == 429
    clock.advance(timedelta(seconds=1))
    assert (await sign_in(client, "lan", PASSWORD)).status_code == 303


async def test_the_wait_holds_across_workers_and_restarts(make_client):
    first = await dashboard_client(make_client)
    await add_user(first, "lan", "support")
    for _ in range(6):
        await sign_in(first, "lan", "guess")
    second = await dashboard_client(make_client)  # another process on the same database
    assert (await sign_in(second, "lan", PASSWORD)).status_code == 429


async def test_many_accounts_tried_from_one_address_make_the_address_wait(make_client):
    client = await dashboard_client(make_client)
    runtime_of(client).clock = ManualClock()
    await add_user(client, "lan", "support")
    for attempt in range(51):  # 50 free (an office shares one address), then a wait
        await sign_in(client, f"user{attempt}", "guess")
    response = await sign_in(client, "lan", PASSWORD)
    assert response.status_code == 429


async def test_a_good_sign_in_forgives_the_accounts_earlier_failures(make_client):
    client = await dashboard_client(make_client)
    runtime_of(client).clock = ManualClock()
    await add_user(client, "lan", "support")
    for _ in range(5):
        await sign_in(client, "lan", "guess")
    assert (await sign_in(client, "lan", PASSWORD)).status_code == 303
    client.cookies.clear()
    for _ in range(5):
        assert (await sign_in(client, "lan", "guess")).status_code == 401
    assert (await sign_in(client, "lan", PASSWORD)).status_code == 303


async def test_a_new_password_signs_the_user_out_everywhere(make_client):
    client = await signed_in_as(make_client, "support", "lan")
    runtime = runtime_of(client)
    await Accounts(runtime.db, runtime.clock).set_password("lan", "a brand new secret")
    assert (await client.get("/dashboard/cases")).status_code == 303


async def test_a_password_with_a_nul_cannot_be_set(make_client):
    client = await dashboard_client(make_client)
    runtime = runtime_of(client)
    with pytest.raises(AccountError, match="NUL"):
        await Accounts(runtime.db, runtime.clock).add("lan", Role.SUPPORT, "correct\x00horse")


async def test_a_removed_user_is_signed_out(make_client):
    client = await signed_in_as(make_client, "support", "lan")
    runtime = runtime_of(client)
    await Accounts(runtime.db, runtime.clock).remove("LAN")
    assert (await client.get("/dashboard/cases")).status_code == 303


async def test_pages_speak_the_browsers_language_until_another_is_chosen(make_client):
    client = await dashboard_client(make_client)
    vietnamese = await client.get("/dashboard/login", headers={"Accept-Language": "vi-VN,vi;q=0.9"})
    assert '<html lang="vi">' in vietnamese.text and "Mật khẩu" in vietnamese.text
    chosen = await client.get("/dashboard/login?lang=en", headers={"Accept-Language": "vi"})
    assert '<html lang="en">' in chosen.text
    later = await client.get("/dashboard/login", headers={"Accept-Language": "vi"})
    assert '<html lang="en">' in later.text and "Password" in later.text


async def test_the_stylesheet_is_served_by_the_app(make_client):
    client = await dashboard_client(make_client)
    response = await client.get("/dashboard/static/dashboard.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
