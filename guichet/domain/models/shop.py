"""The online shop and the orders of both portals: catalogue, carts, orders, their history.

Every table carries organisation_id: an offering, a cart or an order is always read through the
organisation of the viewer. Exactly-once rests on the database: one order per cart (unique
`orders.cart_id`) and per (buyer, idempotency key); status changes are UPDATEs guarded by the
status and version they were decided on, so two writers never both move one order.
Prices are copied onto order_items at checkout: a later catalogue change never alters an order.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from guichet.domain.models.base import Base, BigId, MinorUnits, UTCDateTime, pk


class Offering(Base):
    """One item of an organisation's negotiated catalogue (from the back-office feed)."""

    __tablename__ = "offerings"
    __table_args__ = (
        UniqueConstraint("organisation_id", "code", name="uq_offerings_organisation_id_code"),
        Index("ix_offerings_org_id", "organisation_id", "id"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # PLAN | OPTION | SIM | DEVICE | ACCESSORY | SERVICE
    min_quantity: Mapped[int] = mapped_column(Integer, default=1)
    max_quantity: Mapped[int | None] = mapped_column(Integer)
    quantity_increment: Mapped[int] = mapped_column(Integer, default=1)
    requires_line: Mapped[bool] = mapped_column(Boolean, default=False)
    available: Mapped[bool] = mapped_column(Boolean, default=True)


class OfferingPrice(Base):
    """A one-time or recurring price of an offering, in the organisation's currency."""

    __tablename__ = "offering_prices"
    __table_args__ = (Index("ix_offering_prices_offering", "offering_id", "position"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    offering_id: Mapped[int] = mapped_column(BigId, ForeignKey("offerings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    price_type: Mapped[str] = mapped_column(String(10))  # ONE_TIME | RECURRING
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(MinorUnits)
    frequency: Mapped[str | None] = mapped_column(String(20))  # RECURRING: MONTHLY ...


class Cart(Base):
    """A contact's cart for one billing account; at most one ACTIVE cart per contact."""

    __tablename__ = "carts"
    __table_args__ = (
        Index(
            "uq_carts_active_contact",
            "contact_id",
            unique=True,
            sqlite_where=text("status = 'ACTIVE'"),
            postgresql_where=text("status = 'ACTIVE'"),
        ),
        Index("ix_carts_status_touched", "status", "touched_at"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id"))
    billing_account_id: Mapped[int] = mapped_column(BigId, ForeignKey("billing_accounts.id"))
    status: Mapped[str] = mapped_column(String(20))  # ACTIVE | CHECKED_OUT | EXPIRED
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Last change by its owner: the cart expires 7 days after it.
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CartItem(Base):
    """A quantity of an offering in a cart (with the fleet line it is for, when it needs one)."""

    __tablename__ = "cart_items"
    __table_args__ = (Index("ix_cart_items_cart", "cart_id", "id"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    cart_id: Mapped[int] = mapped_column(BigId, ForeignKey("carts.id", ondelete="CASCADE"))
    offering_id: Mapped[int] = mapped_column(BigId, ForeignKey("offerings.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    line_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("lines.id"))
    note: Mapped[str | None] = mapped_column(String(500))


class Order(Base):
    """An order placed in the shop (SHOP) or known from the back office's feed (BACK_OFFICE)."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_org_id", "organisation_id", "id"),
        Index("ix_orders_status_changed", "status", "status_changed_at"),
        UniqueConstraint("placed_by_contact_id", "idempotency_key", name="uq_orders_buyer_key"),
    )

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    # ORD- + 8 random digits for shop orders; the back office's own number for its orders.
    number: Mapped[str] = mapped_column(String(50), unique=True)
    source: Mapped[str] = mapped_column(String(20))  # shop | back_office (OrderSource, lower case)
    po_number: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30))
    billing_account_id: Mapped[int] = mapped_column(BigId, ForeignKey("billing_accounts.id"))
    placed_by_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    currency: Mapped[str] = mapped_column(String(3))
    one_time_total_minor: Mapped[int] = mapped_column(MinorUnits)
    payment_terms: Mapped[str] = mapped_column(String(20))  # PAY_NOW | ON_ACCOUNT
    note: Mapped[str | None] = mapped_column(Text)
    expected_completion_date: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    # The cart it was placed from: one order per cart, whatever the number of concurrent checkouts.
    cart_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("carts.id"), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    approval_required: Mapped[bool] = mapped_column(Boolean, default=False)
    approval_decision: Mapped[str | None] = mapped_column(String(20))  # APPROVED | REJECTED
    approver_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approval_comment: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class OrderItem(Base):
    """One priced line of an order, copied at checkout (a one-time or a recurring price)."""

    __tablename__ = "order_items"
    __table_args__ = (Index("ix_order_items_order", "order_id", "position"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    offering_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("offerings.id"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(MinorUnits)
    amount_minor: Mapped[int] = mapped_column(MinorUnits)
    price_type: Mapped[str] = mapped_column(String(10))
    frequency: Mapped[str | None] = mapped_column(String(20))
    line_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("lines.id"))


class OrderStatusChange(Base):
    """One entry of an order's status history (by_contact_id null: the back office or a job)."""

    __tablename__ = "order_status_changes"
    __table_args__ = (Index("ix_order_status_changes_order", "order_id", "id"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    note: Mapped[str | None] = mapped_column(Text)


class Shipment(Base):
    """A parcel of an order, as the back office tracks it."""

    __tablename__ = "shipments"
    __table_args__ = (Index("ix_shipments_order", "order_id", "id"),)

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"))
    carrier: Mapped[str] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    tracking_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))  # PREPARING | SHIPPED | DELIVERED | RETURNED
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OrderEvent(Base):
    """A back-office webhook event already applied: the same eventId again changes nothing."""

    __tablename__ = "order_events"

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"))
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OrderApprovalPolicy(Base):
    """An organisation's approval rule: orders whose one-time total reaches the threshold wait."""

    __tablename__ = "order_approval_policies"

    id: Mapped[int] = pk()
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"), unique=True)
    threshold_minor: Mapped[int | None] = mapped_column(MinorUnits)
    currency: Mapped[str] = mapped_column(String(3))
    approver_role: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
