"""Delivers outbox messages through the Bot API and translates its errors.

Permanent, the message fails: 403 or "chat not found" -> Unreachable; other 400s, a file
too large, a group moved to a supergroup -> Rejected. "message is not modified" -> already
done. Transient, retried with backoff: 429 -> RetryLater(retry_after; a default when
Telegram gives none); 5xx, network errors, timeouts, a proxy's error page, an answer that
cannot be read, a refused token -> TransientFailure. (TelegramSession turns the answers
aiogram cannot classify into these exceptions.)
A timeout is the one ambiguous case: Telegram may have delivered the message before its
answer was lost, and the retry then shows it twice (docs/delivery.md).
Text goes in HTML parse mode; an over-long text is shortened as plain text.
A payload with a `photo` ({"png_base64", "filename"}) goes by sendPhoto, its `text` as the
caption (shortened the same way to 1024 characters).
"""

from __future__ import annotations

import base64
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile, LinkPreviewOptions, ReplyParameters

from bot.channels.telegram.capabilities import TELEGRAM
from bot.channels.telegram.keyboards import inline_keyboard
from bot.errors import Rejected, RetryLater, TransientFailure, Unreachable
from bot.messaging.channel import Delivery
from bot.messaging.rich_text import CAPTION_LIMIT, MESSAGE_TEXT_LIMIT, fit_message

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class TelegramSender:
    name = "telegram"
    capabilities = TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def is_group(self, address: str) -> bool:
        return address.startswith("-")  # groups and channels have negative chat ids

    async def deliver(self, delivery: Delivery) -> str | None:
        photo = delivery.payload.get("photo")
        try:
            chat_id = int(delivery.address)
            limit = CAPTION_LIMIT if photo is not None else MESSAGE_TEXT_LIMIT
            text, is_html = fit_message(delivery.payload["text"], limit)
            parse_mode = "HTML" if is_html else None
            markup = inline_keyboard(delivery.payload)
            picture = _photo_file(photo) if photo is not None else None
        except (KeyError, ValueError) as exc:  # a bad base64 photo is a ValueError too
            raise Rejected(f"the message cannot be built: {exc}") from None
        try:
            if picture is not None:
                if delivery.kind == "edit":
                    raise Rejected("a photo message cannot be edited into another photo")
                sent = await self.bot.send_photo(
                    chat_id=chat_id,
                    photo=picture,
                    caption=text or None,
                    parse_mode=parse_mode if text else None,
                    reply_markup=markup,
                )
                return str(sent.message_id)
            if delivery.kind == "edit":
                assert delivery.edit_message_id is not None
                await self.bot.edit_message_text(
                    text=text,
                    chat_id=chat_id,
                    message_id=int(delivery.edit_message_id),
                    parse_mode=parse_mode,
                    reply_markup=markup,
                    link_preview_options=_NO_PREVIEW,
                )
                return delivery.edit_message_id
            reply_to = delivery.payload.get("reply_to")
            sent = await self.bot.send_message(
                chat_id=chat_id,
                text=text,
                parse_mode=parse_mode,
                reply_markup=markup,
                link_preview_options=_NO_PREVIEW,
                reply_parameters=ReplyParameters(
                    message_id=int(reply_to), allow_sending_without_reply=True
                )
                if reply_to
                else None,
            )
            return str(sent.message_id)
        except TelegramRetryAfter as exc:
            raise RetryLater(float(exc.retry_after), "Telegram flood control") from None
        except TelegramForbiddenError as exc:
            raise Unreachable(exc.message) from None
        except TelegramBadRequest as exc:
            lowered = exc.message.lower()
            if "message is not modified" in lowered:
                return delivery.edit_message_id
            if "chat not found" in lowered or "user is deactivated" in lowered:
                raise Unreachable(exc.message) from None
            raise Rejected(exc.message) from None
        except TelegramEntityTooLarge as exc:  # before its base, TelegramNetworkError
            raise Rejected(f"too large for Telegram: {exc.message}") from None
        except (
            TelegramServerError,
            TelegramNetworkError,
            TelegramNotFound,
            TelegramConflictError,
        ) as exc:
            raise TransientFailure(str(exc)) from None
        except TelegramUnauthorizedError as exc:
            raise TransientFailure(f"the bot token was refused: {exc.message}") from None
        except TelegramAPIError as exc:  # e.g. a group that became a supergroup
            raise Rejected(f"{type(exc).__name__}: {exc.message}") from None
        except ClientDecodeError as exc:  # a 2xx that cannot be read: it may have gone out
            raise TransientFailure(f"an answer that cannot be read: {exc.message}") from None


def _photo_file(photo: dict[str, Any]) -> BufferedInputFile:
    """The picture of a photo payload: PNG bytes stored base64 in the outbox."""
    data = base64.b64decode(photo["png_base64"], validate=True)
    if not data:
        raise ValueError("the photo is empty")
    return BufferedInputFile(data, filename=str(photo.get("filename") or "chart.png"))
