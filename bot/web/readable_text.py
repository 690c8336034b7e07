"""Text from outside is checked at the edge: it must be UTF-8 and hold no NUL byte.

PostgreSQL cannot store a NUL in a text column (and SQLite would keep it, so the databases
would disagree), and no real link, code or name has one. `UrlTextGuard` checks the path and
every query parameter of every request once, before any route runs, and answers 400 naming
where. Fields of bodies follow the same rule (bot.storable_text).
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

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
