"""The aiohttp session to the Bot API, classifying every answer, not only Telegram's own.

aiogram reads an answer as JSON and raises by status code, but some answers are not the
Bot API's: a proxy's HTML "502 Bad Gateway" (a ClientDecodeError to aiogram), a 429 with no
`retry_after` (a bare TelegramAPIError, taken for a refusal), a 5xx without a description
(a TypeError inside aiogram). Those are transient, and this session raises them as such:

- 429 without `retry_after`        -> TelegramRetryAfter(DEFAULT_FLOOD_WAIT)
- 5xx that is not a Bot API answer -> TelegramServerError
- 413 that is not a Bot API answer -> TelegramEntityTooLarge (a proxy's upload limit)
- another status with a page that is not a Bot API answer (a proxy's or firewall's)
                                   -> TelegramNetworkError: the way to Telegram failed
A 2xx that cannot be read is left to aiogram (ClientDecodeError): the request may well have
been carried out.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import (
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

# Seconds to wait after a 429 that does not say how long: the few seconds Telegram itself
# usually asks for (aiogram's notes on RestartingTelegram mention RetryAfter with 5 s).
DEFAULT_FLOOD_WAIT = 5
_SNIPPET = 120


class TelegramSession(AiohttpSession):
    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        if HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            return super().check_response(bot, method, status_code, content)
        answer = _bot_api_error(content)
        if answer is None:
            raise _not_from_telegram(method, status_code, content)
        if status_code == HTTPStatus.TOO_MANY_REQUESTS and not _retry_after(answer):
            raise TelegramRetryAfter(
                method=method, message=answer["description"], retry_after=DEFAULT_FLOOD_WAIT
            )
        return super().check_response(bot, method, status_code, content)


def _bot_api_error(content: str) -> dict[str, Any] | None:
    """The answer, if it is a Bot API error object (with its description); else None."""
    try:
        answer = json.loads(content)
    except ValueError:
        return None
    if not isinstance(answer, dict) or not isinstance(answer.get("description"), str):
        return None
    return answer


def _retry_after(answer: dict[str, Any]) -> bool:
    parameters = answer.get("parameters")
    return isinstance(parameters, dict) and bool(parameters.get("retry_after"))


def _not_from_telegram(
    method: TelegramMethod[Any], status_code: int, content: str
) -> TelegramNetworkError | TelegramRetryAfter | TelegramServerError:
    snippet = " ".join(content.split())[:_SNIPPET] or "an empty body"
    message = f"HTTP {status_code} that is not a Bot API answer: {snippet}"
    if status_code == HTTPStatus.TOO_MANY_REQUESTS:
        return TelegramRetryAfter(method=method, message=message, retry_after=DEFAULT_FLOOD_WAIT)
    if status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return TelegramServerError(method=method, message=message)
    if status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        return TelegramEntityTooLarge(method=method, message=message)
    return TelegramNetworkError(method=method, message=message)
