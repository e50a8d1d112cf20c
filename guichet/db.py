"""Database engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ARRAY, BigInteger, any_, bindparam, event
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


def asyncpg_dsn(database_url: str) -> str:
    """The plain libpq URL asyncpg connects with, for a SQLAlchemy `postgresql+asyncpg://` one."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def is_postgresql(session: AsyncSession) -> bool:
    """Whether the session talks to PostgreSQL (for the few statements written per dialect)."""
    bind = session.bind
    return bind is not None and bind.dialect.name == "postgresql"


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


# --- Reads without SQLAlchemy's per-statement cost (PostgreSQL) ---------------------------------
#
# SQLAlchemy spends ~0.5 ms of CPU per executed statement of a page (execution context, parameter
# processing, result metadata, Row objects, the greenlet hop), asyncpg itself ~0.1 ms. `fetch_all`
# runs a Core select on the session's own connection through the driver: the statement is
# compiled once per statement object (statements are built once at import, or memoised per
# input), then each call only binds its values with SQLAlchemy's own bind processors, sends the
# SQL to asyncpg and applies SQLAlchemy's own result processors, so the rows hold exactly the
# values `session.execute(...).all()` gives. The engine's before_cursor_execute listeners still
# see the statement (the suite's statement counters). Elsewhere than asyncpg, and for anything
# the shortcut does not cover, it is `session.execute(...).all()`.


class _Prepared:
    """A select compiled once for asyncpg: its SQL, parameter order, processors and row class.

    Shared by every statement of the same shape (SQLAlchemy's cache key: the same SQL with other
    bound values, e.g. a memoised page statement of another organisation): those bind their own
    values into it (`extracted`), as SQLAlchemy's compiled cache does, so a statement never seen
    before costs its cache key (~0.05 ms), not a compilation (~0.5 ms).
    """

    __slots__ = (
        "compiled",
        "expanding",
        "positiontup",
        "processors",
        "row_class",
        "result_processors",
        "sql",
    )

    def __init__(self, statement: Any, dialect: Any, cache_key: Any) -> None:
        if statement._propagate_attrs.get("compile_state_plugin") == "orm":
            raise _NotCovered()  # ORM entities: the session builds them
        compiled = statement.compile(dialect=dialect, cache_key=cache_key)
        if not compiled.positional or compiled.literal_execute_params or compiled._result_columns is None:
            raise _NotCovered()
        self.compiled = compiled
        self.expanding = bool(compiled.post_compile_params)
        self.sql = compiled.string
        self.positiontup = compiled.positiontup
        self.processors = compiled._bind_processors
        keys = [entry.keyname for entry in compiled._result_columns]
        if not keys or len(set(keys)) != len(keys):
            raise _NotCovered()
        self.row_class = _row_class(tuple(keys))
        self.result_processors = tuple(
            (index, processor)
            for index, entry in enumerate(compiled._result_columns)
            if (processor := entry.type._cached_result_processor(dialect, None)) is not None
        )

    def arguments(self, params: dict[str, Any] | None, extracted: Any, collected: Any) -> tuple[str, list[Any]]:
        """The SQL and its positional values: `params`, else the statement's own bound values
        (`extracted` and `collected`: its cache key's bind parameters and, SQLAlchemy 2.1, params)."""
        compiled = self.compiled
        extra = {"_collected_params": collected} if collected else {}
        values = compiled.construct_params(params, extracted_parameters=extracted, escape_names=False, **extra)
        sql, positiontup, processors = self.sql, self.positiontup, self.processors
        if self.expanding:
            expanded = compiled._process_parameters_for_postcompile(values)
            sql, positiontup = expanded.statement, expanded.positiontup
            processors = {**processors, **expanded.processors}
        return sql, [processors[k](values[k]) if k in processors else values[k] for k in positiontup or ()]


class _Bound:
    """One statement object's way to the driver: its shape's _Prepared and its own bound values."""

    __slots__ = ("collected", "extracted", "literal_arguments", "prepared")

    def __init__(self, prepared: _Prepared, cache_key: Any) -> None:
        self.prepared = prepared
        self.extracted = cache_key.bindparams if cache_key is not None else None
        self.collected = getattr(cache_key, "params", None)
        # A statement whose values are all in it (memoised per input) binds them once, here.
        binds = self.extracted if self.extracted is not None else prepared.compiled.binds.values()
        all_literal = not self.collected and all(b.callable is None and b.value is not None for b in binds)
        self.literal_arguments = prepared.arguments(None, self.extracted, None) if all_literal else None

    def arguments(self, params: dict[str, Any] | None) -> tuple[str, list[Any]]:
        if params is None and self.literal_arguments is not None:
            return self.literal_arguments
        return self.prepared.arguments(params, self.extracted, self.collected)


class _NotCovered(Exception):
    """A statement the driver shortcut does not run (it goes through session.execute)."""


