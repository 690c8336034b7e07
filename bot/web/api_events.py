"""POST /api/v1/events: a shop tells surveybot about a purchase."""

from __future__ import annotations

from fastapi import APIRouter, Request, Security
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bot.surveys.events import PurchaseEvent
from bot.web.auth import ApiKeyRoute, bearer_scheme
from bot.web.errors import error_responses
from bot.web.services import services_of

router = APIRouter(
    prefix="/api/v1",
    tags=["events"],
    route_class=ApiKeyRoute,
    dependencies=[Security(bearer_scheme)],
)


class SurveyOut(BaseModel):
    id: int
    flow: str
    status: str
    skip_reason: str | None
    scheduled_for: str | None
    telegram_link: str | None
    messenger_link: str | None = None  # m.me/<page>?ref=<token>, when the Page is on
    web_link: str
    qr_code: str


class EventAccepted(BaseModel):
    event_id: str
    surveys: list[SurveyOut]


@router.post(
    "/events",
    status_code=202,
    response_model=EventAccepted,
    responses={
        200: {"model": EventAccepted, "description": "This event id was already received."},
        **error_responses(
            400, 401, 403, 409, 413, 422, notes={409: "This event id was used for another body."}
        ),
    },
    summary="Report a purchase event",
)
async def post_event(event: PurchaseEvent, request: Request) -> JSONResponse:
    """Record the event and plan a survey for every flow triggered by its `type`.

    Idempotent by `id`: sending the same event again returns 200 and the same body, and
    changes nothing; the same id with a different body is refused with 409.
    """
    services = services_of(request)
    result = await services.ingest.ingest(event)
    return JSONResponse(result.body, status_code=result.status_code)
