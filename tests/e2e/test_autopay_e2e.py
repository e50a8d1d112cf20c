"""Auto-pay end to end: the real `guichet jobs autopay` command fails on an expired card, the BILL_TO
contact is e-mailed over real SMTP, and finance pays the FAILED_CHARGE with a new card on a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from guichet.db import create_engine, session_factory
from guichet.domain.ids import to_global_id
from tests.e2e.support import (
    MailedServer,
    mailed_server,
    plain_text,
    run_guichet,
)
from tests.factories_billing_profiles import make_profile, save_card
from tests.factories_payments import PayWorld, make_pay_world

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailedServer]:
    folder = Path(tmp_path_factory.mktemp("e2e-autopay"))
    with mailed_server("ap", folder) as setup:
        yield setup


async def _given(database_url: str) -> PayWorld:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            world = await make_pay_world(session, totals=(25000,))
            await make_profile(session, world.account, auto_pay=True, bill_to="compta-e2e@acme.ci")
            await save_card(session, world.account, last4="0004", exp=(1, 2020))
        return world
    finally:
        await engine.dispose()


PENDING = """
query($id: ID!) { organisation(id: $id) { pendingPayments(filter: {status: [DUE]}) {
  edges { node { id kind lastFailure { code } invoice { number } } } } } }
"""
PAY = """
mutation($input: PayPendingPaymentsInput!) { payPendingPayments(input: $input) {
  payment { status invoices { status } } pendingPayments { status } errors { code } } }
"""
PROFILE = """
query($id: ID!) { node(id: $id) { ... on BillingAccount { billingProfile {
  paymentMethods { status isDefault card { last4 } } } } } }
"""


async def test_autopay_failure_then_a_new_card_pays_the_invoice(setup: MailedServer) -> None:
    world = await _given(setup.database_url)

    job = run_guichet("jobs", "autopay", env=setup.env)
    assert job.returncode == 0, job.stderr
    assert "0 charged, 1 failed" in job.stdout
    notice = setup.mailbox.wait_for("compta-e2e@acme.ci")
    assert world.invoices[0].number in str(notice["Subject"])
    assert "the card has expired" in plain_text(notice)

    pending = setup.server.graphql(PENDING, {"id": world.org_id}, token=world.finance.token)
    (edge,) = pending["data"]["organisation"]["pendingPayments"]["edges"]
    assert {k: v for k, v in edge["node"].items() if k != "id"} == {
        "kind": "FAILED_CHARGE",
        "lastFailure": {"code": "card_expired"},
        "invoice": {"number": world.invoices[0].number},
    }
    paid = setup.server.graphql(
        PAY,
        {
            "input": {
                "organisationId": world.org_id,
                "pendingPaymentIds": [edge["node"]["id"]],
                "method": "CARD",
                "card": {"number": "5555 5555 5555 4444", "expMonth": 12, "expYear": 2030, "cvc": "123"},
                "setAsDefault": True,
                "idempotencyKey": "e2e-autopay-retry",
            }
        },
        token=world.finance.token,
    )

    assert paid["data"]["payPendingPayments"] == {
        "payment": {"status": "SUCCEEDED", "invoices": [{"status": "PAID"}]},
        "pendingPayments": [{"status": "PAID"}],
        "errors": [],
    }
    profile: Any = setup.server.graphql(
        PROFILE, {"id": to_global_id("BillingAccount", world.account.id)}, token=world.finance.token
    )
    assert profile["data"]["node"]["billingProfile"]["paymentMethods"] == [
        {"status": "EXPIRED", "isDefault": False, "card": {"last4": "0004"}},
        {"status": "ACTIVE", "isDefault": True, "card": {"last4": "4444"}},
    ]
