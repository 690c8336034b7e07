"""Schema migrations (Alembic) run from code: `surveybot db upgrade` and first-run set-up."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.errors import StorageError
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

    async with database.engine.connect() as connection:
        if database.is_sqlite:
            # SQLite alters a table by copying it (Alembic's batch mode): with foreign keys
            # enforced, dropping the old copy of a referenced table fails. They are off
            # for the migration (outside its transaction, where the pragma works) and
            # checked before they are on again, as SQLite's ALTER TABLE docs prescribe.
            await connection.run_sync(_sqlite_pragma, "foreign_keys=OFF")
        try:
            async with connection.begin():
                await connection.run_sync(with_connection)
                if database.is_sqlite:
                    await connection.run_sync(_no_dangling_keys)
        finally:
            if database.is_sqlite:
                await connection.run_sync(_sqlite_pragma, "foreign_keys=ON")


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _no_dangling_keys(connection: Connection) -> None:
    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if dangling:
        raise StorageError(f"the migration left rows pointing nowhere: {dangling[:5]}")
