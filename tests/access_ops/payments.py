"""Payment operations for the access matrix: PAYMENTS READ lists and reads, INVOICES PAY pays."""

from __future__ import annotations

from typing import Any

from guichet.domain.ids import to_global_id
from guichet.domain.models.payments import Payment, PaymentInvoice
from tests.access_ops.base import AccessOperation, World
from tests.conftest import TEST_NOW
from tests.factories import make_invoice


async def _payment(session: Any, world: World) -> dict[str, Any]:
    """A settled payment of one invoice of the world's account."""
    invoice = await make_invoice(session, world.account, total_minor=1000, paid_minor=1000)
    payment = Payment(
        organisation_id=world.org.id,
        payer_contact_id=world.admin.contact_id,
        reference=f"GP-ACCESS{invoice.id:04d}",
        method="CARD",
        status="SUCCEEDED",
        currency=invoice.currency,
        amount_minor=1000,
        received_minor=1000,
        created_at=TEST_NOW,
        updated_at=TEST_NOW,
        completed_at=TEST_NOW,
    )
    session.add(payment)
    await session.flush()
    session.add(
        PaymentInvoice(
            payment_id=payment.id,
            invoice_id=invoice.id,
            organisation_id=world.org.id,
            requested_minor=1000,
            amount_minor=1000,
        )
    )
    await session.flush()
    world.extra["payment"] = payment
    return {"id": to_global_id("Organisation", world.org.id), "payment": to_global_id("Payment", payment.id)}


async def _pay(session: Any, world: World) -> dict[str, Any]:
    invoice = await make_invoice(session, world.account, total_minor=1000)
    return {
        "input": {
            "organisationId": to_global_id("Organisation", world.org.id),
            "invoiceIds": [to_global_id("Invoice", invoice.id)],
            "method": "ORANGE_MONEY",
            "msisdn": "0701020304",
            "idempotencyKey": f"access-{invoice.id}",
        }
    }


def _node_refused(response: dict[str, Any]) -> bool:
    """node(id) answers null for a payment out of reach, exactly like an unknown ID."""
    return response.get("data") == {"node": None} and not response.get("errors")


OPERATIONS = [
    AccessOperation(
        module="PAYMENTS",
        action="READ",
        name="organisation.payments",
        setup=_payment,
        document="query($id: ID!) { organisation(id: $id) { payments(first: 5) { totalCount edges { node { reference status } } } } }",
    ),
    AccessOperation(
        module="PAYMENTS",
        action="READ",
        name="node.payment",
        setup=_payment,
        document="query($payment: ID!) { node(id: $payment) { ... on Payment { reference amount { amount } } } }",
        refused=_node_refused,
    ),
    AccessOperation(
        module="INVOICES",
        action="PAY",
        name="payInvoices",
        setup=_pay,
        document="mutation($input: PayInvoicesInput!) { payInvoices(input: $input) { payment { status } errors { code } } }",
    ),
]
