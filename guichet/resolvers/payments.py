"""Resolvers of the payments area: the list, payments by id, payInvoices and the two live streams.

Reading needs PAYMENTS READ; a reader whose role is over some billing accounts sees only the
payments all of whose invoices are in those accounts (any other ID answers like an unknown one).
Paying needs INVOICES PAY over the invoices' accounts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select

from guichet import events
from guichet.db import ByIds, fetch_by_ids
from guichet.domain.cards import CardDetails
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import decode_id, pk_of
from guichet.domain.models.payments import Payment as PaymentRow
from guichet.domain.models.payments import PaymentInvoice
from guichet.domain.payments import PayRequest
from guichet.domain.payments import pay_invoices as pay_invoices_service
from guichet.domain.payments.queries import invoice_accounts, organisation_statement
from guichet.domain.payments.rules import visible_within
from guichet.policies.authz import AccessDenied, AccountScope, Decision, NotAuthenticated
from guichet.policies.rules import Action, Module
from guichet.resolvers.pagination import Page, paginate_by_id

if TYPE_CHECKING:
    from guichet.resolvers.context import Context
    from guichet.resolvers.invoices import InvoiceView

T = TypeVar("T")


async def readable_payments(ctx: Context, rows: Sequence[PaymentRow]) -> list[PaymentRow]:
    """The rows the viewer may read: PAYMENTS READ in their organisation, every invoice in scope."""
    if not rows:
        return []
    scopes: dict[int, AccountScope] = {}
    for org_id in sorted({r.organisation_id for r in rows}):
        scopes[org_id] = await ctx.authz.scope(org_id, Module.PAYMENTS, Action.READ)
    partial = [r.id for r in rows if not scopes[r.organisation_id].empty and not scopes[r.organisation_id].all_accounts]
    accounts: dict[int, set[int]] = {}
    if partial:
        async with ctx.read() as session:
            accounts = await invoice_accounts(session, partial)
    return [
        row
        for row in rows
        if not scopes[row.organisation_id].empty
        and visible_within(accounts.get(row.id, ()), scopes[row.organisation_id].account_filter)
    ]


async def payments_by_pk(ctx: Context, pks: list[int]) -> dict[int, PaymentRow]:
    """Payments by primary key for node/nodes: only those the viewer may read (one query + scope)."""
    async with ctx.read() as session:
        rows = (
            (
                await session.execute(
                    select(PaymentRow).where(PaymentRow.id.in_(pks)).execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
    return {r.id: r for r in await readable_payments(ctx, rows)}


async def list_payments(
    ctx: Context,
    *,
    organisation_id: int,
    decision: Decision,
    statuses: list[str],
    methods: list[str],
    first: int | None,
    after: str | None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> Page[PaymentRow]:
    """The organisation's payments, newest first, filtered and limited to the decided scope.

    Raise DomainError(VALIDATION) for a bad `first` or cursor, or a creation range that ends
    before it starts.
    """
    if created_from is not None and created_to is not None and created_to < created_from:
        raise DomainError(ErrorCode.VALIDATION, "payment_created_range", field=["filter", "createdTo"])
    statement = organisation_statement(
        organisation_id,
        account_ids=decision.scope.account_filter,
        statuses=statuses,
        methods=methods,
        now=ctx.now(),
        created_from=created_from,
        created_to=created_to,
    )
    async with ctx.read() as session:
        return await paginate_by_id(session, statement, PaymentRow.id, first=first, after=after, descending=True)


# Built once (keys bound per call): a page's payments build no statement and no cache key. Core
# columns, not the ORM entity: each payment is a plain row (attribute names are the mapped ones),
# so a page of 50 invoices builds no identity-map objects; the label keeps `id` the payment's.
_payments_table = PaymentRow.__table__
_covered = PaymentInvoice.__table__.c.invoice_id
_PAYMENTS_BY_INVOICE = ByIds.of(
    select(_covered.label("covered_invoice_id"), *_payments_table.c)
    .join_from(PaymentInvoice.__table__, _payments_table, _payments_table.c.id == PaymentInvoice.__table__.c.payment_id)
    .order_by(_payments_table.c.id.desc()),
    _covered,
)


async def readable_payments_of_invoices(ctx: Context, invoice_ids: list[int]) -> dict[int, list[PaymentRow]]:
    """invoice id -> the payments of it the viewer may read, newest first (one query plus scope).

    The payments are rows with the Payment model's column attributes (what Payment.from_row reads).
    """
    async with ctx.read() as session:
        rows: Sequence[Any] = await fetch_by_ids(session, _PAYMENTS_BY_INVOICE, invoice_ids)
    readable = {r.id for r in await readable_payments(ctx, list({p.id: p for p in rows}.values()))}
    grouped: dict[int, list[Any]] = defaultdict(list)
    for payment in rows:
        if payment.id in readable:
            grouped[payment.covered_invoice_id].append(payment)
    return grouped


async def payment_invoices(ctx: Context, payment_pk: int) -> list[InvoiceView]:
    """The invoices a payment covers that the viewer may read, batched across a page."""
    ids = await ctx.loaders.invoice_ids_by_payment_id.load(payment_pk)
    found = await ctx.loaders.readable_invoice_by_id.load_many(ids)
    return [i for i in found if i is not None]


async def payment_for_payer(ctx: Context, payment_id: int) -> PaymentRow:
    """The payment just made (or replayed) for its payer, who may lack PAYMENTS READ."""
    async with ctx.sessionmaker() as session:
        return (await session.execute(select(PaymentRow).where(PaymentRow.id == payment_id))).scalar_one()


async def pay_invoices(
    ctx: Context,
    *,
    organisation_id: str,
    decision: Decision | None,
    invoice_ids: list[str],
    method: str,
    idempotency_key: str,
    msisdn: str | None,
    card: CardDetails | None,
    saved_payment_method_id: str | None = None,
) -> PaymentRow:
    """Pay the invoices within the decided INVOICES PAY scope; the payment as its payer sees it.

    Raise DomainError(NOT_FOUND) for an ID that is not an organisation's or an invoice's,
    AccessDenied when the permission decided nothing for a real organisation, and the payment
    service's DomainErrors.
    """
    decode_id(organisation_id, "Organisation", field=["input", "organisationId"])
    if decision is None:
        raise AccessDenied(Module.INVOICES, Action.PAY)
    saved_pk = None
    if saved_payment_method_id is not None:
        saved_pk = decode_id(saved_payment_method_id, "SavedPaymentMethod", field=["input", "savedPaymentMethodId"])
    invoice_pks = [
        decode_id(gid, "Invoice", field=["input", "invoiceIds", str(index)]) for index, gid in enumerate(invoice_ids)
    ]
    # Give the read connection back while the payment's transaction runs (and may wait on a
    # concurrent twin): holding both would let a burst of payments exhaust the pool.
    await ctx.close()
    result = await pay_invoices_service(
        ctx.sessionmaker,
        request=PayRequest(
            organisation_id=decision.membership.organisation_id,
            invoice_ids=invoice_pks,
            method=method,
            idempotency_key=idempotency_key,
            msisdn=msisdn,
            card=card,
            saved_payment_method_id=saved_pk,
        ),
        payer_contact_id=decision.membership.contact_id,
        pay_scope=decision.scope.account_filter,
        gateways=ctx.app.gateways,
        secret=ctx.settings.secret_key,
        now=ctx.now(),
        expiry_seconds=ctx.settings.payment_expiry_seconds,
        bank_transfer_expiry_seconds=ctx.settings.bank_transfer_expiry_seconds,
    )
    await events.publish(ctx.app.broker, result.changes)
    return await payment_for_payer(ctx, result.payment_id)


# ---------------------------------------------------------------- subscriptions
# A socket lives for hours: each event starts as a new request (ctx.refresh(): new read session,
# loaders, viewer and decisions), so a revoked session or role, or cached rows, never outlive
# the change (ACCESS.md rule 6).


async def _require_viewer(ctx: Context) -> None:
    if await ctx.principal() is None:
        raise NotAuthenticated()


async def holding_no_connection(ctx: Context, stream: AsyncIterator[T]) -> AsyncIterator[T]:
    """Relay a subscription's items, returning the read connection to the pool between events."""
    try:
        async for item in stream:
            yield item
            await ctx.close()
    finally:
        await ctx.close()


def watch_payment(ctx: Context, payment_id: str) -> AsyncIterator[PaymentRow]:
    """The payment now, then at each change; ends when the viewer may no longer read it.

    Raise NotAuthenticated without a viewer, DomainError(NOT_FOUND) for a payment out of reach.
    """
    return holding_no_connection(ctx, _watch_payment(ctx, payment_id))


async def _watch_payment(ctx: Context, payment_id: str) -> AsyncIterator[PaymentRow]:
    pk = pk_of(payment_id, "Payment")
    if pk is None:
        await _require_viewer(ctx)
        raise DomainError(ErrorCode.NOT_FOUND)
    # Listen before reading the current state, so no change slips between the two.
    async with ctx.app.broker.listen(events.payment_topic(pk)) as queue:
        await ctx.refresh()
        await _require_viewer(ctx)
        found = (await payments_by_pk(ctx, [pk])).get(pk)
        if found is None:
            raise DomainError(ErrorCode.NOT_FOUND)
        yield found
        while True:
            await queue.get()
            await ctx.refresh()
            if await ctx.principal() is None:
                return
            found = (await payments_by_pk(ctx, [pk])).get(pk)
            if found is None:
                return
            yield found
