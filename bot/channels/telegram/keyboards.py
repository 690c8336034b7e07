"""Inline keyboards from the channel-agnostic button rows of an outgoing message."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.callbacks import pack_button
from bot.domain.presenter import OutgoingMessage


def inline_keyboard(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    message = OutgoingMessage.from_payload(payload)
    if not message.buttons or message.survey_id is None:
        return None
    visit = message.visit or 0
    rows = [
        [
            InlineKeyboardButton(
                text=b.label, callback_data=pack_button(b, message.survey_id, visit)
            )
            for b in row
        ]
        for row in message.buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)
