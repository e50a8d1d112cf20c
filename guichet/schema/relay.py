"""Relay plumbing: opaque global IDs, the Node interface, generic connections and cursors."""

from __future__ import annotations

import base64
import binascii
from typing import Generic, TypeVar

import strawberry

from guichet.domain.errors import DomainError, ErrorCode

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

T = TypeVar("T")


def to_global_id(type_name: str, pk: int | str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, int] | None:
    """Decode an ID into (type name, integer primary key); None when it is not one of ours."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if not type_name or not pk.isdigit() or len(pk) > 18:
            return None
        return type_name, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def decode_id(global_id: str, expected_type: str, *, field: list[str]) -> int:
    """The primary key of an ID of `expected_type`; raise DomainError(NOT_FOUND) otherwise."""
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != expected_type:
        raise DomainError(ErrorCode.NOT_FOUND, field=field)
    return decoded[1]


def encode_cursor(*values: object) -> str:
    """An opaque cursor over the sort key values of a row (always ending with its id)."""
    text = "\x1f".join("" if v is None else str(v) for v in values)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, field: list[str]) -> list[str]:
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


@strawberry.interface(description="An object with an opaque global ID, resolvable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global identifier.")


@strawberry.type(description="Where a page of a connection stands.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last edge; pass it as `after`.")


@strawberry.type(description="An item of a connection with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque position of this item; pass it as `after`.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of items (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="Number of items across all pages.")


def build_connection(
    items: list[T], cursors: list[str], *, has_next: bool, has_previous: bool, total: int
) -> Connection[T]:
    edges = [Edge(cursor=c, node=n) for n, c in zip(items, cursors, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
        total_count=total,
    )
