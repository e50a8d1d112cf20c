"""Invoices and their lines; amounts in integer minor units of the invoice currency."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, MinorUnits, UTCDateTime, pk


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_org_due", "organisation_id", "due_date", "id"),
        Index("ix_invoices_org_issue", "organisation_id", "issue_date", "id"),
        Index("ix_invoices_billing_account", "billing_account_id", "due_date"),
        # Migration 0003: the other orderings of the invoice list.
        Index("ix_invoices_org_total", "organisation_id", "total_minor", "id"),
        Index("ix_invoices_org_number", "organisation_id", "number"),
        Index("ix_invoices_org_contract", "organisation_id", "contract_number", "period_start"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    billing_account_id: Mapped[int] = mapped_column(BigId, ForeignKey("billing_accounts.id"))
    number: Mapped[str] = mapped_column(String(50), unique=True)
    service_type: Mapped[str] = mapped_column(String(20))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(MinorUnits)
    # Everything settled: payments and redeemed rewards (rewards_applied_minor of it). One column
    # for both keeps the status rule, the amount due and every payment guard as they are.
    amount_paid_minor: Mapped[int] = mapped_column(MinorUnits, default=0)
    rewards_applied_minor: Mapped[int] = mapped_column(MinorUnits, default=0, server_default="0")
    # Rewards may pay it (feed `rewardsEligible`).
    rewards_eligible: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The payment under way for this invoice, if any (set by a guarded UPDATE: one payment wins).
    pending_payment_id: Mapped[int | None] = mapped_column(BigId)
    # The contract this invoice bills (feed `contractNumber`): marks its schedule periods INVOICED.
    contract_number: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = pk()
    invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500))
    line_number: Mapped[str | None] = mapped_column(String(50), index=True)
    amount_minor: Mapped[int] = mapped_column(MinorUnits)
