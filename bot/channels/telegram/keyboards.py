"""Inline keyboards from the channel-agnostic button rows of an outgoing message."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.callbacks import pack_button, pack_case_button
from bot.messaging.message import ChoiceAction, OutgoingMessage


def inline_keyboard(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    """A question's buttons (survey + visit) or a support card's buttons (case id)."""
    if not payload.get("buttons"):
        return None
    if payload.get("case_id") is not None:
        case_id = int(payload["case_id"])
        rows = [
            [
                InlineKeyboardButton(
                    text=b["label"], callback_data=pack_case_button(case_id, b["value"])
                )
                for b in row
                if b["action"] == ChoiceAction.CASE
            ]
            for row in payload["buttons"]
        ]
        return InlineKeyboardMarkup(inline_keyboard=rows)
    message = OutgoingMessage.from_payload(payload)
    if message.survey_id is None:
        return None
    visit = message.visit or 0
    rows = [
        [
            InlineKeyboardButton(
                text=b.label, callback_data=pack_button(b, message.survey_id, visit)
            )
            for b in row
        ]
        for row in message.choices
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)
