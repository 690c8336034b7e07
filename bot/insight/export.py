"""Responses as a spreadsheet: CSV (streamed, row by row) or XLSX (openpyxl's write-only
mode, so memory stays flat however many rows).

Safe to open in Excel: a text cell that starts like a formula (`=`, `+`, `-`, `@`) is
written as text, never evaluated (CSV: a leading apostrophe; XLSX: a string cell).
Times are in the shop's timezone. CSV starts with a UTF-8 byte order mark so that Excel
shows Vietnamese correctly.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterable, AsyncIterator
from datetime import datetime
from enum import StrEnum
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from bot.insight.reports import ResponseRow

COLUMNS = (
    "survey_id",
    "responded_at",
    "completed_at",
    "flow",
    "flow_version",
    "status",
    "customer_id",
    "customer_name",
    "order_id",
    "store",
    "channel",
    "skus",
    "locale",
    "csat",
    "nps",
    "ces",
    "reason",
    "comment",
    "segments",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CSV_CHUNK_ROWS = 200
BOM = "\ufeff"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"

    @property
    def media_type(self) -> str:
        if self is ExportFormat.CSV:
            return "text/csv; charset=utf-8"
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


Cell = str | int | None


def cells(row: ResponseRow, tz: ZoneInfo) -> list[Cell]:
    """One response as the export's columns (see COLUMNS)."""

    def local(moment: datetime | None) -> str | None:
        return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None

    return [
        row.survey_id,
        local(row.responded_at),
        local(row.completed_at),
        row.flow,
        row.flow_version,
        row.status,
        row.customer,
        row.customer_name,
        row.order,
        row.store,
        row.channel,
        ";".join(row.skus) or None,
        row.locale,
        row.csat,
        row.nps,
        row.ces,
        row.reason,
        row.comment,
        json.dumps(row.segments, ensure_ascii=False, sort_keys=True) if row.segments else None,
    ]


def as_text(value: Cell) -> Cell:
    """A CSV cell Excel will not run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


async def csv_chunks(rows: AsyncIterable[ResponseRow], tz: ZoneInfo) -> AsyncIterator[str]:
    """The CSV text in pieces of a few hundred rows (header first), for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(COLUMNS)
    pending = 0
    async for row in rows:
        writer.writerow([as_text(cell) for cell in cells(row, tz)])
        pending += 1
        if pending >= _CSV_CHUNK_ROWS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


async def write_csv(rows: AsyncIterable[ResponseRow], tz: ZoneInfo, target: IO[str]) -> int:
    """Write the CSV to a text stream; returns how many responses were written."""
    count = 0

    async def counting() -> AsyncIterator[ResponseRow]:
        nonlocal count
        async for row in rows:
            count += 1
            yield row

    async for chunk in csv_chunks(counting(), tz):
        target.write(chunk)
    return count


async def write_xlsx(rows: AsyncIterable[ResponseRow], tz: ZoneInfo, target: IO[bytes]) -> int:
    """Write an XLSX workbook (one sheet, "responses") to a binary stream; returns the
    number of responses written."""
    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet("responses")
    sheet.freeze_panes = "A2"
    sheet.append(list(COLUMNS))
    count = 0
    async for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in cells(row, tz)])
        count += 1
    workbook.save(target)
    return count


def _xlsx_cell(sheet: Any, value: Cell) -> Any:
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # text, even when it starts with "="
    return cell
