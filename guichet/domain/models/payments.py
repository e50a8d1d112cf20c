"""Payments, the invoices each one covers, idempotency keys and received webhook events.

Exactly-once rests on the database, not on process locks: `payments.reference` and
`idempotency_keys(contact_id, key)` and `webhook_events(provider, dedup_key)` are unique, and
invoices are claimed by a guarded UPDATE on `invoices.pending_payment_id`.
Card data: only brand, last 4 digits and expiry are kept; never the number or the CVC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, MinorUnits, UTCDateTime, pk


class Payment(Base):
    """One attempt to pay one or more invoices of one organisation in one currency."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_org_id", "organisation_id", "id"),
        Index("ix_payments_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    payer_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    # Provider-facing, unique: webhooks name the payment by it.
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    method: Mapped[str] = mapped_column(String(20))  # ORANGE_MONEY | BANK_TRANSFER | CARD
    status: Mapped[str] = mapped_column(String(20))  # PENDING | SUCCEEDED | FAILED
    currency: Mapped[str] = mapped_column(String(3))
    # The sum due of the invoices when the payment was made.
    amount_minor: Mapped[int] = mapped_column(MinorUnits)
    # What the provider confirmed (a bank transfer may settle less than asked).
    received_minor: Mapped[int] = mapped_column(MinorUnits, default=0)
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    msisdn: Mapped[str | None] = mapped_column(String(20))
    card_brand: Mapped[str | None] = mapped_column(String(20))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    card_exp_month: Mapped[int | None] = mapped_column(Integer)
    card_exp_year: Mapped[int | None] = mapped_column(Integer)
    # Message key and parameters of the next step, rendered in the reader's language.
    instructions: Mapped[dict[str, object] | None] = mapped_column(JSON)
    failure_code: Mapped[str | None] = mapped_column(String(40))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PaymentInvoice(Base):
    """An invoice a payment covers: the amount due when asked, and the amount it settled."""

    __tablename__ = "payment_invoices"
    __table_args__ = (Index("ix_payment_invoices_invoice", "invoice_id", "payment_id"),)

    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payments.id", ondelete="CASCADE"), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("invoices.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    requested_minor: Mapped[int] = mapped_column(MinorUnits)
    amount_minor: Mapped[int] = mapped_column(MinorUnits, default=0)


class IdempotencyKey(Base):
    """A client's idempotency key: claimed by INSERT in the payment's own transaction, kept 24 h."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("contact_id", "key", name="uq_idempotency_keys_contact_id_key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id"))
    key: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(40))
    # Keyed HMAC of the canonical request (never the raw card data).
    request_hash: Mapped[str] = mapped_column(String(64))
    payment_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("payments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookEvent(Base):
    """A provider delivery already applied: a second delivery of the same event changes nothing."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "dedup_key", name="uq_webhook_events_provider_dedup_key"),)

    id: Mapped[int] = pk()
    provider: Mapped[str] = mapped_column(String(20))
    dedup_key: Mapped[str] = mapped_column(String(64))
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payments.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))  # applied | ignored | reconciliation (money to a case)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PaymentReconciliation(Base):
    """Money a provider confirmed that paid nothing: a case for finance to refund or allocate by hand.

    Written when a SUCCEEDED event arrives for a payment that had failed or expired and its
    invoices were paid meanwhile (or for more than they still owe): the event is never dropped.
    """

    __tablename__ = "payment_reconciliations"
    __table_args__ = (
        Index("ix_payment_reconciliations_org_id", "organisation_id", "id"),
        UniqueConstraint("webhook_event_id", name="uq_payment_reconciliations_webhook_event_id"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payments.id"), index=True)
    # The delivery that reported the money (one case per delivery).
    webhook_event_id: Mapped[int] = mapped_column(BigId, ForeignKey("webhook_events.id"))
    provider: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    # What the provider said it received, and the part of it no invoice could take.
    received_minor: Mapped[int] = mapped_column(MinorUnits)
    unapplied_minor: Mapped[int] = mapped_column(MinorUnits)
    reason: Mapped[str] = mapped_column(String(40))  # nothing_to_pay | more_than_due
    status: Mapped[str] = mapped_column(String(20))  # OPEN
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
