"""Resolvers of the invoices area (placeholder: its issue fills this module)."""

from __future__ import annotations

from guichet.resolvers.context import Info


async def invoices_by_pk(info: Info, pks: list[int]) -> dict[int, object]:
    raise NotImplementedError


async def organisation_invoices(info: Info, organisation, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError


async def organisation_invoice_summary(info: Info, organisation, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError
