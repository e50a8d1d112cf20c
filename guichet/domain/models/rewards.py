"""Support rewards: a signed ledger per (organisation, currency), and how each debit consumed lots.

The balance is never stored: it is the sum of `reward_transactions.amount_minor`. A positive
entry (EARNED, or a positive ADJUSTED) is a lot; every negative entry (REDEEMED, EXPIRED,
REVERSED, a negative ADJUSTED) records in `reward_allocations` what it took from which lots,
oldest `expires_at` first, so what remains of a lot is its amount minus its allocations.
Exactly-once rests on `(organisation_id, dedupe_key)` being unique: a redemption's key is its
idempotency key, an expiry's its lot, a feed entry's its `ref`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, MinorUnits, UTCDateTime, pk


class RewardTransaction(Base):
    """One ledger entry: positive for EARNED, negative for REDEEMED and EXPIRED."""

    __tablename__ = "reward_transactions"
    __table_args__ = (
        UniqueConstraint("organisation_id", "dedupe_key", name="uq_reward_transactions_organisation_id_dedupe_key"),
        Index("ix_reward_transactions_org_currency", "organisation_id", "currency", "occurred_at", "id"),
        Index("ix_reward_transactions_invoice", "invoice_id"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    currency: Mapped[str] = mapped_column(String(3))
    type: Mapped[str] = mapped_column(String(20))  # EARNED | REDEEMED | EXPIRED | ADJUSTED | REVERSED
    amount_minor: Mapped[int] = mapped_column(MinorUnits)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[date | None] = mapped_column(Date)
    invoice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("invoices.id"))
    actor_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    # The feed's business key (`ref`), when the back office wrote the entry.
    ref: Mapped[str | None] = mapped_column(String(80))
    # "ref:<ref>", "redeem:<idempotency key>" or "expire:<lot id>": one entry per key.
    dedupe_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RewardAllocation(Base):
    """What one negative entry took from one lot (positive minor units)."""

    __tablename__ = "reward_allocations"
    __table_args__ = (Index("ix_reward_allocations_lot", "lot_id"),)

    transaction_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("reward_transactions.id", ondelete="CASCADE"), primary_key=True
    )
    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("reward_transactions.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    amount_minor: Mapped[int] = mapped_column(MinorUnits)
