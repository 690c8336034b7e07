"""The Alembic "stairway": every revision upgrades, downgrades and upgrades again, and the
models agree with the migrations (no change left for autogenerate to find)."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.storage import migrate
from bot.storage.database import Database
from bot.storage.models import Base


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def test_stairway_upgrade_downgrade_upgrade(database_url):
    db = Database(database_url)
    try:
        await migrate.downgrade(db, "base")
        assert await migrate.current_revision(db) is None
        previous = "base"
        for revision in revisions():
            await migrate.upgrade(db, revision)
            await migrate.downgrade(db, previous)
            await migrate.upgrade(db, revision)
            assert await migrate.current_revision(db) == revision
            previous = revision
    finally:
        await db.dispose()


async def test_models_match_migrations(database):
    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with database.engine.connect() as connection:
        assert await connection.run_sync(diff) == []
