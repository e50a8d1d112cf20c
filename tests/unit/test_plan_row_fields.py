"""The compiled plan reads a RowBacked type's fields exactly as an attribute read would.

The plan calls a row field's computation itself instead of going through `__getattr__`; these
pin that it computes each field once, keeps it on the instance, and leaves a field shadowed by a
class attribute (a default) to the ordinary read, so both executions give the same answer.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import strawberry

from guichet.execution import executor as fast_execution
from guichet.execution.executor import FastExecutor
from guichet.schema.rows import RowBacked, row_fields

Row = namedtuple("Row", "label amount")
computed: list[str] = []


@strawberry.type
class Item(RowBacked):
    label: str
    amount: int
    shadowed: str = "from the class"  # a class attribute: an ordinary read finds it first


def _label(row: Any, _item: Any) -> str:
    computed.append("label")
    return row.label.upper()


row_fields(Item, {"label": _label, "amount": lambda row, _: row.amount, "shadowed": lambda row, _: "from the row"})

ITEMS: list[Item] = []


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        """The same instances for both executions of one request (verification re-executes)."""
        if not ITEMS:
            rows = (Row("first", 1), Row("second", 2))
            ITEMS.extend([*(Item.rendered(row) for row in rows), Item.rendered(Row("third", 3), amount=30)])
        return ITEMS


DOCUMENT = "query Items { items { label again: label amount shadowed } }"


async def test_row_fields_read_by_the_plan_are_those_an_attribute_read_gives() -> None:
    fast = strawberry.Schema(query=Query, execution_context_class=FastExecutor)
    reference = strawberry.Schema(query=Query)
    fast_execution.COVERAGE.clear()
    computed.clear()
    ITEMS.clear()

    planned = await fast.execute(DOCUMENT)

    assert planned.errors is None
    assert fast_execution.COVERAGE == {(DOCUMENT, "fast"): 1}
    assert planned.data == {
        "items": [
            {"label": "FIRST", "again": "FIRST", "amount": 1, "shadowed": "from the class"},
            {"label": "SECOND", "again": "SECOND", "amount": 2, "shadowed": "from the class"},
            {"label": "THIRD", "again": "THIRD", "amount": 30, "shadowed": "from the class"},
        ]
    }
    assert computed == ["label", "label", "label"]  # once per item, kept for the alias
    assert (await reference.execute(DOCUMENT)).data == planned.data
    assert computed == ["label", "label", "label"]  # graphql-core read the values kept on the items
