"""Templates cannot exhaust time or memory: each kind of bomb is refused before it goes off,
and ordinary texts (amounts in VND, short loops, widths) render as before."""

from __future__ import annotations

import pytest

from bot.errors import TemplateProblem
from bot.messaging.texts import MessageTexts
from tests.harness import ROOT

BOMBS = {
    "{{ 'a' * 10**9 }}": "would build a value of 1,000,000,000 items",
    "{{ ['a'] * 10**9 }}": "would build a value of 1,000,000,000 items",
    "{{ 10 ** 100000 }}": "would build a number",
    "{% set ns = namespace(x=3) %}{% for i in range(50) %}{% set ns.x = ns.x * ns.x %}"
    "{% endfor %}": "would build a number",
    "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}": "the operator '~' would build",
    "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}"
    "{% endfor %}": "the operator '+' would build",
    "{{ 'x'|center(10**9) }}": "the filter 'center' is given 1,000,000,000",
    "{{ 'x'|center(1000000000) }}": "the filter 'center' is given 1,000,000,000",
    "{{ 'x'|indent(10**9) }}": "the filter 'indent' is given",
    "{{ [1]|slice(1000000000)|list }}": "the filter 'slice' is given",
    "{{ 'x'.center(10**9) }}": "str.center is given",
    "{{ 'x'.zfill(10**9) }}": "str.zfill is given",
    "{{ (['x' * 100000] * 100000)|join }}": "join would build",
    "{{ ''.join(['x' * 100000] * 100000) }}": "join would build",
    "{{ ('a' * 100000)|replace('a', 'b' * 100000) }}": "replace would build",
    "{{ ('a' * 100000).replace('a', 'b' * 100000) }}": "replace would build",
    "{{ '%999999999d' % 1 }}": "a % format width is given 999,999,999",
    "{{ '%*d' % (10**9, 1) }}": "a '*' width in a % format is not allowed",
    "{{ '%999999999d'|format(1) }}": "a % format width is given",
    "{{ '{:>999999999}'.format(1) }}": "a format width is given 999,999,999",
    "{{ '{:{w}}'.format(1, w=10**9) }}": "a nested {...} width",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}": (
        "takes longer than 0.2 s to render"
    ),
    "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}": "fails to render",
    "{{ lipsum(10**9) }}": "'lipsum' is undefined",
    "{{ ('{0}' * 30000).format('a' * 100000) }}": "a format string would build",
    "{{ ('{a}' * 30000).format_map({'a': 'a' * 100000}) }}": "a format string would build",
    "{% set a = 'a' * 100000 %}{{ ('%s' * 20000) % ((a,) * 20000) }}": "a % format would build",
    "{% set a = 'a' * 100000 %}{{ ('%(a)s' * 20000) % {'a': a} }}": "a % format would build",
    "{% set a = 'a' * 100000 %}{{ ('%s' * 20000)|format(*((a,) * 20000)) }}": (
        "a % format would build"
    ),
    "{% set a = 'a' * 100000 %}{{ a" + " ~ a" * 20000 + " }}": "the operator '~' would build",
    "{% for i in range(100000) %}{{ 'x' * 10000 }}{% endfor %}": "output is over 100,000",
}


@pytest.fixture
def texts() -> MessageTexts:
    return MessageTexts(ROOT / "templates", time_limit=0.2)


@pytest.mark.parametrize("source", list(BOMBS))
def test_a_template_bomb_is_refused_with_the_limit_it_broke(texts, source):
    with pytest.raises(TemplateProblem) as refused:
        texts.render(source, "en", {})
    assert BOMBS[source] in str(refused.value)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ '{:,}'.format(amount) }} đ", "1,250,000 đ"),
        ("{{ '%d' % amount }}", "1250000"),
        ("{{ '%-10s|' % name }}", "Lan       |"),
        ("[{{ name|center(9) }}]", "[   Lan   ]"),
        ("{{ 'ab' * 3 }}", "ababab"),
        ("{% for i in range(3) %}{{ i ~ '.' }}{% endfor %}", "0.1.2."),
        ("{{ items|join(', ') }}", "áo, quần"),
        ("{{ name ~ '!' }}", "Lan!"),
        ("{{ '<b>' ~ name ~ '</b>' }}", "&lt;b&gt;Lan&lt;/b&gt;"),
        ("{{ ('<b>'|safe) ~ name ~ ('</b>'|safe) }}", "<b>Lan</b>"),
        ("{{ 'Hi {0}, {1}%'.format(name, 10) }}", "Hi Lan, 10%"),
        ("{{ '%s bought %d items'|format(name, 2) }}", "Lan bought 2 items"),
        ("{{ 2 ** 10 }}", "1024"),
    ],
)
def test_an_ordinary_template_renders_as_before(texts, source, expected):
    context = {"amount": 1_250_000, "name": "Lan", "items": ["áo", "quần"]}
    assert texts.render(source, "en", context) == expected
