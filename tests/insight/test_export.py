"""Exports: CSV and XLSX with the same columns, shop time, text that stays text, and the
`surveybot export responses` command."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.insight.export import BOM, COLUMNS, csv_chunks, write_csv, write_xlsx
from bot.insight.reports import ResponseRow
from tests.harness import ROOT
from tests.insight.insight_seed import MONDAY, Seed

SHOP = ZoneInfo("Asia/Ho_Chi_Minh")


def row(n: int, comment: str | None = "ok", **changes: object) -> ResponseRow:
    values: dict[str, object] = {
        "survey_id": n,
        "responded_at": datetime(2026, 11, 16, 3, 0, tzinfo=UTC),
        "completed_at": None,
        "flow": "post_purchase",
        "flow_version": "abc",
        "status": "completed",
        "customer": f"C-{n}",
        "customer_name": "Lan",
        "order": f"SO-{n}",
        "store": "HN-01",
        "channel": "telegram",
        "skus": ("A1", "B2"),
        "locale": "vi",
        "csat": 4,
        "nps": 9,
        "ces": None,
        "reason": None,
        "comment": comment,
        "segments": {"tier": "gold"},
    }
    return ResponseRow(**(values | changes))  # type: ignore[arg-type]


async def rows(*items: ResponseRow) -> AsyncIterator[ResponseRow]:
    for item in items:
        yield item


async def test_csv_has_a_header_shop_times_and_formulas_defused():
    target = io.StringIO()
    count = await write_csv(rows(row(1, '=HYPERLINK("x")'), row(2, "dòng 1\ndòng 2")), SHOP, target)
    assert count == 2
    text = target.getvalue()
    assert text.startswith(BOM)
    parsed = list(csv.DictReader(io.StringIO(text.removeprefix(BOM))))
    assert list(parsed[0]) == list(COLUMNS)
    assert parsed[0]["responded_at"] == "2026-11-16T10:00:00+07:00"
    assert parsed[0]["comment"] == '\'=HYPERLINK("x")'
    assert parsed[1]["comment"] == "dòng 1\ndòng 2"
    assert (parsed[0]["skus"], parsed[0]["segments"], parsed[0]["ces"]) == (
        "A1;B2",
        '{"tier": "gold"}',
        "",
    )


async def test_csv_streams_in_chunks():
    chunks = [chunk async for chunk in csv_chunks(rows(*(row(n) for n in range(450))), SHOP)]
    assert len(chunks) == 3  # 200 + 200 + the rest
    assert sum(chunk.count("post_purchase") for chunk in chunks) == 450


async def test_xlsx_has_the_same_columns_and_keeps_text_as_text():
    target = io.BytesIO()
    count = await write_xlsx(rows(row(1, "=1+1"), row(2, "bad\x01char")), SHOP, target)
    assert count == 2
    sheet = load_workbook(io.BytesIO(target.getvalue())).active
    assert sheet is not None
    header, first, second = list(sheet.values)
    assert header == COLUMNS
    assert first[COLUMNS.index("comment")] == "=1+1"
    assert sheet.cell(row=2, column=COLUMNS.index("comment") + 1).data_type == "s"
    assert second[COLUMNS.index("comment")] == "badchar"  # no control characters in XLSX
    assert first[COLUMNS.index("nps")] == 9


def surveybot(
    *args: str, cwd: Path, database_url: str, shop_files: bool = True
) -> subprocess.CompletedProcess[str]:
    """`shop_files=False`: run as from another folder, where no flows or templates are."""
    folders = {
        "SURVEYBOT_FLOWS_DIR": str(ROOT / "flows"),
        "SURVEYBOT_TEMPLATES_DIR": str(ROOT / "templates"),
        "SURVEYBOT_CAMPAIGNS_DIR": str(ROOT / "campaigns"),
    }
    environment = {
        **{k: v for k, v in os.environ.items() if k not in folders},
        **(folders if shop_files else {}),
        "SURVEYBOT_DATABASE_URL": database_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_export_command_writes_the_days_asked_for(database, database_url, tmp_path):
    seed = Seed(database)
    await seed.survey(nps=10, at=MONDAY)  # 2026-11-16 in the shop
    await seed.survey(nps=0, at=MONDAY + timedelta(days=1))  # the 17th
    await seed.survey(nps=5, at=MONDAY + timedelta(days=2))  # the 18th: after --to
    output = tmp_path / "out.csv"
    result = surveybot(
        "export", "responses", "--from", "2026-11-16", "--to", "2026-11-17",
        "--output", str(output), cwd=tmp_path, database_url=database_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "wrote 2 response(s)" in result.stderr
    parsed = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert [r["nps"] for r in parsed] == ["0", "10"]


async def test_the_export_command_needs_only_the_database(database, database_url, tmp_path):
    await Seed(database).survey(nps=9, at=MONDAY)
    elsewhere = tmp_path / "elsewhere"  # no flows/, templates/ or campaigns/ here
    elsewhere.mkdir()
    result = surveybot(
        "export", "responses", cwd=elsewhere, database_url=database_url, shop_files=False
    )
    assert result.returncode == 0, result.stderr
    assert "problem" not in result.stderr and "Traceback" not in result.stderr
    parsed = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert [r["nps"] for r in parsed] == ["9"]


async def test_the_export_command_explains_a_bad_date_or_flow(database, database_url, tmp_path):
    bad_date = surveybot(
        "export", "responses", "--from", "yesterday", cwd=tmp_path, database_url=database_url
    )
    assert bad_date.returncode == 1
    assert "error: --from/--to: 'yesterday' is not a date" in bad_date.stderr
    bad_flow = surveybot(
        "export", "responses", "--flow", "nope", cwd=tmp_path, database_url=database_url
    )
    assert bad_flow.returncode == 1 and "no flow 'nope'" in bad_flow.stderr
    far = surveybot(
        "export", "responses", "--to", "9999-12-31", cwd=tmp_path, database_url=database_url
    )
    assert far.returncode == 1 and "out of range" in far.stderr
    nowhere = surveybot(
        "export",
        "responses",
        "-o",
        str(tmp_path / "missing" / "x.csv"),
        cwd=tmp_path,
        database_url=database_url,
    )
    assert nowhere.returncode == 1 and "cannot write" in nowhere.stderr
    assert "Traceback" not in bad_date.stderr + bad_flow.stderr + far.stderr + nowhere.stderr
