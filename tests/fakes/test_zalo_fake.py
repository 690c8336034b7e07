"""The fake Zalo's own rules, driven by a plain aiohttp client."""

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.fakes.conftest import ZALO_PHONE, ZALO_USER, ManualClock
from tests.fakes.zalo import FakeZalo

DAY = 24 * 3600
RATING = "250001"


async def refresh(
    http: aiohttp.ClientSession, zalo: FakeZalo, token: str, **overrides: str
) -> dict[str, Any]:
    form = {"refresh_token": token, "app_id": zalo.app_id, "grant_type": "refresh_token"}
    secret = overrides.pop("secret_key", zalo.app_secret)
    form.update(overrides)
    url = f"{zalo.base_url}/v4/oa/access_token"
    async with http.post(url, data=form, headers={"secret_key": secret}) as resp:
        assert resp.status == 200
        body: dict[str, Any] = await resp.json()
        return body


async def call(
    http: aiohttp.ClientSession, zalo: FakeZalo, path: str, token: str, body: Any
) -> dict[str, Any]:
    headers = {"access_token": token}
    async with http.post(f"{zalo.base_url}{path}", json=body, headers=headers) as resp:
        assert resp.status == 200
        answer: dict[str, Any] = await resp.json()
        return answer


def cs_body(text: str = "Chào Lan", buttons: list[dict[str, Any]] | None = None) -> Any:
    message: dict[str, Any] = {"text": text}
    if buttons is not None:
        message["attachment"] = {"type": "template", "payload": {"buttons": buttons}}
    return {"recipient": {"user_id": ZALO_USER}, "message": message}


def query(title: str, payload: str = "p") -> dict[str, Any]:
    return {"title": title, "type": "oa.query.hide", "payload": payload}


async def send_cs(http: aiohttp.ClientSession, zalo: FakeZalo, body: Any) -> dict[str, Any]:
    return await call(http, zalo, "/v3.0/oa/message/cs", zalo.issue_access_token(), body)


