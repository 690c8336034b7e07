from datetime import timedelta

import pytest

from bot.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45s", timedelta(seconds=45)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        ("1h30m", timedelta(minutes=90)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_durations_are_read_as_written(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2", "two hours", "2 hours", "h2", "-1h", "1.5h"])
def test_bad_duration_explains_the_accepted_forms(text):
    with pytest.raises(ValueError, match="45s, 15m, 2h, 3d"):
        parse_duration(text)


def test_format_round_trips():
    for text in ("45s", "15m", "2h", "3d", "1w", "1h30m"):
        assert format_duration(parse_duration(text)) == text


@pytest.mark.parametrize("text", ["99999999999d", "9" * 5000 + "s"])
def test_a_duration_beyond_any_calendar_is_a_clear_error(text):
    with pytest.raises(ValueError, match="is far too long"):
        parse_duration(text)


def test_a_duration_over_the_longest_allowed_names_the_limit():
    with pytest.raises(ValueError, match="'3651d' is too long; durations go up to 3650d"):
        parse_duration("3651d", longest=timedelta(days=3650))
