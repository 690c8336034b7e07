"""`surveybot campaigns|vouchers|draws ...`: what marketers do from the command line."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.errors import CampaignLoadError, SurveybotError

if TYPE_CHECKING:
    from bot.app.runtime import Runtime
    from bot.campaigns.report import PoolLevel
    from bot.campaigns.schema import Campaign

T = TypeVar("T")

campaigns_app = typer.Typer(help="Incentive campaigns (campaigns/*.yaml).", no_args_is_help=True)
vouchers_app = typer.Typer(help="Voucher codes.", no_args_is_help=True)
draws_app = typer.Typer(help="Lucky draws.", no_args_is_help=True)

CampaignId = Annotated[str, typer.Argument(help="A campaign id (see `surveybot campaigns list`).")]


def with_runtime(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Run `work` against the configured database and catalogs (nothing is served)."""
    from bot.app.runtime import offline_runtime
    from bot.cli.common import run_async, settings

    config = settings()

    async def main() -> T:
        async with offline_runtime(config) as runtime:
            return await work(runtime)

    return run_async(main)


def campaign_of(runtime: Runtime, campaign_id: str) -> Campaign:
    campaign = runtime.campaigns.get(campaign_id)
    if campaign is None:
        known = ", ".join(sorted(runtime.campaigns.campaigns)) or "none"
        raise SurveybotError(f"no campaign {campaign_id!r} (campaigns: {known})")
    return campaign


# ---- campaigns ----------------------------------------------------------------------


@campaigns_app.command("check")
def campaigns_check(
    directory: Annotated[
        Path | None,
        typer.Argument(help="Folder of campaign files (default: SURVEYBOT_CAMPAIGNS_DIR)."),
    ] = None,
) -> None:
    """Check every campaign file (and the flows' `reward:`); exit 1 on any problem."""
    from bot.campaigns.catalog import check_campaigns, reward_problems
    from bot.cli.common import settings
    from bot.flows.catalog import check_directory
    from bot.messaging.texts import MessageTexts

    config = settings()
    folder = directory or config.campaigns_dir
    texts = MessageTexts(config.templates_dir)
    catalog, problems = check_campaigns(folder, texts)
    flows, _ = check_directory(config.flows_dir, texts)
    problems += reward_problems(flows, catalog)
    if problems:
        raise CampaignLoadError(list(problems))
    names = ", ".join(sorted(catalog.campaigns)) or "none"
    typer.echo(f"{len(catalog)} campaign(s) OK in {folder}: {names}")


@campaigns_app.command("list")
def campaigns_list() -> None:
    """Every campaign: kind, state (running, paused, ended), issued so far."""
    from bot.campaigns.report import campaign_report

    async def work(runtime: Runtime) -> list[str]:
        today = runtime.clock.now().astimezone(runtime.vouchers.timezone).date()
        rows = []
        for campaign in sorted(runtime.campaigns.campaigns.values(), key=lambda c: c.id):
            report = await campaign_report(runtime.db, campaign)
            state = (
                "paused"
                if report.paused
                else ("running" if campaign.running(today) else "not running")
            )
            kind = "compensation" if campaign.compensation else campaign.kind.value
            rows.append(
                f"{campaign.id:<24} {kind:<13} {state:<12} issued {report.issued:<7} "
                f"{campaign.name}"
            )
        return rows

    rows = with_runtime(work)
    for row in rows:
        typer.echo(row)
    if not rows:
        typer.echo("no campaigns (add campaigns/*.yaml; see docs/campaigns.md)")


@campaigns_app.command("show")
def campaigns_show(campaign_id: CampaignId) -> None:
    """A campaign's definition and its report."""
    from bot.campaigns.report import campaign_report

    async def work(runtime: Runtime) -> list[str]:
        campaign = campaign_of(runtime, campaign_id)
        definition = json.dumps(
            campaign.model_dump(mode="json", exclude_defaults=True), indent=2, ensure_ascii=False
        )
        return [definition, "", *(await campaign_report(runtime.db, campaign)).lines()]

    for line in with_runtime(work):
        typer.echo(line)


