"""The demo shows a catalogue, an order in progress with a shipment, one awaiting finance's payment,
and an approval threshold on ACME."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from guichet.demo import load_demo
from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.domain.models.pending_payments import PendingPayment
from guichet.domain.models.shop import Offering, Order, OrderApprovalPolicy, Shipment
from tests.conftest import TEST_NOW


async def test_the_demo_has_a_catalogue_orders_and_an_approval_threshold(settings: Any, sessionmaker: Any) -> None:
    await load_demo(settings, today=TEST_NOW.date())

    async with sessionmaker() as session:
        acme = (
            await session.execute(select(models.Organisation).where(models.Organisation.ref == "acme"))
        ).scalar_one()
        offerings = (
            await session.execute(
                select(Offering.code, Offering.requires_line, Offering.available)
                .where(Offering.organisation_id == acme.id)
                .order_by(Offering.id)
            )
        ).all()
        orders = (
            await session.execute(
                select(Order.source, Order.status).where(Order.organisation_id == acme.id).order_by(Order.id)
            )
        ).all()
        shipments = (await session.execute(select(Shipment.carrier, Shipment.status))).all()
        pending = (
            await session.execute(
                select(PendingPayment.kind, PendingPayment.status).where(PendingPayment.kind == "ORDER")
            )
        ).all()
        policy = (await session.execute(select(OrderApprovalPolicy))).scalar_one()

    assert [tuple(o) for o in offerings] == [
        ("OPT-DATA-10G", True, True),
        ("SIM-4G", False, True),
        ("SIM-4G-PACK10", False, True),
        ("PHONE-A55", False, True),
        ("FIBRE-INSTALL", False, True),
        ("ROUTER-4G-OLD", False, False),
    ]
    assert [tuple(o) for o in orders] == [("back_office", "IN_PROGRESS"), ("shop", "AWAITING_PAYMENT")]
    assert [tuple(s) for s in shipments] == [("DHL", "SHIPPED")]
    assert [tuple(p) for p in pending] == [("ORDER", "DUE")]
    assert (policy.organisation_id, policy.threshold_minor, policy.approver_role) == (acme.id, 500_000, "MANAGEMENT")
    assert to_global_id("Organisation", acme.id)
