"""SQL forms of the payment rules, so that list filters agree with what a payment shows.

`effective_state` (rules.py) says a PENDING payment past its expiry reads as FAILED; the
conditions below filter the same way.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

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
