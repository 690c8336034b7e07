"""POST /telegram/webhook: updates from Telegram in webhook mode (several workers behind a
load balancer). The secret header is checked; duplicates are dropped by the dispatcher."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request

if TYPE_CHECKING:
    from bot.runtime import Runtime

router = APIRouter()


@router.post("/telegram/webhook", include_in_schema=False)
async def telegram_webhook(request: Request) -> dict[str, Any]:
    runtime: Runtime = request.app.state.runtime
    telegram = runtime.telegram
    if telegram is None or not telegram.webhook:
        raise HTTPException(404, "webhook mode is off")
    expected = telegram.webhook_secret
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not secrets.compare_digest(given, expected):
        raise HTTPException(403, "wrong secret token")
    try:
        update = await request.json()
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None
    await telegram.dispatcher.feed_webhook_update(telegram.bot, update)
    return {"ok": True}
