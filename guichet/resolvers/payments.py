"""Resolvers of the payments area: decode, authorise once, call the domain, render; plus the loaders.

Reading needs PAYMENTS READ; a reader whose role is over some billing accounts sees only the
payments all of whose invoices are in those accounts (any other ID answers like an unknown one).
Paying needs INVOICES PAY over the invoices' accounts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry
from aiodataloader import DataLoader
from graphql import GraphQLError
from sqlalchemy import select

from guichet import events
from guichet.domain import models
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.models.payments import Payment as PaymentRow
from guichet.domain.models.payments import PaymentInvoice
from guichet.domain.money import Money as DomainMoney
from guichet.domain.payments import Gateways, PayRequest
from guichet.domain.payments import pay_invoices as pay_invoices_service
from guichet.domain.payments.queries import status_condition, within_accounts
from guichet.domain.payments.rules import FAILURE_CODES, effective_state
from guichet.i18n import render
from guichet.policies.authz import AccountScope
from guichet.resolvers.context import Context, Info
from guichet.resolvers.errors import run_mutation
from guichet.resolvers.graphql_errors import domain_to_graphql
from guichet.schema.relay import (
    Connection,
    build_connection,
    decode_cursor,
    decode_id,
    encode_cursor,
    from_global_id,
    page_size,
    to_global_id,
)

if TYPE_CHECKING:
    from guichet.schema.invoices import Invoice
    from guichet.schema.organisations import Organisation
    from guichet.schema.payments import PayInvoicesInput, PayInvoicesPayload, Payment, PaymentFilter

GATEWAYS_KEY = "payment_gateways"

T = TypeVar("T")


def gateways(ctx: Context) -> Gateways:
    """The app's payment providers (sandboxes unless something installed real ones at start-up)."""
    from guichet.domain.gateways.bank_transfer import SandboxBankTransferGateway

    found = ctx.app.services.get(GATEWAYS_KEY)
    if found is None:
        found = ctx.app.services[GATEWAYS_KEY] = Gateways(
            bank_transfer=SandboxBankTransferGateway(ctx.settings.bank_transfer_account)
        )
    return found  # type: ignore[no-any-return]


def payment_from_row(row: PaymentRow, *, now: datetime, locale: str) -> Payment:
    """The GraphQL Payment of a row, as the reader sees it at `now` (a stale PENDING reads FAILED)."""
    from guichet.schema.common import Money
    from guichet.schema.payments import Payment, PaymentFailure, PaymentMethodType, PaymentStatus

    state = effective_state(row.status, row.failure_code, row.completed_at, row.expires_at, now)
    failure = None
    if state.status == "FAILED":
        code = state.failure_code if state.failure_code in FAILURE_CODES else "provider_error"
        failure = PaymentFailure(code=code, message=render(f"payment_failed_{code}", locale))
    instructions = None
    if state.status == "PENDING" and row.instructions:
        params = dict(row.instructions.get("params") or {})  # type: ignore[call-overload]
        params["amount"] = DomainMoney(row.amount_minor, row.currency).format(locale)
        instructions = render(str(row.instructions.get("key")), locale, params)
    return Payment(
        id=strawberry.ID(to_global_id("Payment", row.id)),
        reference=row.reference,
        amount=Money.of(row.amount_minor, row.currency),
        amount_received=Money.of(row.received_minor, row.currency) if state.status == "SUCCEEDED" else None,
        method=PaymentMethodType(row.method),
        status=PaymentStatus(state.status),
        failure=failure,
        instructions=instructions,
        created_at=row.created_at,
        completed_at=state.completed_at,
        pk=row.id,
        organisation_id=row.organisation_id,
    )


