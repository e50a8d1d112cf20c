"""Types rendered from one database row compute each field when it is first read, not up front.

A dashboard page renders 50 invoices, 100 lines and their payments, and a query selects a few
of each type's fields: building every field of every object (global IDs, Money, enum members,
a payment's effective state and translated messages) cost more than answering the query. A
`RowBacked` type keeps the row and computes a field from it on first read (then keeps the value
on the instance), so both executions, the compiled plan and graphql-core, read plain attributes
and only what the selection asks is ever built.

Convention (README, Architecture): the type lists its row-computed fields with
`row_fields(cls, {python_name: compute(row, instance)})` beside the class and builds instances
with `cls.rendered(row, **values)`, `values` being what does not come from the row (scope flags,
prefetched relations, the reader's clock and locale). A field in neither is an AttributeError at
the first test that selects it, so a field added to the type must be added to one of the two.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

T = TypeVar("T", bound="RowBacked")

Compute = Callable[[Any, Any], Any]


class RowBacked:
    """Mixin of a Strawberry type rendered from a row: fields computed from the row when read."""

    # python name -> compute(row, instance); set by row_fields() (not annotated: no GraphQL field).
    _row_fields: dict[str, Compute] = {}

    @classmethod
    def rendered(cls: type[T], row: Any, **values: Any) -> T:
        """An instance over `row`, with `values` set as they are (no __init__: nothing is computed)."""
        instance = object.__new__(cls)
        state = instance.__dict__
        state.update(values)
        state["_row"] = row
        return instance

    def __getattr__(self, name: str) -> Any:
        # Called only for an attribute not yet on the instance: compute it once from the row.
        compute = type(self)._row_fields.get(name)
        state = self.__dict__
        if compute is None or "_row" not in state:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        value = state[name] = compute(state["_row"], self)
        return value


# Strawberry's is_type_of reads this attribute (set only by strawberry.cast) on every object of a
# type with interfaces: absent, the read would go through __getattr__ and raise an AttributeError
# for each invoice of a page. None is what getattr's default gives, so nothing else changes.
setattr(RowBacked, TYPE_CAST_ATTRIBUTE, None)


def row_fields(cls: type[RowBacked], fields: dict[str, Compute]) -> None:
    """Declare how each of `cls`'s row-computed fields is computed (python names)."""
    cls._row_fields = dict(fields)
