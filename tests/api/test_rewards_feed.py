"""The feed's rewards and rewardsEligible: ledger entries by ref, re-import changes nothing, a bad
record is named in one line and nothing is written."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from guichet.domain import models
from guichet.domain.feed import FeedError
from guichet.domain.feed.importer import import_feed
from guichet.domain.feed.parse import parse_feed
from guichet.domain.models.rewards import RewardAllocation, RewardTransaction
from guichet.domain.rewards.services import redeem_rewards
from tests.conftest import TEST_NOW

FEED: dict[str, Any] = {
    "organisations": [
        {
            "taxpayerNumber": "CI-FEED-RW",
            "name": "ACME",
            "kind": "BUSINESS",
            "currency": "XOF",
            "billingAccounts": [{"number": "BA-RW-1", "name": "Siège", "lines": []}],
            "invoices": [
                {
                    "number": "F-RW-1",
                    "billingAccount": "BA-RW-1",
                    "serviceType": "MOBILE",
                    "issueDate": "2026-11-01",
                    "dueDate": "2026-11-30",
                    "rewardsEligible": True,
                    "lines": [{"description": "Premier Support", "amount": "120000"}],
                }
            ],
            "rewards": [
                {
                    "ref": "RW-2026-06",
                    "type": "EARNED",
                    "currency": "XOF",
                    "amount": "50000",
                    "occurredAt": "2026-06-30T00:00:00Z",
                    "expiresAt": "2027-06-30",
                    "note": "Support rewards H1 2026",
                },
                {
                    "ref": "RW-2026-07-FIX",
                    "type": "REVERSED",
                    "currency": "XOF",
                    "amount": "5000",
                    "occurredAt": "2026-07-15T08:00:00Z",
                    "note": "Reversal of a duplicated credit",
                },
            ],
        }
    ]
}


async def _import(sessionmaker: Any, document: dict[str, Any]) -> None:
    async with sessionmaker() as session, session.begin():
        await import_feed(session, parse_feed(document), now=TEST_NOW)


async def _snapshot(sessionmaker: Any) -> list[tuple[Any, ...]]:
    async with sessionmaker() as session:
        entries = (await session.execute(select(RewardTransaction).order_by(RewardTransaction.id))).scalars().all()
        allocations = (await session.execute(select(RewardAllocation.lot_id, RewardAllocation.amount_minor))).all()
        invoices = (await session.execute(select(models.Invoice.number, models.Invoice.rewards_eligible))).all()
    return (
        [(e.id, e.ref, e.type, e.amount_minor, e.occurred_at, e.expires_at, e.note) for e in entries]
        + [tuple(a) for a in allocations]
        + [tuple(i) for i in invoices]
    )


async def test_the_feed_writes_ledger_entries_and_marks_eligible_invoices(sessionmaker) -> None:
    await _import(sessionmaker, FEED)

    rows = await _snapshot(sessionmaker)
    assert [r[1:6] for r in rows[:2]] == [
        ("RW-2026-06", "EARNED", 50000, TEST_NOW.replace(2026, 6, 30, 0, 0), date(2027, 6, 30)),
        ("RW-2026-07-FIX", "REVERSED", -5000, TEST_NOW.replace(2026, 7, 15, 8, 0), None),
    ]
    # The reversal took 5,000 from the June lot; the invoice may be paid with rewards.
    assert rows[2] == (rows[0][0], 5000)
    assert rows[3] == ("F-RW-1", True)


async def test_reimporting_the_same_feed_changes_nothing(sessionmaker) -> None:
    await _import(sessionmaker, FEED)
    before = await _snapshot(sessionmaker)

    await _import(sessionmaker, FEED)

    assert await _snapshot(sessionmaker) == before


def _with_reward(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(FEED)
    document["organisations"][0]["rewards"][0].update(changes)
    return document


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"type": "REDEEMED"},
            "organisations[0].rewards[0] (RW-2026-06): type must be one of EARNED, ADJUSTED, REVERSED (got 'REDEEMED')",
        ),
        ({"amount": 50000}, "organisations[0].rewards[0] (RW-2026-06): amount: amounts are decimal strings"),
        ({"amount": "-1"}, "organisations[0].rewards[0] (RW-2026-06): an EARNED amount is positive"),
        ({"currency": "XXX"}, "organisations[0].rewards[0] (RW-2026-06): unsupported currency 'XXX'"),
        (
            {"expiresAt": "30/06/2027"},
            "organisations[0].rewards[0] (RW-2026-06): expiresAt must be a date YYYY-MM-DD (got '30/06/2027')",
        ),
        ({"colour": "red"}, "organisations[0].rewards[0] (RW-2026-06): unknown field 'colour'"),
    ],
)
async def test_a_bad_reward_is_named_and_nothing_is_written(sessionmaker, changes, message) -> None:
    with pytest.raises(FeedError) as raised:
        await _import(sessionmaker, _with_reward(**changes))

    assert str(raised.value) == message
    assert await _snapshot(sessionmaker) == []


async def test_a_debit_above_the_balance_is_refused_whole(sessionmaker) -> None:
    document = copy.deepcopy(FEED)
    document["organisations"][0]["rewards"][1]["amount"] = "50001"

    with pytest.raises(FeedError) as raised:
        await _import(sessionmaker, document)

    assert str(raised.value) == (
        "organisations[0].rewards[1] (RW-2026-07-FIX): this debit is more than the rewards balance"
    )
    assert await _snapshot(sessionmaker) == []


async def test_an_imported_entry_cannot_change(sessionmaker) -> None:
    await _import(sessionmaker, FEED)
    before = await _snapshot(sessionmaker)

    with pytest.raises(FeedError) as raised:
        await _import(sessionmaker, _with_reward(amount="60000"))

    assert str(raised.value) == (
        "organisations[0].rewards[0] (RW-2026-06): an imported reward entry cannot change: send a new ADJUSTED entry"
    )
    assert await _snapshot(sessionmaker) == before


async def test_reimporting_an_invoice_keeps_the_rewards_redeemed_on_it(sessionmaker) -> None:
    await _import(sessionmaker, FEED)
    async with sessionmaker() as session, session.begin():
        invoice = (await session.execute(select(models.Invoice))).scalar_one()
        org_id = invoice.organisation_id
    await redeem_rewards(
        sessionmaker,
        organisation_id=org_id,
        invoice_id=invoice.id,
        amount=Decimal("30000"),
        idempotency_key="before-reimport",
        actor_contact_id=None,
        pay_scope=None,
        now=TEST_NOW,
    )
    document = copy.deepcopy(FEED)
    document["organisations"][0]["invoices"][0]["amountPaid"] = "10000"  # paid at the counter since

    await _import(sessionmaker, document)

    async with sessionmaker() as session:
        stored = (await session.execute(select(models.Invoice))).scalar_one()
    assert (stored.amount_paid_minor, stored.rewards_applied_minor) == (40000, 30000)
