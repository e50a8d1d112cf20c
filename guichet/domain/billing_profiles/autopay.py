"""The autopay job: charge each due invoice of an auto-pay account to its default saved card, once.

Exactly once rests on the database: `autopay_attempts.invoice_id` is the primary key, INSERTed
in the same transaction that writes the PENDING payment and claims the invoice with the
payments area's guarded UPDATE; a second run (or a second server) fails that INSERT and skips
the invoice. The card is charged with no transaction open, like every card charge
(domain/payments/service.py); its outcome is recorded by the payments area's
`settle_card_payment`. A card past its expiry on the charge date is not sent to the provider:
the payment fails with `card_expired`. A failure opens one FAILED_CHARGE pending payment
(`lastFailure`) and e-mails the account's BILL_TO contacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from guichet.domain import models
from guichet.domain.audit import record_event
from guichet.domain.cards import StoredCard
from guichet.domain.gateways.card import CardGateway, ChargeResult, charge_outside_transaction
from guichet.domain.ids import to_global_id
from guichet.domain.mail import enqueue_email
from guichet.domain.models.billing_profiles import AutopayAttempt, BillingContact, BillingProfile, SavedPaymentMethod
from guichet.domain.models.payments import Payment, PaymentInvoice
from guichet.domain.money import Money
from guichet.domain.payments.rules import new_reference
from guichet.domain.payments.service import Change, settle_card_payment
from guichet.domain.pending_payments import open_pending_payment
from guichet.domain.pending_payments.rules import failed_charge_key

FAILURE_TEXT = {
    "card_expired": ("la carte a expiré", "the card has expired"),
    "card_declined": ("la carte a été refusée", "the card was declined"),
    "insufficient_funds": ("le solde est insuffisant", "the balance is not sufficient"),
}


@dataclass
class AutopayReport:
    charged: int = 0
    failed: int = 0
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class _Claimed:
    payment_id: int
    reference: str
    amount: Money
    card: StoredCard
    method_id: int


async def run_autopay(
    sessionmaker: async_sessionmaker[AsyncSession], *, gateway: CardGateway, as_of: date, now: datetime
) -> AutopayReport:
    """Charge every unpaid invoice due on or before `as_of` with nothing pending, once each."""
    report = AutopayReport()
    async with sessionmaker() as session:
        candidates = list(
            (
                await session.execute(
                    select(models.Invoice.id)
                    .join(BillingProfile, BillingProfile.billing_account_id == models.Invoice.billing_account_id)
                    .join(
                        SavedPaymentMethod,
                        and_(
                            SavedPaymentMethod.default_for_account_id == models.Invoice.billing_account_id,
                            SavedPaymentMethod.type == "CARD",
                        ),
                    )
                    .where(
                        BillingProfile.auto_pay.is_(True),
                        models.Invoice.due_date <= as_of,
                        models.Invoice.amount_paid_minor < models.Invoice.total_minor,
                        models.Invoice.pending_payment_id.is_(None),
                        ~exists().where(AutopayAttempt.invoice_id == models.Invoice.id),
                    )
                    .order_by(models.Invoice.id)
                )
            ).scalars()
        )
    for invoice_id in candidates:
        claimed = await _claim(sessionmaker, invoice_id, now)
        if claimed is None:
            continue  # another run took it, or it was paid meanwhile
        if claimed.card.last_valid_day() < as_of:  # the charge date
            result: ChargeResult | None = ChargeResult(False, "", "card_expired")
        else:
            result = await charge_outside_transaction(
                gateway, claimed.card, claimed.amount, reference=claimed.reference
            )
        if result is None:
            continue  # the provider's answer is unknown: the reconcile job settles the payment
        async with sessionmaker() as session, session.begin():
            report.changes += await settle_card_payment(session, claimed.payment_id, result, now)
            if result.succeeded:
                report.charged += 1
            else:
                report.failed += 1
                await _open_failed_charge(session, invoice_id, claimed, result.failure_code or "card_declined", now)
    return report


async def _claim(sessionmaker: async_sessionmaker[AsyncSession], invoice_id: int, now: datetime) -> _Claimed | None:
    """Transaction 1: the attempt row, the PENDING payment and the invoice claim, or None."""
    try:
        async with sessionmaker() as session, session.begin():
            invoice = (
                await session.execute(select(models.Invoice).where(models.Invoice.id == invoice_id))
            ).scalar_one()
            method = (
                await session.execute(
                    select(SavedPaymentMethod).where(
                        SavedPaymentMethod.default_for_account_id == invoice.billing_account_id
                    )
                )
            ).scalar_one_or_none()
            if method is None or method.type != "CARD":
                return None
            attempt = AutopayAttempt(
                invoice_id=invoice.id,
                organisation_id=invoice.organisation_id,
                payment_method_id=method.id,
                created_at=now,
            )
            session.add(attempt)
            await session.flush()  # a concurrent run waits here, then fails on the primary key
            amount = Money(invoice.total_minor - invoice.amount_paid_minor, invoice.currency)
            assert method.card_brand and method.card_last4 and method.card_exp_month and method.card_exp_year
            card = StoredCard(method.card_brand, method.card_last4, method.card_exp_month, method.card_exp_year)
            payment = Payment(
                organisation_id=invoice.organisation_id,
                payer_contact_id=None,
                reference=new_reference(),
                method="CARD",
                status="PENDING",
                currency=invoice.currency,
                amount_minor=amount.minor,
                received_minor=0,
                card_brand=card.brand,
                card_last4=card.last4,
                card_exp_month=card.exp_month,
                card_exp_year=card.exp_year,
                created_at=now,
                updated_at=now,
            )
            session.add(payment)
            await session.flush()
            claimed = await session.execute(
                update(models.Invoice)
                .where(
                    models.Invoice.id == invoice.id,
                    models.Invoice.pending_payment_id.is_(None),
                    models.Invoice.amount_paid_minor < models.Invoice.total_minor,
                )
                .values(pending_payment_id=payment.id, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise _Skip()
            session.add(
                PaymentInvoice(
                    payment_id=payment.id,
                    invoice_id=invoice.id,
                    organisation_id=invoice.organisation_id,
                    requested_minor=amount.minor,
                    amount_minor=0,
                )
            )
            attempt.payment_id = payment.id
            await record_event(
                session,
                at=now,
                organisation_id=invoice.organisation_id,
                actor_contact_id=None,
                action="payment.created",
                summary=f"Automatic payment {payment.reference} of {amount.format('en')} for invoice {invoice.number} "
                f"on {card.brand} •••• {card.last4}",
                subject_id=to_global_id("Payment", payment.id),
                data={"reference": payment.reference, "method": "CARD", "invoices": [invoice.id], "autopay": True},
            )
            return _Claimed(payment.id, payment.reference, amount, card, method.id)
    except (IntegrityError, _Skip):
        return None


class _Skip(Exception):
    """The invoice was claimed by a payment meanwhile: roll the attempt back."""


async def _open_failed_charge(
    session: AsyncSession, invoice_id: int, claimed: _Claimed, code: str, now: datetime
) -> None:
    invoice = (await session.execute(select(models.Invoice).where(models.Invoice.id == invoice_id))).scalar_one()
    due = invoice.total_minor - invoice.amount_paid_minor
    if due <= 0:
        return
    fr, en = FAILURE_TEXT.get(code, ("le paiement a échoué", "the payment failed"))
    item, created = await open_pending_payment(
        session,
        organisation_id=invoice.organisation_id,
        billing_account_id=invoice.billing_account_id,
        kind="FAILED_CHARGE",
        amount=Money(due, invoice.currency),
        description=f"Automatic payment of invoice {invoice.number}",
        dedupe_key=failed_charge_key(invoice.id),
        now=now,
        due_date=invoice.due_date,
        invoice_id=invoice.id,
        last_failure_code=code,
        last_failure_message=en,
        failed_payment_method_id=claimed.method_id,
    )
    if not created:
        return
    recipients = (
        await session.execute(
            select(BillingContact.email)
            .where(
                BillingContact.billing_account_id == invoice.billing_account_id,
                BillingContact.purposes.contains("BILL_TO"),
            )
            .order_by(BillingContact.position)
        )
    ).scalars()
    amount = Money(due, invoice.currency)
    for email in dict.fromkeys(recipients):
        await enqueue_email(
            session,
            to=email,
            subject=f"Échec du paiement automatique / Automatic payment failed {invoice.number}",
            body=f"Bonjour,\n\nLe paiement automatique de la facture {invoice.number} ({amount.format('fr')}) a échoué : "
            f"{fr} ({claimed.card.brand} •••• {claimed.card.last4}). Payez-la depuis vos paiements en attente "
            f"avec un autre moyen de paiement.\n\n---\n\nHello,\n\nThe automatic payment of invoice {invoice.number} "
            f"({amount.format('en')}) failed: {en} ({claimed.card.brand} •••• {claimed.card.last4}). Pay it from your "
            "pending payments with another method.\n",
            now=now,
        )
