"""The flow keys per channel (../shared/contracts/channels.md): `zalo` and `messenger`,
checked strictly, with errors that say what is wrong."""

from __future__ import annotations

import textwrap

import pytest

from bot.flows.loader import read_flow

BASE = """
id: keys
name: Keys
locales: [vi, en]
{keys}
steps:
  - id: {first_id}
    kind: {first_kind}
    text: "Q?"
    {options}
  - id: comment
    kind: text
    optional: true
    text: "More?"
  - id: bye
    kind: end
    text: "Thanks"
"""
OPTIONS = 'options: [{id: a, label: "A"}, {id: b, label: "B"}]'


def load(keys: str, first_kind: str = "csat") -> tuple[object, list[str]]:
    text = BASE.format(
        keys=textwrap.dedent(keys).strip(),
        first_id="first",
        first_kind=first_kind,
        options=OPTIONS if first_kind == "choice" else "",
    )
    loaded, problems = read_flow(text.encode(), "keys.yaml")
    return (loaded.flow if loaded else None), [str(p) for p in problems]


def test_a_zalo_template_with_its_data_fields():
    flow, problems = load(
        """
        zalo:
          template: 123456
          template_data: {customer_name: customer.name, order_code: order.id, link: survey.link}
        """
    )
    assert problems == []
    assert flow.zalo.template == "123456"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("keys", "complaint"),
    [
        ("zalo: {template: 'abc'}", "approved in Zalo's console: digits"),
        ("zalo: {template: '1', template_data: {name: customer.nam}}", "customer.nam"),
        ("zalo: {template: '1', template_data: {'bad key!': order.id}}", "parameter's name"),
        ("zalo: {template: '1', colour: blue}", "colour"),
        ("zalo: {}", "template"),
        ("messenger: {feedback_template: maybe}", "feedback_template"),
        ("messenger: {feedback: true}", "feedback"),
    ],
)
def test_a_wrong_channel_key_is_an_error_naming_it(keys, complaint):
    flow, problems = load(keys)
    assert flow is None and any(complaint in problem for problem in problems), problems


def test_the_feedback_template_needs_a_scored_first_question():
    flow, problems = load("messenger: {feedback_template: true}", first_kind="nps")
    assert problems == [] and flow.messenger.feedback_template  # type: ignore[attr-defined]
    flow, problems = load("messenger: {feedback_template: true}", first_kind="choice")
    assert flow is None and any("csat, nps or ces" in problem for problem in problems)
