"""redeemRewards, expire-rewards and renewals exactly once under concurrency, on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select

from guichet.domain import models
from guichet.domain.contracts.renewals import run_renewals
from guichet.domain.ids import to_global_id
from guichet.domain.models.payments import PaymentInvoice
from guichet.domain.models.pending_payments import PendingPayment
from guichet.domain.models.rewards import RewardTransaction
from guichet.domain.rewards.services import expire_rewards
from tests.api.test_payments_concurrency import postgres_database_url  # noqa: F401  (the fixture)
from tests.conftest import POSTGRES_URL, TEST_NOW
from tests.factories import make_account, make_member, make_organisation
from tests.factories_contracts import make_contract
from tests.factories_payments import PAY, make_pay_world, pay_input
from tests.factories_rewards import add_lot, eligible_invoice

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs GUICHET_TEST_POSTGRES_URL"),
]

REDEEM = """
mutation($input: RedeemRewardsInput!) { redeemRewards(input: $input) { transaction { id } errors { code } } }
"""


@pytest.fixture
def database_url(postgres_database_url: str) -> str:  # noqa: F811
    return postgres_database_url


async def _entries(sessionmaker, kind):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        rows = await session.execute(select(RewardTransaction.amount_minor).where(RewardTransaction.type == kind))
        return sorted(r[0] for r in rows)


async def _balance(sessionmaker):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        return (await session.execute(select(func.sum(RewardTransaction.amount_minor)))).scalar_one()


async def test_twenty_identical_requests_make_one_redemption(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        finance = await make_member(session, org, roles=[("FINANCE", None)])
        await add_lot(session, org, 50000)
        invoice = await eligible_invoice(session, account, total_minor=80000)
    variables = {"input": {"invoiceId": to_global_id("Invoice", invoice.id), "amount": "30000", "idempotencyKey": "x"}}

    results = await asyncio.gather(*(gql(REDEEM, variables, token=finance.token) for _ in range(20)))

    payloads = [r["data"]["redeemRewards"] for r in results]
    assert all(p["errors"] == [] for p in payloads), payloads
    assert len({p["transaction"]["id"] for p in payloads}) == 1
    assert await _entries(sessionmaker, "REDEEMED") == [-30000]
    assert await _balance(sessionmaker) == 20000


async def test_twenty_different_redemptions_never_spend_more_than_the_balance(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        finance = await make_member(session, org, roles=[("FINANCE", None)])
        await add_lot(session, org, 30000, expires_at=date(2027, 1, 31))
        await add_lot(session, org, 20000, expires_at=date(2027, 6, 30))
        invoices = [await eligible_invoice(session, account, total_minor=10000) for _ in range(20)]

    results = await asyncio.gather(
        *(
            gql(
                REDEEM,
                {"input": {"invoiceId": to_global_id("Invoice", i.id), "amount": "10000", "idempotencyKey": f"k{n}"}},
                token=finance.token,
            )
            for n, i in enumerate(invoices)
        )
    )

    codes = sorted((r["data"]["redeemRewards"]["errors"] or [{"code": "OK"}])[0]["code"] for r in results)
    assert codes == ["OK"] * 5 + ["REWARD_BALANCE_INSUFFICIENT"] * 15
    assert await _balance(sessionmaker) == 0


async def test_two_expiry_runs_at_once_expire_each_lot_once(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        await add_lot(session, org, 50000, expires_at=date(2026, 10, 31))
        await add_lot(session, org, 7000, expires_at=date(2026, 11, 1))

    counts = await asyncio.gather(
        expire_rewards(sessionmaker, as_of=date(2026, 11, 25), now=TEST_NOW),
        expire_rewards(sessionmaker, as_of=date(2026, 11, 25), now=TEST_NOW),
    )

    assert sum(counts) == 2
    assert await _entries(sessionmaker, "EXPIRED") == [-50000, -7000]
    assert await _balance(sessionmaker) == 0


async def test_two_renewal_runs_at_once_open_one_renewal_per_term(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        await make_contract(session, account)

    reports = await asyncio.gather(
        run_renewals(sessionmaker, as_of=date(2026, 12, 1), now=TEST_NOW),
        run_renewals(sessionmaker, as_of=date(2026, 12, 1), now=TEST_NOW),
    )

    assert sorted((r.opened, r.already_open) for r in reports) == [(0, 1), (1, 0)]
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(PendingPayment))).scalar_one() == 1


async def test_a_redemption_and_a_card_payment_at_once_never_settle_more_than_the_total(gql, sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(50000,))
        await add_lot(session, world.org, 60000)
        world.invoices[0].rewards_eligible = True
    invoice = world.invoices[0]
    card = {"number": "4242424242424242", "expMonth": 12, "expYear": 2028, "cvc": "123"}

    await asyncio.gather(
        gql(
            REDEEM,
            {"input": {"invoiceId": to_global_id("Invoice", invoice.id), "amount": "30000", "idempotencyKey": "r"}},
            token=world.finance.token,
        ),
        gql(PAY, pay_input(world, key="p", method="CARD", card=card), token=world.finance.token),
    )

    async with sessionmaker() as session:
        stored = await session.get(models.Invoice, invoice.id)
        settled_by_payments = (
            await session.execute(select(func.coalesce(func.sum(PaymentInvoice.amount_minor), 0)))
        ).scalar_one()
    assert stored is not None
    assert stored.amount_paid_minor <= stored.total_minor
    assert stored.amount_paid_minor == settled_by_payments + stored.rewards_applied_minor
