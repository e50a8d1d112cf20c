"""Resolvers of pending payments: the scoped list, nodes, and payPendingPayments.

Reading needs INVOICES READ (rule 10: a role over one billing account sees that account's items
only; any other ID answers like an unknown one). Paying needs PAY on the module of what is paid
(rule 11): INVOICES PAY for RENEWAL and FAILED_CHARGE, ORDERS PAY for ORDER.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select

from guichet import events
from guichet.domain.billing_profiles import services as billing_profile_services
from guichet.domain.cards import CardDetails
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import decode_id
from guichet.domain.models.payments import Payment as PaymentRow
from guichet.domain.models.pending_payments import PendingPayment as PendingPaymentRow
from guichet.domain.payments import PayRequest
from guichet.domain.payments import pay_invoices as pay_service
from guichet.domain.pending_payments import queries
from guichet.policies.authz import AccessDenied, Decision
from guichet.policies.rules import Action, Module
from guichet.resolvers.pagination import Page, paginate_by_id
from guichet.resolvers.payments import payment_for_payer, readable_payments

if TYPE_CHECKING:
    from guichet.resolvers.context import Context

# Which module's PAY pays each kind (ACCESS.md rule 11).
PAY_MODULE = {"ORDER": Module.ORDERS, "RENEWAL": Module.INVOICES, "FAILED_CHARGE": Module.INVOICES}


async def list_pending_payments(
    ctx: Context,
    *,
    organisation_id: int,
    decision: Decision,
    statuses: Sequence[str],
    kinds: Sequence[str],
    billing_account_id: str | None,
    first: int | None,
    after: str | None,
) -> Page[PendingPaymentRow]:
    """The items in the decided scope, oldest first; one query per page (plus the count).

    Raise DomainError(VALIDATION) for a bad `first`, cursor or billingAccountId.
    """
    account_pk = None
    if billing_account_id is not None:
        account_pk = decode_id(billing_account_id, "BillingAccount", field=["filter", "billingAccountId"])
    statement = queries.organisation_statement(
        organisation_id,
        account_ids=decision.scope.account_filter,
        statuses=statuses,
        kinds=kinds,
        billing_account_id=account_pk,
    )
    async with ctx.read() as session:
        return await paginate_by_id(session, statement, PendingPaymentRow.id, first=first, after=after)


async def readable_items(ctx: Context, rows: Sequence[PendingPaymentRow]) -> list[PendingPaymentRow]:
    """The rows within the viewer's INVOICES READ scope of their organisation."""
    kept = []
    for row in rows:
        scope = await ctx.authz.scope(row.organisation_id, Module.INVOICES, Action.READ)
        if scope.allows(row.billing_account_id):
            kept.append(row)
    return kept


async def pending_payments_by_pk(ctx: Context, pks: list[int]) -> dict[int, PendingPaymentRow]:
    """Items by primary key for node / nodes: only those the viewer may read."""
    async with ctx.read() as session:
        rows = (await session.execute(select(PendingPaymentRow).where(PendingPaymentRow.id.in_(pks)))).scalars().all()
    return {row.id: row for row in await readable_items(ctx, list(rows))}


async def payments_of_item(ctx: Context, item_pk: int) -> list[PaymentRow]:
    """The payments of one item the viewer may read (batched across a page by a loader)."""
    return await readable_payments(ctx, await ctx.loaders.payments_by_pending_payment_id.load(item_pk))


async def items_of_payment(ctx: Context, payment_pk: int) -> list[PendingPaymentRow]:
    """The items a payment covers that the viewer may read (batched across a page by a loader)."""
    return await readable_items(ctx, await ctx.loaders.pending_payments_by_payment_id.load(payment_pk))


async def items_of_contract(ctx: Context, contract_pk: int) -> list[PendingPaymentRow]:
    """A contract's items the viewer may read (INVOICES READ; batched across a page by a loader)."""
    return await readable_items(ctx, await ctx.loaders.pending_payments_by_contract_id.load(contract_pk))


