"""GET /qr/<token>.png: the survey's link as a QR code, to print on a receipt. Only while
the survey can still be answered: the code of a closed one is 410, like its link."""

from __future__ import annotations

import io
from typing import Literal

import segno
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from bot.channels.web.chat import LinkState
from bot.channels.web.services import chat_services_of
from bot.storage.repositories.surveys import TOKEN_MAX_LENGTH
from bot.web.errors import error_responses

router = APIRouter(tags=["links"])

_UNKNOWN = "no survey has this link"


@router.get(
    "/qr/{token}.png",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "The code, as a PNG image."},
        **error_responses(
            400,
            404,
            410,
            422,
            notes={
                404: "No survey has this link, or `to=telegram` / `to=messenger` while "
                "that channel is off.",
                410: "The survey is closed: completed, expired or stopped.",
            },
        ),
    },
    summary="QR code of a survey link",
)
async def survey_qr_code(
    token: str,
    request: Request,
    to: Literal["auto", "telegram", "messenger", "web"] = Query(
        "auto",
        description="What the code opens: `web` (the chat page, for the bill or a table "
        "where not everyone has Telegram), `telegram`, `messenger` (the Page's chat, an "
        "m.me link), or `auto`: Telegram when the bot is on, else Messenger when the Page "
        "is, else the web.",
    ),
) -> Response:
    services = chat_services_of(request)
    if len(token) > TOKEN_MAX_LENGTH:
        raise HTTPException(404, _UNKNOWN)
    state = await services.web_chat.link_state(token)
    if state is LinkState.UNKNOWN:
        raise HTTPException(404, _UNKNOWN)
    if state is LinkState.CLOSED:
        raise HTTPException(410, "this survey is closed")
    links = services.links
    target = (
        links.preferred(token)
        if to == "auto"
        else links.web(token)
        if to == "web"
        else links.in_app(to, token)
    )
    if target is None:
        raise HTTPException(404, f"the {to.capitalize()} channel is off")
    buffer = io.BytesIO()
    segno.make(target, error="m").save(buffer, kind="png", scale=8, border=4)
    return Response(
        buffer.getvalue(),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )
