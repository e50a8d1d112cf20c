"""Support renewals: open one RENEWAL pending payment per term, extend a contract once it is paid.

OPERATIONS.md: each ACTIVE contract with `autoRenew` whose `endDate` is at most 30 days after the
job's day gets one RENEWAL pending payment (its recurring lines over 12 months, due on
`endDate`); paying it extends `endDate` and `renewalNoticeDate` by 12 months; one still DUE after
`endDate` becomes EXPIRED, and so does the contract. One per term rests on the database: the
item's dedupe key names the contract and the end date it renews (unique per organisation), and
the extension is a guarded UPDATE on that end date, so a second settlement extends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from guichet.domain.audit import record_event
from guichet.domain.contracts import queries, rules
from guichet.domain.contracts.terms import TERM_MONTHS
from guichet.domain.ids import to_global_id
from guichet.domain.models.contracts import Contract
from guichet.domain.models.pending_payments import PendingPayment
from guichet.domain.money import Money
from guichet.domain.pending_payments.services import open_pending_payment

NOTICE_DAYS = 30
RENEWAL = "RENEWAL"


def renewal_key(contract_id: int, end_date: date) -> str:
    """The dedupe key of the one renewal of the term ending on `end_date`."""
    return f"renewal:{contract_id}:{end_date.isoformat()}"


def renewal_amount_minor(lines: list[tuple[str, int, int]]) -> int:
    """The recurring lines (frequency, quantity, unit price) over 12 months, in minor units."""
    return sum(
        quantity * unit_price * (TERM_MONTHS // rules.MONTHS[frequency])
        for frequency, quantity, unit_price in lines
        if frequency != rules.ONE_TIME
    )


@dataclass(frozen=True)
class RenewalReport:
    opened: int
    already_open: int
    expired: int


async def run_renewals(sessionmaker: async_sessionmaker[AsyncSession], *, as_of: date, now: datetime) -> RenewalReport:
    """Open the renewals due by `as_of` + 30 days and expire those left unpaid past their end date.

    Each contract is one transaction; safe to run twice and from two servers at once.
    """
    horizon = as_of + timedelta(days=NOTICE_DAYS)
    async with sessionmaker() as session:
        due = list(
            (
                await session.execute(
                    select(Contract)
                    .where(
                        Contract.status == "ACTIVE",
                        Contract.auto_renew.is_(True),
                        Contract.end_date.is_not(None),
                        Contract.end_date <= horizon,
                        Contract.end_date >= as_of,
                    )
                    .order_by(Contract.id)
                )
            ).scalars()
        )
        lines = await queries.lines_by_contract(session, [c.id for c in due])
    opened = already = 0
    for contract in due:
        assert contract.end_date is not None
        amount = renewal_amount_minor([(ln.frequency, ln.quantity, ln.unit_price_minor) for ln in lines[contract.id]])
        if amount <= 0:
            continue  # nothing recurring to renew
        async with sessionmaker() as session, session.begin():
            item, created = await open_pending_payment(
                session,
                organisation_id=contract.organisation_id,
                billing_account_id=contract.billing_account_id,
                kind=RENEWAL,
                amount=Money(amount, contract.currency),
                description=f"Renewal of {contract.number} ({contract.name}) for 12 months from "
                f"{(contract.end_date + timedelta(days=1)).isoformat()}",
                dedupe_key=renewal_key(contract.id, contract.end_date),
                now=now,
                due_date=contract.end_date,
                contract_id=contract.id,
            )
            if created:
                opened += 1
                await record_event(
                    session,
                    at=now,
                    organisation_id=contract.organisation_id,
                    actor_contact_id=None,
                    action="renewal.opened",
                    summary=f"Renewal of contract {contract.number} to pay by {contract.end_date.isoformat()}",
                    subject_id=to_global_id("PendingPayment", item.id),
                )
            else:
                already += 1
    expired = await _expire_unpaid(sessionmaker, as_of=as_of, now=now)
    return RenewalReport(opened, already, expired)


async def _expire_unpaid(sessionmaker: async_sessionmaker[AsyncSession], *, as_of: date, now: datetime) -> int:
    """RENEWAL items still DUE after their end date EXPIRE, and their contracts with them."""
    count = 0
    async with sessionmaker() as session, session.begin():
        items = list(
            (
                await session.execute(
                    select(PendingPayment).where(
                        PendingPayment.kind == RENEWAL, PendingPayment.status == "DUE", PendingPayment.due_date < as_of
                    )
                )
            ).scalars()
        )
        for item in items:
            moved = await session.execute(
                update(PendingPayment)
                .where(
                    PendingPayment.id == item.id, PendingPayment.status == "DUE", PendingPayment.payment_id.is_(None)
                )
                .values(status="EXPIRED", updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                continue
            count += 1
            if item.contract_id is not None:
                await session.execute(
                    update(Contract)
                    .where(
                        Contract.id == item.contract_id,
                        Contract.status == "ACTIVE",
                        Contract.end_date == item.due_date,
                    )
                    .values(status="EXPIRED", updated_at=now)
                    .execution_options(synchronize_session=False)
                )
    return count
