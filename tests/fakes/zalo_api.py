"""The HTTP endpoints of the fake Zalo and the state they act on.

Every application error is HTTP 200 with a negative `error` (as Zalo does); only an
unknown path or method gets a 404. Endpoints take POST, except /rating/get (GET).
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
    Rating,
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
TEMPLATE_PATH = "/message/template"  # ZBS by phone (business.openapi.zalo.me)
UID_TEMPLATE_PATH = "/v3.0/oa/message/template"  # ZBS by user id (openapi.zalo.me)
RATING_PATH = "/rating/get"  # GET, query string (business.openapi.zalo.me)

Route = Callable[[web.Request, Any], dict[str, Any]]


class ZaloApi:
    def __init__(
        self, tokens: TokenStore, pulse: Pulse, clock: Callable[[], float], oa_id: str
    ) -> None:
        self.tokens = tokens
        self.pulse = pulse
        self.clock = clock
        self.oa_id = oa_id
        self.users: dict[str, ZaloUser] = {}
        self.templates: dict[str, Template] = {}
        self.sent: dict[str, list[SentMessage]] = {}
        self.templates_sent: list[TemplateSend] = []
        self.ratings: list[Rating] = []
        self.rejected: list[Rejection] = []
        self.injected_faults: list[Rejection] = []
        self.faults: list[Fault] = []
        self.refresh_delay = 0.0
        self.send_answer_delay = 0.0
        self._routes: dict[tuple[str, str], Route] = {
            ("POST", OAUTH_PATH): self._refresh,
            ("POST", CS_PATH): self._consultation,
            ("POST", TEMPLATE_PATH): self._template,
            ("POST", UID_TEMPLATE_PATH): self._uid_template,
            ("GET", RATING_PATH): self._rating_list,
        }

    # ----- HTTP ------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        route = self._routes.get((request.method, request.path))
        if route is None:
            return web.json_response({"error": -404, "message": "Not Found"}, status=404)
        body: Any = None
        try:
            if request.path == OAUTH_PATH:
                body = {k: str(v) for k, v in (await request.post()).items()}
                if self.refresh_delay:
                    await asyncio.sleep(self.refresh_delay)  # two workers meet here
            elif request.method == "GET":
                body = dict(request.query)  # recorded in place of a body
            else:
                body = _json(await request.read())
            self._take_fault(request.path, body)
            result = route(request, body)
            if self.send_answer_delay and request.method == "POST" and request.path != OAUTH_PATH:
                self.pulse.notify()  # recorded: a test may act on it before the answer
                await asyncio.sleep(self.send_answer_delay)
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
        if path == TEMPLATE_PATH:
            user = self.user_by_phone(str(body.get("phone")))
            return user.user_id if user else None
        if path == UID_TEMPLATE_PATH:
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
        if isinstance(body, dict) and "user_id" in body:
            raise ZaloError(
                ZNS_INVALID_PARAMETER,
                f"Invalid parameter: user_id (send by user id at {UID_TEMPLATE_PATH})",
            )
        phone = rules.phone(body if isinstance(body, dict) else {})
        user = self.user_by_phone(phone)
        if user is None:
            raise ZaloError(ZNS_ACCOUNT_NOT_FOUND, "Zalo account does not exist")
        template_id, data, tracking_id = rules.template_fields(body)
        self._check_template(template_id, data)
        sent = self._record_send(template_id, data, tracking_id, user, phone)
        remaining = max(DAILY_QUOTA - len(self.templates_sent), 0)
        return _success(
            {
                "msg_id": sent.msg_id,
                "sent_time": str(int(sent.time * 1000)),
                "quota": {"dailyQuota": str(DAILY_QUOTA), "remainingQuota": str(remaining)},
            }
        )

    def _uid_template(self, request: web.Request, body: Any) -> dict[str, Any]:
        """A ZBS template by user id: OA host, so OA token codes (-216/-220, UNCONFIRMED)."""
        self.tokens.check_access(request.headers.get("access_token"))
        user_id, template_id, data = rules.uid_template_fields(body)
        user = self._known_user(user_id)
        self._check_template(template_id, data)
        sent = self._record_send(template_id, data, "", user, None)
        remaining = max(DAILY_QUOTA - len(self.templates_sent), 0)
        return _success(
            {
                "message_id": sent.msg_id,
                "user_id": user_id,
                "sent_time": str(int(sent.time * 1000)),
                "quota": {"quota_type": "purchase_quota", "remain": remaining},
            }
        )

    def _check_template(self, template_id: str, data: dict[str, Any]) -> None:
        template = self.templates.get(template_id)
        if template is None:
            raise ZaloError(ZNS_TEMPLATE_INVALID, f"Template {template_id} is not registered")
        rules.template_data(template, data)

    def _record_send(
        self,
        template_id: str,
        data: dict[str, Any],
        tracking_id: str,
        user: ZaloUser,
        phone: str | None,
    ) -> TemplateSend:
        sent = TemplateSend(
            template_id, data, tracking_id, _id(), user.user_id, self.clock(), phone
        )
        self.templates_sent.append(sent)
        return sent

    def _rating_list(self, request: web.Request, query: Any) -> dict[str, Any]:
        """Ratings of one template submitted from_time..to_time (ms, inclusive), oldest
        first (Zalo's order is not documented), `limit` of them from `offset`."""
        token = request.headers.get("access_token")
        self.tokens.check_access(token, invalid=ZNS_TOKEN_INVALID, expired=ZNS_TOKEN_INVALID)
        template_id, from_ms, to_ms, offset, limit = rules.rating_query(query)
        if template_id not in self.templates:
            raise ZaloError(ZNS_TEMPLATE_INVALID, f"Template {template_id} is not registered")
        found = [
            r
            for r in self.ratings
            if r.template_id == template_id and from_ms <= r.submit_ms <= to_ms
        ]
        found.sort(key=lambda r: r.submit_ms)
        page = found[offset : offset + limit]
        return _success({"total": len(found), "data": [self._rating_item(r) for r in page]})

    def _rating_item(self, rating: Rating) -> dict[str, Any]:
        return {
            "msgId": rating.msg_id,
            "trackingId": rating.tracking_id,
            "oaId": self.oa_id,
            "note": rating.note,
            "rate": rating.rate,
            "submitDate": str(rating.submit_ms),
            "feedbacks": list(rating.feedbacks),
        }

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
