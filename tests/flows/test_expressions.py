import pytest

from bot.errors import ExpressionError
from bot.flows.expressions import parse_condition


@pytest.mark.parametrize(
    ("source", "answers", "expected"),
    [
        ("nps <= 6", {"nps": 6}, True),
        ("nps <= 6", {"nps": 7}, False),
        ("csat >= 4 and ces <= 3", {"csat": 5, "ces": 2}, True),
        ("csat >= 4 and ces <= 3", {"csat": 5, "ces": 5}, False),
        ('reason == "late"', {"reason": "late"}, True),
        ("reason in ['late', 'damaged']", {"reason": "damaged"}, True),
        ("reason not in ['late']", {"reason": "damaged"}, True),
        ("1 <= csat <= 2", {"csat": 2}, True),
        ("1 <= csat <= 2", {"csat": 3}, False),
        ("not comment", {"comment": None}, True),
        ("comment", {"comment": "great"}, True),
        ("nps == null", {}, True),
        ("nps <= 6", {}, False),  # unanswered never satisfies an ordering
        ("nps < 'x'", {"nps": 3}, False),  # number vs text: false, not an error
        ("nps == 7.0", {"nps": 7}, True),
        ("flag == true", {"flag": True}, True),
        ("nps > -1", {"nps": 0}, True),
    ],
)
def test_condition_evaluates_by_its_definition(source, answers, expected):
    assert parse_condition(source).evaluate(answers) is expected


def test_condition_lists_the_names_it_reads():
    assert parse_condition("nps <= 6 or csat <= 2").names == {"nps", "csat"}


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os').system('true')",
        "nps.__class__",
        "answers['nps']",
        "nps + 1 > 3",
        "lambda: 1",
        "[x for x in range(10)]",
        "f'{nps}'",
        "nps if csat else ces",
    ],
)
def test_anything_beyond_comparisons_is_refused(source):
    with pytest.raises(ExpressionError, match="not allowed"):
        parse_condition(source)


@pytest.mark.parametrize("source", ["nps <=", "", "   ", "(nps", "nps = 6"])
def test_unreadable_condition_says_how_to_write_one(source):
    with pytest.raises(ExpressionError, match=r"nps <= 6|empty"):
        parse_condition(source)


def test_overlong_condition_is_refused():
    with pytest.raises(ExpressionError, match="characters long"):
        parse_condition(" or ".join(["nps <= 6"] * 100))
