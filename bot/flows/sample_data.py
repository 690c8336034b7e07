"""Believable sample data: for checking templates and for previewing a flow in a terminal."""

from __future__ import annotations

from typing import Any

from bot.flows.schema import ChoiceStep, EndStep, Flow, ScaleStep, TextStep
from bot.surveys.engine import Answer


def sample_context(locale: str) -> dict[str, Any]:
    """The variables a message template sees, filled with sample values."""
    return {
        "customer": {
            "id": "C-1001",
            "name": "Nguyễn Thị Lan" if locale == "vi" else "Lan Nguyen",
            "locale": locale,
            "timezone": "Asia/Ho_Chi_Minh",
            "phone": "+84901234567",
        },
        "order": {
            "id": "SO-1024",
            "amount": 350000,
            "currency": "VND",
            "store": "HN-01",
            "items": [{"sku": "A1", "name": "Áo thun cotton", "qty": 1}],
            "occurred_at": "2026-11-20T08:00:00+07:00",
        },
        "survey": {"link": "https://shop.example/s/sample-token"},
        "answers": {},
        "locale": locale,
    }


def sample_answers(flow: Flow) -> dict[str, Answer]:
    """One plausible answer for every question of `flow`."""
    answers: dict[str, Answer] = {}
    for step in flow.steps:
        if isinstance(step, ScaleStep):
            answers[step.id] = Answer(step.id, step.kind, step.scale[1])
        elif isinstance(step, ChoiceStep):
            answers[step.id] = Answer(step.id, step.kind, step.options[0].id)
        elif isinstance(step, TextStep):
            answers[step.id] = Answer(step.id, step.kind, "Sample comment")
        else:
            assert isinstance(step, EndStep)
    return answers
