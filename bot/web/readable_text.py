"""Text from outside is checked at the edge: it must be UTF-8 and hold no NUL byte.

PostgreSQL cannot store a NUL in a text column (and SQLite would keep it, so the databases
would disagree), and no real link, code or name has one. `UrlTextGuard` checks the path and
every query parameter of every request once, before any route runs, and answers 400 naming
where; `StorableText` is the same rule for a text field of a JSON body. Free text typed by a
person (a web chat comment) has its NULs removed instead (`without_nul`): the words stay.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote_to_bytes

from pydantic import AfterValidator
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.web.errors import send_error

NUL = "contains a NUL byte"
NOT_UTF8 = "is not valid UTF-8"
_NAME_SHOWN = 40  # a parameter name is quoted up to this length


def bytes_problem(raw: bytes) -> str | None:
    """Why these bytes are not acceptable text, or None."""
    if b"\x00" in raw:
        return NUL
    try:
        raw.decode("utf-8")  # strict: also refuses encoded surrogates
    except UnicodeDecodeError:
        return NOT_UTF8
    return None


def _storable(value: str) -> str:
    # (A lone surrogate, from a JSON escape like "\ud800", pydantic's str already refuses.)
    if "\x00" in value:
        raise ValueError("must not contain a NUL byte")
    return value


StorableText = Annotated[str, AfterValidator(_storable)]


def without_nul(text: str) -> str:
    return text.replace("\x00", "")


def url_problem(scope: Scope) -> tuple[str, str] | None:
    """(where, what) of the first unreadable part of the URL: the path, a parameter name, or
    a parameter's value (named by the parameter)."""
    raw_path = scope.get("raw_path") or str(scope.get("path", "")).encode("utf-8", "replace")
    problem = bytes_problem(unquote_to_bytes(raw_path.split(b"?", 1)[0]))
    if problem:
        return "path", problem
    for pair in (scope.get("query_string") or b"").split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        name = unquote_to_bytes(raw_name.replace(b"+", b" "))
        problem = bytes_problem(name)
        if problem:
            return "query", f"a parameter name {problem}"
        problem = bytes_problem(unquote_to_bytes(raw_value.replace(b"+", b" ")))
        if problem:
            return name.decode()[:_NAME_SHOWN], problem
    return None


class UrlTextGuard:
    """400 for a request whose path or query string is not readable text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (problem := url_problem(scope)) is not None:
            where, what = problem
            await send_error(send, 400, [{"field": where, "message": what}])
            return
        await self.app(scope, receive, send)
