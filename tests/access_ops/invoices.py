"""Invoice operations for the access matrix: INVOICES READ lists and reads, EXPORT downloads and e-mails."""

from __future__ import annotations

from typing import Any

from guichet.domain.ids import to_global_id
from tests.access_ops.base import AccessOperation, World
from tests.factories_invoices import make_full_invoice


async def _org(session: Any, world: World) -> dict[str, Any]:
    invoice = await make_full_invoice(session, world.account)
    world.extra["invoice"] = invoice
    return {"id": to_global_id("Organisation", world.org.id), "invoice": to_global_id("Invoice", invoice.id)}


async def _email(session: Any, world: World) -> dict[str, Any]:
    await make_full_invoice(session, world.account)
    return {"input": {"organisationId": to_global_id("Organisation", world.org.id)}}


def _node_refused(response: dict[str, Any]) -> bool:
    """node(id) answers null for an invoice out of reach, exactly like an unknown ID."""
    return response.get("data") == {"node": None} and not response.get("errors")


def _download_refused(response: dict[str, Any]) -> bool:
    codes = [(e.get("extensions") or {}).get("code") for e in response.get("errors") or []]
    return "FORBIDDEN" in codes or response.get("data") == {"node": None}


OPERATIONS = [
    AccessOperation(
        module="INVOICES",
        action="READ",
        name="organisation.invoices",
        setup=_org,
        document="query($id: ID!) { organisation(id: $id) { invoices(first: 5) { totalCount edges { node { number status } } } } }",
    ),
    AccessOperation(
        module="INVOICES",
        action="READ",
        name="organisation.invoiceSummary",
        setup=_org,
        document="query($id: ID!) { organisation(id: $id) { invoiceSummary { count byStatus { status count } } } }",
    ),
    AccessOperation(
        module="INVOICES",
        action="READ",
        name="node.invoice",
        setup=_org,
        document="query($invoice: ID!) { node(id: $invoice) { ... on Invoice { number amountDue { amount } } } }",
        refused=_node_refused,
    ),
    AccessOperation(
        module="INVOICES",
        action="EXPORT",
        name="invoice.downloadUrl",
        setup=_org,
        document="query($invoice: ID!) { node(id: $invoice) { ... on Invoice { downloadUrl } } }",
        refused=_download_refused,
    ),
    AccessOperation(
        module="INVOICES",
        action="EXPORT",
        name="emailInvoiceList",
        setup=_email,
        document="mutation($input: EmailInvoiceListInput!) { emailInvoiceList(input: $input) { ok errors { code } } }",
    ),
]
