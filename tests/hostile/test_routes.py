"""Every HTTP route against bad input, table-driven, on SQLite and PostgreSQL.

`ROUTES` says where each route takes outside input (path parameters, query parameters, body
fields, headers) and who may call it; every hostile value below is tried in every one of
those places, signed in and not. Each answer must be a 4xx whose body names the problem, or
the route's normal answer where the input is harmless there, and never a 5xx. A route that
the app serves but the table lacks fails `test_every_route_has_a_row`: a new route comes
with its row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import select

from bot.storage.models import Voucher
from bot.surveys.conversation import Contact
from tests.channels.telegram.test_webhook import UPDATE, WEBHOOK
from tests.http_client import API_KEY
from tests.web.dashboard_client import csrf_of, runtime_of, signed_in_as

ZALO = {"zalo_app_id": "4291763606161179100", "zalo_app_secret": "s", "zalo_oa_secret": "o"}
MESSENGER = {
    "messenger_page_id": "104857600000001",
    "messenger_page_token": "page-token",
    "messenger_app_secret": "app-secret",
    "messenger_verify_token": "verify-token",
}
SETTINGS: dict[str, Any] = {"dashboard": True, "demo": True, **WEBHOOK, **ZALO, **MESSENGER}
AUTH = {"Authorization": f"Bearer {API_KEY}"}
SECRET = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK["telegram_webhook_secret"]}

Caller = Literal["anyone", "api", "staff", "telegram"]
Body = Literal["", "json", "form", "update"]


@dataclass(frozen=True)
class Surface:
    """Where a route takes outside input, and who may call it."""

    path: dict[str, str] = field(default_factory=dict)  # parameter -> seed: token, code, case
    query: tuple[str, ...] = ()
    body: Body = ""
    fields: tuple[str, ...] = ()  # the body's fields
    caller: Caller = "anyone"


INSIGHT = ("flow", "from", "to", "store", "channel", "sku", "segment", "search", "score")
INSIGHT += ("min_score", "max_score", "has_comment")
FILTERS = ("flow", "from", "to", "store", "channel", "sku", "segment", "search", "period")

ROUTES: dict[tuple[str, str], Surface] = {
    ("GET", "/openapi.json"): Surface(),
    ("GET", "/docs"): Surface(),
    ("GET", "/docs/oauth2-redirect"): Surface(query=("state", "code")),
    ("GET", "/redoc"): Surface(),
    ("GET", "/healthz"): Surface(),
    ("POST", "/api/v1/events"): Surface(
        body="json", fields=("id", "type", "occurred_at", "order", "customer"), caller="api"
    ),
    ("GET", "/api/v1/vouchers/{code}"): Surface(path={"code": "code"}, caller="api"),
    ("POST", "/api/v1/vouchers/{code}/redeem"): Surface(
        path={"code": "code"}, body="json", fields=("order_id",), caller="api"
    ),
    ("GET", "/api/v1/metrics"): Surface(query=(*INSIGHT, "group_by"), caller="api"),
    ("GET", "/api/v1/responses"): Surface(query=(*INSIGHT, "page", "per_page"), caller="api"),
    ("GET", "/api/v1/responses/export"): Surface(query=(*INSIGHT, "format"), caller="api"),
    ("GET", "/dashboard/"): Surface(caller="staff"),
    ("GET", "/dashboard/login"): Surface(query=("next", "signed_out", "lang")),
    ("POST", "/dashboard/login"): Surface(
        body="form", fields=("csrf", "login", "password", "next")
    ),
    ("POST", "/dashboard/logout"): Surface(body="form", fields=("csrf",), caller="staff"),
    ("GET", "/dashboard/static/dashboard.css"): Surface(),
    ("GET", "/dashboard/static/live.js"): Surface(),
    # Only an EventSource (Accept: text/event-stream) gets the stream; this is a 406.
    ("GET", "/dashboard/live/cases"): Surface(caller="staff"),
    ("GET", "/dashboard/overview"): Surface(query=(*FILTERS, "lang"), caller="staff"),
    ("GET", "/dashboard/responses"): Surface(query=(*FILTERS, "page"), caller="staff"),
    ("GET", "/dashboard/flows"): Surface(query=FILTERS, caller="staff"),
    ("GET", "/dashboard/cases"): Surface(query=("status", "show"), caller="staff"),
    ("GET", "/dashboard/cases/{case_id}"): Surface(path={"case_id": "case"}, caller="staff"),
    **{
        ("POST", f"/dashboard/cases/{{case_id}}/{action}"): Surface(
            path={"case_id": "case"}, body="form", fields=("csrf", *fields), caller="staff"
        )
        for action, fields in (
            ("claim", ("version",)),
            ("reply", ("text", "key")),
            ("note", ("text", "key")),
            ("voucher", ("campaign",)),
            ("resolve", ("reason", "version")),
            ("reopen", ("version",)),
        )
    },
    ("GET", "/dashboard/campaigns"): Surface(caller="staff"),
    ("GET", "/s/{token}"): Surface(path={"token": "token"}, query=("lang",)),
    ("POST", "/s/{token}"): Surface(
        path={"token": "token"}, body="form", fields=("action", "visit", "value", "text")
    ),
    ("GET", "/demo"): Surface(),
    ("GET", "/privacy"): Surface(query=("lang",)),
    ("GET", "/qr/{token}.png"): Surface(path={"token": "token"}, query=("to",)),
    ("GET", "/cases"): Surface(query=("status",)),
    ("POST", "/telegram/webhook"): Surface(body="update", caller="telegram"),
    # Unsigned, as every attempt here is: refused before the body is read (401).
    ("POST", "/zalo/webhook"): Surface(body="json", fields=("event_name", "timestamp")),
    # The handshake takes any query (403 unless it is ours); events are signed, so 401.
    ("GET", "/messenger/webhook"): Surface(query=("hub.mode", "hub.verify_token", "hub.challenge")),
    ("POST", "/messenger/webhook"): Surface(body="json", fields=("object", "entry")),
}

# Text that a caller can put anywhere: in a path segment, a query value, a form or JSON field.
TEXTS: dict[str, str] = {
    "NUL": "\x00",
    "NUL inside": "ab\x00cd",
    "over-long": "x" * 5000,
    "huge integer": "9" * 40,
    "thousands of digits": "9" * 5000,  # past Python's int() digit limit
    "beyond 64 bits": str(2**63),
    "below 64 bits": str(-(2**63) - 1),
    "negative": "-1",
    "NaN": "NaN",
    "infinity": "-Infinity",
    "far date": "9999-12-31T23:59:59Z",
    "first date": "0001-01-01T00:00:00+14:00",
    "year 99999": "99999-01-01",
    "far date with offset": "9999-12-31T23:59:59-14:00",
    "superscript digit": "²",
    "arabic digits": "١٢",
    "empty": "",
    "spaces": "   ",
    "markup": "<script>alert(1)</script>",
    "sql": "' OR 1=1 --",
    "format string": "{0} %s {__class__}",
    "emoji": "Hà Nội 🛒",
    "bidi and zero width": "\u202e\u200b\ufeff",
    "path traversal": "../../etc/passwd",
}
# Bytes only a URL (or a hand-made form body) can carry: percent-encoded, not UTF-8.
RAW: dict[str, str] = {"not UTF-8": "%ff", "surrogate": "%ed%a0%80", "cut UTF-8": "%c3"}
UNREADABLE_IN_URL = {"NUL", "NUL inside", *RAW}
# JSON values that are not text, for every field of a JSON body.
JSON_VALUES: dict[str, Any] = {
    "integer beyond 64 bits": 2**70,
    "NaN": float("nan"),
    "infinity": float("inf"),
    "null": None,
    "list": ["a", 1],
    "object": {"a": {"b": "\x00"}},
    "lone surrogate": "\ud800",
    "deep": json.loads("[" * 500 + "]" * 500),
}
BODIES: dict[str, tuple[bytes, str]] = {
    "not UTF-8": (b'{"id": "\xff\xfe"}', "application/json"),
    "not JSON": (b"{id: 1,", "application/json"),
    "NaN literal": (b'{"id": NaN, "order_id": NaN}', "application/json"),
    "deep arrays": (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    "deep objects": (b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "application/json"),
    "empty": (b"", "application/json"),
    "null": (b"null", "application/json"),
    "a list": (b"[1, 2]", "application/json"),
    "plain text": (b"hello", "text/plain"),
    "xml": (b"<event><id>1</id></event>", "application/xml"),
    "JSON as a form": (b'{"id": "evt-1"}', "application/x-www-form-urlencoded"),
    "a form as JSON": (b"action=text&text=%00", "application/json"),
    "form not UTF-8": (b"action=text&text=%ff%fe&visit=%ff", "application/x-www-form-urlencoded"),
    "form with NUL": (
        b"action=text&visit=5&text=a%00b&value=%00",
        "application/x-www-form-urlencoded",
    ),
    "bad multipart": (b"--x\r\nnonsense", "multipart/form-data; boundary=x"),
    "multipart without boundary": (b"a", "multipart/form-data"),
    "many fields": (
        b"&".join(b"f%d=1" % n for n in range(5000)),
        "application/x-www-form-urlencoded",
    ),
    "too large": (b"x" * (1024 * 1024 + 1), "application/json"),
}
HEADERS: dict[str, list[tuple[bytes, bytes]]] = {
    "accept-language not UTF-8": [(b"accept-language", b"\xff\xfe;q=NaN, " * 200)],
    "authorization not ASCII": [(b"authorization", b"Bearer \xc3\xa9\xff")],
    "authorization not bearer": [(b"authorization", b"Basic " + b"A" * 5000)],
    "cookie garbage": [(b"cookie", b"__Host-surveybot_session=" + b"\xff" * 50 + b"; a=" * 300)],
    "content-length lies": [(b"content-length", b"99999999999999999999")],
}


@dataclass
class Attempt:
    """One hostile request and what its answer must be."""

    label: str
    method: str
    url: str
    content: bytes | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    names: str | None = None  # the field a 400 must name (unreadable text in the URL)
    field: str | None = None  # the JSON body field a 422 must name


def route_rows(app: Any) -> set[tuple[str, str]]:
    rows = set()
    for route in iter_route_contexts(app.routes):
        for method in route.methods or ():
            if method != "HEAD":
                rows.add((method, str(route.path)))
    return rows


async def test_every_route_has_a_row(make_client):
    client = await make_client(**SETTINGS)
    served = route_rows(client._transport.app)
    assert served - ROUTES.keys() == set(), "add a row to ROUTES for each new route"
    assert ROUTES.keys() - served == set(), "ROUTES names a route the app does not serve"


# -- seeds: real values for path parameters, so hostile input in one place meets real data


async def survey_token(client: httpx.AsyncClient) -> str:
    runtime = runtime_of(client)
    response = await client.post("/api/v1/events", headers=AUTH, json=event(runtime))
    assert response.status_code == 202, response.text
    return str(response.json()["surveys"][0]["web_link"]).rsplit("/", 1)[1]


def event(runtime: Any, **changes: Any) -> dict[str, Any]:
    return {
        "id": "evt-hostile",
        "type": "order.delivered",
        "occurred_at": runtime.clock.now().isoformat(),
        "order": {"id": "SO-hostile", "store": "HN-01", "items": [{"sku": "A1", "qty": 1}]},
        "customer": {"id": "C-hostile", "name": "Lan", "locale": "en"},
        **changes,
    }


async def voucher_code(client: httpx.AsyncClient) -> str:
    runtime = runtime_of(client)
    promoter = Contact("telegram", str(11), name="Lan", language="en")
    await runtime.conversation.walk_in(promoter)
    for visit, value in enumerate(("5", "10", "7"), start=1):
        await runtime.conversation.press(promoter, 1, visit, value)
    await runtime.conversation.skip(promoter, 1, 4)
    async with runtime.db.reading() as tx:
        return str((await tx.session.execute(select(Voucher.code))).scalars().first())


async def case_id(client: httpx.AsyncClient) -> str:
    runtime = runtime_of(client)
    detractor = Contact("telegram", str(12), name="Minh", language="en")
    await runtime.conversation.walk_in(detractor)
    for visit, value in enumerate(("1", "late", "3", "2"), start=1):
        await runtime.conversation.press(detractor, 1, visit, value)
    await runtime.conversation.skip(detractor, 1, 5)
    async with runtime.db.reading() as tx:
        [case] = await tx.cases.all()
    return str(case.id)


SEEDS: dict[str, Callable[[httpx.AsyncClient], Any]] = {
    "token": survey_token,
    "code": voucher_code,
    "case": case_id,
}


# -- the attempts for one route


@dataclass(frozen=True)
class Planner:
    """The attempts for one route: its surface, with real values where none is hostile."""

    method: str
    path: str
    surface: Surface
    real: dict[str, str]

    def url(self, changed: dict[str, str] | None = None, query: str = "") -> str:
        values = {name: quote(value, safe="") for name, value in self.real.items()}
        built = self.path
        for name, value in (values | (changed or {})).items():
            built = built.replace("{" + name + "}", value)
        return built + (f"?{query}" if query else "")

    def typed(self) -> list[tuple[bytes, bytes]]:
        _, content_type = base_body(self.surface, self.real)
        return [(b"content-type", content_type.encode())] if content_type else []

    def attempt(self, label: str, url: str | None = None, **changes: Any) -> Attempt:
        method = changes.pop("method", self.method)
        body, _ = base_body(self.surface, self.real)
        values = {"content": body, "headers": self.typed()} | changes
        return Attempt(label, method, url or self.url(), **values)

    def all(self) -> list[Attempt]:
        other_method = "DELETE" if self.method != "DELETE" else "PUT"
        return [
            *self.in_the_url(),
            *self.in_the_fields(),
            *self.in_the_body(),
            *(
                self.attempt(f"header {label}", headers=[*self.typed(), *extra])
                for label, extra in HEADERS.items()
            ),
            self.attempt(f"method {other_method}", method=other_method),
        ]

    def in_the_url(self) -> list[Attempt]:
        found = []
        for label, value in {**TEXTS, **RAW}.items():
            text = value if label in RAW else quote(value, safe="")
            unreadable = label in UNREADABLE_IN_URL
            for name in self.surface.path:
                url = self.url({name: text})
                found.append(
                    self.attempt(f"path {name}: {label}", url, names="path" if unreadable else None)
                )
            for name in self.surface.query:
                url = self.url(query=f"{name}={text}")
                found.append(
                    self.attempt(f"query {name}: {label}", url, names=name if unreadable else None)
                )
        for label, value in RAW.items():  # a parameter no route reads is checked all the same
            found.append(
                self.attempt(f"unknown query: {label}", self.url(query=f"x={value}"), names="x")
            )
        return found

    def in_the_fields(self) -> list[Attempt]:
        found = []
        is_json = self.surface.body == "json"
        values = {**TEXTS, **JSON_VALUES} if is_json else TEXTS
        for name in self.surface.fields:
            for label, value in values.items():
                content = field_body(self.surface, self.real, name, value)
                found.append(
                    self.attempt(
                        f"field {name}: {label}", content=content, field=name if is_json else None
                    )
                )
        return found

    def in_the_body(self) -> list[Attempt]:
        if not self.surface.body:
            return []
        found = [
            self.attempt(
                f"body: {label}", content=content, headers=[(b"content-type", kind.encode())]
            )
            for label, (content, kind) in BODIES.items()
        ]
        if self.surface.body == "update":
            found += [
                self.attempt(f"update: {label}", content=update)
                for label, update in hostile_updates().items()
            ]
        return found


def base_body(surface: Surface, real: dict[str, str]) -> tuple[bytes | None, str]:
    if surface.body == "json":
        return json.dumps(json_fields(surface, real)).encode(), "application/json"
    if surface.body == "update":
        return json.dumps(UPDATE).encode(), "application/json"
    if surface.body == "form":
        form = {name: real.get(name, "1") for name in surface.fields}
        return str(httpx.QueryParams(form)).encode(), "application/x-www-form-urlencoded"
    return None, ""


def json_fields(surface: Surface, real: dict[str, str]) -> dict[str, Any]:
    if "order_id" in surface.fields:
        return {"order_id": "POS-1"}
    return {
        "id": "evt-battery",
        "type": "order.delivered",
        "occurred_at": real["now"],
        "order": {"id": "SO-battery"},
        "customer": {"id": "C-battery"},
    }


def field_body(surface: Surface, real: dict[str, str], name: str, value: Any) -> bytes:
    if surface.body == "form":
        form = {other: real.get(other, "1") for other in surface.fields} | {name: value}
        return str(httpx.QueryParams(form)).encode()
    return json.dumps(json_fields(surface, real) | {name: value}).encode()


def hostile_updates() -> dict[str, bytes]:
    message = UPDATE["message"]
    return {
        "text with NUL": json.dumps({**UPDATE, "message": {**message, "text": "hi\x00"}}).encode(),
        "chat id beyond 64 bits": json.dumps(
            {**UPDATE, "message": {**message, "chat": {"id": 2**64, "type": "private"}}}
        ).encode(),
        "unknown kind": b'{"update_id": 99, "a_future_update": {"x": 1}}',
        "update id only": b'{"update_id": 98}',
        "negative update id": json.dumps({**UPDATE, "update_id": -5}).encode(),
        "not an update": b'{"foo": 1}',
        "deep": b'{"update_id": 97, "message": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    }


# -- what every answer must be


def problems_of(attempt: Attempt, response: httpx.Response) -> str | None:
    """Why this answer is wrong, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status}: {response.text[:200]}"
    if attempt.names is not None:
        if status != 400 or not is_json(response):
            return f"{status} for unreadable text in the URL (a JSON 400 expected)"
        detail = response.json()["detail"]
        if detail[0]["field"] != attempt.names:
            return f"400 names {detail[0]['field']!r}, not {attempt.names!r}"
    if status == 422 and attempt.field is not None:
        named = [problem["field"] for problem in response.json()["detail"]]
        if not any(where.split(".")[0].split("[")[0] == attempt.field for where in named):
            return f"422 names {named}, not {attempt.field!r}"
    if status >= 400:
        return unnamed_problem(response)
    return None


