"""Demo billing profiles for ACME: auto-pay with a card about to expire, and a failed automatic charge.

BA-1001's default card expires at the end of this month (EXPIRING_SOON); BA-1002's expired last
month, and its oldest unpaid invoice shows the FAILED_CHARGE the autopay job opened for it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.models.billing_profiles import BillingProfile, SavedPaymentMethod
from guichet.domain.money import Money
from guichet.domain.pending_payments import open_pending_payment
from guichet.domain.pending_payments.rules import failed_charge_key


async def seed_billing_demo(session: AsyncSession, *, now: datetime, today: date) -> None:
    """Add the saved cards, auto-pay and the failed charge (inside the demo's transaction)."""
    accounts = {
        a.number: a
        for a in (
            await session.execute(
                select(models.BillingAccount).where(models.BillingAccount.number.in_(["BA-1001", "BA-1002"]))
            )
        ).scalars()
    }
    if len(accounts) != 2:
        return
    this_month = today.replace(day=1)
    last_month = this_month - timedelta(days=1)
    await _card(session, accounts["BA-1001"], "4242", this_month, now)
    failed = await _card(session, accounts["BA-1002"], "0004", last_month, now)
    for account in accounts.values():
        profile = await session.get(BillingProfile, account.id)
        if profile is not None:
            profile.auto_pay = True
    invoice = (
        await session.execute(
            select(models.Invoice)
            .where(
                models.Invoice.billing_account_id == accounts["BA-1002"].id,
                models.Invoice.amount_paid_minor < models.Invoice.total_minor,
                models.Invoice.due_date <= today,
            )
            .order_by(models.Invoice.due_date, models.Invoice.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if invoice is None:
        return
    await open_pending_payment(
        session,
        organisation_id=invoice.organisation_id,
        billing_account_id=invoice.billing_account_id,
        kind="FAILED_CHARGE",
        amount=Money(invoice.total_minor - invoice.amount_paid_minor, invoice.currency),
        description=f"Automatic payment of invoice {invoice.number}",
        dedupe_key=failed_charge_key(invoice.id),
        now=now,
        due_date=invoice.due_date,
        invoice_id=invoice.id,
        last_failure_code="card_expired",
        last_failure_message="the card has expired",
        failed_payment_method_id=failed.id,
    )


async def _card(
    session: AsyncSession, account: models.BillingAccount, last4: str, expiry: date, now: datetime
) -> SavedPaymentMethod:
    method = SavedPaymentMethod(
        organisation_id=account.organisation_id,
        billing_account_id=account.id,
        type="CARD",
        provider_token=f"pm_demo_{account.number}",
        card_brand="VISA",
        card_last4=last4,
        card_exp_month=expiry.month,
        card_exp_year=expiry.year,
        default_for_account_id=account.id,
        added_at=now,
    )
    session.add(method)
    await session.flush()
    return method
