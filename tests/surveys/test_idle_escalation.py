"""The rule for a customer who stops part-way (bot.surveys.idle_escalation), on the engine's
own states: which escalations already hold, and when their case is due."""

from datetime import UTC, datetime, timedelta

from bot.surveys import engine
from bot.surveys.engine import Pressed
from bot.surveys.idle_escalation import due_at, escalation_due, holding, watched
from tests.flow_samples import flow_from_yaml

ANSWERED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
IDLE = timedelta(minutes=15)  # the default


def answered(flow, *values):
    """The state after pressing `values`, one per question, from the start."""
    transition = engine.start(flow)
    for value in values:
        transition = engine.handle(flow, transition.state, Pressed(transition.state.visit, value))
    return transition.state


def test_an_or_rule_settled_by_the_first_answer_holds(simple_flow):
    state = answered(simple_flow, "1")  # CSAT 1; NPS still to come
    assert [action.step_id for action in holding(simple_flow, state)] == ["bye"]
    assert due_at(simple_flow, state, ANSWERED) == ANSWERED + IDLE


def test_an_or_rule_the_answers_to_come_decide_does_not_hold_yet(simple_flow):
    state = answered(simple_flow, "4")
    assert holding(simple_flow, state) == []
    assert due_at(simple_flow, state, ANSWERED) is None
    assert holding(simple_flow, answered(simple_flow, "4", "3")) != []  # NPS 3 decides it


AND_FLOW = """
    id: f
    name: F
    locales: [en]
    steps:
      - {id: csat, kind: csat, text: "How was it?"}
      - {id: nps, kind: nps, text: "Recommend us?"}
      - id: bye
        kind: end
        text: Thanks!
        escalate: {when: "csat <= 2 and nps <= 6"}
"""


def test_an_and_rule_with_an_answer_to_come_does_not_hold_yet():
    flow = flow_from_yaml(AND_FLOW)
    assert holding(flow, answered(flow, "1")) == []
    assert holding(flow, answered(flow, "4")) == []


def test_the_case_is_due_only_once_idle_has_passed_since_the_last_answer(simple_flow):
    state = answered(simple_flow, "1")
    almost = ANSWERED + IDLE - timedelta(seconds=1)
    assert escalation_due(simple_flow, state, ANSWERED, almost) is None
    action = escalation_due(simple_flow, state, ANSWERED, ANSWERED + IDLE)
    assert action is not None and action.step_id == "bye"
    assert action.escalation.sla == timedelta(hours=2)


def test_a_completed_survey_has_nothing_left_to_escalate(simple_flow):
    state = answered(simple_flow, "1", "late", "3", "2")
    state = engine.handle(simple_flow, state, engine.SkipStep(state.visit)).state
    assert state.status == engine.SessionStatus.COMPLETED
    assert holding(simple_flow, state) == []


BRANCHES = """
    id: f
    name: F
    locales: [en]
    steps:
      - id: csat
        kind: csat
        text: "How was it?"
        next:
          - {when: csat <= 2, goto: reason}
          - {goto: nps}
      - id: reason
        kind: choice
        text: "Why?"
        options: [{id: late, label: Late}, {id: rude, label: Rude}]
        next: [{goto: sorry}]
      - {id: nps, kind: nps, text: "Recommend us?"}
      - id: thanks
        kind: end
        text: Thanks!
        escalate: {when: "csat <= 3 and not reason", idle: 1h}
      - id: sorry
        kind: end
        text: Sorry!
        escalate: {when: "csat <= 5"}
"""


def test_a_question_the_survey_can_no_longer_reach_is_unanswered_for_good():
    flow = flow_from_yaml(BRANCHES)
    # CSAT 3 went past `reason`: it will never be answered, so `not reason` holds.
    state = answered(flow, "3")
    assert [action.step_id for action in holding(flow, state)] == ["thanks"]
    assert due_at(flow, state, ANSWERED) == ANSWERED + timedelta(hours=1)


def test_only_end_steps_the_survey_can_still_reach_count():
    flow = flow_from_yaml(BRANCHES)
    # At `reason`: `sorry` is ahead (and holds); `thanks` is not (and `reason` is unknown).
    assert [action.step_id for action in holding(flow, answered(flow, "1"))] == ["sorry"]
    # At `nps`: `sorry`'s condition holds, but the survey can no longer end there.
    assert holding(flow, answered(flow, "4")) == []


def test_a_flow_whose_escalations_all_say_idle_null_is_not_watched(simple_flow):
    assert watched(simple_flow)
    assert not watched(flow_from_yaml(AND_FLOW.replace('nps <= 6"}', 'nps <= 6", idle: null}')))
