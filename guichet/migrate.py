"""Apply Alembic migrations programmatically (used by the CLI, the demo and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to `revision`; idempotent. Must not be called inside a running loop."""
    command.upgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    """Run the (blocking, loop-owning) Alembic upgrade in a worker thread."""
    import asyncio

    await asyncio.to_thread(upgrade, database_url, revision)


def create_database(database_url: str) -> bool:
    """Create the database `database_url` names unless it exists; return whether it was created.

    PostgreSQL: connects to the server's `postgres` database with the same credentials and runs
    CREATE DATABASE (the role needs CREATEDB). SQLite: creates the file and its folder.
    """
    import asyncio

    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return False
        path = Path(url.database)
        if path.exists():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        import sqlite3

        sqlite3.connect(path).close()
        return True
    return asyncio.run(_create_postgres_database(database_url))


async def _create_postgres_database(database_url: str) -> bool:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    url = make_url(database_url)
    name = url.database or ""
    if not name:
        raise ValueError("GUICHET_DATABASE_URL names no database")
    # CREATE DATABASE cannot run inside a transaction block.
    engine = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            found = await connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if found.first() is not None:
                return False
            quoted = connection.dialect.identifier_preparer.quote_identifier(name)
            await connection.execute(text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        await engine.dispose()


class DatabaseNotReady(RuntimeError):
    """The database answers but is not migrated to this version's schema (one line for the CLI)."""


def require_sqlite_folder(database_url: str) -> None:
    """Raise DatabaseNotReady when a SQLite database's folder is missing (SQLite cannot create it).

    Checked before any connection: the driver's own failure would surface as a traceback from its
    worker thread after the command ended.
    """
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    path = Path(url.database)
    if not path.parent.exists():
        raise DatabaseNotReady(
            f"cannot open SQLite database {path}: its folder does not exist: create it with `guichet db create`"
        )


def check_database(database_url: str) -> None:
    """Connect once and check the schema is this version's, before a server starts on it.

    Raise the driver's error when the database is missing or unreachable (the CLI turns it into one
    line), and DatabaseNotReady when it was never migrated or lags behind the code.
    """
    import asyncio

    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    current = asyncio.run(_current_revisions(database_url))
    if current is None:
        raise DatabaseNotReady("the database was never migrated: run `guichet db upgrade`")
    if current != heads:
        raise DatabaseNotReady(
            f"the database is at revision {', '.join(sorted(current)) or 'none'}, this version needs "
            f"{', '.join(sorted(heads))}: run `guichet db upgrade`"
        )


async def _current_revisions(database_url: str) -> set[str] | None:
    from sqlalchemy import inspect, text

    from guichet.db import create_engine

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            has_table = await connection.run_sync(lambda sync: inspect(sync).has_table("alembic_version"))
            if not has_table:
                return None
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return {row[0] for row in rows}
    finally:
        await engine.dispose()
