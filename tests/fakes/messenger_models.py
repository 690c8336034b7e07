"""Plain records of the fake Messenger, and the Graph API errors it answers with.

Every error code the fake gives is a constant here, after /work/notes/messenger-rules.md (§2),
so a correction is a one-line change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

INVALID_PARAMETER = 100
NO_MATCHING_USER = 2018001  # subcode of 100: unknown PSID
UNKNOWN_OBJECT = 33  # subcode of 100: wrong page id or path
RETIRED_TAG = 1893061  # subcode of 100: a tag Meta retired on 2026-04-27
TOKEN_REQUIRED = 104
ME_TOKEN_REQUIRED = 2500  # /me/... without a token
INVALID_TOKEN = 190
OUTSIDE_WINDOW = 10
OUTSIDE_WINDOW_SUBCODE = 2018278
USER_UNAVAILABLE = 551
USER_UNAVAILABLE_SUBCODE = 1545041
APP_RATE_LIMIT = 4
PAGE_RATE_LIMIT = 32
CALL_RATE_LIMIT = 613
UNEXPECTED = 2

MESSAGES = {
    INVALID_PARAMETER: "(#100) Invalid parameter",
    TOKEN_REQUIRED: "An access token is required to request this resource.",
    ME_TOKEN_REQUIRED: (
        "An active access token must be used to query information about the current user."
    ),
    INVALID_TOKEN: "Invalid OAuth access token - Cannot parse access token",
    OUTSIDE_WINDOW: (
        "(#10) This message is sent outside of allowed window. Learn more about the new policy"
        " here: https://developers.facebook.com/docs/messenger-platform/policy-overview"
    ),
    USER_UNAVAILABLE: "(#551) This person isn't available right now.",
    APP_RATE_LIMIT: "(#4) Application request limit reached",
    PAGE_RATE_LIMIT: "(#32) Page request limit reached",
    CALL_RATE_LIMIT: "(#613) Calls to this api have exceeded the rate limit.",
    UNEXPECTED: "An unexpected error has occurred. Please retry your request later.",
}


class GraphError(Exception):
    """A Graph API error: HTTP 400 (500 for the transient code 2) and an `error` object."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        subcode: int | None = None,
        *,
        status: int | None = None,
        type_: str = "OAuthException",
    ) -> None:
        self.code = code
        self.message = message or MESSAGES.get(code, f"(#{code}) Error")
        super().__init__(f"{code}/{subcode} {self.message}")
        self.subcode = subcode
        self.status = status or (500 if code == UNEXPECTED else 400)
        self.type = type_

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:  # Meta leaves it out when there is none
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = secrets.token_urlsafe(8)
        return {"error": error}


def invalid(what: str, subcode: int | None = None) -> GraphError:
    return GraphError(INVALID_PARAMETER, f"(#100) {what}", subcode)


@dataclass
class MessengerUser:
    psid: str
    name: str = "Lan"
    blocked: bool = False
    has_thread: bool = False  # a conversation exists (Get Started only shows without one)
    window_opened: float | None = None  # last action that opens the 24 h window
    last_message: float | None = None  # last message (text or quick-reply tap): 7-day tags


@dataclass(frozen=True)
class QuickReply:
    content_type: str
    title: str
    payload: str


@dataclass(frozen=True)
class Button:
    type: str  # "postback" or "web_url"
    title: str
    payload: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class FeedbackForm:
    """The one question of a customer feedback template the bot sent."""

    question_id: str
    question_type: str  # csat, nps, ces, free_form
    follow_up: bool
    expires_in_days: int


@dataclass(frozen=True)
class OutgoingMessage:
    """What a Send API `message` holds, after validation."""

    text: str | None = None
    quick_replies: tuple[QuickReply, ...] = ()
    template_type: str | None = None  # "button" or "customer_feedback"
    buttons: tuple[Button, ...] = ()
    feedback: FeedbackForm | None = None
    metadata: str | None = None

    @property
    def looks_like_a_survey(self) -> bool:
        """Offers choices or a rating: what a tagged message may not do."""
        postbacks = any(b.type == "postback" for b in self.buttons)
        return bool(self.quick_replies) or postbacks or self.feedback is not None


@dataclass
class SentMessage:
    """A message the page sent: the validated content and the request as it came."""

    psid: str
    message_id: str
    messaging_type: str
    tag: str | None
    content: OutgoingMessage
    body: dict[str, Any]
    time: float
    quick_replies_open: bool = True  # dismissed by the next message in the thread
    feedback_submitted: bool = False

    @property
    def text(self) -> str | None:
        return self.content.text

    @property
    def quick_replies(self) -> tuple[QuickReply, ...]:
        return self.content.quick_replies

    @property
    def buttons(self) -> tuple[Button, ...]:
        return self.content.buttons

    @property
    def feedback(self) -> FeedbackForm | None:
        return self.content.feedback

    @property
    def kind(self) -> str:
        return self.content.template_type or "text"


@dataclass(frozen=True)
class SenderAction:
    psid: str
    action: str
    time: float


@dataclass
class Rejection:
    """A refused API call: the path, the decoded body, and the error given."""

    path: str
    body: Any
    code: int
    subcode: int | None
    message: str
    status: int
    time: float


@dataclass(frozen=True)
class PolicyViolation:
    """A message Meta accepted that its policy forbids (a survey under a tag)."""

    psid: str
    message_id: str
    tag: str
    reason: str
    time: float


@dataclass
class Fault:
    """An injected error for the next `times` sends (to `psid` only, if given)."""

    code: int
    subcode: int | None = None
    times: int = 1
    psid: str | None = None
    status: int | None = None
    used: int = field(default=0)


@dataclass(frozen=True)
class FeedbackSubmission:
    psid: str
    message_id: str
    question_id: str
    payload: str
    comment: str | None
    time: float