async def pay_pending_payments(
    ctx: Context,
    *,
    organisation_id: str,
    decision: Decision | None,
    pending_payment_ids: list[str],
    method: str,
    idempotency_key: str,
    msisdn: str | None,
    card: CardDetails | None,
    saved_payment_method_id: str | None = None,
    set_as_default: bool = False,
) -> tuple[PaymentRow, list[PendingPaymentRow]]:
    """Pay the items with one payment; the payment and the items as they are now.

    Raise DomainError(NOT_FOUND) for an ID that is not an organisation's or an item's (or one
    out of the payer's PAY scope for its kind), DomainError(VALIDATION) for an empty list,
    AccessDenied when the permission decided nothing for a real organisation, and the payment
    service's DomainErrors (PENDING_PAYMENT_NOT_PAYABLE, CURRENCY_MISMATCH, ...). With
    `set_as_default`, a new card is kept as the default method of the items' one billing account
    once the payment succeeded: VALIDATION without a new card or for items of several accounts,
    AccessDenied(BILLING_PROFILE WRITE) without that permission over the account (both before
    anything is paid).
    """
    decode_id(organisation_id, "Organisation", field=["input", "organisationId"])
    if decision is None:
        raise AccessDenied(Module.INVOICES, Action.PAY)
    if not pending_payment_ids:
        raise DomainError(ErrorCode.VALIDATION, "pending_payment_ids_required", field=["input", "pendingPaymentIds"])
    pks = [
        decode_id(gid, "PendingPayment", field=["input", "pendingPaymentIds", str(index)])
        for index, gid in enumerate(pending_payment_ids)
    ]
    saved_pk = None
    if saved_payment_method_id is not None:
        saved_pk = decode_id(saved_payment_method_id, "SavedPaymentMethod", field=["input", "savedPaymentMethodId"])
    org_pk = decision.membership.organisation_id
    default_account = None
    if set_as_default:
        default_account = await _account_to_keep_card(ctx, org_pk, pks, card)
    scopes: dict[str, frozenset[int] | None] = {}
    for kind, module in PAY_MODULE.items():
        scope = await ctx.authz.scope(org_pk, module, Action.PAY)
        if not scope.empty:
            scopes[kind] = scope.account_filter
    await ctx.close()  # the payment's transaction may wait on a twin: hold no read connection meanwhile
    result = await pay_service(
        ctx.sessionmaker,
        request=PayRequest(
            organisation_id=org_pk,
            invoice_ids=[],
            method=method,
            idempotency_key=idempotency_key,
            msisdn=msisdn,
            card=card,
            pending_payment_ids=pks,
            pending_scopes=scopes,
            saved_payment_method_id=saved_pk,
        ),
        payer_contact_id=decision.membership.contact_id,
        pay_scope=None,
        gateways=ctx.app.gateways,
        secret=ctx.settings.secret_key,
        now=ctx.now(),
        expiry_seconds=ctx.settings.payment_expiry_seconds,
        bank_transfer_expiry_seconds=ctx.settings.bank_transfer_expiry_seconds,
    )
    await events.publish(ctx.app.broker, result.changes)
    payment = await payment_for_payer(ctx, result.payment_id)
    if default_account is not None and card is not None and payment.status == "SUCCEEDED" and not result.replayed:
        await billing_profile_services.add_payment_method(
            ctx.sessionmaker,
            organisation_id=org_pk,
            billing_account_id=default_account,
            actor_contact_id=decision.membership.contact_id,
            method="CARD",
            card=card,
            msisdn=None,
            make_default=True,
            now=ctx.now(),
        )
    async with ctx.sessionmaker() as session:
        items = (await queries.items_of_payments(session, [payment.id])).get(payment.id, [])
    return payment, items


async def _account_to_keep_card(
    ctx: Context, organisation_id: int, item_pks: list[int], card: CardDetails | None
) -> int | None:
    """The one billing account whose default the new card becomes (checked before paying)."""
    if card is None:
        raise DomainError(ErrorCode.VALIDATION, "set_as_default_needs_card", field=["input", "setAsDefault"])
    async with ctx.read() as session:
        accounts = set(
            (
                await session.execute(
                    select(PendingPaymentRow.billing_account_id).where(
                        PendingPaymentRow.id.in_(item_pks), PendingPaymentRow.organisation_id == organisation_id
                    )
                )
            ).scalars()
        )
    if len(accounts) != 1:
        if not accounts:
            return None  # unknown items: the payment service answers NOT_FOUND
        raise DomainError(ErrorCode.VALIDATION, "set_as_default_one_account", field=["input", "setAsDefault"])
    (account,) = accounts
    scope = await ctx.authz.scope(organisation_id, Module.BILLING_PROFILE, Action.WRITE)
    if not scope.allows(account):
        raise AccessDenied(Module.BILLING_PROFILE, Action.WRITE)
    return account
