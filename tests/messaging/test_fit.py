"""Fitting a message to a channel: bands, numbered options, shortened labels, split and plain
texts, against a tight in-test channel and against Telegram (where nothing changes)."""

import pytest

from bot.channels.telegram.capabilities import TELEGRAM
from bot.channels.web.capabilities import WEB_CHAT
from bot.flows.catalog import load_catalog
from bot.flows.sample_data import sample_answers, sample_context
from bot.flows.schema import EndStep
from bot.messaging.capabilities import Markup
from bot.messaging.fit import band_choice, parse_band, score_bands, split_text
from bot.messaging.message import Choice, ChoiceAction, Link, OutgoingMessage, Photo
from bot.messaging.presenter import Presenter
from bot.messaging.rich_text import html_problems, text_length, visible_length
from bot.surveys.answers import Invalid, Problem, parse_typed
from bot.surveys.engine import answer_scope
from tests.harness import ROOT
from tests.messaging.tight_channel import TIGHT, tight


@pytest.fixture
def presenter(texts):
    return Presenter(texts)


def ask(presenter, flow, step_id, locale="en", **options):
    text, rows = presenter.question(flow, flow.step(step_id), locale, {}, **options)
    return OutgoingMessage(text, rows, survey_id=7, visit=3)


def labels(message):
    return [[choice.label for choice in row] for row in message.choices]


def actions(message):
    return [choice.action for row in message.choices for choice in row]


def shipped_questions(texts):
    """Every question of the shipped flows in every locale, as first asked and re-asked."""
    presenter = Presenter(texts)
    for flow in load_catalog(ROOT / "flows", texts).flows.values():
        for locale in flow.locales:
            context = sample_context(locale)
            context["answers"] = answer_scope(flow, sample_answers(flow))
            for step in flow.steps:
                if isinstance(step, EndStep):
                    continue
                for options in ({}, {"problem": Invalid(Problem.EMPTY), "offer_skip": True}):
                    text, rows = presenter.question(flow, step, locale, context, **options)
                    yield locale, OutgoingMessage(text, rows, survey_id=1, visit=1)


# ---- scales ------------------------------------------------------------------------------


def test_nps_on_three_buttons_shows_its_three_categories(presenter, simple_flow):
    (fitted,) = presenter.fit(ask(presenter, simple_flow, "nps"), TIGHT, "en")
    assert labels(fitted) == [["0–6", "7–8", "9–10"]]
    assert [c.value for row in fitted.choices for c in row] == ["0-6", "7-8", "9-10"]
    assert set(actions(fitted)) == {ChoiceAction.NARROW}


def test_nps_bands_say_a_typed_number_is_accepted(presenter, simple_flow):
    (fitted,) = presenter.fit(ask(presenter, simple_flow, "nps"), TIGHT, "en")
    assert fitted.text.startswith("Recommend?")
    assert fitted.text.endswith("or simply type a number from 0 to 10.")
    (vi,) = presenter.fit(ask(presenter, simple_flow, "nps", "vi"), TIGHT, "vi")
    assert vi.text.endswith("gõ luôn một số từ 0 đến 10 nhé.")


def test_nps_on_four_buttons_splits_the_detractors(presenter, simple_flow):
    (fitted,) = presenter.fit(
        ask(presenter, simple_flow, "nps"), tight(max_choices_per_message=4), "en"
    )
    assert labels(fitted) == [["0–3", "4–6", "7–8"], ["9–10"]]


def test_nps_on_two_buttons_keeps_each_category_whole():
    assert score_bands(0, 10, 2) == [(0, 6), (7, 10)]


def test_nps_bands_never_cross_a_category_while_there_is_room():
    for slots in range(3, 11):
        for low, high in score_bands(0, 10, slots):
            assert not (low <= 6 < high) and not (low <= 8 < high), (slots, low, high)


def test_csat_and_ces_are_split_evenly(presenter, simple_flow):
    (csat,) = presenter.fit(ask(presenter, simple_flow, "csat"), TIGHT, "en")
    (ces,) = presenter.fit(ask(presenter, simple_flow, "ces"), TIGHT, "en")
    assert labels(csat) == [["1–2", "3–4", "5"]]
    assert actions(csat) == [ChoiceAction.NARROW, ChoiceAction.NARROW, ChoiceAction.ANSWER]
    assert labels(ces) == [["1–3", "4–5", "6–7"]]


