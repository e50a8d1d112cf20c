"""Organisation.orders (and offerings) cost the same statements for a page of 5 or of 50."""

from __future__ import annotations

from typing import Any

import pytest

from guichet.domain.ids import to_global_id
from guichet.domain.models.pending_payments import PendingPayment
from guichet.domain.models.shop import Order, OrderItem, OrderStatusChange, Shipment
from guichet.domain.shop.orders import new_number
from tests.api.test_dashboard_statements import counting
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_line, make_member, make_organisation
from tests.factories_shop import add_offering

ORDERS = """
query($id: ID!, $first: Int!) { organisation(id: $id) { orders(first: $first) { totalCount edges { node {
  number status canCancel canApprove billingAccount { number } placedBy { email }
  items { description amount { amount } offering { code } line { number } } recurringTotal { frequency }
  pendingPayment { status } shipments { carrier } statusHistory { status by { email } } approval { decision }
} } } } }
"""
OFFERINGS = """
query($id: ID!, $first: Int!) { organisation(id: $id) { offerings(first: $first) { totalCount edges { node {
  code prices { type amount { amount } } } } } } }
"""


@pytest.fixture
def settings(settings: Any) -> Any:
    """A page of 50 orders with every relation costs about 600 points: past the default bucket for four pages."""
    return settings.with_overrides(max_query_cost=5000, rate_capacity=100_000)


async def _world(sessionmaker: Any) -> tuple[str, Any]:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        accounts = [await make_account(session, org, name=f"Site {i}") for i in range(3)]
        viewer = await make_member(session, org, roles=[("FINANCE", None), ("COMMERCIAL", None)])
        offerings = [
            await add_offering(
                session, org, f"OFF-{i}", prices=(("ONE_TIME", 1000, None), ("RECURRING", 500, "MONTHLY"))
            )
            for i in range(60)
        ]
        for i in range(60):
            account = accounts[i % 3]
            line = await make_line(session, account)
            order = Order(
                organisation_id=org.id,
                number=new_number(),
                source="shop",
                status="AWAITING_PAYMENT",
                billing_account_id=account.id,
                placed_by_contact_id=viewer.contact_id,
                placed_at=TEST_NOW,
                currency=org.currency,
                one_time_total_minor=1000,
                payment_terms="PAY_NOW",
                approval_required=True,
                approval_decision="APPROVED",
                status_changed_at=TEST_NOW,
                updated_at=TEST_NOW,
                version=1,
            )
            session.add(order)
            await session.flush()
            for position, (price_type, frequency) in enumerate((("ONE_TIME", None), ("RECURRING", "MONTHLY")), 1):
                session.add(
                    OrderItem(
                        organisation_id=org.id,
                        order_id=order.id,
                        position=position,
                        offering_id=offerings[i].id,
                        description="Carte SIM",
                        quantity=1,
                        unit_price_minor=1000,
                        amount_minor=1000,
                        price_type=price_type,
                        frequency=frequency,
                        line_id=line.id,
                    )
                )
            session.add(
                OrderStatusChange(
                    organisation_id=org.id,
                    order_id=order.id,
                    status="AWAITING_PAYMENT",
                    at=TEST_NOW,
                    by_contact_id=viewer.contact_id,
                )
            )
            session.add(Shipment(organisation_id=org.id, order_id=order.id, carrier="DHL", status="PREPARING"))
            session.add(
                PendingPayment(
                    organisation_id=org.id,
                    billing_account_id=account.id,
                    kind="ORDER",
                    status="DUE",
                    currency=org.currency,
                    amount_minor=1000,
                    description=f"Order {order.number}",
                    order_id=order.id,
                    dedupe_key=f"order:{order.id}",
                    created_at=TEST_NOW,
                    updated_at=TEST_NOW,
                )
            )
    return to_global_id("Organisation", org.id), viewer


async def test_order_and_offering_pages_of_5_and_50_cost_the_same(app: Any, gql: Any, sessionmaker: Any) -> None:
    org_id, viewer = await _world(sessionmaker)
    engine = app.state.guichet.engine
    counts: dict[tuple[str, int], int] = {}
    for name, document in (("orders", ORDERS), ("offerings", OFFERINGS)):
        for first in (5, 50):
            await gql(document, {"id": org_id, "first": first}, token=viewer.token)
            with counting(engine) as statements:
                result = await gql(document, {"id": org_id, "first": first}, token=viewer.token)
            assert "errors" not in result, result
            assert len(result["data"]["organisation"][name]["edges"]) == first
            counts[(name, first)] = len(statements)

    assert counts[("orders", 5)] == counts[("orders", 50)]
    assert counts[("offerings", 5)] == counts[("offerings", 50)]
    print("statements:", counts)
