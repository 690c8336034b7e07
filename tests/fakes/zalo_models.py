"""Plain records of the fake Zalo, and the errors it answers with.

Every error code the fake gives is a constant here, so a correction from the research
notes (/work/notes/zalo-rules.md) is a one-line change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# OAuth v4 (oauth.zaloapp.com): HTTP 200 with error, error_name, error_description.
# A client must treat any answer without access_token as a failed refresh, whatever the
# code: only -14020 has a source.
OAUTH_INVALID_REFRESH_TOKEN = -14020  # already used, unknown, or older than 90 days
OAUTH_INVALID_APP = -14002  # wrong app_id or secret_key: UNCONFIRMED code
OAUTH_INVALID_PARAMETER = -14003  # missing field, not a form body

# OA API v3 (openapi.zalo.me): HTTP 200 with error and message.
OA_TOKEN_INVALID = -216
OA_TOKEN_EXPIRED = -220  # "access_token is expired or removed"
OA_RATE_LIMITED = -32
OA_INVALID_PARAMETER = -201  # "<field> is invalid": missing or malformed
OA_LIMIT_EXCEEDED = -210  # "Parameter exceeds allowable limit": too long, too many
OA_OUT_OF_QUOTA = -211
OA_NOT_FOLLOWER = -213
OA_OUTSIDE_WINDOW = -230

# ZNS / template sends (business.openapi.zalo.me); /work/notes/zalo-templates.md (e).
ZNS_INVALID_PARAMETER = -100  # UNCONFIRMED for a missing tracking_id (-100 is "unknown")
ZNS_PARAMETER_INVALID = -132  # "Parameter invalid": UNCONFIRMED for /rating/get's query
ZNS_PHONE_INVALID = -108
ZNS_TEMPLATE_INVALID = -109
ZNS_TEMPLATE_DATA_EMPTY = -111
ZNS_TEMPLATE_DATA_INVALID = -112
ZNS_ACCOUNT_NOT_FOUND = -118  # UNCONFIRMED number
ZNS_TOKEN_INVALID = -124  # UNCONFIRMED number


class ZaloError(Exception):
    """An application error: answered with HTTP 200 and a negative `error`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


class OAuthError(ZaloError):
    """An OAuth v4 error: its body names the error instead of carrying a message."""

    def __init__(self, code: int, name: str, description: str) -> None:
        super().__init__(code, description)
        self.name = name

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "error_name": self.name, "error_description": self.message}


@dataclass
class ZaloUser:
    user_id: str
    phone: str | None = None
    follower: bool = True
    name: str = "Lan"
    last_interaction: float | None = None  # clock() seconds; None: never wrote to the OA


@dataclass
class Button:
    title: str
    type: str
    payload: Any  # a string for oa.query.*, {"url": ...} for oa.open.url


@dataclass
class SentMessage:
    """A consultation message the OA sent; `billed`: sent 48 h to 7 days after the
    user's last interaction (Zalo charges those)."""

    user_id: str
    text: str
    buttons: list[Button]
    message_id: str
    billed: bool
    time: float


@dataclass
class Template:
    template_id: str
    params: frozenset[str]
    rating: bool = False


@dataclass
class TemplateSend:
    """A template message sent by phone (`phone` set) or by user id (no phone and an
    empty tracking_id: the UID channel takes none)."""

    template_id: str
    template_data: dict[str, Any]
    tracking_id: str
    msg_id: str
    user_id: str
    time: float
    phone: str | None = None


@dataclass(frozen=True)
class Rating:
    """One submission of a rating template; a message may be rated more than once."""

    template_id: str
    msg_id: str
    tracking_id: str
    rate: int
    feedbacks: tuple[str, ...]
    note: str
    submit_ms: int  # Zalo's submit_time / submitDate


@dataclass
class Refresh:
    """One call of the OAuth token endpoint."""

    token: str
    succeeded: bool
    time: float
    error: int | None = None


@dataclass
class Rejection:
    """A refused API call: the path, the decoded body, and the error given."""

    path: str
    body: Any
    error: int
    message: str
    time: float


@dataclass
class Fault:
    """An injected error for the next `times` calls whose path ends with `path_suffix`."""

    path_suffix: str
    error: int
    times: int = 1
    user_id: str | None = None
    message: str = "injected by the test"
    used: int = field(default=0)
