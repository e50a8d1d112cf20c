"""Instalment plans (échéanciers): schedules, their instalments, debit attempts and regularisations.

Amounts are integer minor units of the schedule's currency. State changes are guarded by a
condition on the UPDATE itself (status or version), never by FOR UPDATE alone (SQLite ignores it).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, MinorUnits, UTCDateTime, pk


class Schedule(Base):
    """One order paid in instalments. `status` is recomputed from the instalments after every change."""

    __tablename__ = "schedules"
    __table_args__ = (
        Index("ix_schedules_org_status", "organisation_id", "status", "id"),
        CheckConstraint("purchase_amount_minor > 0", name="purchase_amount_positive"),
        CheckConstraint("fees_minor >= 0", name="fees_nonnegative"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    order_number: Mapped[str] = mapped_column(String(50), unique=True)
    merchant_name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    purchase_amount_minor: Mapped[int] = mapped_column(MinorUnits)
    purchase_date: Mapped[date] = mapped_column(Date)
    fees_minor: Mapped[int] = mapped_column(MinorUnits, default=0)
    installment_count: Mapped[int] = mapped_column(Integer)
    # IN_PROGRESS | COMPLETED | UNPAID | IN_REGULARISATION | CANCELLED
    status: Mapped[str] = mapped_column(String(20))
    # Set by the merchant's total cancellation; partial ones only add to cancelled_minor.
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_minor: Mapped[int] = mapped_column(MinorUnits, default=0)
    # Sum of the PAID regularisation parts (kept with the status, recomputed after every change).
    amount_regularised_minor: Mapped[int] = mapped_column(MinorUnits, default=0)
    card_brand: Mapped[str | None] = mapped_column(String(20))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    card_exp_month: Mapped[int | None] = mapped_column(Integer)
    card_exp_year: Mapped[int | None] = mapped_column(Integer)
    # Bumped by every change of the schedule; writers guard their UPDATE with the version they read.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Installment(Base):
    """One debit of a schedule: an ORIGINAL part of the purchase or a REGULARISATION part of a debt.

    status: PENDING -> PRESENTING (claimed by collect-debits) -> PAID | UNPAID; PENDING -> CANCELLED.
    PRESENTING is internal and shows as PENDING.
    """

    __tablename__ = "schedule_installments"
    __table_args__ = (
        UniqueConstraint("schedule_id", "number"),
        Index("ix_schedule_installments_due", "status", "due_date"),
        CheckConstraint("amount_minor >= 0", name="amount_nonnegative"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    schedule_id: Mapped[int] = mapped_column(BigId, ForeignKey("schedules.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # ORIGINAL | REGULARISATION
    due_date: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(MinorUnits)
    status: Mapped[str] = mapped_column(String(20))
    presented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failure_code: Mapped[str | None] = mapped_column(String(50))
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    regularisation_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("schedule_regularisations.id"))


class ScheduleDebit(Base):
    """Every charge presented to the card provider for a schedule, successful or not (the ledger)."""

    __tablename__ = "schedule_debits"
    __table_args__ = (Index("ix_schedule_debits_schedule", "schedule_id", "id"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    schedule_id: Mapped[int] = mapped_column(BigId, ForeignKey("schedules.id", ondelete="CASCADE"))
    installment_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("schedule_installments.id"))
    kind: Mapped[str] = mapped_column(String(20))  # COLLECTION | REGULARISATION
    amount_minor: Mapped[int] = mapped_column(MinorUnits)
    currency: Mapped[str] = mapped_column(String(3))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    failure_code: Mapped[str | None] = mapped_column(String(50))
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Regularisation(Base):
    """A customer's regularisation request; also its idempotency record (one per contact and key)."""

    __tablename__ = "schedule_regularisations"
    __table_args__ = (UniqueConstraint("contact_id", "idempotency_key"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"), index=True)
    schedule_id: Mapped[int] = mapped_column(BigId, ForeignKey("schedules.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id"))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    # sha256 of the request (schedule, count, card) so a reused key with other input is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    installment_count: Mapped[int] = mapped_column(Integer)
    debt_minor: Mapped[int] = mapped_column(MinorUnits)
    first_amount_minor: Mapped[int] = mapped_column(MinorUnits)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))  # SUCCEEDED | FAILED
    failure_code: Mapped[str | None] = mapped_column(String(50))
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    # The Payment recorded for the first part, when the payments area is present.
    payment_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
