"""Keyset pagination by id: stable under concurrent inserts, one query per page plus a count."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.errors import DomainError, ErrorCode
from guichet.schema.relay import Connection, build_connection, decode_cursor, encode_cursor, page_size

T = TypeVar("T")


async def paginate_by_id(
    session: AsyncSession,
    statement: Select[Any],
    id_column: Any,
    *,
    first: int | None,
    after: str | None,
    to_node: Callable[..., T],
    descending: bool = False,
) -> Connection[T]:
    """A page of `statement` ordered by `id_column`, after the `after` cursor.

    Each row's entities are passed to `to_node` (`to_node(contact, person)` for a two-entity
    select); the first entity's id is the cursor. Raise DomainError(VALIDATION) for a bad cursor.
    """
    size = page_size(first)
    cursor_id: int | None = None
    if after is not None:
        values = decode_cursor(after, field=["after"])
        if len(values) != 1 or not values[0].isdigit():
            raise DomainError(ErrorCode.VALIDATION, "cursor_invalid", field=["after"])
        cursor_id = int(values[0])
    total = (await session.execute(select(func.count()).select_from(statement.order_by(None).subquery()))).scalar_one()
    page = statement
    if cursor_id is not None:
        page = page.where(id_column < cursor_id if descending else id_column > cursor_id)
    page = page.order_by(id_column.desc() if descending else id_column).limit(size + 1)
    rows = (await session.execute(page)).all()
    has_next = len(rows) > size
    rows = rows[:size]
    return build_connection(
        [to_node(*row) for row in rows],
        [encode_cursor(row[0].id) for row in rows],
        has_next=has_next,
        has_previous=cursor_id is not None,
        total=total,
    )
