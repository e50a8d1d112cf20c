"""payPendingPayments exactly once under concurrency, on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from guichet.domain.ids import to_global_id
from guichet.domain.models.payments import Payment
from guichet.domain.models.pending_payments import PaymentPendingPayment
from tests.api.test_payments_concurrency import postgres_database_url  # noqa: F401  (the fixture)
from tests.conftest import POSTGRES_URL
from tests.factories_payments import make_pay_world
from tests.factories_pending_payments import open_failed_charge

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs GUICHET_TEST_POSTGRES_URL"),
]

PAY = """
mutation($input: PayPendingPaymentsInput!) {
  payPendingPayments(input: $input) { payment { id status } errors { code } }
}
"""


@pytest.fixture
def database_url(postgres_database_url: str) -> str:  # noqa: F811
    return postgres_database_url


async def test_twenty_identical_requests_make_one_payment(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        item = await open_failed_charge(session, world.invoices[0])
    variables = {
        "input": {
            "organisationId": world.org_id,
            "pendingPaymentIds": [to_global_id("PendingPayment", item.id)],
            "method": "CARD",
            "card": {"number": "4242424242424242", "expMonth": 12, "expYear": 2028, "cvc": "123"},
            "idempotencyKey": "same",
        }
    }

    results = await asyncio.gather(*(gql(PAY, variables, token=world.finance.token) for _ in range(20)))

    payloads = [r["data"]["payPendingPayments"] for r in results]
    assert all(p["errors"] == [] for p in payloads), payloads
    assert len({p["payment"]["id"] for p in payloads}) == 1
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Payment))).scalar_one() == 1
        assert (await session.execute(select(func.count()).select_from(PaymentPendingPayment))).scalar_one() == 1
