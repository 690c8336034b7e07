"""The HTTP endpoints of the fake Zalo and the state they act on.

Every application error is HTTP 200 with a negative `error` (as Zalo does); only an
unknown path or method gets a 404.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes import zalo_rules as rules
from tests.fakes.telegram_state import Pulse
from tests.fakes.zalo_models import (
    OA_INVALID_PARAMETER,
    OA_NOT_FOLLOWER,
    OA_OUTSIDE_WINDOW,
    OAUTH_INVALID_PARAMETER,
    ZNS_ACCOUNT_NOT_FOUND,
    ZNS_INVALID_PARAMETER,
    ZNS_TEMPLATE_INVALID,
    ZNS_TOKEN_INVALID,
    Fault,
    OAuthError,
    Rejection,
    SentMessage,
    Template,
    TemplateSend,
    ZaloError,
    ZaloUser,
)
from tests.fakes.zalo_oauth import TokenStore

HOUR = 3600
FREE_PERIOD = 48 * HOUR  # after the user's last interaction: FREE_REPLIES messages are free
FREE_REPLIES = 8
WINDOW = 7 * 24 * HOUR  # later than this the OA may not write at all (-230)
DAILY_QUOTA = 500

OAUTH_PATH = "/v4/oa/access_token"
CS_PATH = "/v3.0/oa/message/cs"
TEMPLATE_PATH = "/message/template"  # by "phone" or by "user_id"


class ZaloApi:
    def __init__(self, tokens: TokenStore, pulse: Pulse, clock: Callable[[], float]) -> None:
        self.tokens = tokens
        self.pulse = pulse
        self.clock = clock
        self.users: dict[str, ZaloUser] = {}
        self.templates: dict[str, Template] = {}
        self.sent: dict[str, list[SentMessage]] = {}
        self.templates_sent: list[TemplateSend] = []
        self.rejected: list[Rejection] = []
        self.injected_faults: list[Rejection] = []
        self.faults: list[Fault] = []
        self.refresh_delay = 0.0
        self._routes = {
            OAUTH_PATH: self._refresh,
            CS_PATH: self._consultation,
            TEMPLATE_PATH: self._template,
        }

    # ----- HTTP ------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        route = self._routes.get(request.path)
        if route is None or request.method != "POST":
            return web.json_response({"error": -404, "message": "Not Found"}, status=404)
        body: Any = None
        try:
            if request.path == OAUTH_PATH:
                body = {k: str(v) for k, v in (await request.post()).items()}
                if self.refresh_delay:
                    await asyncio.sleep(self.refresh_delay)  # two workers meet here
            else:
                body = _json(await request.read())
            self._take_fault(request.path, body)
            result = route(request, body)
        except ZaloError as e:
            if not isinstance(e, _Injected):
                self.rejected.append(Rejection(request.path, body, e.code, e.message, self.clock()))
            self.pulse.notify()
            return web.json_response(e.body())
        self.pulse.notify()
        return web.json_response(result)

    def _take_fault(self, path: str, body: Any) -> None:
        user_id = self._user_of(path, body)
        for fault in self.faults:
            if not path.endswith(fault.path_suffix) or fault.used >= fault.times:
                continue
            if fault.user_id is not None and fault.user_id != user_id:
                continue
            fault.used += 1
            self.injected_faults.append(
                Rejection(path, body, fault.error, fault.message, self.clock())
            )
            if path == OAUTH_PATH:
                token = str(body.get("refresh_token", ""))
                self.tokens.record_failure(token, fault.error)
                raise _InjectedOAuth(fault.error, "Injected", fault.message)
            raise _Injected(fault.error, fault.message)

    def _user_of(self, path: str, body: Any) -> str | None:
        if not isinstance(body, dict):
            return None
        if path == TEMPLATE_PATH and "phone" in body:
            user = self.user_by_phone(str(body.get("phone")))
            return user.user_id if user else None
        if path == TEMPLATE_PATH:
            return str(body.get("user_id"))
        recipient = body.get("recipient")
        return recipient.get("user_id") if isinstance(recipient, dict) else None

    # ----- endpoints -------------------------------------------------------------------

    def _refresh(self, request: web.Request, form: dict[str, str]) -> dict[str, Any]:
        if request.content_type != "application/x-www-form-urlencoded":
            self.tokens.record_failure(form.get("refresh_token", ""), OAUTH_INVALID_PARAMETER)
            raise OAuthError(OAUTH_INVALID_PARAMETER, "Invalid parameter", "form body expected")
        return self.tokens.refresh(form, request.headers.get("secret_key"))

    def _consultation(self, request: web.Request, body: Any) -> dict[str, Any]:
        self.tokens.check_access(request.headers.get("access_token"))
        user_id, text, buttons = rules.consultation(body)
        user = self._known_user(user_id)
        if not user.follower:
            raise ZaloError(OA_NOT_FOLLOWER, "User has not followed the OA")
        now = self.clock()
        since = None if user.last_interaction is None else now - user.last_interaction
        if since is None or since > WINDOW:
            raise ZaloError(OA_OUTSIDE_WINDOW, "User has not interacted with the OA in 7 days")
        message = SentMessage(user_id, text, buttons, _id(), self._billed(user, since), now)
        self.sent.setdefault(user_id, []).append(message)
        return _success({"message_id": message.message_id, "user_id": user_id})

    def _billed(self, user: ZaloUser, since: float) -> bool:
        """Free: the first FREE_REPLIES messages within FREE_PERIOD of the last interaction."""
        if since > FREE_PERIOD:
            return True
        start = user.last_interaction or 0.0
        sent = sum(1 for m in self.sent.get(user.user_id, []) if m.time >= start)
        return sent >= FREE_REPLIES

    def _template(self, request: web.Request, body: Any) -> dict[str, Any]:
        token = request.headers.get("access_token")
        self.tokens.check_access(token, invalid=ZNS_TOKEN_INVALID, expired=ZNS_TOKEN_INVALID)
        user, phone = self._template_recipient(body)
        template_id, data, tracking_id = rules.template_fields(body)
        template = self.templates.get(template_id)
        if template is None:
            raise ZaloError(ZNS_TEMPLATE_INVALID, f"Template {template_id} is not registered")
        rules.template_data(template, data)
        sent = TemplateSend(
            template_id, data, tracking_id, _id(), user.user_id, self.clock(), phone
        )
        self.templates_sent.append(sent)
        remaining = max(DAILY_QUOTA - len(self.templates_sent), 0)
        return _success(
            {
                "msg_id": sent.msg_id,
                "sent_time": str(int(sent.time * 1000)),
                "quota": {"dailyQuota": str(DAILY_QUOTA), "remainingQuota": str(remaining)},
            }
        )

    def _template_recipient(self, body: Any) -> tuple[ZaloUser, str | None]:
        """The user a template goes to, and the phone if it was addressed by phone."""
        if not isinstance(body, dict) or ("phone" in body) == ("user_id" in body):
            raise ZaloError(ZNS_INVALID_PARAMETER, "Invalid parameter: phone or user_id")
        phone = rules.phone(body) if "phone" in body else None
        user = self.user_by_phone(phone) if phone else self.users.get(str(body["user_id"]))
        if user is None:
            raise ZaloError(ZNS_ACCOUNT_NOT_FOUND, "Zalo account does not exist")
        return user, phone

    # ----- state -----------------------------------------------------------------------

    def _known_user(self, user_id: str) -> ZaloUser:
        user = self.users.get(user_id)
        if user is None:
            raise ZaloError(OA_INVALID_PARAMETER, f"Invalid parameter: user_id {user_id}")
        return user

    def user_by_phone(self, phone: str) -> ZaloUser | None:
        return next((u for u in self.users.values() if u.phone == phone), None)


class _Injected(ZaloError):
    """An error a test asked for: recorded in injected_faults, not in rejected."""


class _InjectedOAuth(OAuthError, _Injected):
    pass


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ZaloError(OA_INVALID_PARAMETER, "Invalid parameter: body is not JSON") from None


def _success(data: dict[str, Any]) -> dict[str, Any]:
    return {"error": 0, "message": "Success", "data": data}


def _id() -> str:
    return secrets.token_hex(16)
