"""Telegram's HTML parse mode as the fake checks it."""

import re

import pytest

from tests.fakes.telegram_html import HtmlParseError, parse_html


def test_tags_become_entities_with_utf16_offsets() -> None:
    parsed = parse_html("😀 <b>Chào <i>bạn</i></b>")

    assert parsed.text == "😀 Chào bạn"
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 8},
        {"type": "italic", "offset": 8, "length": 3},
    ]


def test_character_references_are_decoded() -> None:
    parsed = parse_html("a &lt; b &amp;&amp; c &gt; d &quot;e&quot; &#233; &#x1F600;")

    assert parsed.text == 'a < b && c > d "e" é 😀'
    assert parsed.entities == []


@pytest.mark.parametrize(
    ("markup", "entity"),
    [
        (
            '<a href="https://example.com/?a=1&amp;b=2">x</a>',
            {"type": "text_link", "offset": 0, "length": 1, "url": "https://example.com/?a=1&b=2"},
        ),
        ('<span class="tg-spoiler">x</span>', {"type": "spoiler", "offset": 0, "length": 1}),
        ("<tg-spoiler>x</tg-spoiler>", {"type": "spoiler", "offset": 0, "length": 1}),
        (
            "<blockquote expandable>x</blockquote>",
            {"type": "expandable_blockquote", "offset": 0, "length": 1},
        ),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        ),
        (
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            {
                "type": "custom_emoji",
                "offset": 0,
                "length": 2,
                "custom_emoji_id": "5368324170671202286",
            },
        ),
        ("<S>x</S>", {"type": "strikethrough", "offset": 0, "length": 1}),
    ],
)
def test_every_allowed_tag_is_understood(markup: str, entity: dict[str, object]) -> None:
    assert parse_html(markup).entities == [entity]


BROKEN = [
    ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("<b", "Unclosed start tag at byte offset 0"),
    ('<a href="https://x.y>y', "Unclosed start tag at byte offset 0"),
    ("<b>x</b", "Unclosed end tag at byte offset 4"),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ("Tom & Jerry", 'Unescaped "&" (write &amp;) at byte offset 4'),
    ("caf&eacute;", 'Unescaped "&" (write &amp;) at byte offset 3'),
    ('<a href="https://x.y" target="_blank">x</a>', 'Unsupported attribute "target"'),
    ('<b class="big">x</b>', 'Unsupported attribute "class" in the tag "b"'),
    ("<tg-emoji>x</tg-emoji>", 'Tag "tg-emoji" must have a numeric attribute "emoji-id"'),
    ("<a href=x/y>z</a>", "Unexpected end of name token at byte offset 8"),
]


@pytest.mark.parametrize(("markup", "error"), BROKEN, ids=[m for m, _ in BROKEN])
def test_broken_html_is_refused_like_telegram(markup: str, error: str) -> None:
    with pytest.raises(HtmlParseError, match="^" + re.escape(error)):
        parse_html(markup)


def test_byte_offsets_count_utf8_bytes() -> None:
    with pytest.raises(HtmlParseError, match=r"at byte offset 6$"):
        parse_html("Chào <x>")  # "à" is two bytes


def test_lenient_mode_keeps_a_bare_ampersand_like_telegram() -> None:
    parsed = parse_html('Tom & Jerry <b x="1">!</b>', strict=False)

    assert parsed.text == "Tom & Jerry !"


def test_empty_tags_make_no_entity() -> None:
    assert parse_html("<b></b>x").entities == []
