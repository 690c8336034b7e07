"""What customers do in their private chat with the bot."""

from __future__ import annotations

import logging
import re

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.channels.telegram.callbacks import AnswerButton, NarrowButton, SkipButton, StopButton
from bot.channels.telegram.contacts import contact_of_callback, contact_of_message
from bot.messaging.rich_text import popup_text
from bot.surveys.conversation import ConversationService

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


async def cmd_start_link(
    message: Message, command: CommandObject, conversation: ConversationService
) -> None:
    token = (command.args or "").strip()
    # A malformed token is simply unknown: the customer gets the friendly "link not valid".
    await conversation.open_link(contact_of_message(message), token if _TOKEN.match(token) else "")


async def cmd_start(message: Message, conversation: ConversationService) -> None:
    await conversation.walk_in(contact_of_message(message))


async def cmd_help(message: Message, conversation: ConversationService) -> None:
    await conversation.help(contact_of_message(message))


async def cmd_stop(message: Message, conversation: ConversationService) -> None:
    await conversation.opt_out(contact_of_message(message))


async def on_unknown_command(message: Message, conversation: ConversationService) -> None:
    """`/cancel`, `/menu`...: not an answer to the open question; show what we understand."""
    await conversation.help(contact_of_message(message))


async def on_text(message: Message, conversation: ConversationService) -> None:
    await conversation.typed(
        contact_of_message(message), message.text or "", str(message.message_id)
    )


async def on_other_message(message: Message, conversation: ConversationService) -> None:
    """A sticker, photo or voice note: answered like text that fits no question."""
    await conversation.typed(contact_of_message(message), message.caption or "")


async def on_answer_button(
    callback: CallbackQuery, callback_data: AnswerButton, conversation: ConversationService
) -> None:
    contact = contact_of_callback(callback)
    toast = ""
    if contact is not None:
        toast = await conversation.press(
            contact, callback_data.survey, callback_data.visit, callback_data.value
        )
    await callback.answer(popup_text(toast))


async def on_narrow_button(
    callback: CallbackQuery, callback_data: NarrowButton, conversation: ConversationService
) -> None:
    contact = contact_of_callback(callback)
    toast = ""
    if contact is not None:
        toast = await conversation.narrow(
            contact, callback_data.survey, callback_data.visit, callback_data.band
        )
    await callback.answer(popup_text(toast))


async def on_skip_button(
    callback: CallbackQuery, callback_data: SkipButton, conversation: ConversationService
) -> None:
    contact = contact_of_callback(callback)
    toast = ""
    if contact is not None:
        toast = await conversation.skip(contact, callback_data.survey, callback_data.visit)
    await callback.answer(popup_text(toast))


async def on_stop_button(
    callback: CallbackQuery, callback_data: StopButton, conversation: ConversationService
) -> None:
    contact = contact_of_callback(callback)
    toast = ""
    if contact is not None:
        toast = await conversation.stop_survey(contact, callback_data.survey)
    await callback.answer(popup_text(toast))


async def on_unknown_button(callback: CallbackQuery) -> None:
    """A button from an older version of the bot: answered so the spinner stops."""
    await callback.answer()


def create_router() -> Router:
    """Customer handlers, in order: first match wins (commands before free text)."""
    router = Router(name="customers")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(cmd_start_link, CommandStart(deep_link=True))
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_help, Command("help"))
    router.message.register(cmd_stop, Command("stop"))
    router.message.register(on_unknown_command, F.text.regexp(r"^/[A-Za-z0-9_]+(@\w+)?(\s|$)"))
    router.message.register(on_text, F.text)
    router.message.register(on_other_message)
    router.callback_query.register(on_answer_button, AnswerButton.filter())
    router.callback_query.register(on_narrow_button, NarrowButton.filter())
    router.callback_query.register(on_skip_button, SkipButton.filter())
    router.callback_query.register(on_stop_button, StopButton.filter())
    router.callback_query.register(on_unknown_button)
    return router
