"""`surveybot import` with rows the storage cannot hold: one clear line per bad row naming
the field, no traceback, and the good rows imported (SQLite and PostgreSQL)."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from tests.cli.test_cli import surveybot

COLUMNS = [
    "event_id",
    "occurred_at",
    "order_id",
    "customer_id",
    "customer_name",
    "store",
    "type",
    "telegram_chat_id",
    "items",
]
NOW = datetime.now(UTC)  # the command runs on the system clock
RECENT = (NOW - timedelta(hours=1)).isoformat()

# (a row's changes, what its problem line must say)
BAD_ROWS = [
    ({"telegram_chat_id": str(2**63)}, "customer.telegram_chat_id:"),
    ({"telegram_chat_id": "9" * 5000}, "customer.telegram_chat_id:"),
    ({"type": "order." + "d" * 60}, "type:"),
    ({"order_id": "o" * 129}, "order.id:"),
    ({"customer_id": "c" * 129}, "customer.id:"),
    ({"store": "s" * 65}, "order.store:"),
    ({"customer_name": "La\x00n"}, "customer.name: must not contain NUL"),
    ({"order_id": "SO-\x00"}, "order.id: must not contain NUL"),
    ({"items": '[{"sku": "A1", "qty": NaN}]'}, "order.items[0].qty:"),
    ({"items": '[{"sku": "' + "k" * 65 + '"}]'}, "order.items[0].sku:"),
    ({"items": "[" + "9" * 5000 + "]"}, "items: has a number with thousands of digits"),
    ({"occurred_at": "9999-12-31T23:59:59Z"}, "occurred_at:"),
    ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at: 0001-01-01T00:00:00+14:00 is"),
    ({"occurred_at": "2062-01-01T00:00:00+00:00"}, "occurred_at:"),
    (
        {"occurred_at": (NOW + timedelta(days=2)).isoformat()},
        "occurred_at: " + (NOW + timedelta(days=2)).isoformat() + " is more than a day",
    ),
]


def row(number: int, **changes: str) -> dict[str, str]:
    values = {
        "event_id": f"e{number}",
        "occurred_at": RECENT,
        "order_id": f"SO-{number}",
        "customer_id": f"C-{number}",
        "customer_name": "Lan",
        "store": "HN-01",
        "type": "order.delivered",
        "telegram_chat_id": str(1000 + number),
        "items": "",
    }
    return values | changes


def csv_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def imported(tmp_path, database_url):
    """Import a file of a good row, every bad row, a stale row and a good row."""
    rows = [row(0)]
    rows += [row(n, **changes) for n, (changes, _) in enumerate(BAD_ROWS, start=1)]
    rows += [row(90, occurred_at=(NOW - timedelta(days=30)).isoformat()), row(91)]
    orders = tmp_path / "orders.csv"
    orders.write_text(csv_text(rows), encoding="utf-8")
    result = surveybot("import", str(orders), cwd=tmp_path, SURVEYBOT_DATABASE_URL=database_url)
    return orders, result


def test_every_bad_row_gets_one_line_naming_its_field(imported):
    orders, result = imported
    for line, (_, expected) in enumerate(BAD_ROWS, start=3):  # the header is line 1
        assert f"{orders}:{line}: {expected}" in result.stderr, result.stderr


def test_bad_rows_are_no_traceback_and_the_good_rows_are_imported(imported):
    _, result = imported
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    rows = len(BAD_ROWS) + 3
    assert (
        f"{rows} row(s): 3 new event(s), 0 already imported, {len(BAD_ROWS)} with problems; "
        "surveys: 2 scheduled, 1 skipped"
    ) in result.stdout


def test_a_field_too_large_for_the_csv_reader_is_a_bad_row_not_a_crash(tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text(
        csv_text([row(0), row(1, customer_name="x" * 200_000), row(2)]), encoding="utf-8"
    )
    result = surveybot("import", str(orders), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{orders}: the row after line 2: not readable as CSV (field larger" in result.stderr
    assert "3 row(s): 2 new event(s)" in result.stdout
