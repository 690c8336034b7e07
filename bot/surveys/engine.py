"""The survey engine: (flow, state, input) -> (new state, actions). Pure, channel-agnostic.

Channels turn a customer's tap or message into an input, call the engine, persist the new
state and carry out the actions (ask a question, send the closing text, open a case...).
Nothing here knows about Telegram, HTTP or the database, so a session can be resumed after a
restart from its stored state alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot.errors import StaleAnswer
from bot.flows.schema import (
    ChoiceStep,
    EndStep,
    Escalation,
    Flow,
    QuestionStep,
    ScaleStep,
    StepKind,
    TextStep,
)
from bot.surveys.answers import Invalid, parse_pressed, parse_typed

# After this many unusable replies to one question we offer Skip/Stop buttons,
# and after GIVE_UP_AFTER we skip the question ourselves: never an endless re-ask.
OFFER_SKIP_AFTER = 3
GIVE_UP_AFTER = 6

AnswerValue = int | str | None


class SessionStatus(StrEnum):
    PENDING = "pending"  # created, not yet sent or opened
    ACTIVE = "active"  # a question is waiting for an answer
    COMPLETED = "completed"  # reached an end step
    STOPPED = "stopped"  # the customer stopped it (or opted out)
    EXPIRED = "expired"  # nobody answered in time
    SKIPPED = "skipped"  # never sent (cooldown, sampling, opted out...)
    FAILED = "failed"  # could not be delivered (blocked the bot, unknown chat)

    @property
    def is_open(self) -> bool:
        return self in (SessionStatus.PENDING, SessionStatus.ACTIVE)


@dataclass(frozen=True)
class Answer:
    step_id: str
    kind: StepKind
    value: AnswerValue  # int for scales, option id for choice, text for text; None if skipped

    @property
    def skipped(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class SessionState:
    """Where a survey stands. `visit` counts the questions entered so far: buttons carry
    it, so a button from an earlier question (even of the same step, in a loop) is stale."""

    step_id: str | None = None
    visit: int = 0
    answers: Mapping[str, Answer] = field(default_factory=dict)
    failures: int = 0
    status: SessionStatus = SessionStatus.PENDING


# ---- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pressed:
    """A button of question `visit` was pressed with `value` (a number or an option id)."""

    visit: int
    value: str


@dataclass(frozen=True)
class Typed:
    """The customer typed a message."""

    text: str


@dataclass(frozen=True)
class SkipStep:
    visit: int


@dataclass(frozen=True)
class StopSurvey:
    pass


@dataclass(frozen=True)
class Rated:
    """A channel's rating template was answered (Zalo's service rating, Meta's feedback
    form): `stars` answer question `visit`, a scale question of the form's `scale`; the
    first of `reasons` that names an option answers the next choice question, `note` the
    next text question. `conclude`: the customer cannot be asked anything else now, so
    the questions it does not answer are passed over unasked, to the end step (its
    escalation and reward included)."""

    visit: int
    stars: int
    reasons: tuple[str, ...] = ()
    note: str = ""
    conclude: bool = False
    scale: tuple[int, int] = (1, 5)  # what the form rated on (Meta's: the question's own)


Input = Pressed | Typed | SkipStep | StopSurvey | Rated

# ---- actions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """Show the question of `step_id`; `problem` says why it is asked again, if it is."""

    step_id: str
    problem: Invalid | None = None
    offer_skip: bool = False


@dataclass(frozen=True)
class Record:
    answer: Answer


@dataclass(frozen=True)
class Finish:
    """The survey reached end step `step_id`: send its text."""

    step_id: str


@dataclass(frozen=True)
class Escalate:
    step_id: str
    escalation: Escalation


@dataclass(frozen=True)
class Reward:
    campaign_id: str


@dataclass(frozen=True)
class Stopped:
    pass


Action = Ask | Record | Finish | Escalate | Reward | Stopped


@dataclass(frozen=True)
class Transition:
    state: SessionState
    actions: tuple[Action, ...]


def answer_scope(flow: Flow, answers: Mapping[str, Answer]) -> dict[str, Any]:
    """Names a condition or a template can read -> answer values (None when unanswered)."""
    return {
        name: (answers[step_id].value if step_id in answers else None)
        for name, step_id in flow.answer_names().items()
    }


def start(flow: Flow) -> Transition:
    """Begin a survey at the flow's first step."""
    return _enter(flow, SessionState(status=SessionStatus.ACTIVE), flow.first_step.id, ())