def test_skip_and_stop_count_against_the_limit(presenter, simple_flow):
    message = ask(
        presenter, simple_flow, "nps", problem=Invalid(Problem.NOT_A_NUMBER, 0, 10), offer_skip=True
    )
    (fitted,) = presenter.fit(message, tight(max_choices_per_message=4), "en")
    assert labels(fitted) == [["0–6", "7–10"], ["Skip", "Stop survey"]]


def test_without_room_for_two_bands_the_customer_types_the_number(presenter, simple_flow):
    message = ask(presenter, simple_flow, "csat", problem=Invalid(Problem.EMPTY), offer_skip=True)
    (fitted,) = presenter.fit(message, TIGHT, "en")
    assert actions(fitted) == [ChoiceAction.SKIP, ChoiceAction.STOP]
    assert fitted.text.endswith("Please type a number from 1 to 5.")


def test_a_scale_that_fits_is_only_reflowed_into_narrower_rows(presenter, simple_flow):
    channel = tight(max_choices_per_message=11)
    (fitted,) = presenter.fit(ask(presenter, simple_flow, "nps"), channel, "en")
    assert labels(fitted) == [["0", "1", "2"], ["3", "4", "5"], ["6", "7", "8"], ["9", "10"]]
    assert fitted.text == "Recommend?"


def test_a_band_value_names_its_range():
    assert band_choice(7, 8) == Choice("7–8", ChoiceAction.NARROW, "7-8")
    assert band_choice(10, 10) == Choice("10", ChoiceAction.ANSWER, "10")
    assert parse_band("7-8") == (7, 8)
    assert [parse_band(v) for v in ("8-7", "7", "7-8-9", "-1-3", "a-b", "7 - 8")] == [None] * 6


def test_fitting_a_fitted_message_changes_nothing(presenter, simple_flow):
    (once,) = presenter.fit(ask(presenter, simple_flow, "nps"), TIGHT, "en")
    assert presenter.fit(once, TIGHT, "en") == (once,)


# ---- options -----------------------------------------------------------------------------


def test_too_many_options_are_listed_numbered_to_type(presenter, texts):
    flow = load_catalog(ROOT / "flows", texts).get("post_purchase")
    (fitted,) = presenter.fit(ask(presenter, flow, "why"), TIGHT, "en")
    assert fitted.choices == ()
    assert "\n1. Late delivery\n2. Arrived damaged\n" in fitted.text
    assert "6. Something else" in fitted.text
    assert fitted.text.endswith("Please type the number of your answer (1 to 6).")
    assert parse_typed(flow.step("why"), "2") == "damaged"  # and typing it answers


def test_listed_options_are_escaped_in_html(presenter, simple_flow):
    message = OutgoingMessage(
        "Pick",
        tuple((Choice(f"A & {n}", ChoiceAction.ANSWER, f"o{n}"),) for n in range(4)),
    )
    (fitted,) = presenter.fit(message, tight(markup=Markup.TELEGRAM_HTML), "en")
    assert "1. A &amp; 0" in fitted.text and html_problems(fitted.text) == []


def test_options_that_fit_keep_their_buttons(presenter, simple_flow):
    message = ask(presenter, simple_flow, "reason")
    assert presenter.fit(message, TIGHT, "en") == (message,)


def test_an_optional_text_question_keeps_its_skip(presenter, simple_flow):
    (fitted,) = presenter.fit(ask(presenter, simple_flow, "comment"), TIGHT, "en")
    assert actions(fitted) == [ChoiceAction.SKIP]


def test_long_labels_are_shortened_with_an_ellipsis(presenter):
    message = OutgoingMessage(
        "Pick", ((Choice("Quality not as expected", ChoiceAction.ANSWER, "q"),),)
    )
    (fitted,) = presenter.fit(message, TIGHT, "en")
    assert labels(fitted) == [["Quality not as expe…"]]
    assert fitted.choices[0][0].value == "q"


# ---- texts -------------------------------------------------------------------------------


def test_plain_channels_get_plain_text_with_links_written_out(presenter):
    message = OutgoingMessage('<b>Thanks</b> &amp; see <a href="https://shop.test/x">our shop</a>')
    (fitted,) = presenter.fit(message, TIGHT, "en")
    assert fitted.text == "Thanks & see our shop (https://shop.test/x)"


