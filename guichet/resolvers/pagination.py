"""Keyset pagination by id: stable under concurrent inserts, one query per page plus a count."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.schema.relay import Connection, build_connection, decode_cursor, encode_cursor, page_size

T = TypeVar("T")


async def paginate_by_id(
    session: AsyncSession,
    statement: Select[Any],
    id_column: Any,
    *,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], T],
) -> Connection[T]:
    """A page of `statement` ordered by `id_column` ascending, after the `after` cursor."""
    size = page_size(first)
    total = (await session.execute(select(func.count()).select_from(statement.order_by(None).subquery()))).scalar_one()
    page_statement = statement
    has_previous = False
    if after is not None:
        values = decode_cursor(after, field=["after"])
        if len(values) != 1 or not values[0].isdigit():
            from guichet.domain.errors import DomainError, ErrorCode

            raise DomainError(ErrorCode.VALIDATION, "cursor_invalid", field=["after"])
        page_statement = page_statement.where(id_column > int(values[0]))
        has_previous = True
    rows: Sequence[Any] = (await session.execute(page_statement.order_by(id_column).limit(size + 1))).scalars().all()
    has_next = len(rows) > size
    rows = rows[:size]
    return build_connection(
        [to_node(r) for r in rows],
        [encode_cursor(r.id) for r in rows],
        has_next=has_next,
        has_previous=has_previous,
        total=total,
    )
