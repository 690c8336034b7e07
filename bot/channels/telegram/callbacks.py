"""Choice payloads (callback_data), packed by aiogram's CallbackData within 64 bytes.

A button names its survey and the question's visit number, never the customer: pressing a
button of someone else's survey, or an old one, is recognised and refused politely.
Worst case `a:<19-digit id>:<visit>:<24-char option>` is ~52 bytes; a band of scores
(`n:<id>:<visit>:<low>-<high>`, asking for the exact score within it) is shorter.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.messaging.message import Choice, ChoiceAction


class AnswerButton(CallbackData, prefix="a"):
    survey: int
    visit: int
    value: str


class NarrowButton(CallbackData, prefix="n"):
    """A band of scores ("7-8"): tapping it asks for the exact score within it."""

    survey: int
    visit: int
    band: str


class SkipButton(CallbackData, prefix="s"):
    survey: int
    visit: int


class StopButton(CallbackData, prefix="x"):
    survey: int


class CaseButton(CallbackData, prefix="k"):
    """A button on a support card: claim, resolve or voucher."""

    case: int
    action: str


def pack_case_button(case_id: int, action: str) -> str:
    return CaseButton(case=case_id, action=action).pack()


def pack_button(button: Choice, survey_id: int, visit: int) -> str:
    """The callback_data of a question's button (raises ValueError over 64 bytes)."""
    if button.action == ChoiceAction.ANSWER:
        return AnswerButton(survey=survey_id, visit=visit, value=button.value).pack()
    if button.action == ChoiceAction.NARROW:
        return NarrowButton(survey=survey_id, visit=visit, band=button.value).pack()
    if button.action == ChoiceAction.SKIP:
        return SkipButton(survey=survey_id, visit=visit).pack()
    return StopButton(survey=survey_id).pack()
