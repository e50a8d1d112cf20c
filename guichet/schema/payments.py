"""Payments (placeholder: the payments issue fills this module)."""

from __future__ import annotations

import strawberry

from guichet.schema.relay import Connection, Node


@strawberry.type(description="A payment.")
class Payment(Node):
    reference: str = strawberry.field(description="The provider-facing reference.")


@strawberry.input(description="Which payments to list.")
class PaymentFilter:
    placeholder: str | None = strawberry.field(default=None, description="Placeholder.")


PaymentConnection = Connection[Payment]
