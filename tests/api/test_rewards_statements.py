"""Statement counts: a rewards ledger page and a contracts page with pendingPayments, 5 rows or 50."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from guichet.domain.contracts.renewals import renewal_key
from guichet.domain.ids import to_global_id
from guichet.domain.models.rewards import RewardTransaction
from guichet.domain.money import Money
from guichet.domain.pending_payments import open_pending_payment
from guichet.domain.rewards import rules
from tests.api.test_dashboard_statements import counting
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_member, make_organisation
from tests.factories_contracts import make_contract
from tests.factories_rewards import add_lot, eligible_invoice

LEDGER = """
query($id: ID!, $first: Int!) { organisation(id: $id) { rewards { currency available { amount }
  transactions(first: $first) { totalCount edges { node { id type amount { amount } balanceAfter { amount }
    occurredAt invoice { number amountDue { amount } } actor { email } } } } } } }
"""
CONTRACTS = """
query($id: ID!, $first: Int!) { organisation(id: $id) { contracts(first: $first) { edges { node { number
  pendingPayments { kind status amount { amount } contract { number } billingAccount { number } } } } } } }
"""


async def _count(app: Any, gql: Any, document: str, variables: dict[str, Any], token: str) -> tuple[int, Any]:
    await gql(document, variables, token=token)
    with counting(app.state.guichet.engine) as statements:
        result = await gql(document, variables, token=token)
    assert "errors" not in result, result
    return len(statements), result


async def test_ledger_pages_of_5_and_50_cost_the_same(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        finance = await make_member(session, org, roles=[("FINANCE", None)])
        await add_lot(session, org, 10_000_000)
        for i in range(60):
            invoice = await eligible_invoice(session, account, total_minor=1000)
            session.add(
                RewardTransaction(
                    organisation_id=org.id,
                    currency="XOF",
                    type=rules.REDEEMED,
                    amount_minor=-100,
                    occurred_at=TEST_NOW - timedelta(hours=i),
                    invoice_id=invoice.id,
                    actor_contact_id=finance.contact_id,
                    dedupe_key=f"redeem:stmt-{i}",
                    created_at=TEST_NOW,
                )
            )
    org_id = to_global_id("Organisation", org.id)

    five, result5 = await _count(app, gql, LEDGER, {"id": org_id, "first": 5}, finance.token)
    fifty, result50 = await _count(app, gql, LEDGER, {"id": org_id, "first": 50}, finance.token)

    assert len(result5["data"]["organisation"]["rewards"][0]["transactions"]["edges"]) == 5
    assert len(result50["data"]["organisation"]["rewards"][0]["transactions"]["edges"]) == 50
    assert five == fifty
    print("ledger statements:", five)


async def test_contract_pages_with_pending_payments_of_5_and_50_cost_the_same(app, gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        accounts = [await make_account(session, org, name=f"Site {i}") for i in range(3)]
        finance = await make_member(session, org, roles=[("FINANCE", None)])
        for i in range(60):
            contract = await make_contract(session, accounts[i % 3], end=date(2026, 12, 31))
            await open_pending_payment(
                session,
                organisation_id=org.id,
                billing_account_id=contract.billing_account_id,
                kind="RENEWAL",
                amount=Money(1_440_000, "XOF"),
                description=f"Renewal of {contract.number}",
                dedupe_key=renewal_key(contract.id, date(2026, 12, 31)),
                now=TEST_NOW,
                due_date=date(2026, 12, 31),
                contract_id=contract.id,
            )
    org_id = to_global_id("Organisation", org.id)

    five, result5 = await _count(app, gql, CONTRACTS, {"id": org_id, "first": 5}, finance.token)
    fifty, _ = await _count(app, gql, CONTRACTS, {"id": org_id, "first": 50}, finance.token)

    first = result5["data"]["organisation"]["contracts"]["edges"][0]["node"]
    assert first["pendingPayments"][0]["contract"] == {"number": first["number"]}
    assert five == fifty
    print("contracts with pending payments statements:", five)
