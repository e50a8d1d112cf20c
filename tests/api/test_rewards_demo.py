"""The demo: ACME's rewards with a lot expiring soon, and its support contract's renewal when the job runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from guichet.demo import load_demo
from guichet.domain.contracts.renewals import run_renewals
from guichet.domain.models import Invoice, Organisation
from guichet.domain.models.contracts import Contract
from guichet.domain.models.pending_payments import PendingPayment
from guichet.domain.rewards import queries
from tests.conftest import TEST_NOW

TODAY = TEST_NOW.date()


async def test_acme_has_rewards_with_a_lot_expiring_soon_and_eligible_invoices(settings, sessionmaker) -> None:
    assert await load_demo(settings, today=TODAY) is True

    async with sessionmaker() as session:
        acme = (await session.execute(select(Organisation).where(Organisation.ref == "acme"))).scalar_one()
        (figures,) = await queries.account_figures(session, acme.id, TODAY)
        eligible = (
            await session.execute(
                select(Invoice.id).where(Invoice.organisation_id == acme.id, Invoice.rewards_eligible.is_(True))
            )
        ).all()
    assert (figures.currency, figures.available_minor, figures.expiring_soon_minor) == ("XOF", 65000, 25000)
    assert figures.next_expiry == (TODAY + timedelta(days=12), 25000)
    assert len(eligible) > 0


async def test_the_renewals_job_opens_the_monthly_support_contracts_renewal(settings, sessionmaker) -> None:
    assert await load_demo(settings, today=TODAY) is True

    report = await run_renewals(sessionmaker, as_of=TODAY, now=TEST_NOW)

    async with sessionmaker() as session:
        items = (await session.execute(select(PendingPayment).where(PendingPayment.kind == "RENEWAL"))).scalars().all()
        contract = (await session.execute(select(Contract).where(Contract.name == "Support Premier"))).scalar_one()
    assert report.opened == 1
    (item,) = items
    # 2 × 60,000 a month over 12 months; the one-time set-up fee is not renewed.
    assert (item.contract_id, item.amount_minor, item.due_date) == (contract.id, 1_440_000, TODAY + timedelta(days=20))
