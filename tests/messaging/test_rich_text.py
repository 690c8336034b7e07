import pytest

from bot.messaging.rich_text import (
    MESSAGE_TEXT_LIMIT,
    fit_message,
    html_problems,
    popup_text,
    visible_length,
)


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "<b>bold</b> and <i>it</i>",
        '<a href="https://x.y/?a=1&amp;b=2">link</a>',
        "<code>x &lt; y</code>",
        '<span class="tg-spoiler">s</span>',
        "<blockquote expandable>q</blockquote>",
        "&#128512; &#x1F600;",
    ],
)
def test_valid_telegram_html(text):
    assert html_problems(text) == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<div>x</div>", "<div> is not supported"),
        ("<b>x", "never closed"),
        ("<b><i>x</b></i>", "does not match"),
        ("Tom & Jerry", "bare '&'"),
        ('<span class="red">x</span>', "tg-spoiler"),
        ("<br/>", "self-closing"),
    ],
)
def test_invalid_telegram_html(text, fragment):
    assert any(fragment in problem for problem in html_problems(text))


def test_length_counts_visible_utf16_units():
    assert visible_length("<b>ab</b>") == 2
    assert visible_length("😀") == 2


def test_overlong_text_is_shortened_as_plain_text():
    text, is_html = fit_message("<b>" + "x" * 5000 + "</b>")
    assert not is_html
    assert visible_length(text) == MESSAGE_TEXT_LIMIT
    assert text.endswith("…")


def test_a_popup_is_plain_text_within_200_characters():
    shown = popup_text("Mother&#x27;s Day: <b>10%</b> off &amp; more")
    assert shown == "Mother's Day: 10% off & more"
    long = popup_text("<i>" + "ầ" * 300 + "</i>")
    assert long is not None and len(long) == 200 and long.endswith("…")
    assert popup_text("") is None and popup_text(None) is None
