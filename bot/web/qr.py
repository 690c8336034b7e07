"""GET /qr/<token>.png: the survey's link as a QR code, to print on a receipt."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Literal

import segno
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from bot.storage.repositories.surveys import TOKEN_MAX_LENGTH

if TYPE_CHECKING:
    from bot.runtime import Runtime

router = APIRouter(tags=["links"])


@router.get(
    "/qr/{token}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, 404: {"description": "Unknown survey."}},
    summary="QR code of a survey link",
)
async def survey_qr_code(
    token: str,
    request: Request,
    to: Literal["auto", "telegram", "web"] = Query(
        "auto",
        description="What the code opens: `web` (the chat page, for the bill or a table "
        "where not everyone has Telegram), `telegram`, or `auto`: Telegram when the bot is "
        "on, else the web.",
    ),
) -> Response:
    runtime: Runtime = request.app.state.runtime
    if len(token) > TOKEN_MAX_LENGTH:
        raise HTTPException(404, "no survey has this link")
    async with runtime.db.reading() as tx:
        survey = await tx.surveys.by_token(token)
    if survey is None:
        raise HTTPException(404, "no survey has this link")
    links = runtime.links
    target = {"auto": links.preferred, "web": links.web, "telegram": links.telegram}[to](token)
    if target is None:
        raise HTTPException(404, "the Telegram channel is off (SURVEYBOT_TELEGRAM_TOKEN)")
    buffer = io.BytesIO()
    segno.make(target, error="m").save(buffer, kind="png", scale=8, border=4)
    return Response(
        buffer.getvalue(),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )
