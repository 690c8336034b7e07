import pytest

from bot.errors import StaleAnswer
from bot.surveys import engine
from bot.surveys.answers import Problem
from bot.surveys.engine import (
    GIVE_UP_AFTER,
    OFFER_SKIP_AFTER,
    Ask,
    Escalate,
    Finish,
    Pressed,
    Rated,
    Record,
    Reward,
    SessionStatus,
    SkipStep,
    Stopped,
    StopSurvey,
    Typed,
)


def answer_all(flow, *inputs):
    transition = engine.start(flow)
    for make in inputs:
        transition = engine.handle(flow, transition.state, make(transition.state))
    return transition


def press(value):
    return lambda state: Pressed(state.visit, value)


def type_(text):
    return lambda state: Typed(text)


def test_start_asks_the_first_question(simple_flow):
    transition = engine.start(simple_flow)
    assert transition.actions == (Ask("csat"),)
    assert transition.state.status == SessionStatus.ACTIVE
    assert transition.state.visit == 1


def test_promoter_path_skips_the_why_question(simple_flow):
    t = answer_all(simple_flow, press("5"))
    assert t.actions[-1] == Ask("nps")


def test_low_score_branches_to_why(simple_flow):
    t = answer_all(simple_flow, press("2"))
    assert t.actions == (Record(engine.Answer("csat", "csat", 2)), Ask("reason"))


@pytest.mark.parametrize(
    ("step_inputs", "step", "expected"),
    [
        ([], "csat", 1),
        ([press("5")], "nps", 0),
        ([press("5"), press("10")], "ces", 7),
    ],
)
def test_every_scale_accepts_its_whole_range(simple_flow, step_inputs, step, expected):
    t = answer_all(simple_flow, *step_inputs, press(str(expected)))
    recorded = [a for a in t.actions if isinstance(a, Record)]
    assert recorded[0].answer.step_id == step
    assert recorded[0].answer.value == expected


@pytest.mark.parametrize(
    ("before", "step", "low", "high"),
    [([], "csat", 1, 5), ([press("5")], "nps", 0, 10), ([press("5"), press("9")], "ces", 1, 7)],
)
def test_each_scale_accepts_exactly_its_range(simple_flow, before, step, low, high):
    for value in (low, high):
        t = answer_all(simple_flow, *before, type_(str(value)))
        assert t.state.answers[step].value == value
    for value in (low - 1, high + 1):
        t = answer_all(simple_flow, *before, type_(str(value)))
        assert step not in t.state.answers
        assert t.actions[0].problem == engine.Invalid(Problem.OUT_OF_RANGE, low, high)


@pytest.mark.parametrize(
    ("value", "problem"),
    [("6", Problem.OUT_OF_RANGE), ("0", Problem.OUT_OF_RANGE), ("great", Problem.NOT_A_NUMBER)],
)
def test_out_of_range_csat_gets_a_hint_and_the_same_question(simple_flow, value, problem):
    t = answer_all(simple_flow, type_(value))
    (ask,) = t.actions
    assert ask.step_id == "csat"
    assert ask.problem.problem == problem
    assert (ask.problem.low, ask.problem.high) == (1, 5)
    assert t.state.failures == 1


def test_typed_numbers_in_common_forms_are_understood(simple_flow):
    for text in ("4", " 4 ", "4/5", "４", "4."):
        t = answer_all(simple_flow, type_(text))
        assert t.state.answers["csat"].value == 4, text


def test_choice_accepts_button_label_number_or_id(simple_flow):
    for text in ("Late", "trễ", "1", "late"):
        t = answer_all(simple_flow, press("1"), type_(text))
        assert t.state.answers["reason"].value == "late", text


def test_unknown_option_is_rejected(simple_flow):
    t = answer_all(simple_flow, press("1"), press("teleported"))
    assert t.actions[0].problem.problem == Problem.UNKNOWN_OPTION


def test_text_step_takes_text_and_can_be_skipped_when_optional(simple_flow):
    base = [press("5"), press("9"), press("6")]
    typed = answer_all(simple_flow, *base, type_("  Fast delivery  "))
    assert typed.state.answers["comment"].value == "Fast delivery"
    skipped = answer_all(simple_flow, *base, lambda s: SkipStep(s.visit))
    assert skipped.state.answers["comment"].skipped


def test_text_over_the_limit_is_asked_again(simple_flow):
    t = answer_all(simple_flow, press("5"), press("9"), press("6"), type_("x" * 51))
    assert t.actions[0].problem.problem == Problem.TOO_LONG
    assert t.actions[0].problem.limit == 50


def test_end_finishes_escalates_and_rewards(simple_flow):
    t = answer_all(simple_flow, press("5"), press("3"), press("6"), type_("meh"))
    assert t.state.status == SessionStatus.COMPLETED
    kinds = [type(a) for a in t.actions]
    assert kinds == [Record, Finish, Escalate, Reward]
    assert t.actions[2].escalation.sla.total_seconds() == 7200
    assert t.actions[3].campaign_id == "thank_you"


