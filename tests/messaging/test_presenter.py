from bot.flows.schema import StepKind
from bot.messaging.message import ChoiceAction, OutgoingMessage
from bot.messaging.presenter import Presenter
from bot.surveys.answers import Invalid, Problem
from bot.surveys.engine import Answer
from tests.messaging.tight_channel import TIGHT


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


def test_narrowing_a_band_offers_the_exact_scores_within_it(simple_flow, texts):
    text, rows = Presenter(texts).narrowing(simple_flow, simple_flow.step("nps"), "en", 7, 8)
    assert text == "Which score exactly, from 7 to 8?"
    assert [(b.label, b.action, b.value) for b in rows[0]] == [
        ("7", ChoiceAction.ANSWER, "7"),
        ("8", ChoiceAction.ANSWER, "8"),
    ]


def test_narrowing_a_band_outside_the_scale_offers_nothing(simple_flow, texts):
    presenter = Presenter(texts)
    assert presenter.narrowing(simple_flow, simple_flow.step("csat"), "en", 7, 9) is None
    assert presenter.narrowing(simple_flow, simple_flow.step("reason"), "en", 1, 2) is None


def test_a_band_wider_than_the_channel_allows_is_banded_again(simple_flow, texts):
    presenter = Presenter(texts)
    text, rows = presenter.narrowing(simple_flow, simple_flow.step("nps"), "vi", 0, 6)
    (fitted,) = presenter.fit(OutgoingMessage(text, rows, 7, 3), TIGHT, "vi")
    assert labels(fitted.choices) == [["0–2", "3–4", "5–6"]]
    assert fitted.text.startswith("Chính xác là mấy điểm, từ 0 đến 6")
