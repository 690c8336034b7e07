"""`surveybot export responses`: the responses as CSV or XLSX, for a spreadsheet.

An export needs only the database: it neither loads nor checks the flows, templates or
campaigns, so it works from any folder (an analyst's laptop, a cron job's home)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.errors import SurveybotError
from bot.insight.export import ExportFormat

if TYPE_CHECKING:
    from bot.insight.reports import Insight

export_app = typer.Typer(help="Export survey data.", no_args_is_help=True)


@export_app.command("responses")
def export_responses(
    from_: Annotated[
        str | None,
        typer.Option("--from", help="First day (2026-11-01) or moment; shop time if no offset."),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(help="Last day, included (2026-11-30), or a moment (excluded)."),
    ] = None,
    flow: Annotated[str | None, typer.Option(help="Only this flow.")] = None,
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="csv or xlsx.")
    ] = ExportFormat.CSV,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (CSV: stdout if unset).")
    ] = None,
) -> None:
    """Every response (one row per survey) in the range, newest first."""
    from bot.app.startup import prepare_schema
    from bot.cli.common import run_async, settings
    from bot.clock import SystemClock
    from bot.flows.catalog import FlowCatalog
    from bot.insight.reports import Insight
    from bot.storage.database import Database
    from bot.surveys.timing import zone

    if format is ExportFormat.XLSX and output is None:
        raise typer.BadParameter("an XLSX workbook needs a file: add --output FILE.xlsx")
    config = settings()

    async def main() -> int:
        database = Database(config.database_url)
        try:
            await prepare_schema(database)
            # No flows: the rows come from the stored answers and flow versions alone.
            insight = Insight(
                database, FlowCatalog(), SystemClock(), zone(config.default_timezone, "UTC")
            )
            return await _export(insight, from_, to, flow, format, output)
        finally:
            await database.dispose()

    count = run_async(main)
    if output is not None:
        typer.echo(f"wrote {count} response(s) to {output}", err=True)


async def _export(
    insight: Insight,
    from_: str | None,
    to: str | None,
    flow: str | None,
    format: ExportFormat,
    output: Path | None,
) -> int:
    from bot.insight.export import write_csv, write_xlsx
    from bot.insight.reports import ResponseFilter, parse_moment

    tz = insight.timezone
    try:
        start = parse_moment(from_, tz) if from_ else None
        end = parse_moment(to, tz, end=True) if to else None
        filters = ResponseFilter(flow=flow, start=start, end=end)
    except ValueError as exc:
        raise SurveybotError(f"--from/--to: {exc}") from None
    known_flows = await insight.known_flows()
    if flow is not None and flow not in known_flows:
        known = ", ".join(sorted(known_flows)) or "none"
        raise SurveybotError(f"no flow {flow!r} in the database (flows: {known})")
    rows = insight.rows(filters)
    if output is None:
        return await write_csv(rows, tz, sys.stdout)
    try:
        if format is ExportFormat.XLSX:
            with output.open("wb") as target:
                return await write_xlsx(rows, tz, target)
        with output.open("w", encoding="utf-8", newline="") as text:
            return await write_csv(rows, tz, text)
    except OSError as exc:
        raise SurveybotError(f"cannot write {output}: {exc.strerror or exc}") from None