async def _readable(ctx: Context, rows: Sequence[PaymentRow]) -> list[PaymentRow]:
    """The rows the viewer may read: PAYMENTS READ in their organisation, every invoice in scope."""
    if not rows:
        return []
    scopes: dict[int, AccountScope] = {}
    for org_id in sorted({r.organisation_id for r in rows}):
        scopes[org_id] = await ctx.authz.scope(org_id, "PAYMENTS", "READ")
    partial = [r.id for r in rows if not scopes[r.organisation_id].empty and not scopes[r.organisation_id].all_accounts]
    accounts: dict[int, set[int]] = defaultdict(set)
    if partial:
        async with ctx.read() as session:
            for payment_id, account_id in (
                await session.execute(
                    select(PaymentInvoice.payment_id, models.Invoice.billing_account_id)
                    .join(models.Invoice, models.Invoice.id == PaymentInvoice.invoice_id)
                    .where(PaymentInvoice.payment_id.in_(partial))
                )
            ).all():
                accounts[payment_id].add(account_id)
    readable = []
    for row in rows:
        scope = scopes[row.organisation_id]
        if scope.all_accounts or (not scope.empty and all(scope.allows(a) for a in accounts[row.id])):
            readable.append(row)
    return readable


async def payments_by_pk(info: Info, pks: list[int]) -> dict[int, Payment]:
    """Payments by primary key for node/nodes: only those the viewer may read (one query + scope)."""
    ctx = info.context
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
    now = ctx.now()
    return {r.id: payment_from_row(r, now=now, locale=ctx.locale) for r in await _readable(ctx, rows)}


async def organisation_payments(
    info: Info,
    organisation: Organisation,
    *,
    first: int | None = None,
    after: str | None = None,
    filter: PaymentFilter | None = None,
) -> Connection[Payment]:
    """The organisation's payments, newest first, filtered and limited to the viewer's scope."""
    ctx = info.context
    with domain_to_graphql(info):
        await ctx.authz.require(organisation.pk, "PAYMENTS", "READ")
        scope = await ctx.authz.scope(organisation.pk, "PAYMENTS", "READ")
        size = page_size(first)
        now = ctx.now()
        statement = select(PaymentRow).where(PaymentRow.organisation_id == organisation.pk)
        if not scope.all_accounts:
            statement = statement.where(within_accounts(scope.account_ids))
        if filter is not None and filter.status:
            from sqlalchemy import or_

            statement = statement.where(or_(*(status_condition(s.value, now) for s in filter.status)))
        if filter is not None and filter.method:
            statement = statement.where(PaymentRow.method.in_([m.value for m in filter.method]))
        page = statement
        if after is not None:
            values = decode_cursor(after, field=["after"])
            if len(values) != 1 or not values[0].isdigit():
                raise DomainError(ErrorCode.VALIDATION, "cursor_invalid", field=["after"])
            page = page.where(PaymentRow.id < int(values[0]))
        from sqlalchemy import func

        async with ctx.read() as session:
            total = (
                await session.execute(select(func.count()).select_from(statement.order_by(None).subquery()))
            ).scalar_one()
            rows = (
                (
                    await session.execute(
                        page.order_by(PaymentRow.id.desc()).limit(size + 1).execution_options(populate_existing=True)
                    )
                )
                .scalars()
                .all()
            )
    has_next = len(rows) > size
    rows = rows[:size]
    return build_connection(
        [payment_from_row(r, now=now, locale=ctx.locale) for r in rows],
        [encode_cursor(r.id) for r in rows],
        has_next=has_next,
        has_previous=after is not None,
        total=total,
    )


class PaymentsByInvoiceIdLoader(DataLoader[int, list[PaymentRow]]):
    """Invoice id -> its payments (newest first): one query for a whole page's Invoice.payments."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[PaymentRow]]:
        async with self.ctx.read() as session:
            pairs = (
                await session.execute(
                    select(PaymentInvoice.invoice_id, PaymentRow)
                    .join(PaymentRow, PaymentRow.id == PaymentInvoice.payment_id)
                    .where(PaymentInvoice.invoice_id.in_(list(keys)))
                    .order_by(PaymentRow.id.desc())
                    .execution_options(populate_existing=True)
                )
            ).all()
        readable = {r.id for r in await _readable(self.ctx, list({p.id: p for _, p in pairs}.values()))}
        grouped: dict[int, list[PaymentRow]] = defaultdict(list)
        for invoice_id, payment in pairs:
            if payment.id in readable:
                grouped[invoice_id].append(payment)
        return [grouped.get(k, []) for k in keys]


class InvoiceIdsByPaymentIdLoader(DataLoader[int, list[int]]):
    """Payment id -> ids of the invoices it covers: one query for a whole page's Payment.invoices."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[int]]:
        async with self.ctx.read() as session:
            rows = (
                await session.execute(
                    select(PaymentInvoice.payment_id, PaymentInvoice.invoice_id)
                    .where(PaymentInvoice.payment_id.in_(list(keys)))
                    .order_by(PaymentInvoice.invoice_id)
                )
            ).all()
        grouped: dict[int, list[int]] = defaultdict(list)
        for payment_id, invoice_id in rows:
            grouped[payment_id].append(invoice_id)
        return [grouped.get(k, []) for k in keys]


