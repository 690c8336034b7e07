"""Themes of free-text comments, in Vietnamese and English, counted without any service."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.insight.themes import Theme, reason_counts, themes, tokenize

properties = settings(database=None, deadline=None)

VI_COMMENTS = [
    "Giao hàng chậm quá",
    "giao hàng chậm, đóng gói cẩu thả",
    "Nhân viên thân thiện",
]


def phrases(found):
    return [(theme.phrase, theme.count) for theme in found]


# -- tokenize ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Shop giao hàng rất nhanh và đóng gói cẩn thận",
            ["giao hàng", "nhanh", "đóng gói", "cẩn thận"],
        ),
        ("Hàng bị hỏng", ["hàng", "hỏng"]),
        ("Nhân viên thân thiện 😍👍🏽❤️", ["nhân viên", "thân thiện"]),
        ("❤️❤️ 1️⃣ !!!", []),
        ("Giao 2 lần, 5 sao, giá 150k", ["giao", "lần", "sao", "giá"]),
        ("THÁI ĐỘ tệ!!!", ["thái độ", "tệ"]),
    ],
)
def test_vietnamese_terms(text, expected):
    assert tokenize(text, "vi") == expected


def test_diacritics_are_kept():
    assert tokenize("hàng", "vi") == ["hàng"]
    assert tokenize("hang", "vi") == ["hang"]


def test_decomposed_input_reads_the_same():
    text = "Đóng gói cẩn thận, giao hàng nhanh"
    assert tokenize(unicodedata.normalize("NFD", text), "vi") == tokenize(text, "vi")


def test_old_and_new_tone_placement_are_one_word():
    assert tokenize("hòa khỏe thủy", "vi") == tokenize("hoà khoẻ thuỷ", "vi")
    assert tokenize("hóa đơn", "vi") == ["hoá đơn"]  # a compound in either spelling


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Không hài lòng", ["không hài lòng"]),
        ("shop ko phản hồi", ["không phản hồi"]),  # chat spelling of "không"
        ("Hàng chưa được giao", ["hàng", "chưa giao"]),  # stopwords skipped in between
        ("Đã nhận chưa?", ["nhận"]),  # a negation with nothing after it is dropped
        ("Không, hàng tốt", ["hàng", "tốt"]),  # ... and never crosses punctuation
    ],
)
def test_negation_stays_with_what_it_negates(text, expected):
    assert tokenize(text, "vi") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The delivery was very late", ["delivery", "late"]),
        ("Didn't arrive on time", ["not arrive", "time"]),
        ("I can’t track it", ["not track"]),
        (
            "Not good. No response from the shop's support 👎",
            ["not good", "no response", "shop", "support"],
        ),
        ("Customer service is great", ["customer service", "great"]),
        ("well-packed, 10/10", ["well", "packed"]),
    ],
)
def test_english_terms(text, expected):
    assert tokenize(text, "en") == expected


def test_region_of_the_locale_is_ignored():
    assert tokenize("Giao hàng rất nhanh", "vi-VN") == ["giao hàng", "nhanh"]
    assert tokenize("The box", "en_US") == ["box"]


def test_unknown_locale_only_splits_words():
    assert tokenize("Die Lieferung war schnell!", "de") == ["die", "lieferung", "war", "schnell"]


@properties
@given(st.text())
def test_terms_are_words_without_numbers(text):
    for term in tokenize(text, "vi"):
        assert term == term.strip() and "  " not in term
        assert not term.isnumeric()
        assert all(unicodedata.category(c)[0] in "LMN" or c == " " for c in term)


# -- themes ------------------------------------------------------------------------------


def test_delivery_comes_first_and_slow_is_grouped_with_it():
    found = themes(VI_COMMENTS, "vi")
    assert found[0] == Theme(
        phrase="giao hàng",
        count=2,
        share=pytest.approx(200 / 3),
        examples=("Giao hàng chậm quá", "giao hàng chậm, đóng gói cẩu thả"),
    )
    assert phrases(found) == [
        ("giao hàng", 2),
        ("giao hàng chậm", 2),
        ("cẩu thả", 1),
        ("nhân viên", 1),
        ("thân thiện", 1),
        ("đóng gói", 1),
    ]
    assert "chậm" not in {theme.phrase for theme in found}


def test_a_rare_pair_stays_single_words():
    found = themes(VI_COMMENTS, "vi", min_count=3)
    assert ("chậm", 2) in phrases(found)
    assert "giao hàng chậm" not in {theme.phrase for theme in found}


def test_a_frequent_pair_of_single_words_stands_in_for_them():
    found = themes(["hàng đẹp", "Hàng đẹp lắm", "hàng xấu"], "vi")
    assert phrases(found) == [("hàng đẹp", 2), ("hàng", 1), ("xấu", 1)]


def test_pairs_do_not_cross_punctuation():
    found = themes(["chậm, đóng gói tệ", "chậm. Đóng gói tệ"], "vi")
    assert phrases(found) == [("chậm", 2), ("đóng gói", 2), ("đóng gói tệ", 2)]


def test_a_line_break_ends_a_clause():
    assert themes(["giao hàng\nchậm", "giao hàng\r\nchậm"], "vi")[0].phrase == "chậm"


def test_count_is_comments_not_occurrences():
    found = {theme.phrase: theme for theme in themes(["giao hàng chậm, giao hàng sai", "ok"], "vi")}
    assert found["giao hàng"].count == 1
    assert found["giao hàng"].share == 50.0


def test_examples_are_the_three_shortest_distinct_comments():
    comments = [
        "giao hàng rất rất chậm",
        "giao hàng chậm",
        "Giao hàng ok",
        "giao hàng chậm",
        "giao hàng chậm lắm",
        "giao hàng",
    ]
    found = themes(comments, "vi")
    assert found[0].phrase == "giao hàng"
    assert found[0].examples == ("giao hàng", "Giao hàng ok", "giao hàng chậm")


def test_english_themes():
    comments = [
        "Customer service was not helpful",
        "customer service is slow",
        "Fast shipping, great price",
        "fast shipping!",
    ]
    assert phrases(themes(comments, "en", top=3)) == [
        ("customer service", 2),
        ("fast shipping", 2),
        ("great", 1),
    ]


def test_blank_comments_do_not_count():
    found = themes(["", "   ", "Nhân viên thân thiện", "👍"], "vi")
    assert [(t.phrase, t.share) for t in found] == [("nhân viên", 50.0), ("thân thiện", 50.0)]


def test_no_comments_no_themes():
    assert themes([], "vi") == []


def test_top_limits_the_list():
    assert len(themes(VI_COMMENTS, "vi", top=2)) == 2
    assert themes(VI_COMMENTS, "vi", top=0) == []


def test_bad_limits_are_refused():
    with pytest.raises(ValueError, match="min_count"):
        themes(VI_COMMENTS, "vi", min_count=0)


@properties
@given(st.permutations([*VI_COMMENTS, "Giao hàng nhanh", "đóng gói đẹp 👍", "hàng đẹp"]))
def test_order_of_comments_does_not_matter(comments):
    assert themes(comments, "vi") == themes(sorted(comments), "vi")


@properties
@given(st.lists(st.text(max_size=40), max_size=12))
def test_counts_are_within_the_comments(comments):
    non_blank = [c for c in comments if c.strip()]
    for theme in themes(comments, "vi"):
        assert 1 <= theme.count <= len(non_blank)
        assert 0 < theme.share <= 100
        assert 1 <= len(theme.examples) <= 3


# -- reasons -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], []),
        ([None, None], []),
        (
            ["late", None, "damaged", "late", "wrong", "damaged", "late"],
            [("late", 3), ("damaged", 2), ("wrong", 1)],
        ),
        (["wrong", "late"], [("late", 1), ("wrong", 1)]),  # ties by id
    ],
)
def test_reason_counts(values, expected):
    assert reason_counts(values) == expected


def test_markup_in_comments_is_not_counted_as_words():
    comments = [
        '<script>alert(1)</script> giao hàng chậm <img src="x" onerror="alert(1)">',
        '<a href="https://shop.vn">giao hàng chậm</a> &amp; <b>tệ</b>',
        "&lt;script&gt;steal()&lt;/script&gt; giao hàng chậm <3",
    ]
    phrases = {theme.phrase for theme in themes(comments, "vi")}
    assert "giao hàng chậm" in phrases or "giao hàng" in phrases
    words = {word for phrase in phrases for word in phrase.split()}
    assert not words & {"script", "img", "src", "href", "alert", "onerror", "amp", "lt", "steal"}
