"""`surveybot import orders.csv`: purchase events from a spreadsheet, for shops with no API.

Each row becomes an event and goes through the same ingest as the API (idempotent: import
the same file twice and nothing changes). Columns, by header name:

    occurred_at, order_id, customer_id            required
    event_id   (default csv:<type>:<order_id>)    type (default --type, order.delivered)
    amount, currency, store, customer_name, locale, timezone, telegram_chat_id
    items      (JSON list of {"sku", "name", "qty"})
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.domain.events import PurchaseEvent, field_errors
from bot.errors import SurveybotError
from bot.services.ingest import IngestService

REQUIRED = ("occurred_at", "order_id", "customer_id")


@dataclass
class ImportReport:
    rows: int = 0
    new_events: int = 0
    repeated: int = 0
    bad_rows: int = 0
    problems: list[str] = field(default_factory=list)
    surveys: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        planned = ", ".join(f"{n} {status}" for status, n in sorted(self.surveys.items()))
        return (
            f"{self.rows} row(s): {self.new_events} new event(s), {self.repeated} already "
            f"imported, {self.bad_rows} with problems; surveys: {planned or 'none'}"
        )


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; a clear error for a missing or unreadable file."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SurveybotError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [name for name in REQUIRED if name not in (reader.fieldnames or [])]
        if missing:
            raise SurveybotError(
                f"{path} has no column {', '.join(missing)}; the header needs at least "
                f"{', '.join(REQUIRED)}"
            )
        try:
            for row in reader:
                yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}
        except UnicodeDecodeError:
            raise SurveybotError(f"{path} is not UTF-8 text; save it as CSV UTF-8") from None


def row_to_event(row: dict[str, str], default_type: str) -> dict[str, Any]:
    event_type = row.get("type") or default_type
    items = json.loads(row["items"]) if row.get("items") else []
    optional = {
        "amount": row.get("amount"),
        "currency": row.get("currency"),
        "store": row.get("store"),
    }
    customer = {
        "name": row.get("customer_name"),
        "locale": row.get("locale"),
        "timezone": row.get("timezone"),
        "telegram_chat_id": row.get("telegram_chat_id"),
    }
    return {
        "id": row.get("event_id") or f"csv:{event_type}:{row.get('order_id', '')}",
        "type": event_type,
        "occurred_at": row.get("occurred_at"),
        "order": {
            "id": row.get("order_id"),
            "items": items,
            **{k: v for k, v in optional.items() if v},
        },
        "customer": {"id": row.get("customer_id"), **{k: v for k, v in customer.items() if v}},
    }


async def import_csv(path: Path, ingest: IngestService, default_type: str) -> ImportReport:
    report = ImportReport()
    for line, row in read_rows(path):
        report.rows += 1
        try:
            event = PurchaseEvent.model_validate(row_to_event(row, default_type))
        except json.JSONDecodeError as exc:
            report.bad_rows += 1
            report.problems.append(f"{path}:{line}: items: not a JSON list ({exc.msg})")
            continue
        except ValidationError as exc:
            report.bad_rows += 1
            for problem in field_errors(list(exc.errors())):
                report.problems.append(f"{path}:{line}: {problem['field']}: {problem['message']}")
            continue
        result = await ingest.ingest(event)
        if result.status_code == 409:
            report.bad_rows += 1
            report.problems.append(f"{path}:{line}: {result.body['detail']}")
            continue
        if result.status_code == 200:
            report.repeated += 1
            continue
        report.new_events += 1
        report.surveys.update(survey["status"] for survey in result.body["surveys"])
    return report
