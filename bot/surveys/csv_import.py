"""`surveybot import orders.csv`: purchase events from a spreadsheet, for shops with no API.

Each row becomes an event and goes through the same ingest as the API (idempotent: import
the same file twice and nothing changes). Columns, by header name:

    occurred_at, order_id, customer_id            required
    event_id   (default csv:<type>:<order_id>)    type (default --type, order.delivered)
    amount, currency, store, customer_name, locale, timezone, telegram_chat_id, phone
    contacts   (channel:address pairs, separated by spaces: `zalo:84123 messenger:6789`)
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

from bot.errors import SurveybotError
from bot.surveys.events import PurchaseEvent, field_errors
from bot.surveys.ingest import IngestService

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


@dataclass(frozen=True)
class UnreadableRow:
    """In place of a row the CSV parser refuses (a field over its size limit, say)."""

    after_line: int
    reason: str


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str] | UnreadableRow]]:
    """(line number, row) pairs, or an UnreadableRow in place of a row the parser refuses;
    a clear error for a missing or unreadable file."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SurveybotError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        try:
            fieldnames = reader.fieldnames or []
            missing = [name for name in REQUIRED if name not in fieldnames]
            if missing:
                raise SurveybotError(
                    f"{path} has no column {', '.join(missing)}; the header needs at least "
                    f"{', '.join(REQUIRED)}"
                )
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:  # the reader goes on with the next line
                    yield reader.line_num, UnreadableRow(reader.line_num, str(exc))
                    continue
                yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}
        except UnicodeDecodeError:
            raise SurveybotError(f"{path} is not UTF-8 text; save it as CSV UTF-8") from None
        except csv.Error as exc:  # the header itself
            raise SurveybotError(f"{path} is not a CSV file: {exc}") from None


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
        "phone": row.get("phone"),
        "contacts": contacts_of(row.get("contacts", "")),
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


def contacts_of(cell: str) -> list[dict[str, str]] | str | None:
    """`zalo:84123 messenger:6789` -> contacts; a pair without a colon is left for the
    event's validation to name (as the text it was)."""
    pairs = cell.replace(";", " ").split()
    if not pairs:
        return None
    if any(":" not in pair for pair in pairs):
        return cell
    return [
        {"channel": channel, "address": address}
        for channel, _, address in (pair.partition(":") for pair in pairs)
    ]


async def import_csv(path: Path, ingest: IngestService, default_type: str) -> ImportReport:
    report = ImportReport()
    for line, row in read_rows(path):
        report.rows += 1
        problems = await _import_row(row, ingest, default_type, report)
        if problems:
            report.bad_rows += 1
            where = (
                f"{path}: the row after line {row.after_line}"
                if isinstance(row, UnreadableRow)
                else f"{path}:{line}"
            )
            report.problems.extend(f"{where}: {problem}" for problem in problems)
    return report


async def _import_row(
    row: dict[str, str] | UnreadableRow,
    ingest: IngestService,
    default_type: str,
    report: ImportReport,
) -> list[str]:
    """Ingest one row and count it; what was wrong with it, if anything."""
    if isinstance(row, UnreadableRow):
        return [f"not readable as CSV ({row.reason})"]
    try:
        body = row_to_event(row, default_type)
    except json.JSONDecodeError as exc:
        return [f"items: not a JSON list ({exc.msg})"]
    except ValueError:  # Python refuses to read integers of over 4300 digits
        return ["items: has a number with thousands of digits"]
    try:
        event = PurchaseEvent.model_validate(body)
    except ValidationError as exc:
        return [f"{p['field']}: {p['message']}" for p in field_errors(list(exc.errors()))]
    result = await ingest.ingest(event)
    if result.status_code == 422:
        return [f"{p['field']}: {p['message']}" for p in result.body["detail"]]
    if result.status_code == 409:
        return [str(result.body["detail"])]
    if result.status_code == 200:
        report.repeated += 1
        return []
    report.new_events += 1
    report.surveys.update(survey["status"] for survey in result.body["surveys"])
    return []
