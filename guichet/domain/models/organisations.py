"""Organisations, their billing accounts and fleet lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, UTCDateTime, pk


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = pk()
    # Business key for individuals (and optionally businesses) on the back-office feed.
    ref: Mapped[str | None] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # BUSINESS | INDIVIDUAL
    taxpayer_number: Mapped[str | None] = mapped_column(String(50), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BillingAccount(Base):
    __tablename__ = "billing_accounts"

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"), index=True)
    number: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Line(Base):
    """A fleet line: a phone number, a fixed line or an internet access billed on an account."""

    __tablename__ = "lines"
    __table_args__ = (Index("ix_lines_billing_account_id_number", "billing_account_id", "number"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"), index=True)
    billing_account_id: Mapped[int] = mapped_column(BigId, ForeignKey("billing_accounts.id"))
    number: Mapped[str] = mapped_column(String(50), unique=True)
    service_type: Mapped[str] = mapped_column(String(20))  # FIXED | MOBILE | INTERNET
