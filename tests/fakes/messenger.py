"""A fake Facebook Messenger Platform (Graph API Send API and webhooks) for end-to-end tests.

It runs on 127.0.0.1 inside the test's event loop; `base_url` stands for
https://graph.facebook.com (the bot's SURVEYBOT_MESSENGER_API_URL, to which it appends
`/v21.0/{page_id}/messages` or whatever version it pins). It refuses what Meta refuses,
records everything, and posts signed webhook events to the bot::

    async with FakeMessenger(clock=clock, webhook_url=url) as fake:
        fake.add_user("7001")
        assert await fake.verify_webhook()             # the GET handshake
        fake.user_sends("7001", "hi")                  # opens the 24 h window
        [msg] = await fake.wait_for(lambda f: f.messages("7001"))
        fake.user_taps("7001", msg.message_id, "5 ★")
        assert fake.rejected == [] and fake.policy_violations == []

`FakeMessenger(*, page_id="1111", page_token=..., app_id="2222", app_secret=...,
verify_token=..., human_agent=False, legacy_tags=False, echoes=True,
get_started_payload="GET_STARTED", webhook_url=None, webhook_attempts=3,
webhook_retry_delay=0.05, webhook_timeout=1.0, host="127.0.0.1", port=0, clock=time.time)`;
`start()` / `stop()` or `async with`. `clock` is wall-clock seconds: windows, expiry and
event timestamps (ms) all read it. Rules and sources: /work/notes/messenger-rules.md.

Send API rules (every error is `{"error": {message, type, code, error_subcode?,
fbtrace_id}}`, HTTP 400, code 2 HTTP 500; every refusal is recorded in `rejected`):
- Path `POST /{vN.N}/{page_id}/messages` or `/{vN.N}/me/messages`; another path, method or
  page id is 100/33 (GraphMethodException). Body JSON, or form/query fields holding JSON.
- Token: `access_token` (query or body) or `Authorization: Bearer`. None: 104 (2500 on /me);
  wrong: 190. `page_token` may be reassigned to simulate a rotated token.
- `recipient.id`: a PSID as a string of digits (strict), of a user added with add_user, else
  100/2018001. A user who blocked the page: 551/1545041.
- `messaging_type` required: RESPONSE or UPDATE (only within 24 h of the user's last
  window-opening action, else 10/2018278) or MESSAGE_TAG with `tag`. A tag without
  MESSAGE_TAG is 100 (strict). `sender_action` (typing_on, typing_off, mark_seen) alone, in
  the window; answered `{"recipient_id"}`.
- Tags: CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE, ACCOUNT_UPDATE are retired since
  2026-04-27: 100/1893061 (accepted with `legacy_tags=True`, any time). CUSTOMER_FEEDBACK only
  with a customer_feedback template (else 100) and HUMAN_AGENT only with `human_agent=True`
  (else 10/2018278), both within 7 days of the user's last *message* (a text or a quick-reply
  tap; strict), else 10/2018278.
- Policy (accepted, but recorded in `policy_violations`): a tagged message with quick
  replies or postback buttons, or a customer_feedback template under another tag.
- `message`: exactly one of `text` (1 to 2000 characters) or `attachment`; `metadata` under
  1000; `quick_replies` 1 to 13, content_type text/user_phone_number/user_email, text ones
  with title 1 to 20 and payload 1 to 1000 (a number is taken as text). Attachments: template
  only; `button` (text 1 to 640, 1 to 3 buttons: postback with title <= 20 and payload <= 1000,
  or web_url with an http(s) url) and `customer_feedback` (title <= 65, subtitle <= 80,
  button_title <= 20, none with a URL; exactly one screen with one question: id of letters,
  digits, _ up to 80, type csat/nps/ces/free_form, optional title 5 to 85, score_label
  neg_pos/hard_easy/dis_sat/unlike_like/poor_great/none, score_option one_to_five/five_stars/
  five_emojis (csat), zero_to_ten (nps), one_to_seven (ces), optional follow_up {type:
  free_form, placeholder <= 65} (not on free_form); business_privacy.url required;
  expires_in_days 1 to 7, default 1; unknown keys refused (strict)). Other kinds are 100
  with a message saying the fake does not support them.
- Success: `{"recipient_id", "message_id"}` (mids like Meta's, "m_" + ~88 characters). The
  new message dismisses the quick replies of earlier ones; with `echoes` an is_echo message
  event of it goes to the webhook.
- The Page node, `GET /{vN.N}/{page_id}` (or `me`) with the Page token: `{"id", "name"}`
  (the `fields` asked for; the name "Cửa hàng Lan"); the token's errors as above; another
  id is 100/33. A `fail_next` without a psid applies to it too.

Webhooks (messenger_events, messenger_webhook): POSTs of `{"object": "page", "entry": [{id,
time, messaging: [event]}]}`, ASCII JSON (Meta signs the escaped-unicode payload) signed
`X-Hub-Signature-256: sha256=<HMAC-SHA256(app_secret, body)>`. One event per POST, unless
inside `with fake.batch():` (one POST, one entry per event; `batch(one_entry=True)`: all in
one entry's `messaging`). A POST not answered 200 within `webhook_timeout` is retried,
`webhook_attempts` in all, one POST at a time in order. `await verify_webhook(token=None)`
runs the GET handshake (hub.mode, hub.verify_token, hub.challenge) and returns a
Verification, truthy when the bot echoed the challenge with a 200.

Users act (each returns the `messaging` event and queues it): `user_sends(psid, text)`,
`user_taps(psid, message_id, title)` (a quick reply still on screen: only of the newest
message, once), `user_postback(psid, payload, title, message_id=None)` (a postback button the
page sent, or Get Started), `user_opens_link(psid, ref, new_thread=True)` (m.me/<page>?ref=:
a new thread is Get Started with `postback.referral`, an existing one a `referral` event; ref
of letters, digits, -, _, =), `user_submits_feedback(psid, message_id, score, comment=None)`
(a customer_feedback template not yet expired nor answered; score an int in the type's range,
text for free_form; comment <= 400, only with a follow_up), `user_reads(psid)`,
`user_blocks(psid)` / `user_unblocks(psid)` (no event; writing again unblocks). Messages,
quick-reply taps, postbacks and links open the 24 h window (m.me into a new thread through
the Get Started tap); a feedback submit does not (unconfirmed: strict); only messages and
taps count for the 7-day tags. A feedback event has no timestamp and no mid, as Meta's.

Set-up: `add_user(psid, name="Lan")`, `interacted(psid, at, message=True)` (a past action;
None: never), `fail_next(error_code, subcode=None, times=1, psid=None, status=None)`
(recorded in `injected_faults`, not `rejected`). Replays: `redeliver(post=None)` (the newest
POST unless told, byte for byte), `send_raw(body, signature=None)` (unsigned unless told).

Look: `messages(psid)`, `user(psid)`, `rejected`, `injected_faults`, `policy_violations`,
`sender_actions`, `feedback_submissions`, `posts`, `events`, `webhook_deliveries`,
`verifications`, `wait_for(predicate, timeout)`, `wait_for_deliveries()`, `dump()`.

Modules: messenger_api (the Send API and its state), messenger_rules (body checks),
messenger_feedback (the feedback template), messenger_window (window and tags),
messenger_users (what a person can do), messenger_events (event shapes), messenger_webhook
(signing, delivery, the handshake), messenger_models (records and error codes).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any, Self, TypeVar

from aiohttp import web

from tests.fakes.messenger_api import MessengerApi
from tests.fakes.messenger_events import EventFactory
from tests.fakes.messenger_models import (
    Fault,
    FeedbackSubmission,
    MessengerUser,
    PolicyViolation,
    Rejection,
    SenderAction,
    SentMessage,
)
from tests.fakes.messenger_users import UserActions
from tests.fakes.messenger_webhook import (
    OutgoingPost,
    Verification,
    WebhookDelivery,
    WebhookSender,
    encode,
    signature,
    verify,
)
from tests.fakes.messenger_window import WindowPolicy
from tests.fakes.telegram_state import Pulse

__all__ = ["FakeMessenger", "OutgoingPost", "SentMessage", "Verification"]

T = TypeVar("T")


class FakeMessenger:
    def __init__(
        self,
        *,
        page_id: str = "1111",
        page_token: str = "fake-page-token",
        app_id: str = "2222",
        app_secret: str = "fake-app-secret",
        verify_token: str = "fake-verify-token",
        human_agent: bool = False,
        legacy_tags: bool = False,
        echoes: bool = True,
        get_started_payload: str = "GET_STARTED",
        webhook_url: str | None = None,
        webhook_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.page_id, self.app_id, self.app_secret = page_id, app_id, app_secret
        self.verify_token = verify_token
        self.echoes = echoes
        self.webhook_url = webhook_url
        self.webhook_timeout = webhook_timeout
        self.host, self.port = host, port
        self.base_url = ""
        self.clock = clock
        self._pulse = Pulse()
        self._events = EventFactory(page_id, app_id)
        policy = WindowPolicy(human_agent=human_agent, legacy_tags=legacy_tags)
        self._api = MessengerApi(page_id, page_token, policy, self._pulse, clock, self._echo)
        self._webhook = WebhookSender(
            lambda: self.webhook_url,
            self._pulse,
            attempts=webhook_attempts,
            retry_delay=webhook_retry_delay,
            timeout=webhook_timeout,
        )
        self._users = UserActions(self._api, self._events, clock, get_started_payload)
        self._batch: list[dict[str, Any]] | None = None
        self._verifications: list[Verification] = []
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

    @property
    def page_token(self) -> str:
        return self._api.page_token

    @page_token.setter
    def page_token(self, token: str) -> None:
        self._api.page_token = token

    def add_user(self, psid: str, name: str = "Lan") -> MessengerUser:
        if not psid.isdigit():
            raise AssertionError(f"a PSID is a string of digits, not {psid!r}")
        user = MessengerUser(psid, name)
        self._api.users[psid] = user
        return user

    def interacted(self, psid: str, at: float | None, *, message: bool = True) -> None:
        """A past window-opening action at `at` (clock seconds; None: never); `message`:
        it was a message, which also counts for the 7-day tags."""
        user = self._users.user(psid)
        user.window_opened = at
        user.last_message = at if message else user.last_message
        user.has_thread = user.has_thread or at is not None

    def fail_next(
        self,
        error_code: int,
        subcode: int | None = None,
        times: int = 1,
        psid: str | None = None,
        status: int | None = None,
    ) -> None:
        """The next `times` calls (sends to `psid` only, if given; without a psid the Page
        node too) answer this error and take no effect; `status` defaults to 400 (500 for
        code 2)."""
        self._api.faults.append(Fault(error_code, subcode, times, psid, status))

    # ----- what users do (each returns the event and queues it) ----------------------

    def user_sends(self, psid: str, text: str) -> dict[str, Any]:
        return self._emit(self._users.sends(psid, text))

    def user_taps(self, psid: str, message_id: str, title: str) -> dict[str, Any]:
        """Tap a quick reply: its title arrives as the text, its payload in quick_reply."""
        return self._emit(self._users.taps(psid, message_id, title))

    def user_postback(
        self, psid: str, payload: str, title: str, message_id: str | None = None
    ) -> dict[str, Any]:
        """Tap a postback button the page sent (in `message_id`, or any message), or Get
        Started when `payload` is get_started_payload."""
        return self._emit(self._users.postback(psid, payload, title, message_id))

    def user_opens_link(self, psid: str, ref: str, new_thread: bool = True) -> dict[str, Any]:
        """Follow m.me/<page>?ref=<ref>: into a new thread (tapping Get Started) or an
        existing one."""
        return self._emit(self._users.opens_link(psid, ref, new_thread))

    def user_submits_feedback(
        self, psid: str, message_id: str, score: int | str, comment: str | None = None
    ) -> dict[str, Any]:
        return self._emit(self._users.submits_feedback(psid, message_id, score, comment))

    def user_reads(self, psid: str) -> dict[str, Any]:
        return self._emit(self._users.reads(psid))

    def user_blocks(self, psid: str) -> None:
        self._users.user(psid).blocked = True

    def user_unblocks(self, psid: str) -> None:
        self._users.user(psid).blocked = False

    @contextlib.contextmanager
    def batch(self, *, one_entry: bool = False) -> Iterator[None]:
        """Everything users do inside goes to the webhook in one POST."""
        if self._batch is not None:
            raise AssertionError("batches do not nest")
        self._batch = []
        try:
            yield
        finally:
            events, self._batch = self._batch, None
            if events:
                self._post(events, one_entry=one_entry)

    # ----- the webhook -----------------------------------------------------------------

    async def verify_webhook(self, verify_token: str | None = None) -> Verification:
        if self.webhook_url is None:
            raise AssertionError("set webhook_url first")
        token = self.verify_token if verify_token is None else verify_token
        result = await verify(self.webhook_url, token, self.webhook_timeout)
        self._verifications.append(result)
        self._pulse.notify()
        return result

    def redeliver(self, post: OutgoingPost | None = None) -> None:
        """Send a POST again, byte for byte (the newest one unless told which)."""
        if post is None:
            if not self._webhook.sent:
                raise AssertionError("nothing to redeliver")
            post = self._webhook.sent[-1]
        self._webhook.queue(post, replay=True)

    def send_raw(self, body: bytes | str | dict[str, Any], signature: str | None = None) -> None:
        """Post anything to the webhook: unsigned unless `signature` is given (forgery)."""
        if isinstance(body, dict):
            body = json.dumps(body)
        raw = body.encode() if isinstance(body, str) else body
        self._webhook.queue(OutgoingPost(raw, signature))

    def sign(self, raw_body: bytes) -> str:
        """The X-Hub-Signature-256 Meta would put on `raw_body` (for tests of the check)."""
        return signature(self.app_secret, raw_body)

    # ----- looking at the result -------------------------------------------------------

    def messages(self, psid: str) -> list[SentMessage]:
        return list(self._api.sent.get(str(psid), []))

    def user(self, psid: str) -> MessengerUser:
        return self._users.user(psid)

    @property
    def rejected(self) -> list[Rejection]:
        return self._api.rejected

    @property
    def injected_faults(self) -> list[Rejection]:
        return self._api.injected_faults

    @property
    def policy_violations(self) -> list[PolicyViolation]:
        return self._api.policy_violations

    @property
    def sender_actions(self) -> list[SenderAction]:
        return self._api.sender_actions

    @property
    def feedback_submissions(self) -> list[FeedbackSubmission]:
        return list(self._users.submissions)

    @property
    def posts(self) -> list[OutgoingPost]:
        """Every POST queued for the webhook (not replays), oldest first."""
        return self._webhook.sent

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every `messaging` event posted (not replays), oldest first."""
        return [event for post in self.posts for event in post.events]

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return self._webhook.deliveries

    @property
    def verifications(self) -> list[Verification]:
        return list(self._verifications)

    async def wait_for(
        self,
        predicate: Callable[[FakeMessenger], T | None],
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
        """Wait until every queued POST has been delivered (or given up on)."""
        await self.wait_for(lambda f: f._webhook.idle, timeout, what="webhook deliveries")
        return self.webhook_deliveries

    def dump(self) -> str:
        """Messages, refusals, violations and deliveries: for failure messages."""
        lines: list[str] = []
        for psid, sent in self._api.sent.items():
            lines.extend(
                f"to {psid}: {m.kind} {m.messaging_type}/{m.tag} {m.text!r} "
                f"quick_replies={[q.title for q in m.quick_replies]}"
                for m in sent
            )
        lines.extend(
            f"rejected {r.path}: {r.code}/{r.subcode} {r.message}" for r in self.rejected[-10:]
        )
        lines.extend(f"violation to {v.psid}: {v.reason}" for v in self.policy_violations)
        lines.extend(
            f"delivery {d.kinds} #{d.attempt}: {d.status} {d.error or ''}"
            for d in self.webhook_deliveries[-10:]
        )
        return "\n".join(lines)

    # ----- internals -------------------------------------------------------------------

    def _ms(self) -> int:
        return int(self.clock() * 1000)

    def _echo(self, sent: SentMessage) -> None:
        if self.echoes:
            self._emit(self._events.echo(sent, self._ms()))

    def _emit(self, event: dict[str, Any]) -> dict[str, Any]:
        if self._batch is not None:
            self._batch.append(event)
        else:
            self._post([event], one_entry=False)
        return event

    def _post(self, events: list[dict[str, Any]], *, one_entry: bool) -> None:
        raw = encode(self._events.envelope(events, self._ms(), one_entry=one_entry))
        self._webhook.queue(OutgoingPost(raw, self.sign(raw)))
