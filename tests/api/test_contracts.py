"""Organisation.contracts, Contract and the billing schedule through the API (module CONTRACTS)."""

from __future__ import annotations

from typing import Any

import pytest

from guichet.domain.ids import to_global_id
from guichet.domain.models.contracts import Contract
from tests.factories import make_member
from tests.factories_contracts import ContractWorld, build_world

CONTRACTS = """
query($id: ID!, $filter: ContractFilter, $first: Int) { organisation(id: $id) {
  contracts(first: $first, filter: $filter) { totalCount edges { node {
    id number name status startDate endDate renewalNoticeDate autoRenew
    billingAccount { number }
    lines { product description quantity unitPrice { amount currency } amount { amount currency } frequency
            line { number } startDate endDate }
    recurringTotal { amount { amount currency } frequency }
  } } }
} }
"""
SCHEDULE = """
query($id: ID!, $filter: BillingScheduleFilter, $first: Int, $after: String) { organisation(id: $id) {
  billingSchedule(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id product periodStart periodEnd invoicingDate amount { amount currency } status
                   contract { number } invoice { number } } }
  }
} }
"""


@pytest.fixture
async def world(sessionmaker: Any) -> ContractWorld:
    async with sessionmaker() as session, session.begin():
        return await build_world(session)


async def test_a_finance_contact_reads_every_contract_with_its_lines_and_totals(gql, world) -> None:
    result = await gql(CONTRACTS, {"id": world.org_id}, token=world.finance.token)

    assert "errors" not in result, result
    connection = result["data"]["organisation"]["contracts"]
    assert connection["totalCount"] == 2
    support, annual = (e["node"] for e in connection["edges"])
    assert support == {
        "id": world.id_of(world.support),
        "number": "CT-2026-0001",
        "name": "Support Premier",
        "status": "ACTIVE",
        "startDate": "2026-01-01",
        "endDate": "2026-12-31",
        "renewalNoticeDate": "2026-11-30",
        "autoRenew": True,
        "billingAccount": {"number": world.account_a.number},
        "lines": [
            {
                "product": "Premier Support",
                "description": None,
                "quantity": 2,
                "unitPrice": {"amount": "60000", "currency": "XOF"},
                "amount": {"amount": "120000", "currency": "XOF"},
                "frequency": "MONTHLY",
                "line": {"number": world.fleet_line.number},
                "startDate": "2026-01-01",
                "endDate": None,
            },
            {
                "product": "Mise en service",
                "description": None,
                "quantity": 1,
                "unitPrice": {"amount": "150000", "currency": "XOF"},
                "amount": {"amount": "150000", "currency": "XOF"},
                "frequency": "ONE_TIME",
                "line": None,
                "startDate": "2026-01-01",
                "endDate": None,
            },
        ],
        "recurringTotal": [{"amount": {"amount": "120000", "currency": "XOF"}, "frequency": "MONTHLY"}],
    }
    assert annual["number"] == "CT-2026-0002"
    assert annual["recurringTotal"] == [{"amount": {"amount": "120000", "currency": "XOF"}, "frequency": "ANNUAL"}]


async def test_filters_by_status_account_and_search(gql, world) -> None:
    async def numbers(filter: dict[str, Any]) -> list[str]:
        result = await gql(CONTRACTS, {"id": world.org_id, "filter": filter}, token=world.finance.token)
        assert "errors" not in result, result
        return [e["node"]["number"] for e in result["data"]["organisation"]["contracts"]["edges"]]

    assert await numbers({"search": "flotte"}) == ["CT-2026-0002"]
    assert await numbers({"search": "%"}) == []
    assert await numbers({"status": ["EXPIRED"]}) == []
    assert await numbers({"billingAccountId": to_global_id("BillingAccount", world.account_a.id)}) == ["CT-2026-0001"]
    assert await numbers({"billingAccountId": to_global_id("BillingAccount", 987654)}) == []


async def test_a_role_over_one_account_sees_only_its_contracts(gql, world) -> None:
    result = await gql(CONTRACTS, {"id": world.org_id}, token=world.finance_b.token)

    assert "errors" not in result, result
    assert [e["node"]["number"] for e in result["data"]["organisation"]["contracts"]["edges"]] == ["CT-2026-0002"]
    node = await gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": world.id_of(world.support)}, token=world.finance_b.token
    )
    assert node == {"data": {"node": None}}


async def test_a_contact_without_contracts_read_is_forbidden(gql, sessionmaker, world) -> None:
    async with sessionmaker() as session, session.begin():
        admin_only = await make_member(session, world.org, roles=[("ADMIN", None)])

    result = await gql(CONTRACTS, {"id": world.org_id}, token=admin_only.token)

    assert result["data"] == {"organisation": None}
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert result["errors"][0]["extensions"]["module"] == "CONTRACTS"


