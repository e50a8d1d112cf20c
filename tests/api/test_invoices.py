"""Organisation.invoices and invoiceSummary as a finance contact uses them: list, filter, order,
page, count, sum; and what a contact with a narrower scope, another role or another
organisation gets (nothing)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from guichet.domain.ids import to_global_id
from tests.factories_invoices import FLEET_A, FLEET_B, InvoiceWorld, build_world, make_full_invoice

LIST = """
query($id: ID!, $first: Int, $after: String, $filter: InvoiceFilter, $orderBy: InvoiceOrder) {
  organisation(id: $id) {
    invoices(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { number status } }
    }
  }
}
"""

SUMMARY = """
query($id: ID!, $filter: InvoiceFilter) {
  organisation(id: $id) {
    invoiceSummary(filter: $filter) {
      count
      total { amount currency }
      amountDue { amount currency }
      byStatus { status count amountDue { amount currency } }
    }
  }
}
"""

DETAIL = """
query($id: ID!) {
  node(id: $id) {
    id
    ... on Invoice {
      number status serviceType issueDate dueDate periodStart periodEnd
      total { amount currency } amountPaid { amount currency } amountDue { amount currency }
      paymentPending
      billingAccount { number name }
      lines { description lineNumber amount { amount currency } }
      payments { id }
    }
  }
}
"""


@pytest.fixture
async def world(sessionmaker: Any) -> InvoiceWorld:
    async with sessionmaker() as session, session.begin():
        return await build_world(session)


async def numbers(gql: Any, world: InvoiceWorld, token: str | None = None, **variables: Any) -> list[str]:
    result = await gql(LIST, {"id": world.org_id, **variables}, token=token or world.finance.token)
    assert "errors" not in result, result
    return [e["node"]["number"] for e in result["data"]["organisation"]["invoices"]["edges"]]


async def test_finance_contact_lists_every_invoice_newest_first(gql, world) -> None:
    result = await gql(LIST, {"id": world.org_id}, token=world.finance.token)

    invoices = result["data"]["organisation"]["invoices"]
    assert invoices["totalCount"] == 5
    assert [(e["node"]["number"], e["node"]["status"]) for e in invoices["edges"]] == [
        ("G-2026-0005", "OPEN"),
        ("F-2026-0004", "OVERDUE"),
        ("F-2026-0003", "PAID"),
        ("F-2026-0002", "OPEN"),
        ("F-2026-0001", "OVERDUE"),
    ]
    assert invoices["pageInfo"]["hasNextPage"] is False
    assert invoices["pageInfo"]["hasPreviousPage"] is False


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["OVERDUE"], ["F-2026-0004", "F-2026-0001"]),
        (["OPEN"], ["G-2026-0005", "F-2026-0002"]),
        (["PAID"], ["F-2026-0003"]),
        (["OPEN", "PAID"], ["G-2026-0005", "F-2026-0003", "F-2026-0002"]),
    ],
)
async def test_status_filter_agrees_with_the_status_shown(gql, world, statuses, expected) -> None:
    result = await gql(LIST, {"id": world.org_id, "filter": {"status": statuses}}, token=world.finance.token)

    edges = result["data"]["organisation"]["invoices"]["edges"]
    assert [e["node"]["number"] for e in edges] == expected
    assert {e["node"]["status"] for e in edges} == set(statuses)
    assert result["data"]["organisation"]["invoices"]["totalCount"] == len(expected)


async def test_an_invoice_due_today_becomes_overdue_tomorrow(gql, world, clock) -> None:
    assert "F-2026-0002" in await numbers(gql, world, filter={"status": ["OPEN"]})

    clock.current = clock.current + timedelta(days=1)

    assert await numbers(gql, world, filter={"status": ["OVERDUE"]}) == ["F-2026-0004", "F-2026-0002", "F-2026-0001"]


@pytest.mark.parametrize(
    ("invoice_filter", "expected"),
    [
        ({"serviceType": ["FIXED", "INTERNET"]}, ["F-2026-0003", "F-2026-0002"]),
        ({"serviceType": ["MOBILE"]}, ["G-2026-0005", "F-2026-0004", "F-2026-0001"]),
        ({"issuedFrom": "2026-10-01", "issuedTo": "2026-11-01"}, ["F-2026-0003", "F-2026-0002"]),
        ({"issuedFrom": "2026-11-05"}, ["G-2026-0005", "F-2026-0004"]),
        ({"issuedTo": "2026-09-30"}, ["F-2026-0001"]),
        ({"search": "0004"}, ["F-2026-0004"]),
        ({"search": "g-2026"}, ["G-2026-0005"]),
        ({"search": "%"}, []),
        ({"search": "_"}, []),
        ({"lineNumber": FLEET_A}, ["F-2026-0001"]),
        ({"lineNumber": "+225 07 01 02 03 04"}, ["F-2026-0001"]),
        ({"lineNumber": "+2250000000000"}, []),
        ({"status": ["OVERDUE"], "serviceType": ["MOBILE"], "search": "F-"}, ["F-2026-0004", "F-2026-0001"]),
    ],
)
async def test_each_filter_narrows_the_list(gql, world, invoice_filter, expected) -> None:
    assert await numbers(gql, world, filter=invoice_filter) == expected


async def test_billing_account_filter(gql, world) -> None:
    account_a = to_global_id("BillingAccount", world.account_a.id)

    assert await numbers(gql, world, filter={"billingAccountId": account_a}) == [
        "F-2026-0003",
        "F-2026-0002",
        "F-2026-0001",
    ]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (
            {"field": "DUE_DATE", "direction": "ASC"},
            ["F-2026-0001", "F-2026-0004", "F-2026-0002", "F-2026-0003", "G-2026-0005"],
        ),
        (
            {"field": "DUE_DATE", "direction": "DESC"},
            ["G-2026-0005", "F-2026-0003", "F-2026-0002", "F-2026-0004", "F-2026-0001"],
        ),
        (
            {"field": "ISSUE_DATE", "direction": "ASC"},
            ["F-2026-0001", "F-2026-0002", "F-2026-0003", "F-2026-0004", "G-2026-0005"],
        ),
        # 25000 twice: ties broken by ID in the same direction.
        (
            {"field": "TOTAL", "direction": "DESC"},
            ["F-2026-0003", "F-2026-0004", "F-2026-0002", "F-2026-0001", "G-2026-0005"],
        ),
        (
            {"field": "TOTAL", "direction": "ASC"},
            ["G-2026-0005", "F-2026-0001", "F-2026-0002", "F-2026-0004", "F-2026-0003"],
        ),
        (
            {"field": "NUMBER", "direction": "ASC"},
            ["F-2026-0001", "F-2026-0002", "F-2026-0003", "F-2026-0004", "G-2026-0005"],
        ),
    ],
)
async def test_every_ordering_pages_the_same_as_one_page(gql, world, order, expected) -> None:
    assert await numbers(gql, world, orderBy=order) == expected
    seen: list[str] = []
    after = None
    while True:
        result = await gql(
            LIST, {"id": world.org_id, "first": 2, "after": after, "orderBy": order}, token=world.finance.token
        )
        page = result["data"]["organisation"]["invoices"]
        seen += [e["node"]["number"] for e in page["edges"]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert seen == expected


async def test_pages_stay_stable_when_an_invoice_arrives_between_them(gql, world, sessionmaker) -> None:
    first = await gql(LIST, {"id": world.org_id, "first": 2}, token=world.finance.token)
    page1 = first["data"]["organisation"]["invoices"]
    assert [e["node"]["number"] for e in page1["edges"]] == ["G-2026-0005", "F-2026-0004"]

    async with sessionmaker() as session, session.begin():
        await make_full_invoice(session, world.account_a, number="F-2026-0006", issue=date(2026, 11, 20))
        await make_full_invoice(session, world.account_a, number="F-2026-0007", issue=date(2026, 10, 15))

    second = await gql(
        LIST, {"id": world.org_id, "first": 2, "after": page1["pageInfo"]["endCursor"]}, token=world.finance.token
    )
    page2 = second["data"]["organisation"]["invoices"]
    assert [e["node"]["number"] for e in page2["edges"]] == ["F-2026-0003", "F-2026-0007"]
    assert page2["totalCount"] == 7
    assert page2["pageInfo"]["hasPreviousPage"] is True
    third = await gql(
        LIST, {"id": world.org_id, "first": 2, "after": page2["pageInfo"]["endCursor"]}, token=world.finance.token
    )
    page3 = third["data"]["organisation"]["invoices"]
    assert [e["node"]["number"] for e in page3["edges"]] == ["F-2026-0002", "F-2026-0001"]
    assert page3["pageInfo"]["hasNextPage"] is False


async def test_a_page_past_the_last_invoice_still_counts_every_invoice(gql, world) -> None:
    # The count rides on the page's rows; a page with none (after the last cursor) counts apart.
    last = None
    after = None
    while True:
        result = await gql(LIST, {"id": world.org_id, "first": 2, "after": after}, token=world.finance.token)
        last = result["data"]["organisation"]["invoices"]
        after = last["pageInfo"]["endCursor"]
        if not last["pageInfo"]["hasNextPage"]:
            break
    past = await gql(LIST, {"id": world.org_id, "first": 2, "after": after}, token=world.finance.token)
    page = past["data"]["organisation"]["invoices"]

    assert page["edges"] == []
    assert page["totalCount"] == last["totalCount"] == 5
    assert page["pageInfo"]["hasPreviousPage"] is True


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_page_size_out_of_bounds_is_an_error(gql, world, first) -> None:
    result = await gql(LIST, {"id": world.org_id, "first": first}, token=world.finance.token)

    assert result["data"] is None or result["data"]["organisation"] is None
    assert result["errors"][0]["extensions"]["code"] == "VALIDATION"
    assert result["errors"][0]["extensions"]["field"] == ["first"]


async def test_a_cursor_of_another_ordering_is_refused(gql, world) -> None:
    page = await gql(LIST, {"id": world.org_id, "first": 1}, token=world.finance.token)
    cursor = page["data"]["organisation"]["invoices"]["pageInfo"]["endCursor"]

    result = await gql(
        LIST,
        {"id": world.org_id, "after": cursor, "orderBy": {"field": "TOTAL", "direction": "ASC"}},
        token=world.finance.token,
    )

    assert [e["extensions"]["code"] for e in result["errors"]] == ["VALIDATION"]
    assert result["errors"][0]["extensions"]["field"] == ["after"]


@pytest.mark.parametrize(
    ("invoice_filter", "field"),
    [
        ({"search": "x" * 51}, ["filter", "search"]),
        ({"issuedFrom": "2026-11-02", "issuedTo": "2026-11-01"}, ["filter", "issuedTo"]),
    ],
)
async def test_malformed_filters_name_the_field(gql, world, invoice_filter, field) -> None:
    result = await gql(LIST, {"id": world.org_id, "filter": invoice_filter}, token=world.finance.token, lang="fr")

    assert result["errors"][0]["extensions"] == {"code": "VALIDATION", "field": field}
    assert result["errors"][0]["message"]  # French text from the catalogue
    assert result["errors"][0]["message"] != "invoice_search_too_long"


async def test_summary_totals_per_currency_and_status(gql, world) -> None:
    result = await gql(SUMMARY, {"id": world.org_id}, token=world.finance.token)

    assert result["data"]["organisation"]["invoiceSummary"] == {
        "count": 5,
        "total": [{"amount": "127.96", "currency": "EUR"}, {"amount": "120000", "currency": "XOF"}],
        "amountDue": [{"amount": "127.96", "currency": "EUR"}, {"amount": "70000", "currency": "XOF"}],
        "byStatus": [
            {"status": "OVERDUE", "count": 2, "amountDue": [{"amount": "45000", "currency": "XOF"}]},
            {
                "status": "OPEN",
                "count": 2,
                "amountDue": [{"amount": "127.96", "currency": "EUR"}, {"amount": "25000", "currency": "XOF"}],
            },
            {"status": "PAID", "count": 1, "amountDue": [{"amount": "0", "currency": "XOF"}]},
        ],
    }


async def test_summary_follows_the_filter(gql, world) -> None:
    result = await gql(SUMMARY, {"id": world.org_id, "filter": {"status": ["OVERDUE"]}}, token=world.finance.token)

    summary = result["data"]["organisation"]["invoiceSummary"]
    assert summary["count"] == 2
    assert summary["amountDue"] == [{"amount": "45000", "currency": "XOF"}]
    assert [(s["status"], s["count"]) for s in summary["byStatus"]] == [("OVERDUE", 2), ("OPEN", 0), ("PAID", 0)]


async def test_invoice_detail_shows_lines_amounts_and_account(gql, world) -> None:
    result = await gql(DETAIL, {"id": world.invoice_id("F-2026-0004")}, token=world.finance.token)

    assert result["data"]["node"] == {
        "id": world.invoice_id("F-2026-0004"),
        "number": "F-2026-0004",
        "status": "OVERDUE",
        "serviceType": "MOBILE",
        "issueDate": "2026-11-05",
        "dueDate": "2026-11-20",
        "periodStart": None,
        "periodEnd": None,
        "total": {"amount": "30000", "currency": "XOF"},
        "amountPaid": {"amount": "10000", "currency": "XOF"},
        "amountDue": {"amount": "20000", "currency": "XOF"},
        "paymentPending": True,
        "billingAccount": {"number": world.account_b.number, "name": "Agence Bouaké"},
        "lines": [
            {
                "description": "Forfait Business 50 Go",
                "lineNumber": FLEET_B,
                "amount": {"amount": "30000", "currency": "XOF"},
            }
        ],
        "payments": [],
    }


async def test_detail_in_a_list_matches_detail_by_id(gql, world) -> None:
    query = """query($id: ID!) { organisation(id: $id) { invoices(first: 10) { edges { node {
        id number status periodStart periodEnd amountDue { amount currency } billingAccount { number }
        lines { description lineNumber amount { amount currency } } } } } } }"""
    listed = await gql(query, {"id": world.org_id}, token=world.finance.token)
    first = next(
        e["node"] for e in listed["data"]["organisation"]["invoices"]["edges"] if e["node"]["number"] == "F-2026-0001"
    )

    assert first["periodStart"] == "2026-08-01"
    assert first["lines"] == [
        {
            "description": "Forfait Business 20 Go",
            "lineNumber": FLEET_A,
            "amount": {"amount": "20000", "currency": "XOF"},
        },
        {"description": "Hors forfait", "lineNumber": FLEET_A, "amount": {"amount": "5000", "currency": "XOF"}},
    ]
    by_id = await gql(
        "query($id: ID!) { node(id: $id) { ... on Invoice { billingAccount { number } status } } }",
        {"id": first["id"]},
        token=world.finance.token,
    )
    assert by_id["data"]["node"] == {"billingAccount": first["billingAccount"], "status": first["status"]}


async def test_contact_scoped_to_one_account_sees_only_its_invoices(gql, world) -> None:
    token = world.finance_a.token
    account_b = to_global_id("BillingAccount", world.account_b.id)

    assert await numbers(gql, world, token) == ["F-2026-0003", "F-2026-0002", "F-2026-0001"]
    assert await numbers(gql, world, token, filter={"billingAccountId": account_b}) == []
    assert await numbers(gql, world, token, filter={"lineNumber": FLEET_B}) == []
    summary = await gql(SUMMARY, {"id": world.org_id}, token=token)
    assert summary["data"]["organisation"]["invoiceSummary"]["count"] == 3
    assert summary["data"]["organisation"]["invoiceSummary"]["total"] == [{"amount": "90000", "currency": "XOF"}]
    nodes = await gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [world.invoice_id("F-2026-0001"), world.invoice_id("F-2026-0004")]},
        token=token,
    )
    assert nodes["data"]["nodes"] == [{"id": world.invoice_id("F-2026-0001")}, None]


async def test_another_organisations_invoices_reveal_nothing(gql, world) -> None:
    """Their IDs answer exactly like unknown IDs, through node, nodes and filters."""
    token = world.other_finance.token
    foreign = world.invoice_id("F-2026-0001")
    unknown = to_global_id("Invoice", 987654)

    by_foreign = await gql(DETAIL, {"id": foreign}, token=token)
    by_unknown = await gql(DETAIL, {"id": unknown}, token=token)
    assert by_foreign == by_unknown == {"data": {"node": None}}
    nodes = await gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [foreign, unknown]}, token=token)
    assert nodes == {"data": {"nodes": [None, None]}}

    other_org_id = to_global_id("Organisation", world.other_org.id)
    own = await gql(LIST, {"id": other_org_id}, token=token)
    assert [e["node"]["number"] for e in own["data"]["organisation"]["invoices"]["edges"]] == ["F-2026-0099"]
    for invoice_filter in (
        {"billingAccountId": to_global_id("BillingAccount", world.account_a.id)},
        {"billingAccountId": to_global_id("BillingAccount", 987654)},
        {"billingAccountId": "not-an-id"},
    ):
        result = await gql(LIST, {"id": other_org_id, "filter": invoice_filter}, token=token)
        assert result["data"]["organisation"]["invoices"]["totalCount"] == 0
        assert result["data"]["organisation"]["invoices"]["edges"] == []
    # A fleet number both organisations bill: each sees only its own invoice.
    by_line = await gql(LIST, {"id": other_org_id, "filter": {"lineNumber": FLEET_A}}, token=token)
    assert [e["node"]["number"] for e in by_line["data"]["organisation"]["invoices"]["edges"]] == ["F-2026-0099"]
    # And its organisation is not ours.
    assert (await gql(LIST, {"id": world.org_id}, token=token)) == {"data": {"organisation": None}}


async def test_management_reads_invoices(gql, world) -> None:
    assert len(await numbers(gql, world, world.management.token)) == 5


@pytest.mark.parametrize("document", [LIST, SUMMARY])
async def test_commercial_contact_is_refused(gql, world, document) -> None:
    result = await gql(document, {"id": world.org_id}, token=world.commercial.token)

    assert result["data"] == {"organisation": None}
    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]


async def test_commercial_contact_gets_null_for_an_invoice_id(gql, world) -> None:
    result = await gql(DETAIL, {"id": world.invoice_id("F-2026-0001")}, token=world.commercial.token)

    assert result == {"data": {"node": None}}


async def test_without_credentials_nothing_is_listed(gql, world) -> None:
    assert await gql(LIST, {"id": world.org_id}) == {"data": {"organisation": None}}
    assert await gql(DETAIL, {"id": world.invoice_id("F-2026-0001")}) == {"data": {"node": None}}


async def test_fragments_select_the_same_fields(gql, world) -> None:
    query = """
    fragment Row on Invoice { number billingAccount { number } lines { lineNumber } payments { id } }
    query($id: ID!) { organisation(id: $id) { invoices(first: 1, orderBy: {field: NUMBER, direction: ASC}) {
      edges { node { ...Row ... on Invoice { amountDue { amount } } } } } } }
    """

    result = await gql(query, {"id": world.org_id}, token=world.finance.token)

    assert result["data"]["organisation"]["invoices"]["edges"] == [
        {
            "node": {
                "number": "F-2026-0001",
                "billingAccount": {"number": world.account_a.number},
                "lines": [{"lineNumber": FLEET_A}, {"lineNumber": FLEET_A}],
                "payments": [],
                "amountDue": {"amount": "25000"},
            }
        }
    ]