def handle(flow: Flow, state: SessionState, event: Input) -> Transition:
    """Apply one customer input to an active survey.

    Raises StaleAnswer when the input is for a step that is not the current one (an old
    button) or the survey is no longer active.
    """
    if state.status != SessionStatus.ACTIVE or state.step_id is None:
        raise StaleAnswer("this survey is not waiting for an answer")
    if isinstance(event, StopSurvey):
        stopped = replace(state, status=SessionStatus.STOPPED)
        return Transition(stopped, (Stopped(),))
    step = flow.step(state.step_id)
    assert not isinstance(step, EndStep), "an active session never rests on an end step"
    if isinstance(event, Pressed | SkipStep | Rated) and event.visit != state.visit:
        raise StaleAnswer(f"the answer is for question {event.visit}, now at {state.visit}")
    if isinstance(event, Rated):
        return _rated(flow, state, step, event)
    if isinstance(event, SkipStep):
        if not _may_skip(step, state):
            return Transition(state, (Ask(step.id, offer_skip=False),))
        return _accept(flow, state, step, None)
    parsed = parse_pressed(step, event.value) if isinstance(event, Pressed) else None
    if isinstance(event, Typed):
        parsed = parse_typed(step, event.text)
    if isinstance(parsed, Invalid):
        return _reject(flow, state, step, parsed)
    return _accept(flow, state, step, parsed)


def _rated(flow: Flow, state: SessionState, step: QuestionStep, event: Rated) -> Transition:
    low, high = event.scale
    if not isinstance(step, ScaleStep) or step.scale != event.scale:
        raise StaleAnswer(
            f"a rating answers a {low}-{high} question; this survey is at {step.id!r}"
        )
    stars = parse_pressed(step, str(event.stars))
    if isinstance(stars, Invalid):
        raise StaleAnswer(f"a rating of {event.stars} is not {low}-{high}")
    reasons, note = list(event.reasons), event.note.strip()
    transition = _accept(flow, state, step, stars)
    records = [a for a in transition.actions if isinstance(a, Record)]
    rest = tuple(a for a in transition.actions if not isinstance(a, Record))
    # At most once round the flow: a loop back to a question already passed is asked.
    for _ in range(len(flow.steps)):
        if not rest or not isinstance(rest[0], Ask):
            break  # at the end step: rest is its closing actions
        current = flow.step(rest[0].step_id)
        assert not isinstance(current, EndStep)
        value: AnswerValue | Invalid = None
        if isinstance(current, ChoiceStep) and reasons:
            picked = (parse_typed(current, reason) for reason in reasons)
            value = next((v for v in picked if not isinstance(v, Invalid)), None)
            reasons = []
        elif isinstance(current, TextStep) and note:
            value, note = parse_typed(current, note), ""
        if value is not None and not isinstance(value, Invalid):
            transition = _accept(flow, transition.state, current, value)
        elif event.conclude:
            transition = _pass_over(flow, transition.state, current)
        else:
            break  # asked next, in the chat
        records += [a for a in transition.actions if isinstance(a, Record)]
        rest = tuple(a for a in transition.actions if not isinstance(a, Record))
    return Transition(transition.state, (*records, *rest))


def _pass_over(flow: Flow, state: SessionState, step: QuestionStep) -> Transition:
    """Move past `step` without an answer (nothing recorded: it was never asked)."""
    target = _next_step(flow, step, state.answers)
    return _enter(flow, replace(state, failures=0), target, ())


def _may_skip(step: QuestionStep, state: SessionState) -> bool:
    return (isinstance(step, TextStep) and step.optional) or state.failures >= OFFER_SKIP_AFTER


def _reject(flow: Flow, state: SessionState, step: QuestionStep, problem: Invalid) -> Transition:
    failures = state.failures + 1
    if failures >= GIVE_UP_AFTER:
        return _accept(flow, state, step, None)
    retry = replace(state, failures=failures)
    return Transition(retry, (Ask(step.id, problem, offer_skip=failures >= OFFER_SKIP_AFTER),))


def _accept(flow: Flow, state: SessionState, step: QuestionStep, value: AnswerValue) -> Transition:
    answer = Answer(step.id, step.kind, value)
    answers = {**state.answers, step.id: answer}
    target = _next_step(flow, step, answers)
    moved = replace(state, answers=answers, failures=0)
    return _enter(flow, moved, target, (Record(answer),))


def _next_step(flow: Flow, step: QuestionStep, answers: Mapping[str, Answer]) -> str:
    """Where the flow goes after `step` with these answers: its first matching rule, else
    the step below it."""
    scope = answer_scope(flow, answers)
    target = next(
        (rule.goto for rule in step.next if rule.when is None or rule.when.evaluate(scope)),
        None,
    ) or flow.fallthrough(step.id)
    assert target is not None, "flow checks guarantee every question has a way forward"
    return target


def _enter(
    flow: Flow, state: SessionState, step_id: str, actions: tuple[Action, ...]
) -> Transition:
    step = flow.step(step_id)
    if not isinstance(step, EndStep):
        asked = replace(state, step_id=step_id, visit=state.visit + 1, failures=0)
        return Transition(asked, (*actions, Ask(step_id)))
    finished = replace(state, step_id=step_id, failures=0, status=SessionStatus.COMPLETED)
    closing: list[Action] = [Finish(step_id)]
    escalation = step.escalate
    if escalation is not None and escalation.when.evaluate(answer_scope(flow, state.answers)):
        closing.append(Escalate(step_id, escalation))
    if step.reward is not None:
        closing.append(Reward(step.reward))
    return Transition(finished, (*actions, *closing))
