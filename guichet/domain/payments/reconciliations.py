"""Reconciliation cases: money a provider confirmed that no invoice could take.

A SUCCEEDED event for a payment that had already FAILED (declined, expired) is never dropped:
service.apply_webhook reopens the payment when its invoices still owe something, and what is
left over (everything, when the invoices were paid meanwhile) becomes a case here. Each case is
one row (organisation, payment, the delivery that reported it, the amount), an audit event, a
warning in the log and, when GUICHET_OPERATIONS_EMAIL is set, an e-mail to operations, all in
the webhook's own transaction: the 200 answer means the case is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.audit import record_event
from guichet.domain.ids import to_global_id
from guichet.domain.mail import enqueue_email
from guichet.domain.models.payments import Payment, PaymentReconciliation
from guichet.domain.money import Money
from guichet.domain.payments.queries import within_accounts

log = logging.getLogger("guichet.payments")

NOTHING_TO_PAY = "nothing_to_pay"  # the invoices were paid (or are being paid) by other means
MORE_THAN_DUE = "more_than_due"  # the invoices took part of it; the rest is unapplied
REASONS = (NOTHING_TO_PAY, MORE_THAN_DUE)
OPEN = "OPEN"

_REASON_WORDS = {
    NOTHING_TO_PAY: ("its invoices had been paid meanwhile", "ses factures avaient été réglées entre-temps"),
    MORE_THAN_DUE: ("more than its invoices still owed", "plus que ce que ses factures devaient encore"),
}


async def open_case(
    session: AsyncSession,
    *,
    payment: Payment,
    provider: str,
    webhook_event_id: int,
    received_minor: int,
    unapplied_minor: int,
    reason: str,
    now: datetime,
    operations_email: str | None,
) -> PaymentReconciliation:
    """Record money received that paid nothing (inside the webhook's transaction): row, audit, log, e-mail."""
    case = PaymentReconciliation(
        organisation_id=payment.organisation_id,
        payment_id=payment.id,
        webhook_event_id=webhook_event_id,
        provider=provider,
        currency=payment.currency,
        received_minor=received_minor,
        unapplied_minor=unapplied_minor,
        reason=reason,
        status=OPEN,
        created_at=now,
    )
    session.add(case)
    await session.flush()
    unapplied = Money(unapplied_minor, payment.currency)
    received = Money(received_minor, payment.currency)
    words_en, words_fr = _REASON_WORDS[reason]
    await record_event(
        session,
        at=now,
        organisation_id=payment.organisation_id,
        actor_contact_id=None,
        action="payment.reconciliation_opened",
        summary=f"Payment {payment.reference}: {unapplied.format('en')} received after the payment had failed "
        f"or expired paid nothing ({words_en}): to refund or allocate",
        subject_id=to_global_id("Payment", payment.id),
        data={
            "reference": payment.reference,
            "received_minor": received_minor,
            "unapplied_minor": unapplied_minor,
            "reason": reason,
        },
    )
    log.warning(
        "payment reconciliation opened id=%s organisation=%s reference=%s provider=%s unapplied=%s %s reason=%s",
        case.id,
        payment.organisation_id,
        payment.reference,
        provider,
        unapplied_minor,
        payment.currency,
        reason,
    )
    if operations_email:
        await enqueue_email(
            session,
            to=operations_email,
            subject=f"Rapprochement de paiement / Payment reconciliation {payment.reference}",
            body=(
                f"Bonjour,\n\n{provider} a confirmé {received.format('fr')} pour le paiement {payment.reference} "
                f"(organisation n° {payment.organisation_id}) après son échec ou son expiration ; "
                f"{unapplied.format('fr')} n'ont pu régler aucune facture : {words_fr}.\n"
                f"À rembourser ou à affecter (dossier n° {case.id}).\n\n---\n\n"
                f"Hello,\n\n{provider} confirmed {received.format('en')} for payment {payment.reference} "
                f"(organisation #{payment.organisation_id}) after it had failed or expired; "
                f"{unapplied.format('en')} could pay no invoice: {words_en}.\n"
                f"To refund or allocate (case #{case.id}).\n"
            ),
            now=now,
        )
    return case


def cases_statement(
    organisation_id: int, account_ids: Collection[int] | None
) -> Select[tuple[PaymentReconciliation, Payment]]:
    """The organisation's cases with their payments, for a reader whose PAYMENTS READ covers
    `account_ids` (None: every account).

    A scoped reader sees a case only when every invoice of its payment is within the scope, as
    for payments themselves.
    """
    statement = (
        select(PaymentReconciliation, Payment)
        .join(Payment, Payment.id == PaymentReconciliation.payment_id)
        .where(PaymentReconciliation.organisation_id == organisation_id)
    )
    if account_ids is not None:
        statement = statement.where(within_accounts(account_ids))
    return statement
