"""The database handle: one async engine, transactions opened by services.

SQLite (the embedded default) runs in WAL mode and starts every transaction with
BEGIN IMMEDIATE: writers queue on the busy timeout instead of failing halfway with
"database is locked". PostgreSQL runs at READ COMMITTED with row locks where it matters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.errors import ConfigError, StorageError
from bot.storage.unit_of_work import UnitOfWork

SQLITE_BUSY_TIMEOUT_MS = 30_000
_READ_ONLY = "surveybot_read_only"

# asyncpg raises its own errors before SQLAlchemy wraps a connection (a missing database).
_UNAVAILABLE: tuple[type[Exception], ...] = (OSError, SQLAlchemyError, asyncpg.PostgresError)


@asynccontextmanager
async def storage_errors(db: Database) -> AsyncIterator[None]:
    """Turn "the database is not there" into one clear StorageError line."""
    try:
        yield
    except _UNAVAILABLE as exc:
        reason = getattr(exc, "orig", None) or exc
        raise StorageError(
            f"cannot use the database {db.describe()}: {type(reason).__name__}: {reason}"
        ) from None


def parse_database_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"SURVEYBOT_DATABASE_URL {url!r} is not a database URL; use e.g. "
            "sqlite+aiosqlite:///./surveybot.db or postgresql+asyncpg://user@host/db"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"SURVEYBOT_DATABASE_URL uses {parsed.get_backend_name()!r}; surveybot runs on "
            "SQLite (sqlite+aiosqlite://) or PostgreSQL (postgresql+asyncpg://)"
        )
    if parsed.get_backend_name() == "sqlite" and parsed.get_driver_name() != "aiosqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "asyncpg":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed


class Database:
    """Owns the engine; `transaction()` yields repositories bound to one transaction."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = parse_database_url(url)
        options: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            try:
                _ensure_sqlite_directory(self.url)
            except OSError as exc:
                raise StorageError(
                    f"cannot create the folder of {self.describe()}: {exc.strerror}"
                ) from None
            options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        else:
            options.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        async with self.sessions() as session, session.begin():
            yield UnitOfWork(session)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[UnitOfWork]:
        """A read-only transaction. On SQLite it starts DEFERRED, so (in WAL mode) it
        never waits for, or blocks, a writer; on PostgreSQL it is a normal transaction."""
        async with self.sessions() as session:
            # Asking for the connection begins the transaction, with this option set.
            await session.connection(execution_options={_READ_ONLY: True})
            try:
                yield UnitOfWork(session)
            finally:
                # Nothing to keep: it only read. What it loaded stays readable afterwards
                # (a rollback would expire it; detached first, it keeps its values).
                session.expunge_all()
                await session.rollback()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()

    def describe(self) -> str:
        """The URL without its password, for logs."""
        return self.url.render_as_string(hide_password=True)


def _ensure_sqlite_directory(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (the driver's implicit BEGIN is DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
