"""`surveybot users ...`: who may sign in to the dashboard, and with which role."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.errors import SurveybotError

if TYPE_CHECKING:
    from bot.staff.accounts import Accounts

T = TypeVar("T")

users_app = typer.Typer(help="Dashboard users and roles.", no_args_is_help=True)

Login = Annotated[str, typer.Argument(help="An e-mail address or a name, e.g. lan@shop.vn.")]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin (scripts)."
    ),
]
ROLE_HELP = "admin (everything), support (cases, responses), marketer (reports, campaigns)."


def with_accounts(work: Callable[[Accounts], Awaitable[T]]) -> T:
    """Run `work` with the Accounts of the configured database (created on SQLite)."""
    from bot.app.startup import prepare_schema
    from bot.cli.common import run_async, settings
    from bot.clock import SystemClock
    from bot.staff import accounts
    from bot.storage.database import Database

    config = settings()

    async def main() -> T:
        db = Database(config.database_url)
        try:
            await prepare_schema(db)
            return await work(accounts.Accounts(db, SystemClock()))
        finally:
            await db.dispose()

    return run_async(main)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            raise SurveybotError("no password on stdin (give it on the first line)")
        return password.removesuffix("\r")
    typed: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return typed


@users_app.command("add")
def users_add(
    login: Login,
    role: Annotated[str, typer.Option("--role", "-r", help=ROLE_HELP)],
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user who signs in to the dashboard (asks for the password twice)."""
    from bot.staff.accounts import checked_role
    from bot.staff.passwords import checked_login

    chosen = checked_role(role)
    checked_login(login)  # before asking for a password
    password = read_password(password_stdin)

    async def work(accounts: Accounts) -> str:
        account = await accounts.add(login, chosen, password)
        return f"added {account.login} ({account.role})"

    typer.echo(with_accounts(work))


@users_app.command("list")
def users_list() -> None:
    """Every dashboard user: login, role, when added, last sign-in."""

    async def work(accounts: Accounts) -> list[str]:
        rows = []
        for account in await accounts.list():
            seen = account.last_login_at
            last = seen.strftime("%Y-%m-%d %H:%M") if seen else "never"
            added = account.created_at.strftime("%Y-%m-%d")
            rows.append(f"{account.login:<32} {account.role:<9} added {added}  last sign-in {last}")
        return rows

    rows = with_accounts(work)
    if not rows:
        typer.echo("no users yet; add one with `surveybot users add EMAIL --role admin`")
    for row in rows:
        typer.echo(row)


@users_app.command("remove")
def users_remove(
    login: Login,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a user; their sessions end at once."""
    if not yes:
        typer.confirm(f"Remove {login}?", abort=True)

    async def work(accounts: Accounts) -> str:
        account = await accounts.remove(login)
        return f"removed {account.login}"

    typer.echo(with_accounts(work))


@users_app.command("set-password")
def users_set_password(login: Login, password_stdin: PasswordStdin = False) -> None:
    """Change a user's password; they are signed out everywhere."""
    password = read_password(password_stdin)

    async def work(accounts: Accounts) -> str:
        account = await accounts.set_password(login, password)
        return f"password changed for {account.login}; their sessions were ended"

    typer.echo(with_accounts(work))


@users_app.command("set-role")
def users_set_role(login: Login, role: Annotated[str, typer.Argument(help=ROLE_HELP)]) -> None:
    """Change a user's role (takes effect on their next page)."""
    from bot.staff.accounts import checked_role

    chosen = checked_role(role)

    async def work(accounts: Accounts) -> str:
        account = await accounts.set_role(login, chosen)
        return f"{account.login} is now {chosen.value}"

    typer.echo(with_accounts(work))
