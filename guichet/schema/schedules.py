"""Instalment schedules (placeholder: the schedules issue fills this module)."""

from __future__ import annotations

import strawberry

from guichet.schema.relay import Connection, Node


@strawberry.type(description="An instalment plan.")
class Schedule(Node):
    order_number: str = strawberry.field(description="The order number.")


@strawberry.input(description="Which schedules to list.")
class ScheduleFilter:
    placeholder: str | None = strawberry.field(default=None, description="Placeholder.")


ScheduleConnection = Connection[Schedule]
