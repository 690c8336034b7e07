"""The `surveybot` command. Only wiring and printing: the work is in services and runtime."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.campaigns import campaigns_app, draws_app, vouchers_app
from bot.cli.common import run_async, settings
from bot.cli.export import export_app
from bot.cli.users import users_app
from bot.errors import FlowLoadError, SurveybotError

app = typer.Typer(
    name="surveybot",
    help="Post-purchase surveys in the messenger your customers already use.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
flows_app = typer.Typer(help="Survey flows (flows/*.yaml).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(flows_app, name="flows")
app.add_typer(campaigns_app, name="campaigns")
app.add_typer(vouchers_app, name="vouchers")
app.add_typer(draws_app, name="draws")
app.add_typer(export_app, name="export")
app.add_typer(users_app, name="users")


@app.command()
def run() -> None:
    """Run surveybot: HTTP server, Telegram channel (when a token is set) and scheduler."""
    from bot.app.runtime import build_runtime
    from bot.app.serving import serve
    from bot.logging_setup import configure_logging

    config = settings()
    configure_logging(config.log_level, config.log_json)

    async def main() -> None:
        runtime = await build_runtime(config)
        await serve(runtime)

    run_async(main)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create or upgrade the database schema (SURVEYBOT_DATABASE_URL)."""
    from bot.storage import migrate
    from bot.storage.database import Database, storage_errors

    async def main() -> str | None:
        database = Database(settings().database_url)
        try:
            async with storage_errors(database):
                await migrate.upgrade(database, revision)
                return await migrate.current_revision(database)
        finally:
            await database.dispose()

    current = run_async(main)
    typer.echo(f"database at revision {current}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the one this version needs."""
    from bot.storage import migrate
    from bot.storage.database import Database, storage_errors

    async def main() -> str | None:
        database = Database(settings().database_url)
        try:
            async with storage_errors(database):
                return await migrate.current_revision(database)
        finally:
            await database.dispose()

    current = run_async(main)
    head = migrate.head_revision()
    state = "up to date" if current == head else "run `surveybot db upgrade`"
    typer.echo(f"database: {current or 'empty'}; needed: {head} ({state})")


@flows_app.command("check")
def flows_check(
    directory: Annotated[
        Path | None, typer.Argument(help="Folder of flow files (default: SURVEYBOT_FLOWS_DIR).")
    ] = None,
) -> None:
    """Check every flow file, also against the limits of every channel that is on (the
    web chat; Telegram when a token is set); print each problem with file, line and fix.
    Exit 1 on any."""
    from bot.app.channels import enabled_channels
    from bot.campaigns.catalog import check_campaigns, reward_problems
    from bot.flows.catalog import check_directory
    from bot.messaging.texts import MessageTexts

    config = settings()
    folder = directory or config.flows_dir
    texts = MessageTexts(config.templates_dir)
    channels = enabled_channels(config)
    catalog, problems = check_directory(folder, texts, channels)
    campaigns, _ = check_campaigns(config.campaigns_dir, texts)
    problems += reward_problems(catalog, campaigns)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        typer.echo(f"\n{len(problems)} problem(s) found in {folder}", err=True)
        raise typer.Exit(1)
    names = ", ".join(sorted(catalog.flows))
    checked = ", ".join(channel.name for channel in channels)
    typer.echo(f"{len(catalog)} flow(s) OK in {folder}: {names} (channels: {checked})")


@flows_app.command("schema")
def flows_schema(
    output: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
) -> None:
    """Print the JSON Schema of flow files (for editors and CI)."""
    from bot.flows.schema import flow_json_schema

    text = json.dumps(flow_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")


@app.command("import")
def import_orders(
    path: Annotated[Path, typer.Argument(help="A CSV file of purchase events (see docs/api.md).")],
    event_type: Annotated[
        str, typer.Option("--type", help="Event type for rows without a `type` column.")
    ] = "order.delivered",
) -> None:
    """Import purchase events from a CSV file; importing the same file twice changes nothing."""
    from bot.app.runtime import channel_directory
    from bot.app.startup import prepare_schema
    from bot.clock import SystemClock
    from bot.flows.catalog import load_catalog
    from bot.flows.registry import FlowRegistry
    from bot.messaging.outbox_writer import OutboxWriter
    from bot.messaging.texts import MessageTexts
    from bot.storage.database import Database
    from bot.surveys.csv_import import ImportReport, import_csv
    from bot.surveys.ingest import IngestService
    from bot.surveys.links import SurveyLinks

    config = settings()

    async def main() -> ImportReport:
        catalog = load_catalog(config.flows_dir, MessageTexts(config.templates_dir))
        database = Database(config.database_url)
        try:
            await prepare_schema(database)
            ingest = IngestService(
                database,
                FlowRegistry(catalog),
                SystemClock(),
                SurveyLinks(config.base_url, {}),
                config.default_timezone,
                OutboxWriter(SystemClock(), channel_directory(config, catalog)),
            )
            return await import_csv(path, ingest, event_type)
        finally:
            await database.dispose()

    report = run_async(main)
    for problem in report.problems:
        typer.echo(problem, err=True)
    typer.echo(report.summary())
    if report.problems:
        raise typer.Exit(1)


@app.command()
def status() -> None:
    """Counts of surveys, timers (pending, due) and deliveries (pending, sent, failed)."""
    from bot.app.startup import prepare_schema
    from bot.app.status import SystemStatus, system_status
    from bot.clock import SystemClock
    from bot.storage.database import Database

    config = settings()

    async def main() -> SystemStatus:
        database = Database(config.database_url)
        try:
            await prepare_schema(database)
            return await system_status(database, SystemClock())
        finally:
            await database.dispose()

    for line in run_async(main).lines():
        typer.echo(line)


@app.command("try")
def try_flow(
    flow: Annotated[str, typer.Argument(help="A flow id from the flows folder, or a .yaml file.")],
    locale: Annotated[str | None, typer.Option(help="Language, e.g. vi or en.")] = None,
) -> None:
    """Take a flow in the terminal as a customer would (nothing is stored or sent)."""
    from bot.channels.console.preview import ConsolePreview
    from bot.flows.catalog import check_directory
    from bot.flows.check import check_flow
    from bot.flows.loader import read_flow_file
    from bot.messaging.presenter import Presenter
    from bot.messaging.texts import MessageTexts

    config = settings()
    texts = MessageTexts(config.templates_dir)
    path = Path(flow)
    if path.suffix in (".yaml", ".yml"):
        loaded, problems = read_flow_file(path)
        if loaded is not None:
            problems = check_flow(loaded, texts)
        if problems:
            raise FlowLoadError(list(problems))
        assert loaded is not None
        chosen = loaded.flow
    else:
        catalog, problems = check_directory(config.flows_dir, texts)
        found = catalog.get(flow)
        if found is None:
            known = ", ".join(sorted(catalog.flows)) or "none"
            hint = (
                f"\n{len(problems)} flow problem(s); run `surveybot flows check`"
                if problems
                else ""
            )
            raise SurveybotError(f"no flow {flow!r} in {config.flows_dir} (flows: {known}){hint}")
        chosen = found
    language = chosen.pick_locale(locale)
    typer.echo(
        f"{chosen.name} [{chosen.id}, {language}] — answer with a number, a label or "
        "text; 'stop' ends it."
    )
    preview = ConsolePreview(chosen, Presenter(texts), language, input, typer.echo)
    preview.run()


def main() -> None:
    try:
        app()
    except FlowLoadError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        typer.echo(f"\n{len(exc.problems)} {exc.what} problem(s); nothing was started", err=True)
        sys.exit(1)
    except SurveybotError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
