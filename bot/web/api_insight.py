"""GET /api/v1/metrics, /api/v1/responses and /api/v1/responses/export (Bearer key).

Filters are query parameters shared by the three; a bad one is a 422 naming it. `from`
and `to` are ISO dates or datetimes, read in the shop's timezone when they carry no
offset; a date `to` includes that whole day, a datetime `to` is exclusive.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from bot.flows.schema import IDENTIFIER_PATTERN
from bot.insight.export import ExportFormat, csv_chunks, write_xlsx
from bot.insight.figures import Grouping
from bot.insight.reports import GROUPS, ResponseFilter, parse_moment
from bot.web.auth import ApiKeyRoute, bearer_scheme
from bot.web.errors import error_responses
from bot.web.services import services_of

router = APIRouter(
    prefix="/api/v1",
    tags=["insight"],
    route_class=ApiKeyRoute,
    dependencies=[Security(bearer_scheme)],
)

_ERRORS = error_responses(
    400, 401, 403, 422, notes={422: "A query parameter is invalid; `detail` names it."}
)
Text64 = Annotated[str | None, Query(min_length=1, max_length=64)]


def invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("query", field), "msg": message, "type": "value_error"}]
    )


def moment_of(text: str, field: str, tz: ZoneInfo, *, end: bool) -> datetime:
    try:
        return parse_moment(text, tz, end=end)
    except ValueError as exc:
        raise invalid(field, str(exc)) from None


async def response_filter(
    request: Request,
    flow: Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN, description="A flow id.")] = None,
    from_: Annotated[
        str | None,
        Query(alias="from", description="Start (ISO date or datetime; shop time if no offset)."),
    ] = None,
    to: Annotated[
        str | None, Query(description="End: a date includes that day; a datetime is exclusive.")
    ] = None,
    store: Text64 = None,
    channel: Text64 = None,
    sku: Text64 = None,
    segment: Annotated[
        str | None,
        Query(max_length=200, description="A customer attribute and value: `tier:gold`."),
    ] = None,
    search: Annotated[
        str | None, Query(max_length=200, description="Words the comment contains (all).")
    ] = None,
    score: Annotated[
        Literal["csat", "nps", "ces"], Query(description="The score min/max_score bound.")
    ] = "nps",
    min_score: Annotated[int | None, Query(ge=0, le=10)] = None,
    max_score: Annotated[int | None, Query(ge=0, le=10)] = None,
    has_comment: bool | None = None,
) -> ResponseFilter:
    services = services_of(request)
    tz = services.insight.timezone
    start = moment_of(from_, "from", tz, end=False) if from_ else None
    end = moment_of(to, "to", tz, end=True) if to else None
    if start is not None and end is not None and end <= start:
        raise invalid("to", "must come after `from`")
    if min_score is not None and max_score is not None and min_score > max_score:
        raise invalid("max_score", "must not be below min_score")
    attribute_value: tuple[str, str] | None = None
    if segment is not None:
        attribute, separator, value = segment.partition(":")
        if not separator or not attribute.strip():
            raise invalid("segment", "write a customer attribute and a value: tier:gold")
        attribute_value = (attribute.strip(), value.strip())
    if flow is not None and flow not in await services.insight.known_flows():
        raise invalid(
            "flow", f"no flow {flow!r}; flows: {', '.join(sorted(services.catalog.flows))}"
        )
    return ResponseFilter(
        flow=flow,
        start=start,
        end=end,
        store=store,
        channel=channel,
        sku=sku,
        segment=attribute_value,
        search=search.strip() or None if search else None,
        score=score,
        min_score=min_score,
        max_score=max_score,
        has_comment=has_comment,
    )


Filters = Annotated[ResponseFilter, Depends(response_filter)]


@router.get("/metrics", responses=_ERRORS, summary="CSAT, NPS, CES, funnel and case figures")
async def get_metrics(
    request: Request,
    filters: Filters,
    group_by: Annotated[
        str | None, Query(max_length=80, description=f"One of: {', '.join(GROUPS)}.")
    ] = None,
) -> dict[str, Any]:
    """Every figure comes with `n`, the number of answers (or surveys, or cases) behind
    it; with `group_by`, the same figures per group in `groups`."""
    services = services_of(request)
    try:
        Grouping.parse(group_by)
        return await services.insight.metrics(filters, group_by)
    except ValueError as exc:  # an unknown grouping, or too many periods for the dates
        raise invalid("group_by", str(exc)) from None


@router.get("/responses", responses=_ERRORS, summary="The responses, newest first")
async def get_responses(
    request: Request,
    filters: Filters,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """One row per survey that got an answer: when, flow, customer, store, channel, SKUs,
    scores, reason, comment, language; `total` counts all pages."""
    services = services_of(request)
    result = await services.insight.responses(filters, page, per_page)
    return result.to_json(services.insight.timezone)


@router.get(
    "/responses/export",
    responses={
        **_ERRORS,
        200: {
            "content": {ExportFormat.CSV.media_type: {}, ExportFormat.XLSX.media_type: {}},
            "description": "The responses as a spreadsheet (attachment).",
        },
    },
    response_class=StreamingResponse,
    summary="Export the responses (CSV or XLSX)",
)
async def export_responses(
    request: Request,
    filters: Filters,
    format: Annotated[ExportFormat, Query(description="csv or xlsx")] = ExportFormat.CSV,
) -> StreamingResponse:
    services = services_of(request)
    insight = services.insight
    name = f"responses-{insight.clock.now().astimezone(insight.timezone):%Y%m%d-%H%M}"
    headers = {"Content-Disposition": f'attachment; filename="{name}.{format.value}"'}
    rows = insight.rows(filters)
    if format is ExportFormat.CSV:
        return StreamingResponse(
            csv_chunks(rows, insight.timezone), media_type=format.media_type, headers=headers
        )
    # A workbook is a zip written at the end: spool it (to disk past 8 MB), then stream it.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)  # noqa: SIM115 (closed below)
    await write_xlsx(rows, insight.timezone, spool)
    spool.seek(0)
    return StreamingResponse(
        iter(lambda: spool.read(2**16), b""),
        media_type=format.media_type,
        headers=headers,
        background=BackgroundTask(spool.close),
    )
