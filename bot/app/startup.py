"""Start-up: the schema made ready, the demo account, and the banner that says what runs."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.app.channels import banner_lines
from bot.errors import StorageError
from bot.storage import migrate
from bot.storage.database import Database, storage_errors

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger("surveybot")


async def prepare_schema(db: Database) -> None:
    """SQLite (the embedded default) is created/upgraded on the spot; PostgreSQL must be
    upgraded on purpose (`surveybot db upgrade`), so several workers never race to migrate."""
    async with storage_errors(db):
        current = await migrate.current_revision(db)
    head = migrate.head_revision()
    if current == head:
        return
    if db.is_sqlite:
        async with storage_errors(db):
            await migrate.upgrade(db)
        log.info("database %s at revision %s", "created" if current is None else "upgraded", head)
        return
    raise StorageError(
        f"the database schema is at {current or 'nothing'} but this surveybot needs {head}; "
        "run `surveybot db upgrade` first"
    )


async def demo_sign_in(runtime: Runtime) -> str | None:
    """In demo mode, the demo admin's fresh sign-in; otherwise no demo admin at all."""
    from bot.staff.accounts import Accounts
    from bot.web.dashboard.demo_admin import demo_admin, retire_demo_admin

    accounts = Accounts(runtime.db, runtime.clock)
    if not runtime.settings.demo:
        if await retire_demo_admin(accounts):
            log.info("demo mode is off: the demo dashboard account is removed")
        return None
    login, password = await demo_admin(accounts)
    return f"demo sign-in: {login} / {password}"


def announce(runtime: Runtime, host: str, port: int, sign_in: str | None = None) -> None:
    default = runtime.catalog.default()
    flows = ", ".join(
        f"{flow_id} (default)" if default and flow_id == default.id else flow_id
        for flow_id in sorted(runtime.catalog.flows)
    )
    log.info("surveybot is running")
    if runtime.settings.demo:
        log.info("  Try it    http://%s:%s/demo  (a sample survey in your browser)", host, port)
    log.info("  HTTP      http://%s:%s  (health: /healthz, API docs: /docs)", host, port)
    if runtime.settings.dashboard:
        how = sign_in or "sign in as a user from `surveybot users add`"
        log.info("  Dashboard http://%s:%s/dashboard/  (%s)", host, port, how)
    for name, line in banner_lines(runtime.connections):
        log.info("  %-9s %s", name.capitalize(), line)
    log.info("  Database  %s", runtime.db.describe())
    log.info("  Flows     %s", flows or "none")
    log.info("  Campaigns %s", ", ".join(sorted(runtime.campaigns.campaigns)) or "none")
    support = runtime.settings.support_chat_id
    if support is None:
        log.info("  Support   cases are kept, not posted (set SURVEYBOT_SUPPORT_CHAT_ID)")
    else:
        log.info("  Support   cases posted to chat %s", support)
    if runtime.settings.api_key_list:
        log.info("  API       POST %s/api/v1/events (Bearer key)", runtime.settings.base_url)
    else:
        log.warning("  API       refusing all writes: no key set (SURVEYBOT_API_KEYS)")
