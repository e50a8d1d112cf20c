"""Test data for rewards: lots (EARNED entries) and an eligible invoice to redeem them on."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from guichet.domain import models
from guichet.domain.models.rewards import RewardAllocation, RewardTransaction
from guichet.domain.rewards import rules
from tests.conftest import TEST_NOW
from tests.factories import make_invoice

_refs = itertools.count(1)


async def add_lot(
    session: Any,
    org: models.Organisation,
    amount_minor: int,
    *,
    expires_at: date | None = date(2027, 6, 30),
    currency: str = "XOF",
    occurred_at: datetime = TEST_NOW.replace(month=6, day=30),
    ref: str | None = None,
) -> RewardTransaction:
    """An EARNED entry as the back office writes it."""
    key = ref or f"RW-T-{next(_refs):06d}"
    entry = RewardTransaction(
        organisation_id=org.id,
        currency=currency,
        type=rules.EARNED,
        amount_minor=amount_minor,
        occurred_at=occurred_at,
        expires_at=expires_at,
        note="Support rewards",
        ref=key,
        dedupe_key=rules.feed_key(key),
        created_at=TEST_NOW,
    )
    session.add(entry)
    await session.flush()
    return entry


async def eligible_invoice(
    session: Any, account: models.BillingAccount, *, total_minor: int = 100000, **kw: Any
) -> models.Invoice:
    invoice = await make_invoice(session, account, total_minor=total_minor, **kw)
    invoice.rewards_eligible = True
    await session.flush()
    return invoice


async def ledger_snapshot(sessionmaker: Any) -> tuple[Any, ...]:
    """Everything a redemption or an expiry writes: ledger, allocations, invoices' settled amounts, audit."""
    async with sessionmaker() as session:
        entries = (
            await session.execute(
                select(RewardTransaction.id, RewardTransaction.type, RewardTransaction.amount_minor).order_by(
                    RewardTransaction.id
                )
            )
        ).all()
        allocations = (await session.execute(select(func.count()).select_from(RewardAllocation))).scalar_one()
        invoices = (
            await session.execute(
                select(
                    models.Invoice.id, models.Invoice.amount_paid_minor, models.Invoice.rewards_applied_minor
                ).order_by(models.Invoice.id)
            )
        ).all()
        audit = (await session.execute(select(func.count()).select_from(models.AuditEvent))).scalar_one()
    return (tuple(map(tuple, entries)), allocations, tuple(map(tuple, invoices)), audit)