@campaigns_app.command("report")
def campaigns_report(
    campaign_id: Annotated[str | None, typer.Argument(help="One campaign (default: all).")] = None,
) -> None:
    """Issued, redeemed, redemption rate, value, budget left, vouchers not given, reorders."""
    from bot.campaigns.report import campaign_report

    async def work(runtime: Runtime) -> list[str]:
        chosen = (
            [campaign_of(runtime, campaign_id)]
            if campaign_id
            else sorted(runtime.campaigns.campaigns.values(), key=lambda c: c.id)
        )
        lines: list[str] = []
        for campaign in chosen:
            lines += [*(await campaign_report(runtime.db, campaign)).lines(), ""]
        return lines

    for line in with_runtime(work):
        typer.echo(line)


def _set_paused(campaign_id: str, paused: bool) -> None:
    async def work(runtime: Runtime) -> None:
        campaign = campaign_of(runtime, campaign_id)
        async with runtime.db.transaction() as tx:
            await tx.vouchers.set_paused(campaign.id, paused, runtime.clock.now())

    with_runtime(work)
    typer.echo(f"{campaign_id} {'paused' if paused else 'resumed'}")


@campaigns_app.command("pause")
def campaigns_pause(campaign_id: CampaignId) -> None:
    """Stop giving vouchers from a campaign (every worker, at once)."""
    _set_paused(campaign_id, True)


@campaigns_app.command("resume")
def campaigns_resume(campaign_id: CampaignId) -> None:
    """Give vouchers from a paused campaign again."""
    _set_paused(campaign_id, False)


# ---- vouchers -----------------------------------------------------------------------


@vouchers_app.command("import")
def vouchers_import(
    campaign_id: CampaignId,
    path: Annotated[Path, typer.Argument(help="CSV with a `code` column, or one code a line.")],
) -> None:
    """Add codes to a pool campaign; importing the same file twice adds nothing."""
    from bot.campaigns.pool_import import PoolImport, import_pool

    async def work(runtime: Runtime) -> PoolImport:
        return await import_pool(runtime.db, campaign_of(runtime, campaign_id), path, runtime.clock)

    report = with_runtime(work)
    for problem in report.problems:
        typer.echo(problem, err=True)
    typer.echo(
        f"{report.read} code(s) read: {report.added} added, {report.repeated} already there, "
        f"{len(report.problems)} refused"
    )
    if report.problems:
        raise typer.Exit(1)


@vouchers_app.command("low")
def vouchers_low() -> None:
    """Pools that are nearly empty (at or below their `low_warning`); exit 1 if any."""
    from bot.campaigns.report import pool_levels

    async def work(runtime: Runtime) -> dict[str, PoolLevel]:
        return await pool_levels(runtime.db, list(runtime.campaigns.campaigns.values()))

    levels = with_runtime(work)
    for campaign_id, level in sorted(levels.items()):
        typer.echo(
            f"{'LOW' if level.low else 'ok':<4}{campaign_id}: {level.available} of "
            f"{level.imported} codes left (warn at {level.low_warning})"
        )
    if not levels:
        typer.echo("no pool campaigns")
    if any(level.low for level in levels.values()):
        raise typer.Exit(1)


# ---- draws --------------------------------------------------------------------------


@draws_app.command("run")
def draws_run(campaign_id: CampaignId) -> None:
    """Draw the period that just ended now (the schedule does this by itself)."""
    from bot.campaigns.draws import DrawResult

    async def work(runtime: Runtime) -> DrawResult | None:
        campaign = campaign_of(runtime, campaign_id)
        if campaign.draw is None:
            raise SurveybotError(f"{campaign_id} is not a lucky draw (kind: draw)")
        return await runtime.draws.run(campaign.id)

    result = with_runtime(work)
    if result is None:
        typer.echo("nothing drawn: this period was drawn already, or the campaign is paused")
        return
    typer.echo(
        f"{result.campaign_id}: {len(result.winners)} winner(s) among "
        f"{len(result.candidates)} customer(s); the running bot sends their vouchers"
    )


@draws_app.command("show")
def draws_show(
    campaign_id: Annotated[str | None, typer.Argument(help="One campaign (default: all).")] = None,
) -> None:
    """Every draw with its seed and candidates, re-checked: anyone can audit the winners."""
    from bot.campaigns.draws import audit_lines

    async def work(runtime: Runtime) -> list[str]:
        return await audit_lines(runtime.db, campaign_id)

    lines = with_runtime(work)
    for line in lines:
        typer.echo(line)
    if not lines:
        typer.echo("no draws yet")
