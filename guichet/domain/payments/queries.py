"""SQL forms of the payment rules, so that list filters agree with what a payment shows.

`effective_state` (rules.py) says a PENDING payment past its expiry reads as FAILED; the
conditions below filter the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.models.payments import Payment, PaymentInvoice


def _expired(now: datetime) -> ColumnElement[bool]:
    return and_(Payment.status == "PENDING", Payment.expires_at.is_not(None), Payment.expires_at <= now)


def status_condition(status: str, now: datetime) -> ColumnElement[bool]:
    """Payments whose effective status at `now` is `status`."""
    if status == "PENDING":
        return and_(Payment.status == "PENDING", or_(Payment.expires_at.is_(None), Payment.expires_at > now))
    if status == "FAILED":
        return or_(Payment.status == "FAILED", _expired(now))
    if status == "SUCCEEDED":
        return Payment.status == "SUCCEEDED"
    return false()


def within_accounts(account_ids: Collection[int]) -> ColumnElement[bool]:
    """Payments all of whose invoices belong to these billing accounts (a scoped reader sees no more)."""
    outside = (
        select(PaymentInvoice.payment_id)
        .join(models.Invoice, models.Invoice.id == PaymentInvoice.invoice_id)
        .where(
            PaymentInvoice.payment_id == Payment.id,
            models.Invoice.billing_account_id.not_in(list(account_ids)),
        )
    )
    return ~exists(outside)


def any_status_condition(statuses: Collection[str], now: datetime) -> ColumnElement[bool]:
    """Payments whose effective status at `now` is one of `statuses`."""
    return or_(*(status_condition(s, now) for s in statuses))


def organisation_statement(
    organisation_id: int,
    *,
    account_ids: Collection[int] | None,
    statuses: Collection[str],
    methods: Collection[str],
    now: datetime,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> Select[tuple[Payment]]:
    """The organisation's payments a reader reaching `account_ids` (None: all) sees, filtered
    (created_from inclusive, created_to exclusive)."""
    statement = select(Payment).where(Payment.organisation_id == organisation_id)
    if account_ids is not None:
        statement = statement.where(within_accounts(account_ids))
    if statuses:
        statement = statement.where(any_status_condition(statuses, now))
    if methods:
        statement = statement.where(Payment.method.in_(list(methods)))
    if created_from is not None:
        statement = statement.where(Payment.created_at >= created_from)
    if created_to is not None:
        statement = statement.where(Payment.created_at < created_to)
    return statement.execution_options(populate_existing=True)


async def invoice_accounts(session: AsyncSession, payment_ids: Sequence[int]) -> dict[int, set[int]]:
    """payment id -> the billing accounts of the invoices it covers (one query)."""
    accounts: dict[int, set[int]] = defaultdict(set)
    for payment_id, account_id in (
        await session.execute(
            select(PaymentInvoice.payment_id, models.Invoice.billing_account_id)
            .join(models.Invoice, models.Invoice.id == PaymentInvoice.invoice_id)
            .where(PaymentInvoice.payment_id.in_(list(payment_ids)))
        )
    ).all():
        accounts[payment_id].add(account_id)
    return accounts