def template_body(**fields: Any) -> dict[str, Any]:
    body = {
        "phone": ZALO_PHONE,
        "template_id": RATING,
        "template_data": {"order_code": "SO-1"},
        "tracking_id": "outbox-1",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


async def send_template(
    http: aiohttp.ClientSession, zalo: FakeZalo, body: dict[str, Any]
) -> dict[str, Any]:
    zalo.add_template(RATING, {"order_code"}, rating=True)
    return await call(http, zalo, "/message/template", zalo.issue_access_token(), body)


UID_PATH = "/v3.0/oa/message/template"


def uid_body(**fields: Any) -> dict[str, Any]:
    body = {"user_id": ZALO_USER, "template_id": RATING, "template_data": {"order_code": "SO-1"}}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


async def send_uid_template(
    http: aiohttp.ClientSession, zalo: FakeZalo, body: dict[str, Any]
) -> dict[str, Any]:
    zalo.add_template(RATING, {"order_code"}, rating=True)
    return await call(http, zalo, UID_PATH, zalo.issue_access_token(), body)


async def get_ratings(
    http: aiohttp.ClientSession, zalo: FakeZalo, token: str | None = None, **params: Any
) -> dict[str, Any]:
    """GET /rating/get for RATING over the whole clock range, first page of 100."""
    query = {"template_id": RATING, "from_time": 0, "to_time": 10**13, "offset": 0, "limit": 100}
    query.update(params)
    sent = {k: str(v) for k, v in query.items() if v is not None}
    headers = {"access_token": token or zalo.issue_access_token()}
    async with http.get(f"{zalo.base_url}/rating/get", params=sent, headers=headers) as r:
        assert r.status == 200
        answer: dict[str, Any] = await r.json()
        return answer


# ----- OAuth ----------------------------------------------------------------------------


async def test_a_refresh_gives_a_working_access_token_and_a_new_refresh_token(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    first = zalo.issue_refresh_token()

    tokens = await refresh(http, zalo, first)

    assert tokens["expires_in"] == "90000"
    assert tokens["refresh_token"] != first
    answer = await call(http, zalo, "/v3.0/oa/message/cs", tokens["access_token"], cs_body())
    assert answer["error"] == 0
    assert [(r.token, r.succeeded) for r in zalo.refreshes] == [(first, True)]


async def test_a_refresh_token_works_once_and_the_old_access_token_lives_on(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    first = zalo.issue_refresh_token()
    old_access = (await refresh(http, zalo, first))["access_token"]

    again = await refresh(http, zalo, first)

    assert again["error"] == -14020 and "access_token" not in again
    assert [r.succeeded for r in zalo.refreshes] == [True, False]
    answer = await call(http, zalo, "/v3.0/oa/message/cs", old_access, cs_body())
    assert answer["error"] == 0


@pytest.mark.parametrize("override", [{"secret_key": "wrong"}, {"app_id": "42"}])
async def test_a_wrong_secret_or_app_id_is_refused(
    zalo: FakeZalo, http: aiohttp.ClientSession, override: dict[str, str]
) -> None:
    answer = await refresh(http, zalo, zalo.issue_refresh_token(), **override)

    assert answer["error"] == -14002
    assert set(answer) == {"error", "error_name", "error_description"}


async def test_a_json_refresh_body_is_refused(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    form = {"refresh_token": zalo.issue_refresh_token(), "app_id": zalo.app_id}
    headers = {"secret_key": zalo.app_secret}
    url = f"{zalo.base_url}/v4/oa/access_token"
    async with http.post(url, json=form | {"grant_type": "refresh_token"}, headers=headers) as r:
        assert (await r.json())["error"] == -14003


async def test_a_refresh_token_expires_after_90_days(
    zalo: FakeZalo, http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    token = zalo.issue_refresh_token()
    wall_clock.advance(90 * DAY)

    assert (await refresh(http, zalo, token))["error"] == -14020


async def test_access_tokens_expire_after_their_ttl(
    zalo: FakeZalo, http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    access = (await refresh(http, zalo, zalo.issue_refresh_token()))["access_token"]
    wall_clock.advance(89999)
    assert (await call(http, zalo, "/v3.0/oa/message/cs", access, cs_body()))["error"] == 0

    wall_clock.advance(1)

    answer = await call(http, zalo, "/v3.0/oa/message/cs", access, cs_body())
    assert answer["error"] == -220


async def test_expire_access_tokens_and_unknown_tokens(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    access = zalo.issue_access_token()
    zalo.expire_access_tokens()

    assert (await call(http, zalo, "/v3.0/oa/message/cs", access, cs_body()))["error"] == -220
    assert (await call(http, zalo, "/v3.0/oa/message/cs", "nope", cs_body()))["error"] == -216
    assert (await call(http, zalo, "/message/template", access, template_body()))["error"] == -124


async def test_two_workers_refreshing_at_once_get_one_success(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    zalo.refresh_delay = 0.05
    token = zalo.issue_refresh_token()

    answers = await asyncio.gather(refresh(http, zalo, token), refresh(http, zalo, token))

    assert sorted(a.get("error", 0) for a in answers) == [-14020, 0]


async def test_an_injected_refresh_failure_keeps_the_token_usable(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    token = zalo.issue_refresh_token()
    zalo.fail_next("/access_token", -14020)

    assert "access_token" not in await refresh(http, zalo, token)
    assert "access_token" in await refresh(http, zalo, token)
    assert [r.succeeded for r in zalo.refreshes] == [False, True]


async def test_an_unknown_path_or_method_is_not_found(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    # Transaction messages were shut down on 2026-03-01; the rating list is a GET.
    async with http.post(f"{zalo.base_url}/v3.0/oa/message/transaction", json={}) as resp:
        assert resp.status == 404
    async with http.post(f"{zalo.base_url}/rating/get", json={}) as resp:
        assert resp.status == 404


# ----- consultation messages --------------------------------------------------------------


async def test_a_text_message_is_recorded(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    answer = await send_cs(http, zalo, cs_body("Chào Lan"))

    assert answer["message"] == "Success"
    [sent] = zalo.messages(ZALO_USER)
    assert (sent.text, sent.buttons, sent.billed) == ("Chào Lan", [], False)
    assert answer["data"] == {"message_id": sent.message_id, "user_id": ZALO_USER}


async def test_a_user_who_does_not_follow_is_unreachable(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    zalo.unfollow(ZALO_USER)

    assert (await send_cs(http, zalo, cs_body()))["error"] == -213
    assert zalo.messages(ZALO_USER) == []


async def test_the_window_is_7_days_and_after_48_hours_messages_are_billed(
    zalo: FakeZalo, http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    wall_clock.advance(2 * DAY + 1)
    assert (await send_cs(http, zalo, cs_body()))["error"] == 0
    wall_clock.advance(5 * DAY)

    assert (await send_cs(http, zalo, cs_body()))["error"] == -230
    assert [m.billed for m in zalo.messages(ZALO_USER)] == [True]


async def test_a_user_who_never_wrote_is_outside_the_window(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    zalo.interacted(ZALO_USER, None)

    assert (await send_cs(http, zalo, cs_body()))["error"] == -230


async def test_only_8_messages_after_an_interaction_are_free(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    for _ in range(9):
        await send_cs(http, zalo, cs_body())

    assert [m.billed for m in zalo.messages(ZALO_USER)] == [False] * 8 + [True]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (cs_body(""), -201),
        (cs_body("x" * 2001), -210),
        (cs_body(buttons=[query(str(i)) for i in range(6)]), -210),
        (cs_body(buttons=[query("t" * 101)]), -210),
        (cs_body(buttons=[query("ok", "p" * 1001)]), -210),
        (cs_body(buttons=[{"title": "Web", "type": "oa.open.url", "payload": "https://x"}]), -201),
        (
            cs_body(buttons=[{"title": "Web", "type": "oa.open.url", "payload": {"url": "ftp:x"}}]),
            -201,
        ),
        (cs_body(buttons=[{"title": "Hi", "type": "postback", "payload": "p"}]), -201),
        ({"recipient": {"user_id": "404"}, "message": {"text": "hi"}}, -201),
    ],
)
async def test_messages_zalo_would_refuse(
    zalo: FakeZalo, http: aiohttp.ClientSession, body: Any, error: int
) -> None:
    answer = await send_cs(http, zalo, body)

    assert answer["error"] == error
    assert [r.error for r in zalo.rejected] == [error]
    assert zalo.messages(ZALO_USER) == []


async def test_the_largest_message_zalo_accepts(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    buttons = [query("t" * 100, "p" * 1000) for _ in range(4)]
    buttons.append({"title": "Web", "type": "oa.open.url", "payload": {"url": "https://a.vn"}})

    assert (await send_cs(http, zalo, cs_body("x" * 2000, buttons)))["error"] == 0
    assert [b.type for b in zalo.messages(ZALO_USER)[0].buttons][-1] == "oa.open.url"


async def test_an_injected_fault_hits_only_its_user_and_count(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    zalo.add_user("5002")
    zalo.interacted("5002", zalo.clock())
    zalo.fail_next("/message/cs", -32, times=1, user_id=ZALO_USER)
    other = {"recipient": {"user_id": "5002"}, "message": {"text": "hi"}}

    assert (await send_cs(http, zalo, other))["error"] == 0
    assert (await send_cs(http, zalo, cs_body()))["error"] == -32
    assert (await send_cs(http, zalo, cs_body()))["error"] == 0
    assert ([f.error for f in zalo.injected_faults], zalo.rejected) == ([-32], [])


# ----- templates ------------------------------------------------------------------------


async def test_a_template_by_phone_is_recorded_with_its_tracking_id(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    answer = await send_template(http, zalo, template_body())

    assert answer["error"] == 0
    [sent] = zalo.templates_sent
    assert (sent.msg_id, sent.user_id, sent.phone) == (
        answer["data"]["msg_id"],
        ZALO_USER,
        ZALO_PHONE,
    )
    assert answer["data"]["quota"] == {"dailyQuota": "500", "remainingQuota": "499"}


async def test_a_template_by_user_id_goes_to_the_oa_host_and_answers_message_id(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    answer = await send_uid_template(http, zalo, uid_body())

    [sent] = zalo.templates_sent
    assert answer["error"] == 0
    assert answer["data"] == {
        "message_id": sent.msg_id,
        "user_id": ZALO_USER,
        "sent_time": str(int(zalo.clock() * 1000)),
        "quota": {"quota_type": "purchase_quota", "remain": 499},
    }
    assert (sent.user_id, sent.phone, sent.tracking_id) == (ZALO_USER, None, "")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"user_id": "404"}, -201),
        ({"user_id": None}, -201),
        ({"tracking_id": "outbox-1"}, -201),
        ({"template_id": "999"}, -109),
        ({"template_data": {"order": "SO-1"}}, -112),
    ],
)
async def test_uid_templates_zalo_would_refuse(
    zalo: FakeZalo, http: aiohttp.ClientSession, fields: dict[str, Any], error: int
) -> None:
    answer = await send_uid_template(http, zalo, uid_body(**fields))

    assert answer["error"] == error
    assert zalo.templates_sent == []


async def test_a_uid_template_takes_the_oa_token_codes(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    zalo.add_template(RATING, {"order_code"}, rating=True)
    access = zalo.issue_access_token()
    zalo.expire_access_tokens()

    assert (await call(http, zalo, UID_PATH, access, uid_body()))["error"] == -220
    assert (await call(http, zalo, UID_PATH, "nope", uid_body()))["error"] == -216


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"phone": "0901234567"}, -108),
        ({"phone": "84999999999"}, -118),
        ({"phone": None}, -108),
        ({"user_id": ZALO_USER}, -100),  # user ids go to the UID path
        ({"phone": None, "user_id": ZALO_USER}, -100),
        ({"template_id": "999"}, -109),
        ({"template_data": {}}, -111),
        ({"template_data": {"order": "SO-1"}}, -112),
        ({"template_data": {"order_code": "SO-1", "extra": "x"}}, -112),
        ({"template_data": {"order_code": 1}}, -112),
        ({"tracking_id": None}, -100),
    ],
)
async def test_templates_zalo_would_refuse(
    zalo: FakeZalo, http: aiohttp.ClientSession, fields: dict[str, Any], error: int
) -> None:
    answer = await send_template(http, zalo, template_body(**fields))

    assert answer["error"] == error
    assert zalo.templates_sent == []


# ----- the rating API -------------------------------------------------------------------


async def send_rating_templates(
    http: aiohttp.ClientSession, zalo: FakeZalo, count: int, template_id: str = RATING
) -> list[str]:
    """Send `count` rating templates by phone (tracking ids outbox-0, ...); their msg ids."""
    zalo.add_template(template_id, {"order_code"}, rating=True)
    token = zalo.issue_access_token()
    ids = []
    for i in range(count):
        body = template_body(template_id=template_id, tracking_id=f"outbox-{i}")
        ids.append((await call(http, zalo, "/message/template", token, body))["data"]["msg_id"])
    return ids


def listed(answer: dict[str, Any]) -> list[tuple[str, int]]:
    assert answer["error"] == 0, answer
    return [(r["msgId"], r["rate"]) for r in answer["data"]["data"]]


async def test_a_rating_is_listed_with_zalos_field_names(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    [msg_id] = await send_rating_templates(http, zalo, 1)

    event = zalo.user_rates(msg_id, 4, ["Giao hàng nhanh"], "ổn")

    assert event["message"]["submit_time"] == str(int(zalo.clock() * 1000))
    assert await get_ratings(http, zalo) == {
        "error": 0,
        "message": "Success",
        "data": {
            "total": 1,
            "data": [
                {
                    "msgId": msg_id,
                    "trackingId": "outbox-0",
                    "oaId": zalo.oa_id,
                    "note": "ổn",
                    "rate": 4,
                    "submitDate": str(int(zalo.clock() * 1000)),
                    "feedbacks": ["Giao hàng nhanh"],
                }
            ],
        },
    }


async def test_ratings_are_found_by_template_and_submit_time(
    zalo: FakeZalo, http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    early, inside, edge = await send_rating_templates(http, zalo, 3)
    [other] = await send_rating_templates(http, zalo, 1, template_id="250002")
    zalo.user_rates(early, 1)
    wall_clock.advance(3600)
    start_ms = int(wall_clock.now * 1000)
    zalo.user_rates(inside, 2)
    zalo.user_rates(other, 3)
    wall_clock.advance(3600)
    zalo.user_rates(edge, 4)
    end_ms = int(wall_clock.now * 1000)
    wall_clock.advance(1)
    zalo.user_rates(early, 5)  # a message may be rated again, later

    answer = await get_ratings(http, zalo, from_time=start_ms, to_time=end_ms)

    assert listed(answer) == [(inside, 2), (edge, 4)]
    assert answer["data"]["total"] == 2
    assert listed(await get_ratings(http, zalo, template_id="250002")) == [(other, 3)]


async def test_ratings_are_paged_oldest_first_with_the_total(
    zalo: FakeZalo, http: aiohttp.ClientSession, wall_clock: ManualClock
) -> None:
    ids = await send_rating_templates(http, zalo, 3)
    for rate, msg_id in enumerate(ids, start=1):
        zalo.user_rates(msg_id, rate)
        wall_clock.advance(60)

    first = await get_ratings(http, zalo, offset=0, limit=2)
    rest = await get_ratings(http, zalo, offset=2, limit=2)
    beyond = await get_ratings(http, zalo, offset=3, limit=2)

    assert listed(first) + listed(rest) == [(ids[0], 1), (ids[1], 2), (ids[2], 3)]
    assert [a["data"]["total"] for a in (first, rest, beyond)] == [3, 3, 3]
    assert listed(beyond) == []


async def test_unrated_messages_are_absent(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    rated, unrated = await send_rating_templates(http, zalo, 2)

    zalo.user_rates(rated, 5)

    assert [msg_id for msg_id, _ in listed(await get_ratings(http, zalo))] == [rated]
    assert unrated not in {r.msg_id for r in zalo.ratings}


async def test_a_uid_send_is_rated_with_an_empty_tracking_id(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    message_id = (await send_uid_template(http, zalo, uid_body()))["data"]["message_id"]

    zalo.user_rates(message_id, 3)

    [item] = (await get_ratings(http, zalo))["data"]["data"]
    assert (item["msgId"], item["trackingId"]) == (message_id, "")


async def test_the_rating_api_refuses_a_bad_token_as_templates_do(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    [msg_id] = await send_rating_templates(http, zalo, 1)
    zalo.user_rates(msg_id, 5)
    access = zalo.issue_access_token()
    zalo.expire_access_tokens()

    assert (await get_ratings(http, zalo, token="nope"))["error"] == -124
    assert (await get_ratings(http, zalo, token=access))["error"] == -124
    assert [r.path for r in zalo.rejected] == ["/rating/get", "/rating/get"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"template_id": None}, -132),
        ({"from_time": None}, -132),
        ({"to_time": "yesterday"}, -132),
        ({"from_time": 2000, "to_time": 1000}, -132),
        ({"offset": -1}, -132),
        ({"limit": None}, -132),
        ({"limit": 0}, -132),
        ({"limit": 10001}, -132),
        ({"template_id": "999"}, -109),
    ],
)
async def test_rating_queries_zalo_would_refuse(
    zalo: FakeZalo, http: aiohttp.ClientSession, params: dict[str, Any], error: int
) -> None:
    await send_rating_templates(http, zalo, 1)

    assert (await get_ratings(http, zalo, **params))["error"] == error


async def test_the_largest_page_zalo_gives(zalo: FakeZalo, http: aiohttp.ClientSession) -> None:
    await send_rating_templates(http, zalo, 1)

    assert (await get_ratings(http, zalo, limit=10000))["error"] == 0


# ----- webhooks ---------------------------------------------------------------------------


class Receiver:
    """The bot's webhook: records raw bodies and headers; the next answers are scripted."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, str | None]] = []
        self.statuses: list[int] = []
        self.hold_first = False
        self.release = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.read(), request.headers.get("X-ZEvent-Signature")))
        if self.hold_first and len(self.received) == 1:
            await self.release.wait()  # slower than the fake's timeout
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body, _ in self.received]


@pytest.fixture
async def receiver(zalo: FakeZalo) -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/zalo/webhook", receiver.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/zalo/webhook"
    zalo.webhook_url = receiver.url
    yield receiver
    receiver.release.set()
    await runner.cleanup()


async def test_events_are_signed_with_the_oa_secret(zalo: FakeZalo, receiver: Receiver) -> None:
    sent = zalo.user_sends(ZALO_USER, "xin chào")

    await zalo.wait_for_deliveries()
    [(body, header)] = receiver.received
    mac = hashlib.sha256(
        (zalo.app_id + body.decode() + sent["timestamp"] + zalo.oa_secret).encode()
    ).hexdigest()
    assert header == f"mac={mac}"
    assert json.loads(body) == sent
    assert sent["timestamp"] == str(int(zalo.clock() * 1000))
    assert (sent["sender"]["id"], sent["message"]["text"]) == (ZALO_USER, "xin chào")


async def test_a_slow_answer_is_retried(zalo: FakeZalo, receiver: Receiver) -> None:
    receiver.hold_first = True

    zalo.user_sends(ZALO_USER, "5")

    await zalo.wait_for(lambda f: len(f.webhook_deliveries) == 2)
    deliveries = zalo.webhook_deliveries
    assert [d.status for d in deliveries] == [None, 200]
    assert deliveries[0].elapsed >= 0.2
    assert receiver.received[0] == receiver.received[1]


async def test_a_failing_webhook_is_given_up_after_the_attempts(
    zalo: FakeZalo, receiver: Receiver
) -> None:
    receiver.statuses = [500, 500, 500]

    zalo.follow(ZALO_USER)

    deliveries = await zalo.wait_for_deliveries()
    assert [(d.event_name, d.status) for d in deliveries] == [("follow", 500)] * 3


async def test_pressing_a_query_button_sends_its_payload_and_renews_the_window(
    zalo: FakeZalo, http: aiohttp.ClientSession, receiver: Receiver, wall_clock: ManualClock
) -> None:
    answer = await send_cs(http, zalo, cs_body(buttons=[query("5 ★", "rate:5"), query("1 ★")]))
    wall_clock.advance(6 * DAY)

    zalo.user_presses(ZALO_USER, answer["data"]["message_id"], "5 ★")

    await zalo.wait_for_deliveries()
    assert receiver.events()[0]["message"]["text"] == "rate:5"
    assert zalo.user(ZALO_USER).last_interaction == wall_clock.now
    with pytest.raises(AssertionError, match="no button"):
        zalo.user_presses(ZALO_USER, answer["data"]["message_id"], 2)


async def test_a_url_button_cannot_be_pressed_into_text(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    url = {"title": "Web", "type": "oa.open.url", "payload": {"url": "https://a.vn"}}
    answer = await send_cs(http, zalo, cs_body(buttons=[url]))

    with pytest.raises(AssertionError, match="not a query"):
        zalo.user_presses(ZALO_USER, answer["data"]["message_id"], "Web")


async def test_follow_and_unfollow_events_name_the_follower(
    zalo: FakeZalo, receiver: Receiver
) -> None:
    zalo.unfollow(ZALO_USER)
    zalo.follow(ZALO_USER)

    await zalo.wait_for_deliveries()
    events = receiver.events()
    assert [(e["event_name"], e["follower"]["id"]) for e in events] == [
        ("unfollow", ZALO_USER),
        ("follow", ZALO_USER),
    ]
    assert zalo.user(ZALO_USER).follower


async def test_a_rating_arrives_as_user_feedback_without_a_user_id(
    zalo: FakeZalo, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    answer = await send_template(http, zalo, template_body())

    zalo.user_rates(answer["data"]["msg_id"], 2, ["Giao hàng chậm"], "giao chậm")

    await zalo.wait_for_deliveries()
    [event] = receiver.events()
    assert event["event_name"] == "user_feedback"
    assert event["message"] | {"submit_time": "t"} == {
        "note": "giao chậm",
        "rate": 2,
        "submit_time": "t",
        "msg_id": answer["data"]["msg_id"],
        "feedbacks": ["Giao hàng chậm"],
        "tracking_id": "outbox-1",
    }
    assert "user_id" not in json.dumps(event) and ZALO_USER not in json.dumps(event)


async def test_a_rating_without_its_webhook_is_only_in_the_rating_api(
    zalo: FakeZalo, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    [msg_id] = await send_rating_templates(http, zalo, 1)

    event = zalo.user_rates(msg_id, 1, ["Giao hàng chậm"], deliver=False)

    await zalo.wait_for_deliveries()
    assert (receiver.received, zalo.events) == ([], [])
    assert event["event_name"] == "user_feedback"
    assert listed(await get_ratings(http, zalo)) == [(msg_id, 1)]


async def test_only_a_rating_template_can_be_rated(
    zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    zalo.add_template("1", {"order_code"})
    answer = await send_template(http, zalo, template_body(template_id="1"))

    with pytest.raises(AssertionError, match="not a rating"):
        zalo.user_rates(answer["data"]["msg_id"], 5)


async def test_a_redelivery_is_the_same_bytes_and_signature(
    zalo: FakeZalo, receiver: Receiver
) -> None:
    zalo.user_sends(ZALO_USER, "hi")
    await zalo.wait_for_deliveries()

    zalo.redeliver(last=True)

    await zalo.wait_for_deliveries()
    assert receiver.received[0] == receiver.received[1]
    assert len(zalo.events) == 1


async def test_a_raw_event_goes_unsigned_unless_told(zalo: FakeZalo, receiver: Receiver) -> None:
    zalo.send_raw({"event_name": "user_send_text", "timestamp": "1"})
    zalo.send_raw(b"{}", signature="mac=forged")

    await zalo.wait_for_deliveries()
    assert [header for _, header in receiver.received] == [None, "mac=forged"]
