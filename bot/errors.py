"""The exception tree, in one place.

SurveybotError                  root; every error a user can act on carries a plain message
├── ConfigError                 a setting is missing or wrong (names the setting)
├── FlowError                   a flow file is broken (file, line, what to change)
│   └── FlowLoadError           many FileProblems found while loading/checking a directory
│       └── CampaignLoadError   the same, for campaigns/*.yaml
├── ExpressionError             a `when:` expression does not parse or names an unknown answer
├── TemplateProblem             a message template is missing or fails to render
├── SurveyNotFound              a survey token or id that does not exist
├── StaleAnswer                 an answer for a step that is no longer the current one
├── StorageError                the database is unreachable or has the wrong schema
└── DeliveryError               a channel could not deliver a message
    ├── RetryLater              rate limited: try again after `retry_after` seconds
    ├── Unreachable             the person blocked the bot or the chat is gone
    ├── OutsideWindow           the channel may only answer within a window, now closed
    ├── Rejected                the channel refused this message (will not succeed as is)
    └── TransientFailure        network trouble or a server error: retry with backoff

Adapters turn these into a chat reply, an HTTP 4xx, or a CLI error line; anything else is a bug.
"""

from __future__ import annotations


class SurveybotError(Exception):
    """Root of every error surveybot raises on purpose."""


class ConfigError(SurveybotError):
    """A setting is missing or invalid."""


class FlowError(SurveybotError):
    """A flow definition is broken."""


class FlowLoadError(FlowError):
    """One or more problems were found in flow files."""

    what = "flow"

    def __init__(self, problems: list[object]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class CampaignLoadError(FlowLoadError):
    """One or more problems were found in campaign files (or in the flows' rewards)."""

    what = "campaign"


class ExpressionError(SurveybotError):
    """A condition expression is not valid."""

    def __init__(self, message: str, column: int | None = None) -> None:
        self.column = column
        super().__init__(message)


class TemplateProblem(SurveybotError):
    """A message template is missing or cannot be rendered."""


class SurveyNotFound(SurveybotError):
    """No survey matches the given token or id."""


class StaleAnswer(SurveybotError):
    """The answer belongs to a step that is no longer current (an old button)."""


class StorageError(SurveybotError):
    """The database cannot be used as configured."""


class DeliveryError(SurveybotError):
    """A channel could not deliver a message."""


class RetryLater(DeliveryError):
    """Not now: this address (or, `whole_channel`, every address on the channel: an app's
    call limit, a quota) may be sent to again after `retry_after` seconds."""

    def __init__(
        self, retry_after: float, message: str = "rate limited", *, whole_channel: bool = False
    ) -> None:
        self.retry_after = retry_after
        self.whole_channel = whole_channel
        super().__init__(f"{message}; retry after {retry_after:g}s")


class Unreachable(DeliveryError):
    """The recipient cannot be reached any more (blocked the bot, chat deleted)."""


class OutsideWindow(DeliveryError):
    """The channel may write to this address only within a window after the customer's
    last message, and it is closed (Messenger's 24 hours): try the next contact."""


class Rejected(DeliveryError):
    """The channel refused the message itself (retrying the same message will not help)."""


class TransientFailure(DeliveryError):
    """A network error or a server error: worth retrying later."""
