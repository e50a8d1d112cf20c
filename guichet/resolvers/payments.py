"""Resolvers of the payments area (placeholder: its issue fills this module)."""

from __future__ import annotations

from guichet.resolvers.context import Info


async def payments_by_pk(info: Info, pks: list[int]) -> dict[int, object]:
    raise NotImplementedError


async def organisation_payments(info: Info, organisation, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError


async def load_invoice_payments(info: Info, invoice_pk: int) -> list[object]:
    """The payments of one invoice (batched by the payments work with a DataLoader)."""
    return []
