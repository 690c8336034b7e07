"""The templates a survey's first question carries for channels that may not write first.

A flow names them per channel (docs/flows.md), and here they are filled in, so the channel
only has to send them:
- `zalo: {template, template_data}`: each parameter from the field it names. Zalo refuses
  an empty parameter, so a field the survey does not know (a customer without a name) is
  sent as MISSING.
- `messenger: {feedback_template: true}`: Meta's Customer Feedback Template for the first
  (scored) question, its texts in the survey's language, a free-text follow-up when a
  comment question comes right after it, the shop's privacy page, and open as long as
  Meta allows (7 days) or the survey lasts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.flows.schema import EndStep, Flow, ScaleStep, StepKind
from bot.messaging.message import Invitation

MISSING = "-"
FEEDBACK_TEMPLATE = "customer_feedback"
FEEDBACK_DAYS = (1, 7)  # Meta's expires_in_days

Phrase = Callable[[str], str]  # a phrase's name -> its text in the survey's language


def invitations_for(
    flow: Flow, context: dict[str, Any], phrase: Phrase, privacy_url: str
) -> tuple[Invitation, ...]:
    """`context`: the survey's template context (customer, order, survey)."""
    invitations: list[Invitation] = []
    if flow.zalo is not None:
        data = tuple(
            (param, _field(context, path)) for param, path in flow.zalo.template_data.items()
        )
        invitations.append(Invitation("zalo", flow.zalo.template, data))
    if flow.messenger is not None and flow.messenger.feedback_template:
        invitations.append(_feedback_template(flow, phrase, privacy_url))
    return tuple(invitations)


def _feedback_template(flow: Flow, phrase: Phrase, privacy_url: str) -> Invitation:
    first = flow.first_step
    assert isinstance(first, ScaleStep), "the flow schema checks it"
    data = [
        ("question", first.kind.value),
        ("title", phrase("feedback_title").strip()),
        ("subtitle", phrase("feedback_subtitle").strip()),
        ("button_title", phrase("feedback_button").strip()),
        ("privacy_url", privacy_url),
        ("expires_in_days", str(_days(flow))),
    ]
    if _comment_follows(flow):
        data.append(("follow_up", phrase("feedback_placeholder").strip()))
    return Invitation("messenger", FEEDBACK_TEMPLATE, tuple(data))


def _comment_follows(flow: Flow) -> bool:
    """Whether every way on from the first question goes straight to a text question: only
    then does the form's free-text follow-up answer the question the customer means."""
    first = flow.first_step
    assert not isinstance(first, EndStep)
    targets = {rule.goto for rule in first.next}
    if not any(rule.when is None for rule in first.next):  # no catch-all: the step below
        fallthrough = flow.fallthrough(first.id)
        if fallthrough is not None:
            targets.add(fallthrough)
    return bool(targets) and all(flow.step(t).kind == StepKind.TEXT for t in targets)


def _days(flow: Flow) -> int:
    """As long as the survey stays open, within Meta's 1 to 7 days."""
    expire = flow.trigger.expire if flow.trigger is not None else None
    days = expire // timedelta(days=1) if expire is not None else FEEDBACK_DAYS[1]
    return max(FEEDBACK_DAYS[0], min(FEEDBACK_DAYS[1], days))


def _field(context: dict[str, Any], path: str) -> str:
    value: Any = context
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if value is None or value == "":
        return MISSING
    return str(value)


def invited_by(flow: Flow) -> frozenset[str]:
    """The channels `flow`'s first question carries an invitation for."""
    channels: set[str] = set()
    if flow.zalo is not None:
        channels.add("zalo")
    if flow.messenger is not None and flow.messenger.feedback_template:
        channels.add("messenger")
    return frozenset(channels)
