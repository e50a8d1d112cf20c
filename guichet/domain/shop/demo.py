"""The demo's shop: ACME's catalogue (a data option needing a line, SIMs, a smartphone, a fibre
installation), a back-office order in progress with a shipment (both on the demo feed), and,
written straight after the feed's import in its transaction, an approval threshold and a shop
order of the commercial contact awaiting finance's payment."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.models.shop import Offering, OfferingPrice, Order, OrderApprovalPolicy, OrderItem, OrderStatusChange
from guichet.domain.money import Money
from guichet.domain.pending_payments.services import open_pending_payment
from guichet.domain.shop.orders import PAYMENT_WINDOW, new_number

DEMO_BUYER = "commercial@acme.example"
APPROVAL_THRESHOLD_XOF = 500_000


def demo_offerings() -> list[dict[str, Any]]:
    """ACME's negotiated catalogue, as feed records."""
    return [
        {
            "code": "OPT-DATA-10G",
            "name": "Option data 10 Go",
            "description": "10 Go de data par mois sur une ligne mobile de la flotte.",
            "kind": "OPTION",
            "prices": [{"type": "RECURRING", "amount": "5000", "frequency": "MONTHLY"}],
            "minQuantity": 1,
            "maxQuantity": 1,
            "quantityIncrement": 1,
            "requiresLine": True,
        },
        {
            "code": "SIM-4G",
            "name": "Carte SIM 4G",
            "kind": "SIM",
            "prices": [{"type": "ONE_TIME", "amount": "1000"}],
            "minQuantity": 1,
            "maxQuantity": 100,
            "quantityIncrement": 1,
        },
        {
            "code": "SIM-4G-PACK10",
            "name": "Cartes SIM 4G (par 10)",
            "kind": "SIM",
            "prices": [{"type": "ONE_TIME", "amount": "9000"}],
            "minQuantity": 10,
            "quantityIncrement": 10,
        },
        {
            "code": "PHONE-A55",
            "name": "Smartphone Galaxy A55",
            "kind": "DEVICE",
            "prices": [
                {"type": "ONE_TIME", "amount": "189000"},
                {"type": "RECURRING", "amount": "2500", "frequency": "MONTHLY"},
            ],
            "maxQuantity": 20,
        },
        {
            "code": "FIBRE-INSTALL",
            "name": "Installation fibre entreprise",
            "kind": "SERVICE",
            "prices": [{"type": "ONE_TIME", "amount": "150000"}],
            "maxQuantity": 1,
        },
        {
            "code": "ROUTER-4G-OLD",
            "name": "Routeur 4G (ancienne gamme)",
            "kind": "ACCESSORY",
            "prices": [{"type": "ONE_TIME", "amount": "45000"}],
            "available": False,
        },
    ]


def demo_orders(today: date, accounts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One back-office order in progress with a shipment, on ACME's first account."""
    placed = datetime.combine(today - timedelta(days=10), time(9), UTC)
    return [
        {
            "number": "ORD-BO-0001",
            "billingAccount": accounts[0]["number"],
            "status": "IN_PROGRESS",
            "placedAt": placed.isoformat(),
            "poNumber": "PO-2026-077",
            "expectedCompletionDate": (today + timedelta(days=12)).isoformat(),
            "items": [
                {"description": "Installation fibre entreprise", "quantity": 1, "unitPrice": "150000"},
                {"description": "Routeur fibre", "quantity": 1, "unitPrice": "35000"},
            ],
            "shipments": [
                {
                    "carrier": "DHL",
                    "trackingNumber": "JD014600003CI",
                    "trackingUrl": "https://www.dhl.com/ci-fr/home/tracking.html?tracking-id=JD014600003CI",
                    "status": "SHIPPED",
                    "shippedAt": (placed + timedelta(days=3)).isoformat(),
                }
            ],
        }
    ]


async def seed_demo_orders(session: AsyncSession, *, now: datetime, approver_role: str) -> int:
    """ACME's approval threshold and one shop order awaiting finance's payment; how many orders (0
    without the demo's commercial contact)."""
    contact = (
        await session.execute(
            select(models.Contact)
            .join(models.Person, models.Person.id == models.Contact.person_id)
            .where(models.Person.email == DEMO_BUYER)
        )
    ).scalar_one_or_none()
    if contact is None:
        return 0
    organisation = (
        await session.execute(select(models.Organisation).where(models.Organisation.id == contact.organisation_id))
    ).scalar_one()
    account = (
        (
            await session.execute(
                select(models.BillingAccount)
                .where(models.BillingAccount.organisation_id == organisation.id)
                .order_by(models.BillingAccount.number)
            )
        )
        .scalars()
        .first()
    )
    sim = (
        await session.execute(
            select(Offering).where(Offering.organisation_id == organisation.id, Offering.code == "SIM-4G")
        )
    ).scalar_one_or_none()
    if account is None or sim is None:
        return 0
    session.add(
        OrderApprovalPolicy(
            organisation_id=organisation.id,
            threshold_minor=APPROVAL_THRESHOLD_XOF,
            currency=organisation.currency,
            approver_role=approver_role,
            updated_at=now,
        )
    )
    price = (
        await session.execute(select(OfferingPrice.amount_minor).where(OfferingPrice.offering_id == sim.id))
    ).scalar_one()
    placed = now - timedelta(days=1)
    quantity = 25
    order = Order(
        organisation_id=organisation.id,
        number=new_number(),
        source="shop",
        po_number="PO-2026-081",
        status="AWAITING_PAYMENT",
        billing_account_id=account.id,
        placed_by_contact_id=contact.id,
        placed_at=placed,
        currency=organisation.currency,
        one_time_total_minor=price * quantity,
        payment_terms="PAY_NOW",
        approval_required=False,
        status_changed_at=placed,
        updated_at=placed,
        version=1,
    )
    session.add(order)
    await session.flush()
    session.add(
        OrderItem(
            organisation_id=organisation.id,
            order_id=order.id,
            position=1,
            offering_id=sim.id,
            description=sim.name,
            quantity=quantity,
            unit_price_minor=price,
            amount_minor=price * quantity,
            price_type="ONE_TIME",
        )
    )
    session.add(
        OrderStatusChange(
            organisation_id=organisation.id,
            order_id=order.id,
            status=order.status,
            at=placed,
            by_contact_id=contact.id,
        )
    )
    await open_pending_payment(
        session,
        organisation_id=organisation.id,
        billing_account_id=account.id,
        kind="ORDER",
        amount=Money(order.one_time_total_minor, order.currency),
        description=f"Order {order.number}",
        dedupe_key=f"order:{order.id}",
        now=placed,
        due_date=placed.date(),
        expires_at=placed + PAYMENT_WINDOW,
        order_id=order.id,
    )
    await session.flush()
    return 1