async def test_the_schedule_lists_periods_by_invoicing_date_with_their_status(gql, world) -> None:
    result = await gql(
        SCHEDULE,
        {"id": world.org_id, "first": 4, "filter": {"from": "2026-01-01", "to": "2026-03-31"}},
        token=world.finance.token,
    )

    assert "errors" not in result, result
    schedule = result["data"]["organisation"]["billingSchedule"]
    assert schedule["totalCount"] == 5  # 3 monthly periods, the set-up fee, the first annual period
    rows = [
        (
            n["node"]["contract"]["number"],
            n["node"]["product"],
            n["node"]["periodStart"],
            n["node"]["periodEnd"],
            n["node"]["invoicingDate"],
            n["node"]["amount"]["amount"],
            n["node"]["status"],
            n["node"]["invoice"],
        )
        for n in schedule["edges"]
    ]
    assert rows == [
        (
            "CT-2026-0001",
            "Premier Support",
            "2026-01-01",
            "2026-01-31",
            "2026-01-01",
            "120000",
            "INVOICED",
            {"number": "F-2026-CT-01"},
        ),
        (
            "CT-2026-0001",
            "Mise en service",
            "2026-01-01",
            "2026-01-01",
            "2026-01-01",
            "150000",
            "INVOICED",
            {"number": "F-2026-CT-01"},
        ),
        ("CT-2026-0001", "Premier Support", "2026-02-01", "2026-02-28", "2026-02-01", "120000", "NOT_INVOICED", None),
        ("CT-2026-0001", "Premier Support", "2026-03-01", "2026-03-31", "2026-03-01", "120000", "NOT_INVOICED", None),
    ]
    assert schedule["pageInfo"]["hasNextPage"] is True

    rest = await gql(
        SCHEDULE,
        {
            "id": world.org_id,
            "first": 4,
            "after": schedule["pageInfo"]["endCursor"],
            "filter": {"from": "2026-01-01", "to": "2026-03-31"},
        },
        token=world.finance.token,
    )
    edges = rest["data"]["organisation"]["billingSchedule"]["edges"]
    assert [(e["node"]["contract"]["number"], e["node"]["periodStart"]) for e in edges] == [
        ("CT-2026-0002", "2026-03-01")
    ]


async def test_a_terminated_contract_cancels_the_periods_from_its_termination(gql, sessionmaker, world) -> None:
    async with sessionmaker() as session, session.begin():
        row = await session.get(Contract, world.support.id)
        row.status = "TERMINATED"
        row.terminated_on = row.start_date.replace(month=3)

    result = await gql(
        """query($id: ID!) { node(id: $id) { ... on Contract {
             billingSchedule(first: 5, filter: {to: "2026-04-30"}) { edges { node { periodStart status } } } } } }""",
        {"id": world.id_of(world.support)},
        token=world.finance.token,
    )

    assert "errors" not in result, result
    edges = result["data"]["node"]["billingSchedule"]["edges"]
    assert [(e["node"]["periodStart"], e["node"]["status"]) for e in edges] == [
        ("2026-01-01", "INVOICED"),
        ("2026-01-01", "INVOICED"),
        ("2026-02-01", "NOT_INVOICED"),
        ("2026-03-01", "CANCELLED"),
        ("2026-04-01", "CANCELLED"),
    ]


async def test_a_schedule_entry_is_a_node_within_scope(gql, world) -> None:
    page = await gql(SCHEDULE, {"id": world.org_id, "first": 1}, token=world.finance.token)
    entry_id = page["data"]["organisation"]["billingSchedule"]["edges"][0]["node"]["id"]
    query = "query($id: ID!) { node(id: $id) { ... on BillingScheduleEntry { periodStart contract { number } } } }"

    mine = await gql(query, {"id": entry_id}, token=world.finance.token)
    out_of_scope = await gql(query, {"id": entry_id}, token=world.finance_b.token)

    assert mine == {"data": {"node": {"periodStart": "2026-01-01", "contract": {"number": "CT-2026-0001"}}}}
    assert out_of_scope == {"data": {"node": None}}


async def test_a_commercial_contact_reads_the_schedule_but_not_the_invoices(gql, world) -> None:
    result = await gql(SCHEDULE, {"id": world.org_id, "first": 1}, token=world.commercial.token)

    assert "errors" not in result, result
    node = result["data"]["organisation"]["billingSchedule"]["edges"][0]["node"]
    assert node["status"] == "INVOICED"
    assert node["invoice"] is None  # INVOICES READ is not COMMERCIAL's
