"""A case for a customer who stops part-way (`escalate.idle`): the rule, in plain Python.

An end step's `escalate` opens its case as the survey ends, but a customer who stops after
an unhappy answer never gets there. So `idle` after their last answer, the case opens
anyway when an end step's condition already holds on what they answered.

"Already holds" is three-valued (Condition.decide). A question the survey can still come
to from where it waits, and that has no answer yet, is unknown: `csat <= 2 or nps <= 6`
holds with CSAT 1 and NPS still to come, `csat <= 2 and nps <= 6` does not yet. A question
it can no longer come to (a branch not taken) stays unanswered for good, so it is null, as
the end step would read it. Only end steps the survey can still come to count.

The runner arms a timer for `due_at` after each answer and asks `escalation_due` when it
fires; nothing here knows about timers or storage.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.flows.schema import EndStep, Flow
from bot.surveys.engine import Escalate, SessionState, SessionStatus, answer_scope


def watched(flow: Flow) -> bool:
    """Whether any end step of the flow escalates a customer who stops part-way."""
    return any(
        isinstance(step, EndStep) and step.escalate is not None and step.escalate.idle is not None
        for step in flow.steps
    )


def holding(flow: Flow, state: SessionState) -> list[Escalate]:
    """The escalations with an `idle`, of end steps the survey can still come to, whose
    condition holds whatever the answers still to come (in the flow's order)."""
    if state.status != SessionStatus.ACTIVE or state.step_id is None:
        return []
    ahead = flow.reachable_from(state.step_id)
    unknown = {
        name
        for name, step_id in flow.answer_names().items()
        if step_id in ahead and step_id not in state.answers
    }
    scope = answer_scope(flow, state.answers)
    return [
        Escalate(step.id, step.escalate)
        for step in flow.steps
        if isinstance(step, EndStep)
        and step.id in ahead
        and step.escalate is not None
        and step.escalate.idle is not None
        and step.escalate.when.decide(scope, unknown) is True
    ]


def due_at(flow: Flow, state: SessionState, last_answer_at: datetime) -> datetime | None:
    """When the case opens if the customer answers nothing after `last_answer_at`; None
    when no escalation holds yet."""
    idles = [_idle(action) for action in holding(flow, state)]
    return last_answer_at + min(idles) if idles else None


def escalation_due(
    flow: Flow, state: SessionState, last_answer_at: datetime, now: datetime
) -> Escalate | None:
    """The escalation to carry out now for a survey last answered at `last_answer_at`:
    of those that hold, the one whose `idle` has passed (the shortest, then the first)."""
    passed = [a for a in holding(flow, state) if last_answer_at + _idle(a) <= now]
    return min(passed, key=_idle) if passed else None


def _idle(action: Escalate) -> timedelta:
    assert action.escalation.idle is not None, "holding() keeps escalations with an idle"
    return action.escalation.idle