@lru_cache(maxsize=256)
def _row_class(keys: tuple[str, ...]) -> type:
    """A tuple class with one attribute per column (what the callers read of SQLAlchemy's Row)."""
    return namedtuple("Row", keys)  # type: ignore[misc]  # noqa: PYI024 - a class per column set


# statement -> its _Bound, or None when not covered; weak: memoised statements come and go.
_PREPARED: weakref.WeakKeyDictionary[Any, _Bound | None] = weakref.WeakKeyDictionary()
# (dialect, SQLAlchemy cache key) -> the shape's _Prepared (None: not covered); bounded. The
# dialect object itself, as in SQLAlchemy's own cache: two engines may render the same shape apart.
SHAPES_LIMIT = 1024
_SHAPES: dict[tuple[Any, Any], _Prepared | None] = {}


def _prepared(statement: Any, dialect: Any) -> _Bound | None:
    found = _PREPARED.get(statement, False)
    if found is False:
        found = _PREPARED[statement] = _bind(statement, dialect)
    return found  # type: ignore[return-value]


def _bind(statement: Any, dialect: Any) -> _Bound | None:
    cache_key = statement._generate_cache_key()
    if cache_key is None:  # not cacheable (SQLAlchemy's own rule): compiled for itself alone
        try:
            return _Bound(_Prepared(statement, dialect, None), None)
        except _NotCovered:
            return None
    shape = (dialect, cache_key.key)
    prepared = _SHAPES.get(shape, False)
    if prepared is False:
        try:
            prepared = _Prepared(statement, dialect, cache_key)
        except _NotCovered:
            prepared = None
        if len(_SHAPES) >= SHAPES_LIMIT:
            _SHAPES.clear()
        _SHAPES[shape] = prepared
    if prepared is None:
        return None
    return _Bound(prepared, cache_key)


async def fetch_all(session: AsyncSession, statement: Any, params: dict[str, Any] | None = None) -> list[Any]:
    """The rows of a Core select, as `(await session.execute(statement, params)).all()` gives them."""
    bind = session.bind
    if bind is None or bind.dialect.driver != "asyncpg":
        return list((await session.execute(statement, params)).all())
    bound = _prepared(statement, bind.dialect)
    if bound is None:
        return list((await session.execute(statement, params)).all())
    connection = await session.connection()
    sync = connection.sync_connection
    assert sync is not None
    raw = await connection.get_raw_connection()
    sql, arguments = bound.arguments(params)
    adapted: Any = raw.dbapi_connection
    if adapted._transaction is None and adapted.isolation_level != "autocommit":
        # SQLAlchemy begins the transaction on a session's first statement: let it do so.
        return list((await session.execute(statement, params)).all())
    if sync._has_events or sync.engine._has_events:
        sync.dispatch.before_cursor_execute(sync, None, sql, arguments, None, False)
    try:
        async with adapted._execute_mutex:
            records = await raw.driver_connection.fetch(sql, *arguments)  # type: ignore[union-attr]
    except Exception:
        # Let SQLAlchemy run it and raise its own error (a dropped connection is then recognised
        # and the pool invalidated, exactly as for any other statement).
        return list((await session.execute(statement, params)).all())
    make = bound.prepared.row_class._make
    processors = bound.prepared.result_processors
    if not processors:
        return [make(record) for record in records]
    rows = []
    for record in records:
        values = list(record)
        for index, processor in processors:
            values[index] = processor(values[index])
        rows.append(make(values))
    return rows


@dataclass(frozen=True)
class ByIds:
    """One select of the rows of a list of ids, in the form each database runs best.

    PostgreSQL gets `column = ANY($1)`, the ids as one array parameter: the same SQL for any list,
    nothing expanded per call, one prepared statement on the server. Elsewhere `column IN (...)`.
    Built once at import with `ByIds.of(select, column)`; read with `fetch_by_ids`.
    """

    array: Any
    expanding: Any

    @classmethod
    def of(cls, statement: Any, column: Any) -> ByIds:
        return cls(
            array=statement.where(column == any_(bindparam("ids", type_=ARRAY(BigInteger)))),
            expanding=statement.where(column.in_(bindparam("ids", expanding=True))),
        )


async def fetch_by_ids(session: AsyncSession, statement: ByIds, ids: Sequence[int]) -> list[Any]:
    """The rows of `statement` for these ids (fetch_all of the session's database's form)."""
    chosen = statement.array if is_postgresql(session) else statement.expanding
    return await fetch_all(session, chosen, {"ids": list(ids)})


async def fetch_first(session: AsyncSession, statement: Any, params: dict[str, Any] | None = None) -> Any | None:
    """The first row of a select, or None (the statement should have its own LIMIT)."""
    rows = await fetch_all(session, statement, params)
    return rows[0] if rows else None
