"""guichet jobs expire-rewards: what remains of a lot past its expiry becomes one EXPIRED entry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from guichet.domain.models.rewards import RewardTransaction
from guichet.domain.rewards.services import expire_rewards, redeem_rewards
from tests.conftest import TEST_NOW
from tests.factories import make_account, make_organisation
from tests.factories_rewards import add_lot, eligible_invoice


async def _entries(sessionmaker):  # type: ignore[no-untyped-def]
    async with sessionmaker() as session:
        rows = await session.execute(
            select(RewardTransaction.type, RewardTransaction.amount_minor, RewardTransaction.expires_at).order_by(
                RewardTransaction.id
            )
        )
        return [tuple(r) for r in rows]


async def test_a_lot_expires_the_day_after_its_expiry_for_what_remains(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        await add_lot(session, org, 50000, expires_at=date(2026, 11, 30))
        invoice = await eligible_invoice(session, account)
    await redeem_rewards(
        sessionmaker,
        organisation_id=org.id,
        invoice_id=invoice.id,
        amount=Decimal("20000"),
        idempotency_key="k",
        actor_contact_id=None,
        pay_scope=None,
        now=TEST_NOW,
    )

    on_the_day = await expire_rewards(sessionmaker, as_of=date(2026, 11, 30), now=TEST_NOW)
    after = await expire_rewards(sessionmaker, as_of=date(2026, 12, 1), now=TEST_NOW)
    again = await expire_rewards(sessionmaker, as_of=date(2026, 12, 2), now=TEST_NOW)

    assert (on_the_day, after, again) == (0, 1, 0)
    assert await _entries(sessionmaker) == [
        ("EARNED", 50000, date(2026, 11, 30)),
        ("REDEEMED", -20000, None),
        ("EXPIRED", -30000, date(2026, 11, 30)),
    ]


async def test_a_fully_spent_lot_writes_no_expired_entry(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session)
        account = await make_account(session, org)
        await add_lot(session, org, 10000, expires_at=date(2026, 11, 30))
        invoice = await eligible_invoice(session, account)
    await redeem_rewards(
        sessionmaker,
        organisation_id=org.id,
        invoice_id=invoice.id,
        amount=Decimal("10000"),
        idempotency_key="k",
        actor_contact_id=None,
        pay_scope=None,
        now=TEST_NOW,
    )

    assert await expire_rewards(sessionmaker, as_of=date(2027, 1, 1), now=TEST_NOW) == 0
    assert [e[0] for e in await _entries(sessionmaker)] == ["EARNED", "REDEEMED"]
