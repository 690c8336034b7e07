"""Flows written inline for tests, and the fixtures that load them (a pytest plugin)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.flows.loader import read_flow
from bot.flows.schema import Flow
from bot.messaging.texts import MessageTexts

ROOT = Path(__file__).resolve().parents[1]


def flow_from_yaml(text: str) -> Flow:
    loaded, problems = read_flow(textwrap.dedent(text).encode(), "test.yaml")
    assert not problems, problems
    assert loaded is not None
    return loaded.flow


@pytest.fixture
def texts() -> MessageTexts:
    return MessageTexts(ROOT / "templates")


SIMPLE_FLOW = """
    id: simple
    name: Simple
    locales: [en, vi]
    steps:
      - id: csat
        kind: csat
        text: "How was it?"
        next:
          - when: csat <= 2
            goto: reason
          - goto: nps
      - id: reason
        kind: choice
        text: "Why?"
        options:
          - {id: late, label: {en: "Late", vi: "Trễ"}}
          - {id: damaged, label: {en: "Damaged", vi: "Hỏng"}}
      - id: nps
        kind: nps
        text: "Recommend?"
      - id: ces
        kind: ces
        text: "Easy?"
      - id: comment
        kind: text
        optional: true
        max_length: 50
        text: "Anything else?"
      - id: bye
        kind: end
        text: "Thanks!"
        escalate: {when: "nps <= 6 or csat <= 2", sla: 2h}
        reward: thank_you
"""


@pytest.fixture
def simple_flow() -> Flow:
    return flow_from_yaml(SIMPLE_FLOW)
