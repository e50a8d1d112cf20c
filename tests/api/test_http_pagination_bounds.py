"""SEC-05: every list is paginated and bounded."""

from __future__ import annotations

import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType

from guichet.domain.ids import to_global_id
from guichet.schema.schema import schema
from tests.factories import make_account, make_member, make_organisation

# Plain lists the contract declares, each bounded by what it lists (not by the size of a table).
BOUNDED_LISTS = {
    "ApiKey.permissions": "at most one per module",
    "ApiKey.allowedDocumentIds": "at most 100, checked when the key is created",
    "Contact.roles": "a contact's role assignments",
    "Contact.grants": "at most one per module",
    "Contact.denials": "at most one per module",
    "Contact.permissions": "at most one per module",
    "Invitation.roles": "the roles one invitation grants",
    "Invoice.lines": "one invoice's lines",
    "Invoice.payments": "the payment attempts of one invoice",
    "InvoiceStatusCount.amountDue": "one amount per currency",
    "InvoiceSummary.total": "one amount per currency",
    "InvoiceSummary.amountDue": "one amount per currency",
    "InvoiceSummary.byStatus": "one entry per invoice status",
    "ModulePermission.actions": "the Action enum",
    "Payment.invoices": "the invoices of one payInvoices input",
    "PaymentFailure.support": "the configured support channels",
    "Query.nodes": "ids is refused above 100",
    "Query.supportChannels": "the configured support channels",
    "RegularisationOption.amounts": "the instalments of one option",
    "Schedule.installments": "a schedule's instalments (a handful)",
    "Schedule.regularisationOptions": "a few options",
    "UserError.field": "a path in the input",
    "Viewer.organisations": "the viewer's own memberships",
    "Query.serviceRequestCategories": "the ServiceRequestCategory enum",
    "ServiceRequest.lines": "at most 50 lines a request",
    "ServiceRequest.attachments": "at most 20 files a request",
    "ServiceRequest.statusHistory": "one entry per move; the contract makes it a list, moves need support or the customer",
    "ServiceRequestComment.attachments": "at most 5 files a comment",
    "Organisation.spending": "one row per group of the chosen dimensions over a bounded date range, one statement",
    "Contract.lines": "a contract's own product lines, loaded for the page in one statement",
    "Contract.recurringTotal": "one amount per (currency, frequency) of the contract's lines",
    "ExportJob.columns": "the fixed column names of the export's kind",
    "BillingProfile.contacts": "an account's billing contacts, a handful by purpose",
    "BillingProfile.paymentMethods": "an account's saved payment methods",
    "BillingContact.purposes": "the BillingContactPurpose enum",
    "Payment.pendingPayments": "the items one payment settles, chosen by the payer",
    "PendingPayment.payments": "the payments that tried one item",
    "Organisation.rewards": "one reward account per currency",
    "Contract.pendingPayments": "one renewal per term of one contract",
    "Cart.items": "at most 100 items a cart (domain/shop/carts.MAX_ITEMS)",
    "Cart.recurringTotal": "one amount per (currency, frequency) of the cart's prices",
    "Offering.prices": "an offering's one-time and recurring prices, a handful",
    "Order.items": "the checked-out cart's items (at most 100, two each with both price types)",
    "Order.recurringTotal": "one amount per (currency, frequency) of the order's items",
    "Order.shipments": "the shipments of one order, sent by the back office",
    "Order.statusHistory": "one entry per move of one order through its state machine",
    "WebhookEndpoint.eventTypes": "the WebhookEventType enum",
}


def _unwrap(graphql_type):  # type: ignore[no-untyped-def]
    is_list = False
    while isinstance(graphql_type, GraphQLList | GraphQLNonNull):
        is_list = is_list or isinstance(graphql_type, GraphQLList)
        graphql_type = graphql_type.of_type
    return is_list, graphql_type


def test_every_list_is_a_connection_with_first_or_bounded_by_nature() -> None:
    unbounded = []
    for type_name, graphql_type in schema._schema.type_map.items():
        if type_name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field_name, field in graphql_type.fields.items():
            is_list, base = _unwrap(field.type)
            name = f"{type_name}.{field_name}"
            if base.name.endswith("Connection") and "first" not in field.args:
                unbounded.append(name)
            elif is_list and not type_name.endswith(("Connection", "Payload")) and name not in BOUNDED_LISTS:
                unbounded.append(name)
    assert unbounded == [], "make these connections (first: 1..100) or add them to BOUNDED_LISTS with why"


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_first_outside_1_to_100_is_refused(gql, sessionmaker, first: int) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        await make_account(session, org)
        admin = await make_member(session, org, roles=[("FINANCE", None)])
    query = "query($id: ID!, $first: Int) { organisation(id: $id) { billingAccounts(first: $first) { totalCount } } }"
    result = await gql(query, {"id": to_global_id("Organisation", org.id), "first": first}, token=admin.token)
    assert result["errors"][0]["extensions"]["code"] == "VALIDATION"
    assert result["errors"][0]["message"] != "Unexpected error."


async def test_nodes_refuses_more_than_100_ids(gql) -> None:
    ids = [to_global_id("Invoice", n) for n in range(1, 102)]
    result = await gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert result["errors"][0]["extensions"]["code"] == "VALIDATION"
