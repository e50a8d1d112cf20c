"""One line for any failure of a `guichet` command: what went wrong and, when known, what to run.

A traceback is useless to an operator and may carry data (SQL parameters, e-mails): commands print
`guichet: <reason>` on stderr and exit non-zero instead (OPERATIONS.md).
"""

from __future__ import annotations

import re
import socket

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from guichet.domain.feed.errors import FeedError
from guichet.migrate import DatabaseNotReady

# PostgreSQL's SQLSTATE for "database does not exist".
INVALID_CATALOG_NAME = "3D000"
_MISSING_DATABASE = re.compile(r'database ".*" does not exist')


def where(database_url: str) -> str:
    """The database named for a human, never with its password."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return "the configured database"
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    return f"database {url.database} on {url.host or 'localhost'}:{url.port or 5432}"


def _first_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[0].strip() if lines else ""


def one_line(error: BaseException, database_url: str | None = None) -> str:
    """The reason to print after "guichet: " for `error` (a single line, no secret, no SQL parameters)."""
    if isinstance(error, (FeedError, DatabaseNotReady)):
        return str(error)
    target = where(database_url) if database_url else "the database"
    if isinstance(error, DBAPIError):
        orig = error.orig
        detail = _first_line(str(orig)) if orig is not None else type(error).__name__
        if getattr(orig, "sqlstate", None) == INVALID_CATALOG_NAME or _MISSING_DATABASE.match(detail):
            return f"{target} does not exist: create it with `guichet db create`"
        if detail == "unable to open database file":  # SQLite: its folder is missing
            return f"cannot open {target}: create it with `guichet db create`"
        if isinstance(error.__cause__, OSError) or isinstance(orig, OSError):
            return f"cannot reach {target}: {detail}"
        return f"database error: {detail} (is the database migrated? run `guichet db upgrade`)"
    if isinstance(error, SQLAlchemyError):
        return f"database error: {_first_line(str(error)) or type(error).__name__}"
    if isinstance(error, (ConnectionError, TimeoutError, socket.gaierror)):
        return f"cannot reach {target}: {_first_line(str(error)) or type(error).__name__}"
    if isinstance(error, OSError):
        return f"{_first_line(str(error)) or type(error).__name__}"
    text = _first_line(str(error))
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
