from bot.channels.telegram.callbacks import (
    AnswerButton,
    NarrowButton,
    SkipButton,
    StopButton,
    pack_button,
)
from bot.channels.telegram.capabilities import TELEGRAM
from bot.messaging.fit import band_choice
from bot.messaging.message import Choice, ChoiceAction
from bot.messaging.rich_text import CALLBACK_DATA_LIMIT


def test_worst_case_callback_data_fits_telegram_limit():
    longest_option = "a" * 24  # the longest option id the schema allows
    data = pack_button(Choice("x", ChoiceAction.ANSWER, longest_option), 2**63 - 1, 99999)
    assert len(data.encode()) <= CALLBACK_DATA_LIMIT


def test_buttons_round_trip():
    assert AnswerButton.unpack(pack_button(Choice("7", ChoiceAction.ANSWER, "7"), 12, 3)) == (
        AnswerButton(survey=12, visit=3, value="7")
    )
    assert SkipButton.unpack(pack_button(Choice("Skip", ChoiceAction.SKIP), 12, 3)).visit == 3
    assert StopButton.unpack(pack_button(Choice("Stop", ChoiceAction.STOP), 12, 3)).survey == 12


def test_a_band_packs_its_range_and_round_trips():
    data = pack_button(band_choice(7, 8), 12, 3)
    assert data == "n:12:3:7-8"
    assert NarrowButton.unpack(data) == NarrowButton(survey=12, visit=3, band="7-8")


def test_worst_case_band_fits_the_callback_data_telegram_declares():
    data = pack_button(band_choice(100, 999), 2**63 - 1, 99999)
    assert TELEGRAM.max_choice_data_bytes == CALLBACK_DATA_LIMIT == 64
    assert len(data.encode()) <= TELEGRAM.max_choice_data_bytes
