"""The Send API of the fake Messenger and the state it acts on.

`POST /{version}/{page_id}/messages` or `/{version}/me/messages`, version any `vN.N`. The body
is JSON, or form/query fields holding JSON (as Meta's curl samples send it). The Page token
comes as `access_token` (query or body) or `Authorization: Bearer`. Errors are Graph errors
(HTTP 400, code 2 HTTP 500), each recorded in `rejected` unless a test injected it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes import messenger_rules as rules
from tests.fakes.messenger_events import new_mid
from tests.fakes.messenger_models import (
    INVALID_PARAMETER,
    INVALID_TOKEN,
    ME_TOKEN_REQUIRED,
    NO_MATCHING_USER,
    TOKEN_REQUIRED,
    UNKNOWN_OBJECT,
    USER_UNAVAILABLE,
    USER_UNAVAILABLE_SUBCODE,
    Fault,
    GraphError,
    MessengerUser,
    PolicyViolation,
    Rejection,
    SenderAction,
    SentMessage,
    invalid,
)
from tests.fakes.messenger_window import WindowPolicy
from tests.fakes.telegram_state import Pulse

SEND_PATH_RE = re.compile(r"/(v\d+\.\d+)/([^/]+)/messages")
NODE_PATH_RE = re.compile(r"/(v\d+\.\d+)/([^/]+)")
PAGE_NAME = "Cửa hàng Lan"
JSON_FIELDS = ("recipient", "message")  # form fields that hold JSON


class MessengerApi:
    def __init__(
        self,
        page_id: str,
        page_token: str,
        policy: WindowPolicy,
        pulse: Pulse,
        clock: Callable[[], float],
        on_sent: Callable[[SentMessage], None],
    ) -> None:
        self.page_id = page_id
        self.page_token = page_token
        self.policy = policy
        self.pulse = pulse
        self.clock = clock
        self.on_sent = on_sent
        self.users: dict[str, MessengerUser] = {}
        self.sent: dict[str, list[SentMessage]] = {}
        self.sender_actions: list[SenderAction] = []
        self.rejected: list[Rejection] = []
        self.injected_faults: list[Rejection] = []
        self.policy_violations: list[PolicyViolation] = []
        self.faults: list[Fault] = []

    # ----- HTTP ------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        body: Any = None
        try:
            if request.method == "GET":
                return web.json_response(self._page_node(request))
            via_me = self._route(request)
            body = await _body(request)
            self._authenticate(request, body, via_me)
            self._take_fault(body)
            result = self._send(rules.send_request(body), body)
        except GraphError as e:
            record = Rejection(
                request.path, body, e.code, e.subcode, e.message, e.status, self.clock()
            )
            (self.injected_faults if isinstance(e, _Injected) else self.rejected).append(record)
            self.pulse.notify()
            return web.json_response(e.body(), status=e.status)
        self.pulse.notify()
        return web.json_response(result)

    def _route(self, request: web.Request) -> bool:
        """True when the call names the page as `me`; GraphError for any other path."""
        match = SEND_PATH_RE.fullmatch(request.path)
        if request.method != "POST" or match is None or match[2] not in ("me", self.page_id):
            what = match[2] if match else request.path
            raise GraphError(
                INVALID_PARAMETER,
                f"Unsupported {request.method.lower()} request. Object with ID '{what}' does not"
                " exist, cannot be loaded due to missing permissions, or does not support this"
                " operation",
                UNKNOWN_OBJECT,
                type_="GraphMethodException",
            )
        return match[2] == "me"

    def _page_node(self, request: web.Request) -> dict[str, Any]:
        """`GET /{version}/{page-id}` (or `me`) with the Page token: the Page's `id` and
        `name`, the fields asked for (default both)."""
        match = NODE_PATH_RE.fullmatch(request.path)
        if match is None or match[2] not in ("me", self.page_id):
            raise GraphError(
                INVALID_PARAMETER,
                f"Unsupported get request. Object with ID '{request.path}' does not exist",
                UNKNOWN_OBJECT,
                type_="GraphMethodException",
            )
        self._authenticate(request, None, match[2] == "me")
        self._take_fault(None)
        fields = (request.query.get("fields") or "id,name").split(",")
        node = {"id": self.page_id, "name": PAGE_NAME}
        return {field: node[field] for field in fields if field in node}

    def _authenticate(self, request: web.Request, body: Any, via_me: bool) -> None:
        token = request.query.get("access_token")
        if token is None and isinstance(body, dict):
            token = body.pop("access_token", None)
        header = request.headers.get("Authorization", "")
        if token is None and header[:7].lower() == "bearer ":
            token = header[7:].strip()
        if not token:
            raise GraphError(ME_TOKEN_REQUIRED if via_me else TOKEN_REQUIRED)
        if token != self.page_token:
            raise GraphError(INVALID_TOKEN)

    def _take_fault(self, body: Any) -> None:
        psid = rules.recipient_psid(body)
        for fault in self.faults:
            if fault.used >= fault.times or fault.psid not in (None, psid):
                continue
            fault.used += 1
            message = f"(#{fault.code}) injected by the test"
            raise _Injected(fault.code, message, fault.subcode, status=fault.status)

    # ----- sending ---------------------------------------------------------------------

    def _send(self, request: rules.SendRequest, body: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(request.psid)
        if user is None:
            raise invalid("No matching user found", NO_MATCHING_USER)
        if user.blocked:
            raise GraphError(USER_UNAVAILABLE, subcode=USER_UNAVAILABLE_SUBCODE)
        now = self.clock()
        violation = self.policy.check(
            user, request.messaging_type, request.tag, request.message, now
        )
        if request.sender_action is not None:
            self.sender_actions.append(SenderAction(user.psid, request.sender_action, now))
            return {"recipient_id": user.psid}
        assert request.messaging_type is not None and request.message is not None
        sent = SentMessage(
            user.psid, new_mid(), request.messaging_type, request.tag, request.message, body, now
        )
        self.dismiss_quick_replies(user.psid)
        self.sent.setdefault(user.psid, []).append(sent)
        if violation is not None:
            assert request.tag is not None
            self.policy_violations.append(
                PolicyViolation(user.psid, sent.message_id, request.tag, violation, now)
            )
        self.on_sent(sent)
        return {"recipient_id": user.psid, "message_id": sent.message_id}

    def dismiss_quick_replies(self, psid: str) -> None:
        """Quick replies "disappear after the next message", from either side."""
        for message in self.sent.get(psid, []):
            message.quick_replies_open = False


class _Injected(GraphError):
    """An error a test asked for: recorded in injected_faults, not in rejected."""


async def _body(request: web.Request) -> Any:
    if request.content_type == "application/json":
        raw = await request.read()
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise invalid("The request body is not valid JSON") from None
    fields: dict[str, Any] = {k: v for k, v in request.query.items() if k != "access_token"}
    fields.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    for name in JSON_FIELDS:
        if isinstance(fields.get(name), str):
            try:
                fields[name] = json.loads(fields[name])
            except ValueError:
                raise invalid(f"Param {name} must be JSON") from None
    return fields
