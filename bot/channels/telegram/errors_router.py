"""When handling an update fails: log it, and tell the person to try again.

The failed transaction rolled back, so nothing was half-recorded and the question's
buttons still work: trying again is exactly the right advice.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from bot.errors import SurveybotError
from bot.messaging.locales import choose_locale
from bot.messaging.rich_text import popup_text
from bot.messaging.texts import MessageTexts

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, bot: Bot, texts: MessageTexts) -> bool:
    update = event.update
    log.error(
        "update %s failed: %s",
        update.update_id,
        event.exception,
        exc_info=not isinstance(event.exception, SurveybotError),
    )
    user = (
        update.callback_query.from_user
        if update.callback_query
        else (update.message.from_user if update.message else None)
    )
    locale = choose_locale(
        (user.language_code if user else None,),
        lambda candidate: texts.has_template("bot/try_again.j2", candidate),
        "en",
    )
    apology = texts.phrase("try_again", locale)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(popup_text(apology), show_alert=True)
        elif update.message is not None and update.message.chat.type == "private":
            await bot.send_message(update.message.chat.id, apology)
    except TelegramAPIError:
        log.warning("could not tell the customer about the failure of update %s", update.update_id)
    return True


def create_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