def is_json(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("application/json")


def unnamed_problem(response: httpx.Response) -> str | None:
    kind = response.headers.get("content-type", "")
    if is_json(response):
        body = response.json()
        if set(body) != {"error", "detail"} or not body["detail"]:
            return f"{response.status_code} without the error body: {response.text[:200]}"
        return None
    if kind.startswith("text/html"):
        return None if "<h1" in response.text else f"{response.status_code}: an empty page"
    return f"{response.status_code} as {kind!r}: {response.text[:100]}"


async def run_attempts(
    client: httpx.AsyncClient, found: list[Attempt], headers: dict[str, str]
) -> list[str]:
    failures = []
    for attempt in found:
        response = await client.request(
            attempt.method,
            attempt.url,
            content=attempt.content,
            headers=[*((k.encode(), v.encode()) for k, v in headers.items()), *attempt.headers],
        )
        problem = problems_of(attempt, response)
        if problem is not None:
            failures.append(f"{attempt.label}: {problem}")
    return failures


def caller_headers(surface: Surface) -> dict[str, str]:
    return {"api": AUTH, "telegram": SECRET}.get(surface.caller, {})


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
async def test_bad_input_gets_a_clear_4xx_or_a_normal_answer_never_a_5xx(make_client, method, path):
    surface = ROUTES[(method, path)]
    insider = await signed_in_as(make_client, "admin", **SETTINGS)
    runtime = runtime_of(insider)
    real = {"now": runtime.clock.now().isoformat()}
    for name, seed in surface.path.items():
        real[name] = await SEEDS[seed](insider)
    failures, tried = [], 0
    async with httpx.AsyncClient(
        transport=insider._transport, base_url=insider.base_url
    ) as stranger:
        for who, client in (("signed out", stranger), ("signed in", insider)):
            if "csrf" in surface.fields:  # a real token, so the other fields are read
                page = "/dashboard/login" if who == "signed out" else "/dashboard/cases"
                real["csrf"] = csrf_of((await client.get(page)).text)
            found = Planner(method, path, surface, real).all()
            tried += len(found)
            headers = caller_headers(surface) if who == "signed in" else {}
            failures += [f"{who}, {f}" for f in await run_attempts(client, found, headers)]
    assert failures == [], f"{len(failures)} of {tried} answers were wrong:\n" + "\n".join(failures)
