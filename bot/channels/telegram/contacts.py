"""aiogram objects -> the plain Contact the services take."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message

from bot.surveys.conversation import Contact


def contact_of_message(message: Message) -> Contact:
    user = message.from_user
    return Contact(
        chat_id=message.chat.id,
        user_id=user.id if user else None,
        language=user.language_code if user else None,
        name=user.full_name if user else None,
    )


def contact_of_callback(callback: CallbackQuery) -> Contact | None:
    if callback.message is None:
        return None
    user = callback.from_user
    return Contact(
        chat_id=callback.message.chat.id,
        user_id=user.id,
        language=user.language_code,
        name=user.full_name,
    )
