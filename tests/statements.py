"""Counting the SQL statements one block of a test sends, and only those.

The app's background loops (export, webhook and mail passes) share the engine and may run while a
counted request does; their statements are not the request's. A statement counts when it runs in
the block's own context (the request's tasks inherit it; the loops started with the app do not)
and outside the differential mode's second, graphql-core execution of a query
(GUICHET_FASTPATH_VERIFY, set by the test suite).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event

from guichet.execution.executor import verification_rerun

_counted: ContextVar[object | None] = ContextVar("tests_counted_block", default=None)


@contextmanager
def counting(engine: Any) -> Iterator[list[str]]:
    """The SQL statements the block itself makes the engine run (see the module docstring)."""
    statements: list[str] = []
    marker = object()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if _counted.get() is marker and not verification_rerun():
            statements.append(statement)

    token = _counted.set(marker)
    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)
        _counted.reset(token)
