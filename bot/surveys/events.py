"""Purchase events as shops send them (the body of POST /api/v1/events, or a CSV row).

Strict on purpose: an unknown key is an error naming it (a typo like `telegram_chatid`
would otherwise silently lose the chat), times must carry a UTC offset, and a timezone
must be a real IANA name. Every value fits the column it is stored in (lengths, 64-bit
integers, finite numbers, text without NUL characters), so a request that passes
validation can always be stored, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from bot.storable_text import NO_NUL_PATTERN, NO_NUL_SCHEMA, STORABLE, storable_text
from bot.surveys.timing import is_valid_zone

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1  # a BIGINT column (and SQLite's INTEGER)
ATTRIBUTE_TEXT_LIMIT = 256
EARLIEST_EVENT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_EVENT = datetime(2100, 1, 1, tzinfo=UTC)  # a fixed bound; see `problems_at` for now
FUTURE_TOLERANCE = timedelta(days=1)  # clocks differ; a day ahead is a mistake, not skew


def _storable_attribute(value: str | int | float | bool) -> str | int | float | bool:
    """A segment value: text, true/false, or a finite number a 64-bit column could hold."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not (math.isfinite(value) and BIGINT_MIN <= value <= BIGINT_MAX):
            raise ValueError(
                f"must be a finite number from {BIGINT_MIN} to {BIGINT_MAX} (not NaN or Infinity)"
            )
        return value
    if len(value) > ATTRIBUTE_TEXT_LIMIT:
        raise ValueError(f"must be at most {ATTRIBUTE_TEXT_LIMIT} characters")
    return storable_text(value)


# Text fields, each as long as its column at most.
Text128 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
    STORABLE,
    NO_NUL_SCHEMA,
]
Text64 = Annotated[str, StringConstraints(max_length=64), STORABLE, NO_NUL_SCHEMA]
Text200 = Annotated[str, StringConstraints(max_length=200), STORABLE, NO_NUL_SCHEMA]
Name200 = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200), STORABLE, NO_NUL_SCHEMA
]
AttributeKey = Annotated[str, StringConstraints(min_length=1, max_length=64), STORABLE]
AttributeValue = Annotated[
    str | int | float | bool,
    AfterValidator(_storable_attribute),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": ATTRIBUTE_TEXT_LIMIT, "pattern": NO_NUL_PATTERN},
                {"type": "number", "minimum": BIGINT_MIN, "maximum": BIGINT_MAX},
                {"type": "boolean"},
            ]
        }
    ),
]
EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(_Strict):
    sku: Text64 | None = None
    name: Text200 | None = None
    qty: int = Field(default=1, ge=0, le=1_000_000)


class OrderIn(_Strict):
    id: Text128
    amount: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    items: list[Item] = Field(default_factory=list, max_length=500)
    store: Text64 | None = None


E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
MAX_CONTACTS = 10


class ContactIn(_Strict):
    """One way to reach the customer: their address on a channel."""

    channel: Literal["telegram", "zalo", "messenger", "whatsapp"]
    address: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
        STORABLE,
        NO_NUL_SCHEMA,
    ] = Field(description="Telegram: the private chat id; Zalo: the user id; Messenger: the PSID.")

    @model_validator(mode="after")
    def _address_fits_channel(self) -> ContactIn:
        if self.channel == "telegram" and not (
            self.address.isascii()
            and self.address.isdigit()
            and 0 < int(self.address) <= BIGINT_MAX
        ):
            raise ValueError("a Telegram address is a private chat id: a positive whole number")
        return self


class CustomerIn(_Strict):
    id: Text128
    name: Name200 | None = None
    locale: (
        Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2,3}([-_][a-zA-Z]{2})?$")] | None
    ) = None
    timezone: Text64 | None = Field(default=None, examples=["Asia/Ho_Chi_Minh"])
    telegram_chat_id: int | None = Field(
        default=None,
        gt=0,
        le=BIGINT_MAX,
        description='A private chat id: shorthand for a contact {"channel": "telegram", ...}.',
    )
    contacts: list[ContactIn] = Field(
        default_factory=list,
        max_length=MAX_CONTACTS,
        description="Where the customer can be reached: an address per channel.",
    )
    phone: Annotated[str, StringConstraints(pattern=E164_PATTERN)] | None = Field(
        default=None,
        examples=["+84901234567"],
        description="E.164, for channels that reach a phone number.",
    )
    attributes: dict[AttributeKey, AttributeValue] = Field(
        default_factory=dict, max_length=50, description="Segments: tier, city, ..."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_zone(value):
            raise ValueError(f"{value!r} is not an IANA timezone, e.g. Asia/Ho_Chi_Minh")
        return value

    def all_contacts(self) -> list[ContactIn]:
        """The contacts given, the `telegram_chat_id` shorthand among them, each once."""
        given = list(self.contacts)
        if self.telegram_chat_id is not None:
            given.append(ContactIn(channel="telegram", address=str(self.telegram_chat_id)))
        unique: dict[tuple[str, str], ContactIn] = {}
        for contact in given:
            unique.setdefault((contact.channel, contact.address), contact)
        return list(unique.values())


class PurchaseEvent(_Strict):
    id: Text128 = Field(description="Your unique id for this event; retries reuse it.")
    type: Annotated[str, StringConstraints(pattern=EVENT_TYPE_PATTERN, max_length=64)] = Field(
        examples=["order.delivered"]
    )
    occurred_at: AwareDatetime = Field(
        description="With a UTC offset, e.g. +07:00; at most a day ahead of the server's clock."
    )
    order: OrderIn
    customer: CustomerIn

    @field_validator("occurred_at")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        try:
            utc = value.astimezone(UTC)
        except OverflowError:  # year 1 at +14:00, year 9999 at -14:00
            utc = None
        if utc is None or not EARLIEST_EVENT <= utc < LATEST_EVENT:
            raise ValueError(
                f"{value.isoformat()} is out of range; send when the order happened, "
                f"from {EARLIEST_EVENT:%Y-%m-%d} to now"
            )
        return value  # as sent: the fingerprint of a retry must not change

    def problems_at(self, now: datetime) -> list[dict[str, str]]:
        """What only the current time can tell: an event from the future (shaped like
        `field_errors`). A survey scheduled years ahead would hold the customer's
        cooldown all that time."""
        if self.occurred_at.astimezone(UTC) > now + FUTURE_TOLERANCE:
            return [
                {
                    "field": "occurred_at",
                    "message": f"{self.occurred_at.isoformat()} is more than a day in the "
                    f"future (the server's time is {now.astimezone(UTC):%Y-%m-%dT%H:%M}Z); "
                    "send when the order happened, with its UTC offset",
                }
            ]
        return []

    def fingerprint(self) -> str:
        """Identifies the content, so a retry is told apart from a different event."""
        content = self.model_dump(mode="json")
        # Fields added later count only when given, so a retry of an event sent before
        # they existed keeps its fingerprint.
        for key in ("contacts", "phone"):
            if not content["customer"][key]:
                del content["customer"][key]
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False)
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
