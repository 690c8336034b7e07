"""Schema migrations (Alembic) run from code: `surveybot db upgrade` and first-run set-up."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.storage.database import Database

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(database: Database | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database is not None:
        url = database.url.render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "migrations/versions has no revision"
    return head


async def current_revision(database: Database) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with database.engine.connect() as connection:
        return await connection.run_sync(read)


async def upgrade(database: Database, revision: str = "head") -> None:
    await _run_command(database, lambda config: command.upgrade(config, revision))


async def downgrade(database: Database, revision: str) -> None:
    await _run_command(database, lambda config: command.downgrade(config, revision))


async def _run_command(database: Database, run: object) -> None:
    config = alembic_config(database)

    def with_connection(connection: Connection) -> None:
        config.attributes["connection"] = connection
        run(config)  # type: ignore[operator]

    async with database.engine.begin() as connection:
        await connection.run_sync(with_connection)
