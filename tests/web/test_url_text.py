"""Text in the URL is checked at the edge: a NUL byte or bytes that are not UTF-8 in the path
or in a query value is a 400 naming where, on SQLite and PostgreSQL alike, signed in or not."""

import pytest

from tests.http_client import API_KEY
from tests.web.dashboard_client import signed_in_as

AUTH = {"Authorization": f"Bearer {API_KEY}"}

NUL_IN_THE_PATH = ["/s/%00", "/qr/%00.png", "/api/v1/vouchers/%00", "/dashboard/cases/%00"]
NUL_IN_A_QUERY = [
    "/api/v1/metrics?store=%00",
    "/api/v1/responses?store=%00",
    "/api/v1/responses/export?store=%00",
    "/dashboard/overview?store=%00",
    "/dashboard/responses?store=%00",
    "/healthz?store=%00",
]


async def refusal(make_client, path):
    client = await signed_in_as(make_client, "admin")
    response = await client.get(path, headers=AUTH)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_request"
    [problem] = response.json()["detail"]
    return problem


@pytest.mark.parametrize("path", NUL_IN_THE_PATH)
async def test_a_nul_byte_in_the_path_is_a_400_naming_the_path(make_client, path):
    problem = await refusal(make_client, path)
    assert problem == {"field": "path", "message": "contains a NUL byte"}


@pytest.mark.parametrize("path", NUL_IN_A_QUERY)
async def test_a_nul_byte_in_a_query_value_is_a_400_naming_the_parameter(make_client, path):
    problem = await refusal(make_client, path)
    assert problem == {"field": "store", "message": "contains a NUL byte"}


@pytest.mark.parametrize("path", ["/s/%ff", "/api/v1/vouchers/%ed%a0%80"])
async def test_a_path_that_is_not_utf8_is_a_400(make_client, path):
    problem = await refusal(make_client, path)
    assert problem == {"field": "path", "message": "is not valid UTF-8"}


async def test_a_query_value_that_is_not_utf8_is_a_400_naming_it(make_client):
    problem = await refusal(make_client, "/api/v1/metrics?channel=%C3%28")
    assert problem == {"field": "channel", "message": "is not valid UTF-8"}


async def test_a_nul_byte_in_a_query_parameter_name_is_a_400(make_client):
    problem = await refusal(make_client, "/api/v1/responses?st%00re=1")
    assert problem == {"field": "query", "message": "a parameter name contains a NUL byte"}


async def test_plain_text_and_encoded_plus_signs_still_pass(client):
    response = await client.get(
        "/api/v1/metrics?store=H%C3%A0+N%E1%BB%99i&from=2026-11-01T00:00:00%2B07:00", headers=AUTH
    )
    assert response.status_code == 200, response.text
    assert response.json()["filters"]["store"] == "Hà Nội"
