"""A fake Telegram Bot API server for end-to-end tests.

It runs on 127.0.0.1 inside the test's event loop, speaks the Bot API at
`{base_url}/bot{token}/{method}` (multipart, urlencoded, JSON or query string, like
Telegram), refuses what Telegram refuses, and records everything the bot did::

    async with FakeTelegram() as fake:
        fake.add_user(111, first_name="Lan")
        bot = Bot(fake.token, session=AiohttpSession(
            api=TelegramAPIServer.from_base(fake.base_url)))
        ...  # or start the real `surveybot` process with fake.base_url / fake.token
        fake.user_sends(111, "/start abc")
        msg = await fake.wait_for_message(111, contains="Chào")
        fake.user_presses(111, msg.message_id, fake.buttons(msg)[0][0][1])
        assert fake.rejected == []

`FakeTelegram(*, token=DEFAULT_TOKEN, bot_username="surveybot_test_bot", port=0,
rate_limits=None, strict_html=True, webhook_attempts=3, webhook_retry_delay=0.05,
first_update_id=1, clock=time.monotonic)`; `start()` / `stop()` or `async with`;
`base_url`, `token`, `bot_id`. Any well-formed token `<digits>:<rest>` is accepted.

Set-up: `add_user(user_id, first_name="Lan", language_code="vi", username=None, *,
last_name=None, started=True)` (also the private chat; with `started=False` the bot gets
403 until the user writes), `add_group(chat_id, title, members=(), admins=(), owner=None)`,
`block(user_id)` / `unblock(user_id)` (each queues a my_chat_member update unless
notify=False; a blocked user who writes again unblocks, as with Telegram's Restart).

Users act: `user_sends(user_id, text, chat_id=None, reply_to_message_id=None) -> dict`
(a Message; "/cmd" gets a bot_command entity), `user_presses(user_id, message_id,
callback_data, chat_id=None) -> str` (callback query id; AssertionError if the message has
no such button), `redeliver(update_id)` (same update again, to test duplicates).

Look: `chat(chat_id) -> list[ChatMessage]` (bot and user messages, edits applied, deleted
ones flagged), `bot_messages(chat_id)`, `last_message(chat_id)`, `buttons(message)`
(rows of (text, callback_data)), `calls` / `calls_to(method)` (ApiCall: method, params,
timestamp, result), `rejected` (Rejection: method, params, status, error), `bad_requests`,
`callback_answers` (query id -> CallbackAnswer), `too_many_requests` (count of 429s),
`webhook`, `webhook_deliveries`, `pending_updates`, `polling` (long polls waiting),
`dump()`, `clear_records()`.

Wait (event driven): `await wait_for(predicate, timeout=10)` returns predicate(fake) once
truthy, else AssertionError with the chat logs; `await wait_for_message(chat_id,
contains=None, timeout=10, after=None)` returns the newest matching bot message.

Misbehave: `rate_limits = RateLimits(...)` (off by default; `RateLimits.telegram(scale)`),
`fail_next(method, status=500, retry_after=None, times=1, chat_id=None, processed=False,
body=None)` (a 429 without retry_after has no `parameters`; `body` is a raw HTML page like
a proxy's 502), `stall_next(method, seconds, times=1, chat_id=None, processed=False)` (a
timeout: held before arriving, or after taking effect); all recorded in `injected_faults`,
not in `rejected`. `delay(method, seconds)`.

Stricter than Telegram, on purpose: unescaped `&` and unknown HTML attributes are refused
(see telegram_html) and a button with several actions is refused. Calls of unknown
methods are recorded in `rejected` (404). Markdown parse modes are accepted unchecked.

Modules: telegram_html (HTML parse mode), telegram_rules (request decoding, validation),
telegram_limits (flood limits, faults), telegram_models (records), telegram_state (users,
chats, update queue), telegram_methods and telegram_chat_methods (the Bot API methods),
telegram_webhook (webhook delivery).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Self, TypeVar

from aiohttp import web

from tests.fakes.telegram_limits import Fault, FaultPlan, RateLimiter, RateLimits
from tests.fakes.telegram_methods import BotApi
from tests.fakes.telegram_models import (
    ApiCall,
    CallbackAnswer,
    CallContext,
    ChatMessage,
    FakeChat,
    FakeUser,
    Rejection,
)
from tests.fakes.telegram_rules import ApiError, UploadedFile, decode_params, read_request
from tests.fakes.telegram_state import World
from tests.fakes.telegram_webhook import WebhookConfig, WebhookDelivery, WebhookSender

__all__ = [
    "ApiCall",
    "CallbackAnswer",
    "ChatMessage",
    "FakeTelegram",
    "RateLimits",
    "Rejection",
    "UploadedFile",
]

T = TypeVar("T")
DEFAULT_TOKEN = "123456789:AAFakeSurveyBotTokenForTests_0123456789"
TOKEN_RE = re.compile(r"(\d+):(\S+)")
PATH_RE = re.compile(r"/bot([^/]*)/([^/]+)/?")
NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}
UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}


class FakeTelegram:
    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "surveybot_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: RateLimits | None = None,
        strict_html: bool = True,
        webhook_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
        first_update_id: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        match = TOKEN_RE.fullmatch(token)
        if match is None:
            raise ValueError(f"not a bot token: {token!r}")
        self.token = token
        self.bot_id = int(match[1])
        self.bot_username = bot_username
        self.host, self.port = host, port
        self.base_url = ""
        self.world = World(self.bot_id, bot_username, first_update_id)
        self.api = BotApi(self.world, strict_html=strict_html)
        self.calls: list[ApiCall] = []
        self.rejected: list[Rejection] = []
        self.injected_faults: list[Rejection] = []
        self.too_many_requests = 0
        self._clock = clock
        self._faults = FaultPlan()
        self._delays: dict[str, float] = {}
        self.rate_limits = rate_limits or RateLimits()
        self._webhook = WebhookSender(
            self.world,
            lambda: self.api.webhook,
            self._execute_reply,
            attempts=webhook_attempts,
            retry_delay=webhook_retry_delay,
        )
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    # ----- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://{self.host}:{self.port}"
        self.api.stopping = False
        self._webhook_task = asyncio.create_task(self._webhook.run())

    async def stop(self) -> None:
        self.api.stopping = True
        self.world.pulse.notify()
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

    # ----- HTTP ------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        match = PATH_RE.fullmatch(request.path)
        if match is None:
            return web.json_response(NOT_FOUND, status=404)
        token, method = match.groups()
        if TOKEN_RE.fullmatch(token) is None:
            return web.json_response(UNAUTHORIZED, status=401)

        def connected() -> bool:
            return request.transport is not None and not request.transport.is_closing()

        try:
            raw, files = await read_request(request)
        except ApiError as e:
            return web.json_response(e.envelope(), status=e.status)
        status, body = await self._execute(token, method, raw, files, connected)
        if isinstance(body, str):  # an injected proxy page, not a Bot API answer
            return web.Response(status=status, text=body, content_type="text/html")
        return web.json_response(body, status=status)

    async def _execute_reply(
        self, token: str, method: str, raw: dict[str, Any], files: dict[str, UploadedFile]
    ) -> None:
        await self._execute(token, method, raw, files, lambda: True)

    async def _execute(
        self,
        token: str,
        method: str,
        raw: dict[str, Any],
        files: dict[str, UploadedFile],
        connected: Callable[[], bool],
    ) -> tuple[int, dict[str, Any] | str]:
        name = self.api.canonical(method)
        params: dict[str, Any] = dict(raw)
        fault: Fault | None = None
        try:
            if name is None:
                raise ApiError(404, "Not Found")
            params = decode_params(raw, files)
            if seconds := self._delays.get(name.lower()):
                await asyncio.sleep(seconds)
            fault = self._faults.take(name, params)
            if fault is not None and fault.stall and not fault.processed:
                await asyncio.sleep(fault.stall)  # stuck on the way to Telegram
                if not connected():  # the client gave up first: it never arrived
                    return self._stalled(name, params, fault, "the request never arrived")
            if fault is not None and fault.status is not None and not fault.processed:
                return self._fail(self.injected_faults, name, params, fault.error(), fault.body)
            ctx = CallContext(token, int(token.split(":")[0]), connected)
            result = await self.api.call(ctx, name, params)
        except ApiError as e:
            records = self.rejected if connected() else []
            return self._fail(records, name or method, params, e)
        self.calls.append(ApiCall(name, params, self._clock(), result))
        self.world.pulse.notify()
        if fault is not None and fault.stall and fault.processed:
            await asyncio.sleep(fault.stall)  # done, but the answer is stuck on the way back
            if not connected():
                return self._stalled(name, params, fault, "processed; the answer was lost")
        if fault is not None and fault.status is not None:
            return self._fail(self.injected_faults, name, params, fault.error(), fault.body)
        return 200, {"ok": True, "result": result}

    def _stalled(
        self, method: str, params: dict[str, Any], fault: Fault, what: str
    ) -> tuple[int, dict[str, Any]]:
        error = f"stalled {fault.stall:g}s: {what}"
        self.injected_faults.append(Rejection(method, params, self._clock(), 504, error))
        self.world.pulse.notify()
        return 504, {"ok": False, "error_code": 504, "description": error}

    def _fail(
        self,
        records: list[Rejection],
        method: str,
        params: dict[str, Any],
        error: ApiError,
        page: str | None = None,
    ) -> tuple[int, dict[str, Any] | str]:
        if error.status == 429:
            self.too_many_requests += 1
        records.append(
            Rejection(
                method, params, self._clock(), error.status, error.description, error.retry_after
            )
        )
        self.world.pulse.notify()
        return error.status, page if page is not None else error.envelope()

    # ----- set-up ----------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str = "Lan",
        language_code: str | None = "vi",
        username: str | None = None,
        *,
        last_name: str | None = None,
        started: bool = True,
    ) -> FakeUser:
        user = FakeUser(user_id, first_name, language_code, username, last_name, started)
        return self.world.add_user(user)

    def add_group(
        self,
        chat_id: int,
        title: str,
        members: list[int] | tuple[int, ...] = (),
        admins: list[int] | tuple[int, ...] = (),
        owner: int | None = None,
        *,
        public: bool = False,
    ) -> FakeChat:
        """A group; `public=True` lets non-members read it and press its buttons (but
        not post), like a public supergroup."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        statuses = dict.fromkeys(members, "member") | dict.fromkeys(admins, "administrator")
        if owner is not None:
            statuses[owner] = "creator"
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return self.world.add_group(
            FakeChat(chat_id, kind, title=title, members=statuses, public=public)
        )

    def block(self, user_id: int, *, notify: bool = True) -> None:
        """The user blocks the bot: sends to them get 403 from now on."""
        self.world.set_blocked(user_id, blocked=True, notify=notify)

    def unblock(self, user_id: int, *, notify: bool = True) -> None:
        self.world.set_blocked(user_id, blocked=False, notify=notify)

    @property
    def rate_limits(self) -> RateLimits:
        return self._rate_limits

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits) -> None:
        self._rate_limits = limits
        self.api.limiter = RateLimiter(limits, self._clock) if limits.enabled else None

    def fail_next(
        self,
        method: str,
        status: int = 500,
        *,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
        description: str | None = None,
        processed: bool = False,
        body: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail with `status`.

        A 429 carries `retry_after` when given and no `parameters` at all otherwise;
        `body` answers with that raw page (text/html) instead of a JSON envelope, as a
        proxy in front of the Bot API does."""
        self._faults.add(
            Fault(method, status, times, chat_id, retry_after, description, processed, body)
        )

    def stall_next(
        self,
        method: str,
        seconds: float,
        *,
        times: int = 1,
        chat_id: int | None = None,
        processed: bool = False,
    ) -> None:
        """Hold the next `times` calls of `method` for `seconds` before answering: a
        timeout for a client that waits less.

        `processed=False`: the request is stuck on the way; if the client gave up by
        then, it never arrived (nothing is sent), otherwise it is handled, just late.
        `processed=True`: the call takes effect at once and its answer is held (Telegram
        delivered the message; the client cannot know). Both are in `injected_faults`
        when the client had gone."""
        self._faults.add(Fault(method, None, times, chat_id, processed=processed, stall=seconds))

    def delay(self, method: str, seconds: float | None) -> None:
        """Answer every call of `method` `seconds` late (None or 0 switches it off)."""
        if seconds:
            self._delays[method.lower()] = seconds
        else:
            self._delays.pop(method.lower(), None)

    def clear_records(self) -> None:
        """Forget calls, rejections, faults seen and the 429 count (the world stays)."""
        self.calls.clear()
        self.rejected.clear()
        self.injected_faults.clear()
        self.too_many_requests = 0

    # ----- what users do ---------------------------------------------------------------

    def user_sends(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        return self.world.user_sends(user_id, text, chat_id, reply_to_message_id)

    def user_presses(
        self, user_id: int, message_id: int, callback_data: str, chat_id: int | None = None
    ) -> str:
        return self.world.user_presses(user_id, message_id, callback_data, chat_id)

    def redeliver(self, update_id: int) -> dict[str, Any]:
        update = self.world.updates.redeliver(update_id)
        self.world.pulse.notify()
        return update

    # ----- looking at the result -------------------------------------------------------

    def chat(self, chat_id: int) -> list[ChatMessage]:
        if chat_id not in self.world.chats:
            raise AssertionError(f"chat {chat_id} is unknown to the fake")
        return list(self.world.chats[chat_id].messages.values())

    def bot_messages(self, chat_id: int, *, include_deleted: bool = False) -> list[ChatMessage]:
        return [m for m in self.chat(chat_id) if m.from_bot and (include_deleted or not m.deleted)]

    def last_message(self, chat_id: int) -> ChatMessage | None:
        """The bot's newest message in the chat that is not deleted."""
        messages = self.bot_messages(chat_id)
        return messages[-1] if messages else None

    @staticmethod
    def buttons(message: ChatMessage | dict[str, Any]) -> list[list[tuple[str, str | None]]]:
        if isinstance(message, ChatMessage):
            return message.buttons
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        return [[(b["text"], b.get("callback_data")) for b in row] for row in rows]

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    @property
    def bad_requests(self) -> list[Rejection]:
        return [r for r in self.rejected if r.status == 400]

    @property
    def callback_answers(self) -> dict[str, CallbackAnswer]:
        return self.api.callback_answers

    @property
    def webhook(self) -> WebhookConfig | None:
        return self.api.webhook

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return self._webhook.deliveries

    @property
    def polling(self) -> int:
        """How many getUpdates calls are waiting right now (the bot is listening)."""
        return self.api.waiting_polls

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return self.world.updates.pending

    async def wait_for(
        self,
        predicate: Callable[[FakeTelegram], T | None],
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
            await self.world.pulse.wait(min(remaining, 0.05))
        return result

    async def wait_for_message(
        self,
        chat_id: int,
        contains: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 (the documented test API)
        *,
        after: int | None = None,
    ) -> ChatMessage:
        """The newest bot message in the chat (with id > after) whose text contains `contains`."""

        def find(_: FakeTelegram) -> ChatMessage | None:
            for msg in reversed(self.bot_messages(chat_id)):
                if after is not None and msg.message_id <= after:
                    break
                if contains is None or contains in msg.content:
                    return msg
            return None

        what = f"a bot message in chat {chat_id} containing {contains!r}"
        return await self.wait_for(find, timeout, what=what)

    def dump(self) -> str:
        """Chat logs, recent presses and refusals, call counts: for failure messages."""
        lines = []
        for chat in self.world.chats.values():
            if chat.messages:
                name = chat.title or (chat.user.first_name if chat.user else "")
                lines.append(f"chat {chat.id} ({chat.type} {name}):")
                lines.extend(msg.describe() for msg in chat.messages.values())
        for query_id, query in list(self.world.callback_queries.items())[-10:]:
            answer = self.callback_answers.get(query_id)
            lines.append(
                f"press {query_id}: user {query['user_id']} on #{query['message_id']} "
                f"{query['data']!r} -> " + (f"answered {answer.text!r}" if answer else "unanswered")
            )
        for rejection in self.rejected[-10:]:
            lines.append(f"rejected {rejection.method}: {rejection.status} {rejection.error}")
        counts = Counter(call.method for call in self.calls)
        lines.append(f"pending updates: {len(self.pending_updates)}; calls: {dict(counts)}")
        return "\n".join(lines)
