"""Purchase events as shops send them (the body of POST /api/v1/events, or a CSV row).

Strict on purpose: an unknown key is an error naming it (a typo like `telegram_chatid`
would otherwise silently lose the chat), times must carry a UTC offset, and a timezone
must be a real IANA name.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from bot.domain.timing import is_valid_zone

Text128 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
AttributeValue = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(_Strict):
    sku: Annotated[str, StringConstraints(max_length=64)] | None = None
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    qty: int = Field(default=1, ge=0, le=1_000_000)


class OrderIn(_Strict):
    id: Text128
    amount: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    items: list[Item] = Field(default_factory=list, max_length=500)
    store: Annotated[str, StringConstraints(max_length=64)] | None = None


class CustomerIn(_Strict):
    id: Text128
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    locale: (
        Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2,3}([-_][a-zA-Z]{2})?$")] | None
    ) = None
    timezone: str | None = Field(default=None, examples=["Asia/Ho_Chi_Minh"])
    telegram_chat_id: int | None = Field(default=None, gt=0, description="A private chat id.")
    attributes: dict[Annotated[str, StringConstraints(max_length=64)], AttributeValue] = Field(
        default_factory=dict, max_length=50, description="Segments: tier, city, ..."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_zone(value):
            raise ValueError(f"{value!r} is not an IANA timezone, e.g. Asia/Ho_Chi_Minh")
        return value


class PurchaseEvent(_Strict):
    id: Text128 = Field(description="Your unique id for this event; retries reuse it.")
    type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")] = Field(
        examples=["order.delivered"]
    )
    occurred_at: AwareDatetime = Field(description="With a UTC offset, e.g. +07:00.")
    order: OrderIn
    customer: CustomerIn

    def fingerprint(self) -> str:
        """Identifies the content, so a retry is told apart from a different event."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def field_path(location: tuple[int | str, ...] | list[int | str]) -> str:
    """("body", "customer", "timezone") -> "customer.timezone"; list items as [n]."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def field_errors(errors: list[Any]) -> list[dict[str, str]]:
    """Pydantic errors as [{"field": "customer.timezone", "message": "..."}]."""
    return [
        {
            "field": field_path(error.get("loc", ())),
            "message": str(error.get("msg", "invalid")).removeprefix("Value error, "),
        }
        for error in errors
    ]
