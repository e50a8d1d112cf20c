"""The demo shows a billing profile with an EXPIRING_SOON card and a failed automatic charge."""

from __future__ import annotations

from sqlalchemy import select

from guichet.demo import DEMO_PASSWORD, load_demo
from guichet.domain.ids import to_global_id
from guichet.domain.models import BillingAccount
from tests.conftest import TEST_NOW

LOGIN = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { session { token } } }"


async def test_finance_sees_the_badge_and_the_failed_charge(settings, sessionmaker, gql) -> None:
    await load_demo(settings, today=TEST_NOW.date())
    login = await gql(LOGIN, {"e": "finance@acme.example", "p": DEMO_PASSWORD})
    token = login["data"]["login"]["session"]["token"]
    async with sessionmaker() as session:
        account = (await session.execute(select(BillingAccount).where(BillingAccount.number == "BA-1001"))).scalar_one()

    profile = await gql(
        "query($id: ID!) { node(id: $id) { ... on BillingAccount { billingProfile { autoPay "
        "contacts { purposes email } paymentMethods { status isDefault } } } } }",
        {"id": to_global_id("BillingAccount", account.id)},
        token=token,
    )
    items = await gql(
        "query($id: ID!) { organisation(id: $id) { pendingPayments { edges { node { kind status "
        "lastFailure { code } billingAccount { number } } } } } }",
        {"id": to_global_id("Organisation", account.organisation_id)},
        token=token,
    )

    assert profile["data"]["node"]["billingProfile"] == {
        "autoPay": True,
        "contacts": [
            {"purposes": ["BILL_TO", "DUNNING"], "email": "factures@acme.example"},
            {"purposes": ["ACCOUNT"], "email": "finance@acme.example"},
        ],
        "paymentMethods": [{"status": "EXPIRING_SOON", "isDefault": True}],
    }
    assert [e["node"] for e in items["data"]["organisation"]["pendingPayments"]["edges"]] == [
        {
            "kind": "FAILED_CHARGE",
            "status": "DUE",
            "lastFailure": {"code": "card_expired"},
            "billingAccount": {"number": "BA-1002"},
        },
        # The shop's demo order awaiting finance's payment.
        {"kind": "ORDER", "status": "DUE", "lastFailure": None, "billingAccount": {"number": "BA-1001"}},
    ]
