"""A NUL byte in the sign-in form gets the form back with a 400, never a 500 (PostgreSQL
refuses NUL in text, so it must be stopped before any query)."""

import pytest

from tests.web.dashboard_client import PASSWORD, add_user, dashboard_client, sign_in

NUL_FIELDS = [
    pytest.param("lan\x00", PASSWORD, id="login-ends-with-nul"),
    pytest.param("\x00", PASSWORD, id="login-is-nul"),
    pytest.param("lan", "correct\x00horse", id="password-with-nul"),
    pytest.param("lan\x00admin", "guess\x00", id="both-with-nul"),
]


@pytest.mark.parametrize(("login", "password"), NUL_FIELDS)
async def test_a_nul_in_the_sign_in_form_gets_the_form_back_with_a_400(
    make_client, login, password
):
    client = await dashboard_client(make_client)
    await add_user(client, "lan", "support")
    response = await sign_in(client, login, password)
    assert response.status_code == 400
    assert 'name="password"' in response.text
    assert "Check the address or the form" in response.text


async def test_a_nul_in_the_sign_in_form_does_not_count_as_a_failed_sign_in(make_client):
    client = await dashboard_client(make_client)
    await add_user(client, "lan", "support")
    for _ in range(10):
        assert (await sign_in(client, "lan\x00", "guess")).status_code == 400
    assert (await sign_in(client, "lan", PASSWORD)).status_code == 303