class VisibleInvoicesByIdLoader(DataLoader[int, Any]):
    """Invoice id -> Invoice the viewer may read, or None: one invoices_by_pk call per batch."""

    def __init__(self, info: Info) -> None:
        super().__init__()
        self.info = info

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Any]:
        from guichet.resolvers.invoices import invoices_by_pk

        found = await invoices_by_pk(self.info, list(keys))
        return [found.get(k) for k in keys]


def _loader(ctx: Context, name: str, factory: Any) -> Any:
    loader = ctx.loaders.get(name)
    if loader is None:
        loader = ctx.loaders[name] = factory()
    return loader


async def load_invoice_payments(info: Info, invoice_pk: int) -> list[Payment]:
    """The payments of one invoice the viewer may read (batched per request by a DataLoader)."""
    ctx = info.context
    loader = _loader(ctx, "PaymentsByInvoiceIdLoader", lambda: PaymentsByInvoiceIdLoader(ctx))
    rows = await loader.load(invoice_pk)
    now = ctx.now()
    return [payment_from_row(r, now=now, locale=ctx.locale) for r in rows]


async def load_invoices_payments(info: Info, invoice_pks: Sequence[int]) -> list[list[Payment]]:
    """The payments the viewer may read of each of these invoices, in one query and one await.

    For a page that already holds its invoice ids: no future nor coroutine per invoice (what
    load_invoice_payments costs when called once per row).
    """
    ctx = info.context
    loader = _loader(ctx, "PaymentsByInvoiceIdLoader", lambda: PaymentsByInvoiceIdLoader(ctx))
    per_invoice = await loader.batch_load_fn(list(invoice_pks))
    now, locale = ctx.now(), ctx.locale
    return [[payment_from_row(r, now=now, locale=locale) for r in rows] for rows in per_invoice]


async def payment_invoices(info: Info, payment: Payment) -> list[Invoice]:
    """Payment.invoices: the covered invoices the viewer may read, batched across a page."""
    ctx = info.context
    ids_loader = _loader(ctx, "InvoiceIdsByPaymentIdLoader", lambda: InvoiceIdsByPaymentIdLoader(ctx))
    invoices_loader = _loader(ctx, "VisibleInvoicesByIdLoader", lambda: VisibleInvoicesByIdLoader(info))
    ids = await ids_loader.load(payment.pk)
    found = await invoices_loader.load_many(ids)
    return [i for i in found if i is not None]


async def _payment_for_payer(ctx: Context, payment_id: int) -> Payment:
    """The payment just made (or replayed) for its payer, who may lack PAYMENTS READ."""
    async with ctx.sessionmaker() as session:
        row = (await session.execute(select(PaymentRow).where(PaymentRow.id == payment_id))).scalar_one()
    return payment_from_row(row, now=ctx.now(), locale=ctx.locale)


