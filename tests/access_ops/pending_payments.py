"""Pending-payment operations for the access matrix: INVOICES READ lists and reads, INVOICES PAY pays."""

from __future__ import annotations

from typing import Any

from guichet.domain.ids import to_global_id
from tests.access_ops.base import AccessOperation, World
from tests.factories import make_invoice
from tests.factories_pending_payments import open_failed_charge


async def _item(session: Any, world: World) -> dict[str, Any]:
    """A FAILED_CHARGE of a fresh invoice of the world's account."""
    invoice = await make_invoice(session, world.account, total_minor=1000)
    item = await open_failed_charge(session, invoice)
    world.extra["pending_payment"] = item
    return {"id": to_global_id("Organisation", world.org.id), "item": to_global_id("PendingPayment", item.id)}


async def _pay(session: Any, world: World) -> dict[str, Any]:
    invoice = await make_invoice(session, world.account, total_minor=1000)
    item = await open_failed_charge(session, invoice)
    return {
        "input": {
            "organisationId": to_global_id("Organisation", world.org.id),
            "pendingPaymentIds": [to_global_id("PendingPayment", item.id)],
            "method": "ORANGE_MONEY",
            "msisdn": "0701020304",
            "idempotencyKey": f"access-pp-{item.id}",
        }
    }


def _node_refused(response: dict[str, Any]) -> bool:
    """node(id) answers null for an item out of reach, exactly like an unknown ID."""
    return response.get("data") == {"node": None} and not response.get("errors")


OPERATIONS = [
    AccessOperation(
        module="INVOICES",
        action="READ",
        name="organisation.pendingPayments",
        setup=_item,
        document="query($id: ID!) { organisation(id: $id) { pendingPayments(first: 5) { totalCount "
        "edges { node { kind status } } } } }",
    ),
    AccessOperation(
        module="INVOICES",
        action="READ",
        name="node.pendingPayment",
        setup=_item,
        document="query($item: ID!) { node(id: $item) { ... on PendingPayment { kind amount { amount } } } }",
        refused=_node_refused,
    ),
    AccessOperation(
        module="INVOICES",
        action="PAY",
        name="payPendingPayments",
        setup=_pay,
        document="mutation($input: PayPendingPaymentsInput!) { payPendingPayments(input: $input) "
        "{ payment { status } errors { code } } }",
    ),
]
