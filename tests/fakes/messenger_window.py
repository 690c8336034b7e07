"""Whether a page may message a person now: the 24-hour window and the message tags.

After /work/notes/messenger-rules.md §3. RESPONSE and UPDATE need the 24-hour standard window,
opened by the person's last window-opening action. Outside it only two tags remain (Meta
retired the other three on 2026-04-27): CUSTOMER_FEEDBACK, for the customer feedback template
only, and HUMAN_AGENT, for an approved app; both within 7 days of the person's last message
(strict: a text or a quick-reply tap, not a postback or a referral). A tagged message that
looks like a survey is accepted where Meta accepts it but reported as a policy violation.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakes.messenger_models import (
    OUTSIDE_WINDOW,
    OUTSIDE_WINDOW_SUBCODE,
    RETIRED_TAG,
    GraphError,
    MessengerUser,
    OutgoingMessage,
    invalid,
)

HOUR = 3600
DAY = 24 * HOUR
STANDARD_WINDOW = DAY
TAG_WINDOW = 7 * DAY
RETIRED_TAGS = ("CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE")


@dataclass(frozen=True)
class WindowPolicy:
    human_agent: bool = False  # the app has the Human Agent permission
    legacy_tags: bool = False  # accept the retired tags, as Meta did before 2026-04-27

    def check(
        self,
        user: MessengerUser,
        messaging_type: str | None,
        tag: str | None,
        message: OutgoingMessage | None,
        now: float,
    ) -> str | None:
        """Raise GraphError if Meta refuses the send; return a policy violation (the reason)
        if Meta takes it but its policy forbids it, else None."""
        if messaging_type != "MESSAGE_TAG":  # RESPONSE, UPDATE, or a sender action
            if not _within(user.window_opened, now, STANDARD_WINDOW):
                raise _outside_window()
            return None
        assert tag is not None and message is not None  # send_request guarantees both
        if tag in RETIRED_TAGS:
            if not self.legacy_tags:
                raise invalid(f"Invalid parameter: the {tag} tag was retired", RETIRED_TAG)
        elif tag == "CUSTOMER_FEEDBACK":
            if message.feedback is None:
                raise invalid(
                    "The CUSTOMER_FEEDBACK tag is only for the customer feedback template"
                )
            self._within_tag_window(user, now)
        elif tag == "HUMAN_AGENT":
            if not self.human_agent:
                raise GraphError(
                    OUTSIDE_WINDOW,
                    "(#10) This app does not have the Human Agent permission",
                    OUTSIDE_WINDOW_SUBCODE,
                )
            self._within_tag_window(user, now)
        return _survey_under_tag(tag, message)

    def _within_tag_window(self, user: MessengerUser, now: float) -> None:
        if not _within(user.last_message, now, TAG_WINDOW):
            raise _outside_window()


def _survey_under_tag(tag: str, message: OutgoingMessage) -> str | None:
    if tag == "CUSTOMER_FEEDBACK" and not message.quick_replies:
        return None  # the template is what this tag is for
    if message.feedback is not None:
        return f"a customer feedback template under {tag} (only CUSTOMER_FEEDBACK may carry it)"
    if message.looks_like_a_survey:
        return f"a survey-like message (quick replies or postback buttons) under {tag}"
    return None


def _within(since: float | None, now: float, window: float) -> bool:
    return since is not None and now - since <= window


def _outside_window() -> GraphError:
    return GraphError(OUTSIDE_WINDOW, subcode=OUTSIDE_WINDOW_SUBCODE)
