"""Test data for pending payments: a failed automatic charge of an invoice, a renewal."""

from __future__ import annotations

from typing import Any

from guichet.domain import models
from guichet.domain.models.pending_payments import PendingPayment
from guichet.domain.money import Money
from guichet.domain.pending_payments import open_pending_payment
from guichet.domain.pending_payments.rules import failed_charge_key
from tests.conftest import TEST_NOW


async def open_failed_charge(session: Any, invoice: models.Invoice, *, code: str = "card_expired") -> PendingPayment:
    """The FAILED_CHARGE autopay would open for `invoice` after its card failed with `code`."""
    item, _ = await open_pending_payment(
        session,
        organisation_id=invoice.organisation_id,
        billing_account_id=invoice.billing_account_id,
        kind="FAILED_CHARGE",
        amount=Money(invoice.total_minor - invoice.amount_paid_minor, invoice.currency),
        description=f"Automatic payment of invoice {invoice.number}",
        dedupe_key=failed_charge_key(invoice.id),
        now=TEST_NOW,
        due_date=invoice.due_date,
        invoice_id=invoice.id,
        last_failure_code=code,
        last_failure_message="The card has expired.",
    )
    return item


async def open_renewal(session: Any, account: models.BillingAccount, *, amount_minor: int = 120000) -> PendingPayment:
    item, _ = await open_pending_payment(
        session,
        organisation_id=account.organisation_id,
        billing_account_id=account.id,
        kind="RENEWAL",
        amount=Money(amount_minor, "XOF"),
        description="Renewal of CT-2026-0001",
        dedupe_key="renewal:1:2026-12-31",
        now=TEST_NOW,
        contract_id=1,
    )
    return item
