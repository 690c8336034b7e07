"""Shared fixtures. `database` runs a test on SQLite and on PostgreSQL.

PostgreSQL comes from SURVEYBOT_TEST_DATABASE_URL (CI sets it). Each test gets a fresh
database cloned from a migrated template, so tests never see each other's rows. When the
variable is set but the server cannot be reached, the tests fail instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.storage import migrate
from bot.storage.database import Database

ROOT = Path(__file__).resolve().parents[1]
# Fixtures shared across packages (flow samples, the HTTP client) live in plain modules.
pytest_plugins = ["tests.flow_samples", "tests.http_client"]
PG_ENV = "SURVEYBOT_TEST_DATABASE_URL"


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _admin_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_admin_dsn(url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated template database; tests clone it (CREATE DATABASE ... TEMPLATE)."""
    url = postgres_url()
    if url is None:
        pytest.skip(f"set {PG_ENV} to run the PostgreSQL variant")
    name = f"surveybot_tpl_{os.getpid()}"

    async def create() -> None:
        await _admin(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        database = Database(_with_database(url, name))
        try:
            await migrate.upgrade(database)
        finally:
            await database.dispose()

    asyncio.run(create())
    yield name
    asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def postgres_database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    template = request.getfixturevalue("postgres_template")
    url = postgres_url()
    assert url is not None
    name = f"surveybot_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _with_database(url, name)
    asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'surveybot.db'}"


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database URL on each backend."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_database_url"))
    url = str(request.getfixturevalue("sqlite_database_url"))

    async def create() -> None:
        database = Database(url)
        try:
            await migrate.upgrade(database)
        finally:
            await database.dispose()

    asyncio.run(create())
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()
