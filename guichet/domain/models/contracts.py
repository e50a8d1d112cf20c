"""Contracts (Oracle's « contrats ») and their lines; prices in integer minor units.

The billing schedule is not stored: it is computed from the lines (domain/contracts/rules.py)
so that an evergreen contract's horizon and the INVOICED / CANCELLED statuses are always those
of today, never a copy that drifts.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, MinorUnits, UTCDateTime, pk


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (
        UniqueConstraint("number", name="uq_contracts_number"),
        Index("ix_contracts_org_account", "organisation_id", "billing_account_id", "id"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    billing_account_id: Mapped[int] = mapped_column(BigId, ForeignKey("billing_accounts.id"))
    number: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    renewal_notice_date: Mapped[date | None] = mapped_column(Date)
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=False)
    terminated_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ContractLine(Base):
    __tablename__ = "contract_lines"
    __table_args__ = (UniqueConstraint("contract_id", "position", name="uq_contract_lines_contract_id_position"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(MinorUnits)
    frequency: Mapped[str] = mapped_column(String(20))
    line_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("lines.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
