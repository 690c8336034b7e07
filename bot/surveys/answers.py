"""Turning a tap or a typed message into an answer value for one step, or saying why not."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from bot.flows.schema import ChoiceStep, Option, QuestionStep, ScaleStep, TextStep


class Problem(StrEnum):
    NOT_A_NUMBER = "not_a_number"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_OPTION = "unknown_option"
    EMPTY = "empty"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class Invalid:
    """Why a reply does not answer the question; rendered as a short hint."""

    problem: Problem
    low: int | None = None
    high: int | None = None
    limit: int | None = None


# "8", "8/10", "8 / 10", "８", "8." and "8!" all mean 8.
_NUMBER = re.compile(r"^\s*([-−]?\d{1,3})\s*(?:/\s*\d{1,3})?\s*[.!]?\s*$")


def parse_pressed(step: QuestionStep, value: str) -> int | str | Invalid:
    """A button's value: a number on a scale step, an option id on a choice step."""
    if isinstance(step, ScaleStep):
        return _scale_value(step, value)
    if isinstance(step, ChoiceStep):
        option = _option_by_id(step, value)
        return option.id if option else Invalid(Problem.UNKNOWN_OPTION)
    return Invalid(Problem.EMPTY)  # a text step has no buttons but Skip


def parse_typed(step: QuestionStep, text: str) -> int | str | Invalid:
    """A typed reply: a number for scales, an option's label/number/id for choices."""
    if isinstance(step, ScaleStep):
        return _scale_value(step, text)
    if isinstance(step, ChoiceStep):
        return _choice_from_text(step, text)
    assert isinstance(step, TextStep)
    cleaned = text.strip()
    if not cleaned:
        return Invalid(Problem.EMPTY)
    if len(cleaned) > step.max_length:
        return Invalid(Problem.TOO_LONG, limit=step.max_length)
    return cleaned


def _scale_value(step: ScaleStep, text: str) -> int | Invalid:
    low, high = step.scale
    match = _NUMBER.match(unicodedata.normalize("NFKC", text))
    if not match:
        return Invalid(Problem.NOT_A_NUMBER, low, high)
    number = int(match.group(1).replace("−", "-"))
    if not low <= number <= high:
        return Invalid(Problem.OUT_OF_RANGE, low, high)
    return number


def _option_by_id(step: ChoiceStep, value: str) -> Option | None:
    return next((option for option in step.options if option.id == value), None)


def _choice_from_text(step: ChoiceStep, text: str) -> str | Invalid:
    wanted = _fold(text)
    if not wanted:
        return Invalid(Problem.EMPTY)
    match = _NUMBER.match(unicodedata.normalize("NFKC", text))
    if match and 1 <= int(match.group(1)) <= len(step.options):
        return step.options[int(match.group(1)) - 1].id
    for option in step.options:
        labels = [option.label] if isinstance(option.label, str) else list(option.label.values())
        if wanted == _fold(option.id) or any(wanted == _fold(label) for label in labels):
            return option.id
    return Invalid(Problem.UNKNOWN_OPTION, 1, len(step.options))


def _fold(text: str) -> str:
    """Compare labels loosely: case, accents-as-typed, emoji and punctuation aside."""
    normalized = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(c for c in normalized if c.isalnum() or c.isspace())
    return " ".join(kept.split())
