"""POST /api/v1/events: a shop tells surveybot about a purchase."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bot.domain.events import PurchaseEvent
from bot.web.auth import require_api_key

if TYPE_CHECKING:
    from bot.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["events"])


class SurveyOut(BaseModel):
    id: int
    flow: str
    status: str
    skip_reason: str | None
    scheduled_for: str | None
    telegram_link: str | None
    web_link: str
    qr_code: str


class EventAccepted(BaseModel):
    event_id: str
    surveys: list[SurveyOut]


class ErrorOut(BaseModel):
    error: str
    detail: Any


@router.post(
    "/events",
    status_code=202,
    response_model=EventAccepted,
    dependencies=[Depends(require_api_key)],
    responses={
        200: {"model": EventAccepted, "description": "This event id was already received."},
        401: {"model": ErrorOut},
        403: {"model": ErrorOut},
        409: {"model": ErrorOut, "description": "This event id was used for another body."},
        422: {"model": ErrorOut, "description": "A field is invalid (named in `detail`)."},
    },
    summary="Report a purchase event",
)
async def post_event(event: PurchaseEvent, request: Request) -> JSONResponse:
    """Record the event and plan a survey for every flow triggered by its `type`.

    Idempotent by `id`: sending the same event again returns 200 and the same body, and
    changes nothing; the same id with a different body is refused with 409.
    """
    runtime: Runtime = request.app.state.runtime
    result = await runtime.ingest.ingest(event)
    return JSONResponse(result.body, status_code=result.status_code)
