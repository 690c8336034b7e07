"""What the fake Zalo accepts in a request body: pure checks that raise ZaloError."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.zalo_models import (
    OA_INVALID_PARAMETER,
    OA_LIMIT_EXCEEDED,
    ZNS_INVALID_PARAMETER,
    ZNS_PARAMETER_INVALID,
    ZNS_PHONE_INVALID,
    ZNS_TEMPLATE_DATA_EMPTY,
    ZNS_TEMPLATE_DATA_INVALID,
    Button,
    Template,
    ZaloError,
)

MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 100
MAX_QUERY_PAYLOAD = 1000
QUERY_TYPES = ("oa.query.hide", "oa.query.show")
URL_TYPE = "oa.open.url"
PHONE_RE = re.compile(r"84\d{9}")  # international form of a 10-digit Vietnamese mobile
MAX_RATING_LIMIT = 10000  # an Odoo client's "Maximum 10000" (LIKELY)
MS_RE = re.compile(r"\d{1,15}")  # epoch milliseconds
COUNT_RE = re.compile(r"\d{1,9}")  # offset, limit


def _invalid(what: str) -> ZaloError:
    return ZaloError(OA_INVALID_PARAMETER, f"Invalid parameter: {what}")


def _too_much(what: str) -> ZaloError:
    return ZaloError(OA_LIMIT_EXCEEDED, f"Parameter exceeds allowable limit: {what}")


def recipient_user_id(body: Any) -> str:
    recipient = body.get("recipient") if isinstance(body, dict) else None
    user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
    if not isinstance(user_id, str) or not user_id:
        raise _invalid("recipient.user_id is required")
    return user_id


def consultation(body: Any) -> tuple[str, str, list[Button]]:
    """(user_id, text, buttons) of a /v3.0/oa/message/cs body."""
    user_id = recipient_user_id(body)
    message = body.get("message")
    if not isinstance(message, dict):
        raise _invalid("message is required")
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _invalid("message.text is required")
    if len(text) > MAX_TEXT:
        raise _too_much(f"message.text is longer than {MAX_TEXT} characters")
    return user_id, text, _buttons(message.get("attachment"))


def _buttons(attachment: Any) -> list[Button]:
    if attachment is None:
        return []
    if not isinstance(attachment, dict) or attachment.get("type") != "template":
        raise _invalid("attachment.type must be template")
    payload = attachment.get("payload")
    raw = payload.get("buttons") if isinstance(payload, dict) else None
    if not isinstance(raw, list) or not raw:
        raise _invalid("attachment.payload.buttons must be a non-empty list")
    if len(raw) > MAX_BUTTONS:
        raise _too_much(f"at most {MAX_BUTTONS} buttons")
    return [_button(i, b) for i, b in enumerate(raw)]


def _button(index: int, raw: Any) -> Button:
    where = f"buttons[{index}]"
    if not isinstance(raw, dict):
        raise _invalid(f"{where} must be an object")
    title, kind, payload = raw.get("title"), raw.get("type"), raw.get("payload")
    if not isinstance(title, str) or not title.strip():
        raise _invalid(f"{where}.title is required")
    if len(title) > MAX_BUTTON_TITLE:
        raise _too_much(f"{where}.title is longer than {MAX_BUTTON_TITLE} characters")
    if kind in QUERY_TYPES:
        if not isinstance(payload, str) or not payload:
            raise _invalid(f"{where}.payload must be a string")
        if len(payload) > MAX_QUERY_PAYLOAD:
            raise _too_much(f"{where}.payload is longer than {MAX_QUERY_PAYLOAD} characters")
    elif kind == URL_TYPE:
        url = payload.get("url") if isinstance(payload, dict) else None
        if not isinstance(url, str) or not re.match(r"https?://\S+$", url):
            raise _invalid(f"{where}.payload.url must be an http(s) URL")
    else:
        raise _invalid(f"{where}.type {kind!r} is not supported by the fake")
    return Button(title, kind, payload)


def template_fields(body: Any) -> tuple[str, dict[str, Any], str]:
    """(template_id, template_data, tracking_id) of a template send."""
    if not isinstance(body, dict):
        raise ZaloError(ZNS_INVALID_PARAMETER, "Invalid parameter: body must be JSON object")
    template_id, data, tracking_id = (
        body.get("template_id"),
        body.get("template_data"),
        body.get("tracking_id"),
    )
    if not isinstance(template_id, str | int) or not str(template_id):
        raise ZaloError(ZNS_INVALID_PARAMETER, "Invalid parameter: template_id is required")
    if not isinstance(data, dict) or not data:
        raise ZaloError(ZNS_TEMPLATE_DATA_EMPTY, "template_data is empty")
    if not isinstance(tracking_id, str) or not tracking_id:
        raise ZaloError(ZNS_INVALID_PARAMETER, "Invalid parameter: tracking_id is required")
    return str(template_id), data, tracking_id


def uid_template_fields(body: Any) -> tuple[str, str, dict[str, Any]]:
    """(user_id, template_id, template_data) of a UID send. Its tracking_id is refused: the
    UID channel takes none (LIKELY), so a client must not count on it coming back."""
    if not isinstance(body, dict):
        raise _invalid("body must be a JSON object")
    user_id = body.get("user_id")
    if not isinstance(user_id, str) or not user_id:
        raise _invalid("user_id is required")
    if "tracking_id" in body:
        raise _invalid("tracking_id is not accepted by the UID channel")
    template_id, data = body.get("template_id"), body.get("template_data")
    if not isinstance(template_id, str | int) or not str(template_id):
        raise _invalid("template_id is required")
    if not isinstance(data, dict) or not data:
        raise ZaloError(ZNS_TEMPLATE_DATA_EMPTY, "template_data is empty")
    return user_id, str(template_id), data


def rating_query(query: Any) -> tuple[str, int, int, int, int]:
    """(template_id, from_ms, to_ms, offset, limit) of a /rating/get query string: all five
    required, times in epoch milliseconds, 1 <= limit <= MAX_RATING_LIMIT."""
    template_id = query.get("template_id", "")
    if not template_id:
        raise _param("template_id is required")
    from_ms, to_ms = _digits(query, "from_time", MS_RE), _digits(query, "to_time", MS_RE)
    if from_ms > to_ms:
        raise _param("from_time is after to_time")
    offset, limit = _digits(query, "offset"), _digits(query, "limit")
    if not 1 <= limit <= MAX_RATING_LIMIT:
        raise _param(f"limit must be 1 to {MAX_RATING_LIMIT}")
    return template_id, from_ms, to_ms, offset, limit


def _digits(query: Any, name: str, pattern: re.Pattern[str] = COUNT_RE) -> int:
    value = query.get(name, "")
    if pattern.fullmatch(value) is None:
        raise _param(f"{name} must be a whole number")
    return int(value)


def _param(what: str) -> ZaloError:
    return ZaloError(ZNS_PARAMETER_INVALID, f"Parameter invalid: {what}")


def phone(body: dict[str, Any]) -> str:
    value = body.get("phone")
    if not isinstance(value, str) or PHONE_RE.fullmatch(value) is None:
        raise ZaloError(ZNS_PHONE_INVALID, "Phone number is invalid (expected 84xxxxxxxxx)")
    return value


def template_data(template: Template, data: dict[str, Any]) -> None:
    """Exactly the template's params, each a non-empty string (a typo is an error)."""
    missing = sorted(template.params - data.keys())
    unknown = sorted(data.keys() - template.params)
    if missing or unknown:
        raise ZaloError(
            ZNS_TEMPLATE_DATA_INVALID,
            f"template_data does not match template {template.template_id}: "
            f"missing {missing}, unknown {unknown}",
        )
    for key, value in data.items():
        if not isinstance(value, str) or not value:
            raise ZaloError(ZNS_TEMPLATE_DATA_INVALID, f"template_data.{key} must be text")
