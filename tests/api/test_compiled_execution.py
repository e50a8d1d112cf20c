"""Compiled execution answers byte for byte as graphql-core does, and says which documents it covers.

Every query the suite sends is also compared by the verification mode (tests/conftest.py); these
tests pin the routes: the dashboard through the plan, directives and interfaces left to graphql-core,
and a refusal inside the page answered with graphql-core's errors and paths.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from guichet.domain.ids import to_global_id
from guichet.execution import executor as fast_execution
from guichet.server import create_app
from tests.factories import make_account, make_member, make_organisation
from tests.factories_invoices import make_full_invoice
from tests.http_bodies import without_cost

DASHBOARD = """query CompiledDashboard($id: ID!) {
  organisation(id: $id) {
    name
    me { permissions { module actions } }
    invoiceSummary { count total { amount currency } byStatus { status count amountDue { amount } } }
    invoices(first: 3, orderBy: {field: DUE_DATE, direction: ASC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        __typename id number status issueDate dueDate
        total { amount currency } paid: amountPaid { amount } amountDue { ...Amount }
        billingAccount { id number name }
        lines { lineNumber description amount { amount } }
        payments { reference status amount { amount } }
      } }
    }
  }
}
fragment Amount on Money { amount currency }"""


@pytest.fixture
async def reference_http(settings: Any, clock: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The same database served with graphql-core executing everything (GUICHET_FASTPATH off)."""
    application = create_app(settings.with_overrides(fast_path=False), clock=clock)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://guichet.test") as client:
            yield client


async def _world(sessionmaker: Any) -> tuple[str, Any, Any]:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        accounts = [await make_account(session, org, name=f"Site {i}") for i in range(2)]
        for i in range(5):
            await make_full_invoice(
                session,
                accounts[i % 2],
                due=date(2026, 10, 1) + timedelta(days=i * 20),
                lines=[("Forfait", f"+22507{i:08d}", 20000), ("Options", None, 1000 + i)],
                paid_minor=21000 + i if i % 2 == 0 else 0,
            )
        finance = await make_member(session, org, roles=[("FINANCE", None)])
        commercial = await make_member(session, org, roles=[("COMMERCIAL", None)])
    return to_global_id("Organisation", org.id), finance, commercial


async def _post(client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str) -> bytes:
    """The answer's bytes without `extensions.cost`: it tells each app's own rate-limit bucket, not the data."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )
    return without_cost(response.content)


def _outcomes(query: str) -> set[str]:
    return {outcome for (text, outcome), count in fast_execution.COVERAGE.items() if text == query and count}


async def test_the_dashboard_is_answered_by_the_plan_with_graphql_cores_bytes(http, reference_http, sessionmaker):
    org_id, finance, _ = await _world(sessionmaker)

    fast = await _post(http, DASHBOARD, {"id": org_id}, finance.token)
    reference = await _post(reference_http, DASHBOARD, {"id": org_id}, finance.token)

    assert b'"errors"' not in fast
    assert fast.count(b'"lineNumber"') == 6
    assert fast == reference
    assert _outcomes(DASHBOARD) == {"fast"}


async def test_a_refusal_inside_the_page_keeps_graphql_cores_errors_and_paths(http, reference_http, sessionmaker):
    org_id, _, commercial = await _world(sessionmaker)
    query = "query Refused($id: ID!) { organisation(id: $id) { name invoices(first: 2) { totalCount } } }"

    fast = await _post(http, query, {"id": org_id}, commercial.token)
    reference = await _post(reference_http, query, {"id": org_id}, commercial.token)

    assert b'"FORBIDDEN"' in fast
    assert b'"path":["organisation","invoices"]' in fast
    assert fast == reference
    assert _outcomes(query) == {"fallback: GraphQLError"}


@pytest.mark.parametrize(
    ("query", "why"),
    [
        (
            "query Skipped($id: ID!, $no: Boolean!) { organisation(id: $id) { name kind @include(if: $no) } }",
            "unsupported: directives",
        ),
    ],
)
async def test_documents_the_plan_does_not_cover_are_left_to_graphql_core(
    http, reference_http, sessionmaker, query, why
):
    org_id, finance, _ = await _world(sessionmaker)
    variables = {"id": org_id, "no": False} if "$no" in query else {"id": org_id}

    fast = await _post(http, query, variables, finance.token)
    reference = await _post(reference_http, query, variables, finance.token)

    assert b'"errors"' not in fast
    assert fast == reference
    assert _outcomes(query) == {why}


async def test_interfaces_are_completed_by_their_runtime_types_plan(http, reference_http, sessionmaker):
    org_id, finance, _ = await _world(sessionmaker)
    page = "query($id: ID!) { organisation(id: $id) { invoices(first: 2) { edges { node { id } } } } }"
    first = await http.post(
        "/graphql",
        json={"query": page, "variables": {"id": org_id}},
        headers={"Authorization": f"Bearer {finance.token}"},
    )
    invoice_ids = [e["node"]["id"] for e in first.json()["data"]["organisation"]["invoices"]["edges"]]
    query = (
        "query Nodes($ids: [ID!]!) { nodes(ids: $ids) { __typename id "
        "... on Invoice { number total { amount } billingAccount { name } } ... on Organisation { name } } }"
    )
    variables = {"ids": [*invoice_ids, org_id, to_global_id("Invoice", 999999), "not-an-id"]}

    fast = await _post(http, query, variables, finance.token)
    reference = await _post(reference_http, query, variables, finance.token)

    assert fast.count(b'"__typename":"Invoice"') == 2
    assert b'"__typename":"Organisation"' in fast
    assert fast.count(b"null") == 2
    assert fast == reference
    assert _outcomes(query) == {"fast"}
