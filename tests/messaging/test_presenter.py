from bot.flows.schema import StepKind
from bot.messaging.message import ChoiceAction, OutgoingMessage
from bot.messaging.presenter import Presenter
from bot.surveys.answers import Invalid, Problem
from bot.surveys.engine import Answer


def labels(rows):
    return [[button.label for button in row] for row in rows]


def test_nps_buttons_come_in_two_rows(simple_flow, texts):
    _, rows = Presenter(texts).question(simple_flow, simple_flow.step("nps"), "en", {})
    assert labels(rows) == [["0", "1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10"]]


def test_csat_and_ces_fit_one_row(simple_flow, texts):
    presenter = Presenter(texts)
    _, csat = presenter.question(simple_flow, simple_flow.step("csat"), "en", {})
    _, ces = presenter.question(simple_flow, simple_flow.step("ces"), "en", {})
    assert labels(csat) == [["1", "2", "3", "4", "5"]]
    assert labels(ces) == [[str(n) for n in range(1, 8)]]


def test_choice_labels_follow_the_locale(simple_flow, texts):
    _, rows = Presenter(texts).question(simple_flow, simple_flow.step("reason"), "vi", {})
    assert labels(rows) == [["Trễ"], ["Hỏng"]]
    assert rows[0][0].value == "late"


def test_optional_text_offers_skip_in_the_customers_language(simple_flow, texts):
    _, rows = Presenter(texts).question(simple_flow, simple_flow.step("comment"), "vi", {})
    assert rows == ((rows[0][0],),)
    assert rows[0][0].action == ChoiceAction.SKIP
    assert rows[0][0].label == "Bỏ qua"


def test_re_ask_puts_the_hint_first_and_can_offer_skip_and_stop(simple_flow, texts):
    text, rows = Presenter(texts).question(
        simple_flow,
        simple_flow.step("csat"),
        "en",
        {},
        problem=Invalid(Problem.OUT_OF_RANGE, 1, 5),
        offer_skip=True,
    )
    assert text.startswith("The scale only goes from 1 to 5.")
    assert text.endswith("How was it?")
    assert [b.action for b in rows[-1]] == [ChoiceAction.SKIP, ChoiceAction.STOP]


def test_answered_question_shows_the_choice_label(simple_flow, texts):
    shown = Presenter(texts).answered(
        simple_flow, "Why?", Answer("reason", StepKind.CHOICE, "late"), "en"
    )
    assert shown == "Why?\n\nYour answer: <b>Late</b>"


def test_outgoing_message_round_trips_through_its_payload(simple_flow, texts):
    text, rows = Presenter(texts).question(simple_flow, simple_flow.step("nps"), "en", {})
    message = OutgoingMessage(text, rows, survey_id=7, visit=3)
    assert OutgoingMessage.from_payload(message.to_payload()) == message
