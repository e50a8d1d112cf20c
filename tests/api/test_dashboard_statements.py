"""The invoice dashboard costs the same number of SQL statements for a page of 5 and of 50."""

from __future__ import annotations

from datetime import date, timedelta

from guichet.domain.ids import to_global_id
from tests.factories import make_account, make_member, make_organisation
from tests.factories_invoices import make_full_invoice
from tests.statements import counting

DASHBOARD = """
query Dashboard($id: ID!, $first: Int!) {
  organisation(id: $id) {
    me { permissions { module actions } }
    invoiceSummary { count total { amount currency } amountDue { amount currency }
                     byStatus { status count amountDue { amount currency } } }
    invoices(first: $first, orderBy: {field: DUE_DATE, direction: ASC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        id number status dueDate
        amountDue { amount currency }
        billingAccount { number name }
        lines { description lineNumber amount { amount currency } }
        payments { id }
      } }
    }
  }
}
"""


async def test_a_page_of_5_and_a_page_of_50_cost_the_same_statements(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        accounts = [await make_account(session, org, name=f"Site {i}") for i in range(3)]
        for i in range(60):
            await make_full_invoice(
                session,
                accounts[i % 3],
                due=date(2026, 9, 1) + timedelta(days=i * 3),
                lines=[("Forfait", f"+22507{i:08d}", 20000), ("Options", None, 1000 + i)],
                paid_minor=21000 + i if i % 4 == 0 else 0,
            )
        finance = await make_member(session, org, roles=[("FINANCE", None)])
    variables = {"id": to_global_id("Organisation", org.id)}
    engine = app.state.guichet.engine

    counts = {}
    for first in (5, 50):
        await gql(DASHBOARD, {**variables, "first": first}, token=finance.token)  # warm any start-up caches
        with counting(engine) as statements:
            result = await gql(DASHBOARD, {**variables, "first": first}, token=finance.token)
        assert "errors" not in result, result
        assert len(result["data"]["organisation"]["invoices"]["edges"]) == first
        assert all(len(e["node"]["lines"]) == 2 for e in result["data"]["organisation"]["invoices"]["edges"])
        counts[first] = len(statements)

    assert counts[5] == counts[50]
    # Not only constant but small: viewer, then the organisation with the viewer's access rows
    # (one statement, see test_request_cost.py), me and its permissions, summary, page (with its
    # accounts and its count), lines, payments.
    assert counts[50] <= 10, counts