async def pay_invoices(info: Info, input: PayInvoicesInput) -> PayInvoicesPayload:
    """payInvoices: INVOICES PAY over the invoices' accounts; refusals become payload errors."""
    from guichet.schema.payments import PayInvoicesPayload

    ctx = info.context

    async def action() -> PayInvoicesPayload:
        organisation_pk = decode_id(input.organisation_id, "Organisation", field=["input", "organisationId"])
        with domain_to_graphql(info):
            membership = await ctx.authz.require(organisation_pk, "INVOICES", "PAY")
            scope = await ctx.authz.scope(organisation_pk, "INVOICES", "PAY")
        invoice_pks = [
            decode_id(gid, "Invoice", field=["input", "invoiceIds", str(index)])
            for index, gid in enumerate(input.invoice_ids)
        ]
        # Give the read connection back while the payment's transaction runs (and may wait on a
        # concurrent twin): holding both would let a burst of payments exhaust the pool.
        await ctx.close()
        result = await pay_invoices_service(
            ctx.sessionmaker,
            request=PayRequest(
                organisation_id=organisation_pk,
                invoice_ids=invoice_pks,
                method=input.method.value,
                idempotency_key=input.idempotency_key,
                msisdn=input.msisdn,
                card=input.card.to_details() if input.card is not None else None,
            ),
            payer_contact_id=membership.contact_id,
            pay_scope=None if scope.all_accounts else scope.account_ids,
            gateways=gateways(ctx),
            secret=ctx.settings.secret_key,
            now=ctx.now(),
            expiry_seconds=ctx.settings.payment_expiry_seconds,
            bank_transfer_expiry_seconds=ctx.settings.bank_transfer_expiry_seconds,
        )
        await events.publish(ctx.app, result.changes)
        return PayInvoicesPayload(payment=await _payment_for_payer(ctx, result.payment_id), errors=[])

    return await run_mutation(ctx.locale, action, lambda errors: PayInvoicesPayload(payment=None, errors=errors))


# ---------------------------------------------------------------- subscriptions


# A socket lives for hours: each event starts as a new request (ctx.refresh(): new read session,
# loaders, viewer and decisions), so a revoked session or role, or cached rows, never outlive
# the change (ACCESS.md rule 6).


async def _require_viewer(info: Info) -> None:
    if await info.context.viewer() is None:
        raise GraphQLError(render("UNAUTHENTICATED", info.context.locale), extensions={"code": "UNAUTHENTICATED"})


async def _holding_no_connection(ctx: Context, stream: AsyncIterator[T]) -> AsyncIterator[T]:
    """Relay a subscription's items, returning the read connection to the pool between events."""
    try:
        async for item in stream:
            yield item
            await ctx.close()
    finally:
        await ctx.close()


async def watch_payment(info: Info, payment_id: str) -> AsyncIterator[Payment]:
    """The payment now, then at each change; ends when the viewer may no longer read it."""
    async for payment in _holding_no_connection(info.context, _watch_payment(info, payment_id)):
        yield payment


async def _watch_payment(info: Info, payment_id: str) -> AsyncIterator[Payment]:
    ctx = info.context
    decoded = from_global_id(payment_id)
    not_found = GraphQLError(render("NOT_FOUND", ctx.locale), extensions={"code": "NOT_FOUND"})
    if decoded is None or decoded[0] != "Payment":
        await _require_viewer(info)
        raise not_found
    pk = decoded[1]
    # Listen before reading the current state, so no change slips between the two.
    async with events.broker_of(ctx.app).listen(events.payment_topic(pk)) as queue:
        await ctx.refresh()
        await _require_viewer(info)
        found = (await payments_by_pk(info, [pk])).get(pk)
        if found is None:
            raise not_found
        yield found
        while True:
            await queue.get()
            await ctx.refresh()
            if await ctx.viewer() is None:
                return
            found = (await payments_by_pk(info, [pk])).get(pk)
            if found is None:
                return
            yield found


async def watch_invoices(info: Info, organisation_id: str) -> AsyncIterator[Invoice]:
    """Each invoice of the organisation whose status or amount due changed, if the viewer may read it."""
    async for invoice in _holding_no_connection(info.context, _watch_invoices(info, organisation_id)):
        yield invoice


async def _watch_invoices(info: Info, organisation_id: str) -> AsyncIterator[Invoice]:
    from guichet.resolvers.invoices import invoices_by_pk

    ctx = info.context
    decoded = from_global_id(organisation_id)
    org_pk = decoded[1] if decoded is not None and decoded[0] == "Organisation" else 0
    async with events.broker_of(ctx.app).listen(events.invoices_topic(org_pk)) as queue:
        await ctx.refresh()
        with domain_to_graphql(info):
            await ctx.authz.require(org_pk, "INVOICES", "READ")
        await ctx.close()
        while True:
            message = await queue.get()
            await ctx.refresh()
            if await ctx.viewer() is None:
                return
            if not await ctx.authz.allowed(org_pk, "INVOICES", "READ"):
                await ctx.close()
                continue
            found = (await invoices_by_pk(info, [int(message["id"])])).get(int(message["id"]))
            if found is not None:
                yield found
            else:
                await ctx.close()
