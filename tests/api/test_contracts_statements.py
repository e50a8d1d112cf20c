"""Organisation.contracts and Organisation.billingSchedule cost the same statements for 5 or 50 rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from guichet.domain.ids import to_global_id
from tests.api.test_dashboard_statements import counting
from tests.factories import make_account, make_line, make_member, make_organisation
from tests.factories_contracts import make_contract

CONTRACTS = """
query($id: ID!, $first: Int!) { organisation(id: $id) { contracts(first: $first) { totalCount edges { node {
  number billingAccount { number } lines { product line { number } } recurringTotal { frequency } } } } } }
"""
SCHEDULE = """
query($id: ID!, $first: Int!) { organisation(id: $id) { billingSchedule(first: $first) { totalCount edges { node {
  id periodStart amount { amount } status contract { number lines { product } } invoice { number } } } } } }
"""


async def _world(sessionmaker: Any) -> tuple[str, Any]:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        accounts = [await make_account(session, org, name=f"Site {i}") for i in range(3)]
        for i in range(60):
            line = await make_line(session, accounts[i % 3])
            await make_contract(
                session,
                accounts[i % 3],
                start=date(2026, 1 + i % 12, 1),
                end=date(2027, 12, 31),
                lines=[{"line_id": line.id}, {"frequency": "ANNUAL", "product": "Licence"}],
            )
        finance = await make_member(session, org, roles=[("FINANCE", None)])
    return to_global_id("Organisation", org.id), finance


async def test_contract_and_schedule_pages_of_5_and_50_cost_the_same(app, gql, sessionmaker) -> None:
    org_id, finance = await _world(sessionmaker)
    engine = app.state.guichet.engine
    counts: dict[tuple[str, int], int] = {}
    for name, document in (("contracts", CONTRACTS), ("billingSchedule", SCHEDULE)):
        for first in (5, 50):
            await gql(document, {"id": org_id, "first": first}, token=finance.token)
            with counting(engine) as statements:
                result = await gql(document, {"id": org_id, "first": first}, token=finance.token)
            assert "errors" not in result, result
            assert len(result["data"]["organisation"][name]["edges"]) == first
            counts[(name, first)] = len(statements)

    assert counts[("contracts", 5)] == counts[("contracts", 50)]
    assert counts[("billingSchedule", 5)] == counts[("billingSchedule", 50)]
    print("statements:", counts)
