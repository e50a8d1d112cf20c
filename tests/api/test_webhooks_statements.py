"""webhookEndpoints (with their deliveries and events), one endpoint's deliveries and events cost
the same statements for pages of 5 and 50."""

from __future__ import annotations

from typing import Any

from guichet.domain.ids import to_global_id
from tests.api.test_dashboard_statements import counting
from tests.factories import make_account, make_member, make_organisation
from tests.factories_api_keys import make_api_key
from tests.factories_webhooks import Receiver, StubResolver, make_delivery, make_endpoint, manual_worker

ENDPOINTS = """
query($id: ID!, $first: Int!) { organisation(id: $id) { webhookEndpoints(first: $first) { totalCount edges { node {
  id url eventTypes status apiKey { name prefix }
  deliveries(first: 3) { totalCount edges { node { status attempts event { id type subjectId } } } } } } } } }
"""
DELIVERIES = """
query($id: ID!, $first: Int!) { node(id: $id) { ... on WebhookEndpoint { deliveries(first: $first) {
  totalCount edges { node { id status attempts lastResponseStatus event { id type createdAt subjectId } } } } } } }
"""
EVENTS = """
query($id: ID!, $first: Int!) { organisation(id: $id) { events(first: $first) { totalCount edges { node {
  id type createdAt subjectId } } } } }
"""


async def _world(sessionmaker: Any) -> tuple[str, str, Any]:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        accounts = [await make_account(session, org, name=f"Site {i}") for i in range(3)]
        admin = await make_member(session, org, primary_admin=True)
        keys = [
            await make_api_key(session, org, name=f"Job {i}", permissions=[("INVOICES", "READ", None)])
            for i in range(3)
        ]
        endpoints = [await make_endpoint(session, org, keys[i % 3].api_key_id) for i in range(55)]
        for i in range(60):
            await make_delivery(session, endpoints[0], subject_pk=i + 1, account_id=accounts[i % 3].id)
        for i, endpoint in enumerate(endpoints[1:]):
            await make_delivery(session, endpoint, subject_pk=100 + i, account_id=accounts[i % 3].id)
    return to_global_id("Organisation", org.id), to_global_id("WebhookEndpoint", endpoints[0].id), admin


async def test_webhook_pages_of_5_and_50_cost_the_same(app, gql, sessionmaker) -> None:
    await manual_worker(app, StubResolver(), Receiver())  # its passes would be counted too
    org_id, endpoint_id, admin = await _world(sessionmaker)
    engine = app.state.guichet.engine
    counts: dict[tuple[str, int], int] = {}
    for name, document, node_id in (
        ("webhookEndpoints", ENDPOINTS, org_id),
        ("deliveries", DELIVERIES, endpoint_id),
        ("events", EVENTS, org_id),
    ):
        for first in (5, 50):
            await gql(document, {"id": node_id, "first": first}, token=admin.token)
            with counting(engine) as statements:
                result = await gql(document, {"id": node_id, "first": first}, token=admin.token)
            assert "errors" not in result, result
            data = result["data"]["node" if name == "deliveries" else "organisation"][name]
            assert len(data["edges"]) == first
            counts[(name, first)] = len(statements)

    for name in ("webhookEndpoints", "deliveries", "events"):
        assert counts[(name, 5)] == counts[(name, 50)], counts
    print("statements:", counts)
