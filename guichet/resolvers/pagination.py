"""Pages: opaque cursors, the page-size rule and keyset paging by id, returning a plain Page[T].

Keyset paging is stable under concurrent inserts and costs one query per page plus a count.
A schema Connection renders a Page (`InvoiceConnection.from_page`); nothing here knows GraphQL.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.errors import DomainError, ErrorCode

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of items with their cursors, whether more follow or precede, and the total."""

    items: list[T]
    cursors: Sequence[str]
    has_next: bool
    has_previous: bool
    total: int


class LazyCursors(Sequence[str]):
    """The cursors of a page's rows, each encoded when first read: a page whose selection reads
    no edge cursor (the dashboard's) encodes only pageInfo's two."""

    def __init__(self, rows: Sequence[Any], encode: Callable[[Any], str]) -> None:
        self._rows = rows
        self._encode = encode
        self._done: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self._rows)
        found = self._done.get(index)
        if found is None:
            found = self._done[index] = self._encode(self._rows[index])
        return found

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


def encode_cursor(*values: object) -> str:
    """An opaque cursor over the sort key values of a row (always ending with its id)."""
    text = "\x1f".join("" if v is None else str(v) for v in values)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, field: list[str]) -> list[str]:
    """The values of a cursor; raise DomainError(VALIDATION) when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode().split("\x1f")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise DomainError(ErrorCode.VALIDATION, "cursor_invalid", field=field) from None


def page_size(first: int | None, *, field: list[str] | None = None) -> int:
    """Validate `first` (1..100, default 20); a larger value is an error, never a silent cap."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise DomainError(
            ErrorCode.VALIDATION,
            "first_out_of_range",
            field=field or ["first"],
            params={"max": MAX_PAGE_SIZE},
        )
    return first


async def paginate_by_id(
    session: AsyncSession,
    statement: Select[Any],
    id_column: Any,
    *,
    first: int | None,
    after: str | None,
    descending: bool = False,
) -> Page[Any]:
    """A page of `statement` ordered by `id_column`, after the `after` cursor.

    Items are the selected entity, or the row's tuple for a multi-entity select (its first
    entity's id is the cursor). Raise DomainError(VALIDATION) for a bad `first` or cursor.
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
    return Page(
        [row[0] if len(row) == 1 else tuple(row) for row in rows],
        [encode_cursor(row[0].id) for row in rows],
        has_next=has_next,
        has_previous=cursor_id is not None,
        total=total,
    )
