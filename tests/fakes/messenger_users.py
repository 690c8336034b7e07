"""What a person can do in the fake Messenger, and the `messaging` event each action makes.

A person can only do what Messenger's screen lets them: tap a quick reply still shown (the
newest message's, once), a postback button the page sent or Get Started, follow an m.me link
(Get Started in a new thread, a referral in an existing one), submit a feedback form before
it expires, once. Anything else is an AssertionError: a mistake in the test, not a case for
the bot. Actions that open the 24-hour window (a message, a tap, a postback, a link) record
it; a feedback submit does not (not in Meta's list: strict).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.fakes.messenger_api import MessengerApi
from tests.fakes.messenger_events import EventFactory, shortlink
from tests.fakes.messenger_feedback import answer_payload, check_comment
from tests.fakes.messenger_models import FeedbackSubmission, MessengerUser, SentMessage
from tests.fakes.messenger_window import DAY

REF_RE = re.compile(r"[A-Za-z0-9_=-]+")  # what survives in an m.me ref


class UserActions:
    def __init__(
        self,
        api: MessengerApi,
        events: EventFactory,
        clock: Callable[[], float],
        get_started_payload: str,
    ) -> None:
        self._api = api
        self._events = events
        self._clock = clock
        self.get_started_payload = get_started_payload
        self.submissions: list[FeedbackSubmission] = []

    def user(self, psid: str) -> MessengerUser:
        user = self._api.users.get(str(psid))
        if user is None:
            raise AssertionError(f"user {psid} is unknown to the fake (add_user first)")
        return user

    def sends(self, psid: str, text: str) -> dict[str, Any]:
        user = self.user(psid)
        user.blocked = False  # writing to the page again lifts a block
        self._opened(user, message=True)
        return self._events.text(psid, text, self._ms())

    def taps(self, psid: str, message_id: str, title: str) -> dict[str, Any]:
        sent = self._sent(psid, message_id)
        reply = next((q for q in sent.quick_replies if q.title == title), None)
        if reply is None or reply.content_type != "text":
            titles = [q.title for q in sent.quick_replies]
            raise AssertionError(f"message {message_id} has no quick reply {title!r}: {titles}")
        if not sent.quick_replies_open:
            raise AssertionError(f"the quick replies of {message_id} are gone (a later message)")
        self._opened(self.user(psid), message=True)
        return self._events.quick_reply(psid, title, reply.payload, self._ms())

    def postback(
        self, psid: str, payload: str, title: str, message_id: str | None
    ) -> dict[str, Any]:
        candidates = [self._sent(psid, message_id)] if message_id else self._api.sent.get(psid, [])
        pressed = any(
            b.type == "postback" and (b.title, b.payload) == (title, payload)
            for m in candidates
            for b in m.buttons
        )
        if not pressed and payload != self.get_started_payload:
            raise AssertionError(f"{psid} was sent no postback button {title!r} -> {payload!r}")
        self._opened(self.user(psid), message=False)
        return self._events.postback(psid, title, payload, self._ms())

    def opens_link(self, psid: str, ref: str, new_thread: bool) -> dict[str, Any]:
        if REF_RE.fullmatch(ref) is None:
            raise AssertionError(f"m.me ref {ref!r}: only letters, digits, -, _ and = arrive")
        user = self.user(psid)
        if user.has_thread == new_thread:
            state = "already has" if user.has_thread else "has no"
            raise AssertionError(f"{psid} {state} a thread with the page (new_thread={new_thread})")
        self._opened(user, message=False)
        if not new_thread:
            return self._events.referral(psid, ref, self._ms())
        return self._events.postback(
            psid, "Get Started", self.get_started_payload, self._ms(), shortlink(ref)
        )

    def submits_feedback(
        self, psid: str, message_id: str, score: int | str, comment: str | None
    ) -> dict[str, Any]:
        sent = self._sent(psid, message_id)
        form = sent.feedback
        if form is None:
            raise AssertionError(f"message {message_id} is not a customer feedback template")
        if sent.feedback_submitted:
            raise AssertionError(f"the feedback form {message_id} was already submitted")
        if self._clock() - sent.time > form.expires_in_days * DAY:
            raise AssertionError(f"the feedback form {message_id} expired")
        payload = answer_payload(form, score)
        check_comment(form, comment)
        sent.feedback_submitted = True
        self.submissions.append(
            FeedbackSubmission(psid, message_id, form.question_id, payload, comment, self._clock())
        )
        return self._events.feedback(psid, form.question_id, form.question_type, payload, comment)

    def reads(self, psid: str) -> dict[str, Any]:
        self.user(psid)
        return self._events.read(psid, self._ms())

    def _sent(self, psid: str, message_id: str) -> SentMessage:
        sent = next((m for m in self._api.sent.get(psid, []) if m.message_id == message_id), None)
        if sent is None:
            raise AssertionError(f"the page sent {psid} no message {message_id}")
        return sent

    def _opened(self, user: MessengerUser, *, message: bool) -> None:
        """A window-opening action now; the person's reply also hides the quick replies."""
        now = self._clock()
        user.window_opened = now
        if message:
            user.last_message = now
        user.has_thread = True
        self._api.dismiss_quick_replies(user.psid)

    def _ms(self) -> int:
        return int(self._clock() * 1000)
