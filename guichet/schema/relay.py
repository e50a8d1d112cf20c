"""Relay plumbing: the Node interface and generic connections rendering a resolver's Page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

# Re-exported: tools outside the package (the peer benchmark's data loader) import it from here.
from guichet.domain.ids import to_global_id as to_global_id
from guichet.resolvers.pagination import Page
from guichet.schema.rows import RowBacked, row_fields

T = TypeVar("T")


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
class Edge(RowBacked, Generic[T]):
    cursor: str = strawberry.field(description="Opaque position of this item; pass it as `after`.")
    node: T = strawberry.field(description="The item.")


row_fields(Edge, {"cursor": lambda row, _: row[0][row[1]]})


@strawberry.type(description="A page of items (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="Number of items across all pages.")

    @classmethod
    def from_page(cls, page: Page[Any], render: Callable[[Any], T]) -> Connection[T]:
        """The connection of a resolver's page, each item rendered by `render`."""
        cursors = page.cursors
        if len(cursors) != len(page.items):
            raise ValueError("a page has one cursor per item")
        return Connection(
            # An edge's cursor is encoded only if the selection reads it (schema/rows.py).
            edges=[Edge.rendered((cursors, index), node=render(item)) for index, item in enumerate(page.items)],
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else None,
            ),
            total_count=page.total,
        )