def test_a_long_text_is_split_at_paragraphs_with_the_choices_last(presenter, simple_flow):
    intro = "\n\n".join(["word " * 50] * 4)  # four paragraphs of 250 characters
    message = ask(presenter, simple_flow, "csat", intro=intro.strip())
    parts = presenter.fit(message, TIGHT, "en")
    assert len(parts) == 2
    assert [text_length(p.text) <= 640 for p in parts] == [True, True]
    assert parts[0].choices == () and labels(parts[1]) == [["1–2", "3–4", "5"]]
    assert parts[1].text.endswith("or simply type a number from 1 to 5.")
    assert all((p.survey_id, p.visit) == (7, 3) for p in parts)


def test_a_long_paragraph_is_split_at_lines_then_words():
    lines = "\n".join(["a" * 30] * 5)
    assert split_text(lines, 70, Markup.PLAIN) == ["\n".join(["a" * 30] * 2)] * 2 + ["a" * 30]
    words = " ".join(["b" * 9] * 10)
    assert [len(p) for p in split_text(words, 30, Markup.PLAIN)] == [29, 29, 29, 9]


def test_a_word_longer_than_the_limit_is_cut_where_it_must_be():
    assert split_text("c" * 50, 20, Markup.PLAIN) == ["c" * 20, "c" * 20, "c" * 10]


def test_html_kept_where_a_split_breaks_no_tag():
    parts = split_text("<b>one</b> two\n\n<i>three</i> four", 12, Markup.TELEGRAM_HTML)
    assert parts == ["<b>one</b> two", "<i>three</i> four"]


def test_html_a_split_would_break_is_split_as_escaped_plain_text():
    parts = split_text("<b>one two three four five</b> &amp; six", 12, Markup.TELEGRAM_HTML)
    assert parts == ["one two", "three four", "five &amp; six"]
    assert all(html_problems(part) == [] and visible_length(part) <= 12 for part in parts)


def test_a_photo_keeps_its_caption_short_and_the_rest_follows(presenter):
    message = OutgoingMessage(
        ("x" * 150 + "\n\n") * 3,
        photo=Photo(b"png"),
        link=Link("https://shop.test", "Open"),
        reply_to=5,
    )
    first, second = presenter.fit(message, TIGHT, "en")
    assert first.photo == Photo(b"png") and text_length(first.text) <= 200
    assert (first.link, first.reply_to) == (None, 5)
    assert (second.photo, second.link, second.reply_to) == (None, message.link, None)


def test_a_replacement_is_shortened_not_split(presenter):
    message = OutgoingMessage("y " * 400, replaces=12)
    (fitted,) = presenter.fit(message, tight(can_edit=True), "en")
    assert text_length(fitted.text) == 640 and fitted.text.endswith("…")
    assert fitted.replaces == 12


def test_a_replacement_is_dropped_where_messages_cannot_be_edited(presenter):
    assert presenter.fit(OutgoingMessage("Why?\n\nYour answer: 3", replaces=12), TIGHT, "en") == ()


# ---- every shipped question --------------------------------------------------------------


@pytest.mark.parametrize("channel", [TELEGRAM, WEB_CHAT], ids=["telegram", "web"])
def test_every_shipped_question_is_unchanged_on_telegram_and_the_web(texts, channel):
    presenter = Presenter(texts)
    for locale, message in shipped_questions(texts):
        assert presenter.fit(message, channel, locale) == (message,), message.text


def test_every_shipped_question_fits_the_tight_channel(texts):
    presenter = Presenter(texts)
    for locale, message in shipped_questions(texts):
        for part in presenter.fit(message, TIGHT, locale):
            assert part.choice_count <= 3 and all(len(row) <= 3 for row in part.choices)
            assert all(len(c.label) <= 20 for row in part.choices for c in row)
            assert text_length(part.text) <= 640 and "<b>" not in part.text, part.text


def test_a_message_that_fits_goes_as_written(presenter):
    message = OutgoingMessage(
        "<b>Cảm ơn</b> bạn!",
        ((Choice("Tốt", ChoiceAction.ANSWER, "5"), Choice("Tệ", ChoiceAction.ANSWER, "1")),),
        survey_id=1,
    )
    (fitted,) = presenter.fit(message, TELEGRAM, "vi")
    assert fitted is message


def test_entities_on_a_plain_channel_are_converted_even_without_tags(presenter):
    (fitted,) = presenter.fit(OutgoingMessage("Tom &amp; Jerry"), TIGHT, "en")
    assert fitted.text == "Tom & Jerry"
