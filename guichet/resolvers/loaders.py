"""Per-request DataLoaders (aiodataloader), one class per (entity, key).

Each loader guards against one N+1: a list page asks for a related object per row and the
loader turns those asks into one query. Build them per request through `loader(ctx, Class)`;
never at module level, where their cache would serve one user's objects to another.
Loaders here do no access check: feed them only ids of rows the viewer may already read.
Other areas may add their loaders in their own modules with the same `loader()` helper.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import select

from guichet.domain import models
from guichet.domain.invoices import queries

if TYPE_CHECKING:
    from guichet.resolvers.context import Context, Info
    from guichet.schema.billing import BillingAccount
    from guichet.schema.invoices import InvoiceLine

L = TypeVar("L", bound=DataLoader[Any, Any])


def loader(ctx: Context, cls: type[L]) -> L:
    """The request's instance of `cls`, created on first use."""
    found = ctx.loaders.get(cls.__name__)
    if found is None:
        found = ctx.loaders[cls.__name__] = cls(ctx)  # type: ignore[call-arg]
    return found  # type: ignore[no-any-return]


class BillingAccountByIdLoader(DataLoader[int, "BillingAccount | None"]):
    """Billing accounts by id: Invoice.billingAccount on a page costs one query, not one per invoice."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    async def batch_load_fn(self, keys: Sequence[int]) -> list[BillingAccount | None]:  # type: ignore[override]
        from guichet.schema.billing import BillingAccount

        async with self.ctx.read() as session:
            rows = (
                (await session.execute(select(models.BillingAccount).where(models.BillingAccount.id.in_(keys))))
                .scalars()
                .all()
            )
        found = {row.id: BillingAccount.from_row(row) for row in rows}
        return [found.get(key) for key in keys]


class InvoiceLinesByInvoiceIdLoader(DataLoader[int, "list[InvoiceLine]"]):
    """Invoice lines by invoice id: Invoice.lines on a page costs one query, not one per invoice."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[InvoiceLine]]:  # type: ignore[override]
        from guichet.schema.invoices import InvoiceLine

        async with self.ctx.read() as session:
            rows = (await session.execute(queries.lines_statement(keys))).all()
        found: dict[int, list[InvoiceLine]] = {key: [] for key in keys}
        for row in rows:
            found[row.invoice_id].append(InvoiceLine.from_row(row))
        return [found[key] for key in keys]


class Deferred:
    """An awaitable that starts its load only when awaited (GraphQL awaits it only if selected).

    Unlike a coroutine, one that is never awaited costs nothing and warns about nothing.
    """

    __slots__ = ("_start",)

    def __init__(self, start: Callable[[], Awaitable[Any]]) -> None:
        self._start = start

    def __await__(self) -> Generator[Any, None, Any]:
        return self._start().__await__()


def deferred_account(info: Info, billing_account_id: int) -> Any:
    return Deferred(lambda: loader(info.context, BillingAccountByIdLoader).load(billing_account_id))


def deferred_lines(info: Info, invoice_id: int) -> Any:
    return Deferred(lambda: loader(info.context, InvoiceLinesByInvoiceIdLoader).load(invoice_id))


def deferred_payments(info: Info, invoice_id: int) -> Any:
    """Invoice.payments through the payments area's own per-request loader."""

    def start() -> Awaitable[Any]:
        from guichet.resolvers import payments

        return payments.load_invoice_payments(info, invoice_id)

    return Deferred(start)
