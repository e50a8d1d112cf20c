"""Invoices (placeholder: the invoices issue fills this module)."""

from __future__ import annotations

import strawberry

from guichet.schema.relay import Connection, Node


@strawberry.type(description="An invoice.")
class Invoice(Node):
    number: str = strawberry.field(description="The invoice number.")


@strawberry.input(description="Which invoices to list.")
class InvoiceFilter:
    search: str | None = strawberry.field(default=None, description="Free text searched in the number.")


@strawberry.input(description="How invoices are ordered.")
class InvoiceOrder:
    placeholder: str | None = strawberry.field(default=None, description="Placeholder.")


@strawberry.type(description="Invoice totals.")
class InvoiceSummary:
    count: int = strawberry.field(description="Number of invoices.")


InvoiceConnection = Connection[Invoice]
