"""The OpenAPI document describes what the server sends: one error body everywhere, the
Bearer scheme, and every 4xx an operation can answer. Authentication comes first."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import jsonschema_rs
import pytest
import uvicorn
from fastapi import FastAPI

from tests.http_client import API_KEY

AUTH = {"Authorization": f"Bearer {API_KEY}"}
PROTECTED = [
    ("post", "/api/v1/events"),
    ("get", "/api/v1/vouchers/{code}"),
    ("post", "/api/v1/vouchers/{code}/redeem"),
    ("get", "/api/v1/metrics"),
    ("get", "/api/v1/responses"),
    ("get", "/api/v1/responses/export"),
]


async def openapi(client) -> dict:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def error_validator(spec: dict, path: str, method: str, status: int):
    schema = spec["paths"][path][method]["responses"][str(status)]["content"]["application/json"]
    return jsonschema_rs.validator_for({**schema["schema"], "components": spec["components"]})


async def test_every_documented_error_is_the_one_error_body(client):
    spec = await openapi(client)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, method)


@pytest.mark.parametrize(
    ("url", "path", "field"),
    [
        ("/api/v1/vouchers/" + "X" * 65, "/api/v1/vouchers/{code}", "code"),
        ("/qr/abc.png?to=fax", "/qr/{token}.png", "to"),
        ("/api/v1/metrics?min_score=11", "/api/v1/metrics", "min_score"),
    ],
)
async def test_a_422_body_is_the_documented_error_body(client, url, path, field):
    spec = await openapi(client)
    response = await client.get(url, headers=AUTH)
    assert response.status_code == 422
    error_validator(spec, path, "get", 422).validate(response.json())
    assert response.json()["error"] == "invalid_request"
    assert [problem["field"] for problem in response.json()["detail"]] == [field]


async def test_a_body_that_is_not_utf8_is_a_documented_400(client):
    spec = await openapi(client)
    response = await client.post(
        "/api/v1/events",
        content=b'{"id": "\xff"}',
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    error_validator(spec, "/api/v1/events", "post", 400).validate(response.json())
    assert response.json()["detail"] == [{"field": "body", "message": "is not valid UTF-8"}]


async def test_a_body_that_is_not_json_names_the_body(client):
    response = await client.post(
        "/api/v1/events", content=b"{bad", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["field"] == "body" and "not valid JSON" in problem["message"]


async def test_the_api_declares_its_bearer_scheme_on_protected_operations(client):
    spec = await openapi(client)
    schemes = spec["components"]["securitySchemes"]
    [(name, scheme)] = schemes.items()
    assert scheme["type"] == "http" and scheme["scheme"].lower() == "bearer"
    for method, path in PROTECTED:
        operation = spec["paths"][path][method]
        assert operation["security"] == [{name: []}], path
        assert {"401", "403"} <= set(operation["responses"]), path
    assert "security" not in spec["paths"]["/healthz"]["get"]
    assert "security" not in spec["paths"]["/qr/{token}.png"]["get"]


@pytest.mark.parametrize(
    "body",
    [b'{"id": 1}', b"{bad", b'{"id": "\xff"}', b"[]"],
)
async def test_without_a_key_a_bad_body_is_401_not_a_list_of_fields(client, body):
    for path in ("/api/v1/events", "/api/v1/vouchers/CODE-1/redeem"):
        response = await client.post(
            path, content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 401, (path, response.text)
        assert response.json()["error"] == "unauthorized"


async def test_with_no_key_configured_a_bad_body_is_403(make_client):
    client = await make_client(api_keys="")
    response = await client.post(
        "/api/v1/events", content=b"{bad", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # the test runner keeps its own signal handlers
        yield


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[tuple[str, int]]:
    """The app behind a real uvicorn on a loopback port, as `surveybot run` serves it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = _QuietServer(uvicorn.Config(app, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not server.started:
        assert loop.time() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.01)
    try:
        yield sock.getsockname()
    finally:
        server.should_exit = True
        await task
        sock.close()


async def exchange(reader, writer, path: str) -> tuple[int, bytes]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: testserver\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    status = int(head.split(b" ", 2)[1])
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return status, await asyncio.wait_for(reader.readexactly(length), 10)


async def test_a_500_is_a_json_answer_on_a_connection_that_stays_usable(client):
    app = client._transport.app

    async def broken() -> None:
        raise RuntimeError("a bug in a route")

    app.add_api_route("/broken", broken)
    async with served(app) as (host, port):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            status, body = await exchange(reader, writer, "/broken")
            assert status == 500
            assert b'"error":"internal"' in body
            status, _ = await exchange(reader, writer, "/healthz")  # the same connection
            assert status == 200
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
