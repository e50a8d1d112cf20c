"""Database engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

POOL_RECYCLE_SECONDS = 1800


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, echo: bool = False, statement_timeout_seconds: float = 5.0) -> AsyncEngine:
    """Create the async engine; SQLite gets foreign keys, WAL and a busy timeout, PostgreSQL a
    statement_timeout (a runaway query cannot hold a connection for ever, SEC-09).

    SQL parameters never appear in exceptions or logs (hide_parameters): they hold e-mails, names
    and token hashes, and a traceback is logged in full.
    """
    if is_sqlite(url):
        engine = create_async_engine(url, echo=echo, hide_parameters=True, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # No pool_pre_ping: it costs BEGIN; ROLLBACK round trips at every checkout, i.e. on every
    # request. Instead connections are replaced after POOL_RECYCLE_SECONDS (before any idle timeout
    # of a proxy or firewall drops them), and when a statement fails on a dead connection (PostgreSQL
    # restarted), SQLAlchemy recognises the disconnect and invalidates the whole pool at once: the
    # requests in flight at that moment fail, the next ones get fresh connections.
    return create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_size=10,
        max_overflow=10,
        pool_recycle=POOL_RECYCLE_SECONDS,
        connect_args={"server_settings": {"statement_timeout": str(int(statement_timeout_seconds * 1000))}},
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for a request's reads; on PostgreSQL they run in autocommit.

    Under READ COMMITTED every statement takes its own snapshot anyway, so a request's reads see
    exactly what they saw inside BEGIN ... ROLLBACK, without those two round trips per request.
    Nothing writes through a read session (writes go through a unit of work). SQLite's driver
    sends no BEGIN for reads, so it keeps the ordinary factory.
    """
    if engine.dialect.name == "postgresql":
        return async_sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False, autoflush=False
        )
    return session_factory(engine)
