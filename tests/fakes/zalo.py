"""A fake Zalo (OAuth v4, OA API v3, ZBS template messages) for end-to-end tests.

It runs on 127.0.0.1 inside the test's event loop; all three Zalo hosts (oauth.zaloapp.com,
openapi.zalo.me, business.openapi.zalo.me) are the one `base_url`. It refuses what Zalo
refuses, records everything, and posts signed webhook events to the bot::

    async with FakeZalo(clock=clock) as fake:
        fake.add_user("5001", phone="84901234567")
        refresh_token = fake.issue_refresh_token()  # SURVEYBOT_ZALO_REFRESH_TOKEN
        fake.webhook_url = "http://127.0.0.1:8080/zalo/webhook"
        fake.user_sends("5001", "hi")                # opens the 7-day window
        msg = await fake.wait_for(lambda f: f.messages("5001"))
        fake.user_presses("5001", msg[0].message_id, "5 ★")

`FakeZalo(*, app_id, app_secret, oa_id, oa_secret, access_ttl=90000, refresh_delay=0,
webhook_url=None, webhook_attempts=3, webhook_retry_delay=0.05, webhook_timeout=2.0,
clock=time.time)`; `start()` / `stop()` or `async with`. `clock` is wall-clock seconds:
windows, token expiry and event timestamps (ms) all read it.

Endpoints and rules (codes in zalo_models, after /work/notes/zalo-rules.md; every
application error is HTTP 200 with a negative `error`; an unknown path or method is a 404):
- POST /v4/oa/access_token, form body refresh_token, app_id, grant_type=refresh_token and
  header secret_key. A wrong app id or secret (-14002) or a non-form body (-14003) is an
  error body without access_token. A refresh token works once (-14020 after) and for 90
  days; the answer carries a new one and an access token valid `access_ttl` s,
  `expires_in` a string. The access token it replaces lives on until its own expiry.
- POST /v3.0/oa/message/cs, header access_token, JSON. Unknown token -216, expired -220.
  `{"recipient": {"user_id"}, "message": {"text", "attachment"?}}`, buttons in attachment
  `{"type": "template", "payload": {"buttons": [...]}}` (no template_type). Malformed or
  missing fields are -201, exceeded limits -210: text required, <= 2000 chars; 1 to 5
  buttons; title required, <= 100; oa.query.hide/show: payload a string <= 1000;
  oa.open.url: payload {"url": "http(s)://..."}; other button types refused (-201). An
  unknown user_id is -201; not a follower -213; no interaction within 7 days -230. Sent
  but `billed`: after 48 h, or beyond the 8 free messages since the last interaction.
  Success data has message_id and user_id (Zalo's user_id is unconfirmed: read
  message_id only).
- POST /message/template (ZBS host), by phone only: "phone", template_id, template_data,
  tracking_id (required, -100). Phone must be 84 + 9 digits (-108; Zalo also takes 0xxx,
  the fake makes the client normalise) and belong to an added user (-118); a "user_id" key
  is -100 (user ids go to the UID path below). The template must be registered with
  add_template (-109); template_data is EXACTLY its params, each a non-empty string (-111
  empty, -112 otherwise: a misspelt key is a bug, so extras are refused). Any bad token is
  -124. No follower or window rule for templates. Success data: msg_id, sent_time (ms, a
  string), quota {dailyQuota, remainingQuota} (strings; 500/day is reported, only injected
  faults enforce it).
- POST /v3.0/oa/message/template (OA host): the same template by Zalo user id, ZBS's UID
  channel since 2026 (/work/notes/zalo-templates.md, b). `{"user_id", "template_id",
  "template_data"}`, user_id at the top level (three sources; one nests it in recipient).
  Template rules as above; an unknown user_id is -201; a tracking_id is refused (-201:
  the channel takes none, so a client must keep message_id itself); token errors are the
  OA API's -216/-220 (UNCONFIRMED for this path). Success data: message_id (not msg_id),
  user_id, sent_time, quota {quota_type, remain}: read message_id only.
- GET /rating/get (ZBS host), header access_token (any bad token -124, as for templates),
  query template_id, from_time, to_time (epoch ms), offset, limit (all required; limit 1
  to 10000; anything else -132, UNCONFIRMED code); an unregistered template is -109.
  Answers `{"error": 0, "message": "Success", "data": {"total": N, "data": [{"msgId",
  "trackingId", "oaId", "note", "rate", "submitDate", "feedbacks"}]}}`: every rating of
  that template whose submitDate (ms, a string) is in [from_time, to_time], oldest first,
  `limit` from `offset`; rate is a number, trackingId "" for UID sends. GET with a query
  string follows four working clients; two write-ups say POST (notes, a): a POST is 404.

Webhooks: see zalo_events (shapes) and zalo_webhook (signing). Events are delivered one
at a time; an answer that is not 200 within `webhook_timeout` is retried,
`webhook_attempts` in all (Zalo waits 2 s, then retries over an hour; the fake quickly).

Set-up: `add_user(user_id, phone=None, follower=True, name="Lan")`, `add_template(id,
params, rating=False)`, `interacted(user_id, at)`, `issue_refresh_token()`,
`issue_access_token()`, `expire_access_tokens()`, `fail_next(path_suffix, error, times=1,
user_id=None)` (recorded in `injected_faults`, not `rejected`; "/message/template" hits
both template channels, "/oa/message/template" the UID one only), `refresh_delay`,
`send_answer_delay` (a send is recorded at once and answered that late: what it causes,
a rating, can reach surveybot before the answer does).

Users act (each queues a webhook event and returns it): `user_sends`, `user_presses`,
`follow`, `unfollow`, `user_rates(msg_id, rate, feedbacks=None, note="", deliver=True)`
(stored for /rating/get either way; `deliver=False` queues nothing, as when Zalo's
webhook never came); `redeliver(last=True)` / `redeliver(event)` replays an
event byte for byte; `send_raw(body, signature=None)` sends anything, signed only if told.
Sending and pressing renew the interaction window; following does not (unconfirmed, so the
fake takes the strict side). Follow events carry no `source` (unconfirmed: never needed).

Look: `messages(user_id)`, `templates_sent`, `ratings`, `refreshes`, `rejected`, `injected_faults`,
`events`, `webhook_deliveries`, `wait_for(predicate, timeout)`, `wait_for_deliveries()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterable
from typing import Any, Self, TypeVar

from aiohttp import web

from tests.fakes.telegram_state import Pulse
from tests.fakes.zalo_api import ZaloApi
from tests.fakes.zalo_events import EventFactory
from tests.fakes.zalo_models import (
    Button,
    Fault,
    Rating,
    Refresh,
    Rejection,
    SentMessage,
    Template,
    TemplateSend,
    ZaloUser,
)
from tests.fakes.zalo_oauth import TokenStore
from tests.fakes.zalo_rules import QUERY_TYPES
from tests.fakes.zalo_webhook import (
    OutgoingEvent,
    WebhookDelivery,
    WebhookSender,
    new_msg_id,
    signature,
)

__all__ = ["Button", "FakeZalo", "OutgoingEvent", "SentMessage", "TemplateSend"]

T = TypeVar("T")


class FakeZalo:
    def __init__(
        self,
        *,
        app_id: str = "4291763606161179100",
        app_secret: str = "fake-app-secret",
        oa_id: str = "1365410903334518373",
        oa_secret: str = "fake-oa-secret",
        access_ttl: int = 90000,
        refresh_delay: float = 0.0,
        webhook_url: str | None = None,
        webhook_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 2.0,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.oa_id, self.oa_secret = oa_id, oa_secret
        self.host, self.port = host, port
        self.base_url = ""
        self.webhook_url = webhook_url
        self.clock = clock
        self._pulse = Pulse()
        self._events = EventFactory(app_id, oa_id)
        self._tokens = TokenStore(app_id, app_secret, access_ttl, clock)
        self._api = ZaloApi(self._tokens, self._pulse, clock, oa_id)
        self._api.refresh_delay = refresh_delay
        self._webhook = WebhookSender(
            lambda: self.webhook_url,
            self._pulse,
            attempts=webhook_attempts,
            retry_delay=webhook_retry_delay,
            timeout=webhook_timeout,
        )
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    # ----- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._api.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._webhook_task = asyncio.create_task(self._webhook.run())

    async def stop(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ----- set-up ----------------------------------------------------------------------

    def add_user(
        self, user_id: str, phone: str | None = None, follower: bool = True, name: str = "Lan"
    ) -> ZaloUser:
        user = ZaloUser(str(user_id), phone, follower, name)
        self._api.users[user.user_id] = user
        return user

    def add_template(self, template_id: str, params: Iterable[str], rating: bool = False) -> None:
        self._api.templates[str(template_id)] = Template(
            str(template_id), frozenset(params), rating
        )

    def interacted(self, user_id: str, at: float | None) -> None:
        """Set the user's last interaction with the OA (clock seconds; None: never)."""
        self._user(user_id).last_interaction = at

    def issue_refresh_token(self) -> str:
        return self._tokens.issue_refresh_token()

    def issue_access_token(self) -> str:
        return self._tokens.issue_access_token()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired from now on."""
        self._tokens.expire_access_tokens()

    @property
    def refresh_delay(self) -> float:
        return self._api.refresh_delay

    @refresh_delay.setter
    def refresh_delay(self, seconds: float) -> None:
        self._api.refresh_delay = seconds

    @property
    def send_answer_delay(self) -> float:
        return self._api.send_answer_delay

    @send_answer_delay.setter
    def send_answer_delay(self, seconds: float) -> None:
        self._api.send_answer_delay = seconds

    def fail_next(
        self, path_suffix: str, error_code: int, times: int = 1, user_id: str | None = None
    ) -> None:
        """The next `times` calls whose path ends with `path_suffix` (for `user_id`
        only, if given) answer `error_code` without taking effect."""
        self._api.faults.append(Fault(path_suffix, error_code, times, user_id))

    # ----- what users do ---------------------------------------------------------------

    def user_sends(self, user_id: str, text: str) -> dict[str, Any]:
        self._user(user_id).last_interaction = self.clock()
        event = self._events.user_send_text(str(user_id), text, new_msg_id(), self._timestamp())
        return self._emit(event)

    def user_presses(self, user_id: str, message_id: str, button: str | int) -> dict[str, Any]:
        """Press a query button of an OA message: its payload arrives as user_send_text."""
        message = next((m for m in self.messages(user_id) if m.message_id == message_id), None)
        if message is None:
            raise AssertionError(f"user {user_id} has no message {message_id}")
        pressed = _find_button(message, button)
        if pressed.type not in QUERY_TYPES:
            raise AssertionError(f"button {pressed.title!r} is {pressed.type}, not a query")
        return self.user_sends(user_id, str(pressed.payload))

    def follow(self, user_id: str) -> dict[str, Any]:
        self._user(user_id).follower = True
        return self._emit(self._events.follow("follow", str(user_id), self._timestamp()))

    def unfollow(self, user_id: str) -> dict[str, Any]:
        self._user(user_id).follower = False
        return self._emit(self._events.follow("unfollow", str(user_id), self._timestamp()))

    def user_rates(
        self,
        msg_id: str,
        rate: int,
        feedbacks: list[str] | None = None,
        note: str = "",
        *,
        deliver: bool = True,
    ) -> dict[str, Any]:
        """The customer rates a rating template message: the rating API lists it from now
        on, and a user_feedback event (no user id) goes to the webhook unless `deliver` is
        False (a webhook Zalo never sent, for tests of reconciliation). Returns the event."""
        sent = next((s for s in self.templates_sent if s.msg_id == msg_id), None)
        if sent is None:
            raise AssertionError(f"no template message {msg_id} was sent")
        if not self._api.templates[sent.template_id].rating:
            raise AssertionError(f"template {sent.template_id} is not a rating template")
        if not 1 <= rate <= 5:
            raise AssertionError(f"a rating is 1 to 5 stars, not {rate}")
        ts = self._timestamp()
        answers = list(feedbacks or [])
        self._api.ratings.append(
            Rating(sent.template_id, msg_id, sent.tracking_id, rate, tuple(answers), note, int(ts))
        )
        self._pulse.notify()
        event = self._events.user_feedback(msg_id, sent.tracking_id, rate, answers, note, ts)
        return self._emit(event) if deliver else event

    def redeliver(self, event: OutgoingEvent | None = None, *, last: bool = True) -> None:
        """Send an event again, byte for byte (the newest one unless told which)."""
        if event is None:
            if not last or not self._webhook.sent:
                raise AssertionError("nothing to redeliver")
            event = self._webhook.sent[-1]
        self._webhook.queue(event, replay=True)

    def send_raw(self, body: bytes | str | dict[str, Any], signature: str | None = None) -> None:
        """Post anything to the webhook: unsigned unless `signature` is given (forgery)."""
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False)
        raw = body.encode() if isinstance(body, str) else body
        self._webhook.queue(OutgoingEvent(raw, signature))

    def sign(self, raw_body: bytes, timestamp: str) -> str:
        """The signature Zalo would put on `raw_body` (for tests of the check)."""
        return signature(self.app_id, raw_body, timestamp, self.oa_secret)

    # ----- looking at the result -------------------------------------------------------

    def messages(self, user_id: str) -> list[SentMessage]:
        return list(self._api.sent.get(str(user_id), []))

    def user(self, user_id: str) -> ZaloUser:
        return self._user(user_id)

    @property
    def templates_sent(self) -> list[TemplateSend]:
        return self._api.templates_sent

    @property
    def ratings(self) -> list[Rating]:
        """Every rating submitted, delivered or not, oldest first."""
        return list(self._api.ratings)

    @property
    def refreshes(self) -> list[Refresh]:
        return self._tokens.refreshes

    @property
    def rejected(self) -> list[Rejection]:
        return self._api.rejected

    @property
    def injected_faults(self) -> list[Rejection]:
        return self._api.injected_faults

    @property
    def events(self) -> list[OutgoingEvent]:
        """Every event queued for the webhook (not replays), oldest first."""
        return self._webhook.sent

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return self._webhook.deliveries

    async def wait_for(
        self,
        predicate: Callable[[FakeZalo], T | None],
        timeout: float = 10.0,  # noqa: ASYNC109 (the documented test API)
        *,
        what: str | None = None,
    ) -> T:
        """Wait until predicate(fake) is truthy and return it; re-checked on every change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (result := predicate(self)):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what or predicate}\n{self.dump()}"
                )
            await self._pulse.wait(min(remaining, 0.05))
        return result

    async def wait_for_deliveries(self, timeout: float = 10.0) -> list[WebhookDelivery]:  # noqa: ASYNC109
        """Wait until every queued event has been delivered (or given up on)."""
        await self.wait_for(lambda f: f._webhook.idle, timeout, what="webhook deliveries")
        return self.webhook_deliveries

    def dump(self) -> str:
        """Messages, templates, refusals and deliveries: for failure messages."""
        lines: list[str] = []
        for user_id, sent in self._api.sent.items():
            lines.extend(f"to {user_id}: {m.text!r} buttons={len(m.buttons)}" for m in sent)
        lines.extend(f"template {t.template_id} to {t.user_id}" for t in self.templates_sent)
        lines.extend(f"rating {r.rate} of {r.msg_id} at {r.submit_ms}" for r in self._api.ratings)
        lines.extend(f"rejected {r.path}: {r.error} {r.message}" for r in self.rejected[-10:])
        lines.extend(
            f"delivery {d.event_name} #{d.attempt}: {d.status} {d.error or ''}"
            for d in self.webhook_deliveries[-10:]
        )
        lines.append(f"refreshes: {[(r.succeeded, r.error) for r in self.refreshes]}")
        return "\n".join(lines)

    # ----- internals -------------------------------------------------------------------

    def _user(self, user_id: str) -> ZaloUser:
        user = self._api.users.get(str(user_id))
        if user is None:
            raise AssertionError(f"user {user_id} is unknown to the fake (add_user first)")
        return user

    def _timestamp(self) -> str:
        return str(int(self.clock() * 1000))

    def _emit(self, event: dict[str, Any]) -> dict[str, Any]:
        raw = json.dumps(event, ensure_ascii=False).encode()
        self._webhook.queue(OutgoingEvent(raw, self.sign(raw, event["timestamp"])))
        return event


def _find_button(message: SentMessage, button: str | int) -> Button:
    if isinstance(button, int):
        if not 0 <= button < len(message.buttons):
            raise AssertionError(f"message {message.message_id} has no button #{button}")
        return message.buttons[button]
    found = next((b for b in message.buttons if b.title == button), None)
    if found is None:
        titles = [b.title for b in message.buttons]
        raise AssertionError(f"message {message.message_id} has no button {button!r}: {titles}")
    return found
