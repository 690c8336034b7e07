import time

import pytest

from bot.flows.safe_yaml import YamlProblem, load_yaml

BILLION_LAUGHS = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_alias_bomb_is_refused_quickly():
    started = time.process_time()
    with pytest.raises(YamlProblem, match="alias") as caught:
        load_yaml(BILLION_LAUGHS)
    assert caught.value.line == 3
    assert time.process_time() - started < 1.0


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/object/apply:os.system ['echo pwned']",
        "x: !!python/object:collections.OrderedDict {}",
        "x: !!python/name:os.system",
        "x: !custom thing",
        "x: !!binary aGVsbG8=",
    ],
)
def test_tags_are_refused(text):
    with pytest.raises(YamlProblem, match="not allowed"):
        load_yaml(text)


def test_deep_nesting_is_refused_not_crashing():
    with pytest.raises(YamlProblem):
        load_yaml("[" * 100_000 + "]" * 100_000)


def test_on_and_yes_stay_text_and_times_are_not_numbers():
    data = load_yaml("on: order.delivered\nanswer: yes\nwindow: 09:00\nn: 0x10\nf: 1.5").data
    assert data == {"on": "order.delivered", "answer": "yes", "window": "09:00", "n": 16, "f": 1.5}


def test_duplicate_keys_are_an_error_with_both_lines():
    with pytest.raises(YamlProblem, match="first on line 1") as caught:
        load_yaml("id: a\nname: x\nid: b\n")
    assert caught.value.line == 3


def test_positions_point_at_values():
    document = load_yaml("id: a\nsteps:\n  - id: one\n    kind: csat\n")
    assert document.position(("steps", 0, "kind")) == (4, 11)
    assert document.position(("steps", 0, "missing")) == (3, 5)


def test_oversized_file_is_refused():
    with pytest.raises(YamlProblem, match="KiB"):
        load_yaml(b"a: " + b"x" * 600_000)
