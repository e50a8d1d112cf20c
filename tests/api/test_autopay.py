"""guichet jobs autopay: a due invoice of an auto-pay account is charged to its default card, once."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select

from guichet.domain import models
from guichet.domain.billing_profiles.autopay import run_autopay
from guichet.domain.gateways.card import SandboxCardGateway
from guichet.domain.models.payments import Payment
from guichet.domain.models.pending_payments import PendingPayment
from tests.conftest import POSTGRES_URL, TEST_NOW
from tests.factories_billing_profiles import make_profile, save_card
from tests.factories_payments import make_pay_world

AS_OF = date(2026, 11, 25)


async def _world(sessionmaker, *, last4="4242", exp=(12, 2028), auto_pay=True):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000,))
        await make_profile(session, world.account, auto_pay=auto_pay)
        await save_card(session, world.account, last4=last4, exp=exp)
    return world


async def _run(sessionmaker):  # type: ignore[no-untyped-def]
    return await run_autopay(sessionmaker, gateway=SandboxCardGateway(), as_of=AS_OF, now=TEST_NOW)


async def _state(sessionmaker, world):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        paid = (
            await session.execute(
                select(models.Invoice.amount_paid_minor).where(models.Invoice.id == world.invoices[0].id)
            )
        ).scalar_one()
        payments = (await session.execute(select(Payment.status, Payment.failure_code))).all()
        items = (await session.execute(select(PendingPayment.kind, PendingPayment.last_failure_code))).all()
        emails = (await session.execute(select(models.OutboxEmail.to_address, models.OutboxEmail.subject))).all()
    return paid, [tuple(p) for p in payments], [tuple(i) for i in items], [tuple(e) for e in emails]


async def test_a_due_invoice_is_charged_to_the_default_card(sessionmaker) -> None:
    world = await _world(sessionmaker)

    report = await _run(sessionmaker)

    assert (report.charged, report.failed) == (1, 0)
    paid, payments, items, _ = await _state(sessionmaker, world)
    assert (paid, payments, items) == (25000, [("SUCCEEDED", None)], [])


async def test_an_expired_card_opens_a_failed_charge_and_emails_bill_to(sessionmaker) -> None:
    world = await _world(sessionmaker, last4="0004", exp=(10, 2026))

    report = await _run(sessionmaker)

    assert (report.charged, report.failed) == (0, 1)
    paid, payments, items, emails = await _state(sessionmaker, world)
    assert (paid, payments, items) == (0, [("FAILED", "card_expired")], [("FAILED_CHARGE", "card_expired")])
    assert emails == [
        ("factures@acme.ci", f"Échec du paiement automatique / Automatic payment failed {world.invoices[0].number}")
    ]


async def test_a_declined_card_opens_a_failed_charge(sessionmaker) -> None:
    world = await _world(sessionmaker, last4="0002")

    await _run(sessionmaker)

    _, payments, items, _ = await _state(sessionmaker, world)
    assert (payments, items) == ([("FAILED", "card_declined")], [("FAILED_CHARGE", "card_declined")])


async def test_a_second_run_makes_no_second_attempt(sessionmaker) -> None:
    world = await _world(sessionmaker, last4="0002")
    await _run(sessionmaker)

    again = await _run(sessionmaker)

    assert (again.charged, again.failed) == (0, 0)
    _, payments, items, _ = await _state(sessionmaker, world)
    assert (len(payments), len(items)) == (1, 1)


async def test_an_account_without_autopay_is_not_charged(sessionmaker) -> None:
    world = await _world(sessionmaker, auto_pay=False)

    report = await _run(sessionmaker)

    assert (report.charged, report.failed) == (0, 0)
    assert (await _state(sessionmaker, world))[1] == []


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs GUICHET_TEST_POSTGRES_URL")
async def test_two_runs_at_once_charge_each_invoice_once(sessionmaker, database_url) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrency is proven on PostgreSQL")
    async with sessionmaker() as session, session.begin():
        world = await make_pay_world(session, totals=(25000, 30000, 12000))
        await make_profile(session, world.account, auto_pay=True)
        await save_card(session, world.account)

    reports = await asyncio.gather(_run(sessionmaker), _run(sessionmaker))

    assert sum(r.charged for r in reports) == 3
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Payment))).scalar_one() == 3
        paid = (await session.execute(select(func.sum(models.Invoice.amount_paid_minor)))).scalar_one()
    assert paid == 67000


async def test_the_failed_charge_names_the_card_that_failed(sessionmaker, gql) -> None:
    world = await _world(sessionmaker, last4="0004", exp=(10, 2026))
    await _run(sessionmaker)

    result = await gql(
        "query($id: ID!) { organisation(id: $id) { pendingPayments { edges { node { lastFailure { code } "
        "failedPaymentMethod { status card { last4 } } } } } } }",
        {"id": world.org_id},
        token=world.finance.token,
    )

    assert [e["node"] for e in result["data"]["organisation"]["pendingPayments"]["edges"]] == [
        {
            "lastFailure": {"code": "card_expired"},
            "failedPaymentMethod": {"status": "EXPIRED", "card": {"last4": "0004"}},
        }
    ]
