"""POST /telegram/webhook: updates from Telegram in webhook mode (several workers behind a
load balancer). The secret header is checked first (403), then the body must be a Telegram
Update (400); duplicates are dropped by the dispatcher."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from fastapi import APIRouter, HTTPException, Request
from pydantic import ValidationError

from bot.channels.telegram import CHANNEL
from bot.storable_text import without_nul
from bot.surveys.events import field_errors

if TYPE_CHECKING:
    from bot.channels.telegram.startup import TelegramConnection

router = APIRouter()

# Telegram's ids fit in 52 bits; the database keeps 64. Anything wider is not from Telegram.
_LARGEST_ID = 2**63 - 1


@router.post("/telegram/webhook", include_in_schema=False)
async def telegram_webhook(request: Request) -> dict[str, Any]:
    telegram: TelegramConnection | None = request.app.state.services.connections.get(CHANNEL)
    if telegram is None or not telegram.webhook:
        raise HTTPException(404, "webhook mode is off")
    # Bytes, not str: compare_digest refuses a str with characters beyond ASCII, and the
    # header's bytes are whatever the sender chose.
    given = dict(request.scope["headers"]).get(b"x-telegram-bot-api-secret-token", b"")
    if not secrets.compare_digest(given, telegram.webhook_secret.encode()):
        raise HTTPException(403, "wrong secret token")
    try:
        data = json.loads(await request.body())
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested past parsing
        raise HTTPException(400, "the body is not JSON") from None
    update = _update(cleaned(data), telegram.bot)
    try:
        update.event_type  # noqa: B018 (raises for a kind of update this bot does not know)
    except UpdateTypeLookupError:
        return {"ok": True}  # a newer kind of update: nothing here handles it; no retry
    await telegram.dispatcher.feed_webhook_update(telegram.bot, update)
    return {"ok": True}


def _update(data: Any, bot: Any) -> Update:
    if not isinstance(data, dict):
        raise HTTPException(400, "the body is not a Telegram update: expected a JSON object")
    try:
        return Update.model_validate(data, context={"bot": bot})
    except ValidationError as exc:
        problems = field_errors(list(exc.errors()))
        raise HTTPException(
            400, [{**p, "message": f"not a Telegram update: {p['message']}"} for p in problems]
        ) from None


def cleaned(data: Any) -> Any:
    """The update with NULs removed from its texts (PostgreSQL cannot store them) and an
    integer beyond 64 bits refused: walked without recursion, however deep."""
    root: list[Any] = [data]
    stack: list[tuple[list[Any] | dict[Any, Any], Any]] = [(root, 0)]
    while stack:
        holder, key = stack.pop()
        value = holder[key]
        if isinstance(value, str):
            holder[key] = without_nul(value)
        elif isinstance(value, int) and not -_LARGEST_ID <= value <= _LARGEST_ID:
            raise HTTPException(400, "the body is not a Telegram update: an id is out of range")
        elif isinstance(value, dict):
            stack.extend((value, k) for k in value)
        elif isinstance(value, list):
            stack.extend((value, i) for i in range(len(value)))
    return root[0]
