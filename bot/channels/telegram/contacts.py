"""aiogram objects -> the plain Contact the services take (the chat id, as text, is the
address: a private chat's id is the user's)."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message

from bot.channels.telegram import CHANNEL
from bot.surveys.conversation import Contact


def contact_of_message(message: Message) -> Contact:
    user = message.from_user
    return Contact(
        channel=CHANNEL,
        address=str(message.chat.id),
        language=user.language_code if user else None,
        name=user.full_name if user else None,
    )


def contact_of_callback(callback: CallbackQuery) -> Contact | None:
    if callback.message is None:
        return None
    user = callback.from_user
    return Contact(
        channel=CHANNEL,
        address=str(callback.message.chat.id),
        language=user.language_code,
        name=user.full_name,
    )
