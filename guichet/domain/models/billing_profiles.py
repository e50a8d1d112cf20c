"""Billing profiles: per billing account, its postal address, billing contacts, saved methods, auto-pay.

A saved method keeps the provider's token with brand, last 4 and expiry (cards) or a masked
wallet number (Orange Money): never a card number or CVC. `default_for_account_id` is set
only on an account's default method and is unique, so an account has at most one default
whatever runs at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, UTCDateTime, pk


class BillingProfile(Base):
    """One per billing account that has one: legal name (read-only), address, auto-pay."""

    __tablename__ = "billing_profiles"

    billing_account_id: Mapped[int] = mapped_column(BigId, ForeignKey("billing_accounts.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"), index=True)
    legal_name: Mapped[str | None] = mapped_column(String(200))
    line1: Mapped[str | None] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    auto_pay: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_by_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))


class BillingContact(Base):
    """A person who receives bills (BILL_TO), handles the account (ACCOUNT) or reminders (DUNNING)."""

    __tablename__ = "billing_contacts"
    __table_args__ = (Index("ix_billing_contacts_account", "billing_account_id", "position"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    billing_account_id: Mapped[int] = mapped_column(BigId, ForeignKey("billing_accounts.id"))
    position: Mapped[int] = mapped_column(Integer)
    purposes: Mapped[str] = mapped_column(String(40))  # comma-separated: BILL_TO,ACCOUNT,DUNNING
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(30))


class SavedPaymentMethod(Base):
    """A card or wallet kept at the provider for an account (removed ones keep their row, removed_at set)."""

    __tablename__ = "saved_payment_methods"
    __table_args__ = (Index("ix_saved_payment_methods_account", "billing_account_id", "id"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    billing_account_id: Mapped[int] = mapped_column(BigId, ForeignKey("billing_accounts.id"))
    type: Mapped[str] = mapped_column(String(20))  # CARD | ORANGE_MONEY
    provider_token: Mapped[str] = mapped_column(String(100))
    card_brand: Mapped[str | None] = mapped_column(String(20))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    card_exp_month: Mapped[int | None] = mapped_column(Integer)
    card_exp_year: Mapped[int | None] = mapped_column(Integer)
    msisdn_masked: Mapped[str | None] = mapped_column(String(30))
    # The account's id while this is its default method: unique, so one default per account.
    default_for_account_id: Mapped[int | None] = mapped_column(BigId, unique=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    added_by_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AutopayAttempt(Base):
    """The one automatic charge of an invoice: unique per invoice, so two job runs charge it once."""

    __tablename__ = "autopay_attempts"

    invoice_id: Mapped[int] = mapped_column(BigId, ForeignKey("invoices.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("payments.id"))
    payment_method_id: Mapped[int] = mapped_column(BigId, ForeignKey("saved_payment_methods.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