def test_promoter_is_not_escalated(simple_flow):
    t = answer_all(simple_flow, press("5"), press("10"), press("7"), type_("great"))
    assert not any(isinstance(a, Escalate) for a in t.actions)


def test_old_button_is_stale(simple_flow):
    first = engine.start(simple_flow)
    after = engine.handle(simple_flow, first.state, Pressed(first.state.visit, "5"))
    with pytest.raises(StaleAnswer):
        engine.handle(simple_flow, after.state, Pressed(first.state.visit, "4"))


def test_finished_survey_accepts_nothing(simple_flow):
    t = answer_all(simple_flow, press("5"), press("10"), press("7"), type_("great"))
    with pytest.raises(StaleAnswer):
        engine.handle(simple_flow, t.state, Typed("again"))


def test_skip_is_refused_on_a_required_question_until_offered(simple_flow):
    t = answer_all(simple_flow, lambda s: SkipStep(s.visit))
    assert t.actions == (Ask("csat"),)
    assert "csat" not in t.state.answers


def test_after_a_few_failures_skip_and_stop_are_offered(simple_flow):
    t = answer_all(simple_flow, *[type_("?")] * OFFER_SKIP_AFTER)
    assert t.actions[0].offer_skip
    skipped = engine.handle(simple_flow, t.state, SkipStep(t.state.visit))
    assert skipped.state.answers["csat"].skipped
    assert skipped.actions[-1] == Ask("nps")


def test_never_an_endless_re_ask(simple_flow):
    t = answer_all(simple_flow, *[type_("?")] * GIVE_UP_AFTER)
    assert t.state.answers["csat"].skipped
    assert t.actions[-1] == Ask("nps")


def test_stop_ends_the_survey(simple_flow):
    t = answer_all(simple_flow, lambda s: StopSurvey())
    assert t.actions == (Stopped(),)
    assert t.state.status == SessionStatus.STOPPED


def test_answer_scope_exposes_kind_aliases(simple_flow):
    t = answer_all(simple_flow, press("2"), type_("late"))
    scope = engine.answer_scope(simple_flow, t.state.answers)
    assert scope["choice"] == "late"
    assert scope["reason"] == "late"
    assert scope["nps"] is None


# ---- a rating template (Zalo's service rating) -------------------------------------------


def test_a_rating_answers_the_csat_reason_and_comment_and_ends_when_told_to(simple_flow):
    start = engine.start(simple_flow)
    rated = engine.handle(
        simple_flow, start.state, Rated(1, 2, ("Không rõ", "Trễ"), "  Hộp móp ", conclude=True)
    )
    assert rated.actions == (
        Record(engine.Answer("csat", "csat", 2)),
        Record(engine.Answer("reason", "choice", "late")),  # the first reason that is one
        Record(engine.Answer("comment", "text", "Hộp móp")),  # NPS and CES passed over, unasked
        Finish("bye"),
        Escalate("bye", simple_flow.step("bye").escalate),
        Reward("thank_you"),
    )
    assert rated.state.status == SessionStatus.COMPLETED
    assert set(rated.state.answers) == {"csat", "reason", "comment"}


def test_a_rating_goes_on_in_the_chat_when_the_customer_can_be_asked(simple_flow):
    start = engine.start(simple_flow)
    rated = engine.handle(simple_flow, start.state, Rated(1, 2, ("Damaged",), "note"))
    assert rated.actions == (
        Record(engine.Answer("csat", "csat", 2)),
        Record(engine.Answer("reason", "choice", "damaged")),
        Ask("nps"),  # the note waits: the comment question comes later
    )
    assert rated.state.status == SessionStatus.ACTIVE


def test_a_good_rating_without_reasons_passes_the_rest_when_concluding(simple_flow):
    start = engine.start(simple_flow)
    rated = engine.handle(simple_flow, start.state, Rated(1, 5, conclude=True))
    assert rated.actions == (
        Record(engine.Answer("csat", "csat", 5)),
        Finish("bye"),
        Reward("thank_you"),  # nps unknown, csat 5: no case
    )


def test_a_reason_that_names_no_option_is_not_an_answer(simple_flow):
    start = engine.start(simple_flow)
    rated = engine.handle(simple_flow, start.state, Rated(1, 1, ("Nothing like it",)))
    assert rated.actions == (Record(engine.Answer("csat", "csat", 1)), Ask("reason"))


def test_a_rating_answers_only_a_1_to_5_question_of_its_own_visit(simple_flow):
    at_nps = answer_all(simple_flow, press("5"))
    with pytest.raises(StaleAnswer, match="1-5 question"):
        engine.handle(simple_flow, at_nps.state, Rated(at_nps.state.visit, 4))
    start = engine.start(simple_flow)
    with pytest.raises(StaleAnswer):
        engine.handle(simple_flow, start.state, Rated(2, 4))
    with pytest.raises(StaleAnswer, match="not 1-5"):
        engine.handle(simple_flow, start.state, Rated(1, 6))
