"""GET /qr/<token>.png: the survey's link as a QR code, to print on a receipt."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import segno
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

if TYPE_CHECKING:
    from bot.runtime import Runtime

router = APIRouter(tags=["links"])


@router.get(
    "/qr/{token}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, 404: {"description": "Unknown survey."}},
    summary="QR code of a survey link",
)
async def survey_qr_code(token: str, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    if len(token) > 64:
        raise HTTPException(404, "no survey has this link")
    async with runtime.db.reading() as tx:
        survey = await tx.surveys.by_token(token)
    if survey is None:
        raise HTTPException(404, "no survey has this link")
    buffer = io.BytesIO()
    segno.make(runtime.links.preferred(token), error="m").save(
        buffer, kind="png", scale=8, border=4
    )
    return Response(
        buffer.getvalue(),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )
