"""Pending payments: what waits to be paid beside invoices (orders, support renewals, failed charges).

Exactly-once rests on the database: `(organisation_id, dedupe_key)` is unique, so a job run twice
(or on two servers at once) opens one item; an item is claimed by a payment with a guarded
`UPDATE ... SET payment_id=:p, status='PAYMENT_PENDING' WHERE status='DUE' AND payment_id IS NULL`.
`contract_id` and `order_id` carry no foreign key: those tables belong to other areas.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, MinorUnits, UTCDateTime, pk


class PendingPayment(Base):
    """One thing to pay of one billing account: ORDER, RENEWAL or FAILED_CHARGE."""

    __tablename__ = "pending_payments"
    __table_args__ = (
        UniqueConstraint("organisation_id", "dedupe_key", name="uq_pending_payments_organisation_id_dedupe_key"),
        Index("ix_pending_payments_org_id", "organisation_id", "id"),
        Index("ix_pending_payments_invoice", "invoice_id"),
        Index("ix_pending_payments_payment", "payment_id"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    billing_account_id: Mapped[int] = mapped_column(BigId, ForeignKey("billing_accounts.id"))
    kind: Mapped[str] = mapped_column(String(20))  # ORDER | RENEWAL | FAILED_CHARGE
    status: Mapped[str] = mapped_column(String(20))  # DUE | PAYMENT_PENDING | PAID | CANCELLED | EXPIRED
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(MinorUnits)
    description: Mapped[str] = mapped_column(String(500))
    due_date: Mapped[date | None] = mapped_column(Date)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invoice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("invoices.id"))
    contract_id: Mapped[int | None] = mapped_column(BigId)
    order_id: Mapped[int | None] = mapped_column(BigId)
    # What opened it, e.g. "autopay:<invoice id>" or "renewal:<contract id>:<end date>".
    dedupe_key: Mapped[str] = mapped_column(String(120))
    last_failure_code: Mapped[str | None] = mapped_column(String(40))
    last_failure_message: Mapped[str | None] = mapped_column(String(200))
    failed_payment_method_id: Mapped[int | None] = mapped_column(BigId)
    # The payment under way or the one that paid it (set by a guarded UPDATE: one payment wins).
    payment_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("payments.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PaymentPendingPayment(Base):
    """A pending payment a payment covers, with the amount asked for it (every attempt kept)."""

    __tablename__ = "payment_pending_payments"
    __table_args__ = (Index("ix_payment_pending_payments_item", "pending_payment_id", "payment_id"),)

    payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("payments.id", ondelete="CASCADE"), primary_key=True)
    pending_payment_id: Mapped[int] = mapped_column(BigId, ForeignKey("pending_payments.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    amount_minor: Mapped[int] = mapped_column(MinorUnits)
