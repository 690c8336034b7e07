"""Demo mode (`make run`): loopback only, a demo admin with a fresh password at every
start, gone when a start is not a demo; /demo makes a sample survey to take."""

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.staff.accounts import Account, Accounts
from bot.web.dashboard.demo_admin import DEMO_LOGIN, demo_admin, retire_demo_admin


def test_demo_mode_listens_on_this_machine_only():
    assert Settings(demo=True, http_host="127.0.0.1").dashboard  # and shows the dashboard
    with pytest.raises(ValidationError, match=r"SURVEYBOT_HTTP_HOST is '0\.0\.0\.0'"):
        Settings(demo=True, http_host="0.0.0.0")


async def test_the_demo_admin_gets_a_new_password_each_start_and_goes_away(make_client):
    client = await make_client()
    runtime = client._transport.app.state.runtime
    accounts = Accounts(runtime.db, runtime.clock)
    login, first = await demo_admin(accounts)
    again, second = await demo_admin(accounts)  # the next `make run`
    assert login == again == DEMO_LOGIN and first != second
    assert not isinstance(await accounts.sign_in(login, first, "127.0.0.1"), Account)
    signed_in = await accounts.sign_in(login, second, "127.0.0.1")
    assert isinstance(signed_in, Account) and signed_in.role == "admin"
    assert await retire_demo_admin(accounts)  # a start without demo mode
    assert not await retire_demo_admin(accounts)
    assert [account.login for account in await accounts.list()] == []


async def test_demo_opens_a_sample_survey_only_in_demo_mode(make_client):
    off = await make_client()
    assert (await off.get("/demo")).status_code == 404
    on = await make_client(demo=True)
    response = await on.get("/demo")
    assert response.status_code == 303 and response.headers["location"].startswith("/s/")
    page = await on.get(response.headers["location"])
    assert page.status_code == 200 and 'value="start"' in page.text
