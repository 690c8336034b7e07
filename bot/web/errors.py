"""Error responses: one body everywhere, `{"error": <name>, "detail": ...}`.

`error` is a stable name (`invalid_request`, `bad_request`, `unauthorized`, `not_found`...);
`detail` says what to fix: a sentence, a list of `{"field", "message"}` (a bad field, query
parameter, path or body), or an object with the facts of a conflict. The OpenAPI document
lists exactly this body for every error an operation can answer (`error_responses`), in
place of FastAPI's default `HTTPValidationError`. Nothing leaks a traceback: unexpected
errors are answered by `bot.web.error_boundary`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from bot.surveys.events import field_errors


class FieldProblem(BaseModel):
    field: str = Field(
        description="What is wrong: a body field (`customer.timezone`), a query parameter, "
        "`path`, `query` or `body`.",
        examples=["customer.timezone"],
    )
    message: str = Field(examples=["unknown timezone"])


class ErrorBody(BaseModel):
    """Every error answer of the HTTP API."""

    error: str = Field(description="A stable name for the kind of error.", examples=["not_found"])
    detail: str | list[FieldProblem] | dict[str, Any] = Field(
        description="What to fix: a sentence, the fields at fault, or the facts of a conflict."
    )


ERROR_NAMES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal",
}

_DESCRIPTIONS = {
    400: "The path, a query value or the body cannot be read (a NUL byte, not UTF-8); "
    "`detail` names where.",
    401: "The API key is missing or wrong: send `Authorization: Bearer <key>`.",
    403: "The API is off: no key is configured (SURVEYBOT_API_KEYS).",
    404: "Nothing has this name.",
    409: "A conflict; `detail` says with what.",
    410: "It existed but is closed now.",
    413: "The body is over the size limit (1 MiB).",
    422: "A field is invalid; `detail` names each one.",
}


def error_responses(
    *statuses: int, notes: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of the errors an operation can answer, all with ErrorBody;
    `notes` replaces the general description of a status with the operation's own."""
    notes = notes or {}
    return {
        status: {"model": ErrorBody, "description": notes.get(status, _DESCRIPTIONS[status])}
        for status in statuses
    }


def error_body(status: int, detail: Any) -> dict[str, Any]:
    return {"error": ERROR_NAMES.get(status, "error"), "detail": detail}


def error_json(status: int, detail: Any) -> JSONResponse:
    return JSONResponse(error_body(status, detail), status)


async def send_error(send: Send, status: int, detail: Any) -> None:
    """The error body from a plain ASGI middleware (no request object needed)."""
    body = json.dumps(error_body(status, detail), separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_json(422, field_errors([_readable(error) for error in exc.errors()]))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = error_json(exc.status_code, exc.detail)
        response.headers.update(getattr(exc, "headers", None) or {})
        return response


def _readable(error: Any) -> Any:
    """A JSON syntax error is about the body as a whole (FastAPI places it at a character
    offset, which reads like a list index)."""
    if error.get("type") != "json_invalid":
        return error
    reason = (error.get("ctx") or {}).get("error", "")
    return {"loc": ("body",), "msg": f"is not valid JSON: {reason}".rstrip(": ")}
