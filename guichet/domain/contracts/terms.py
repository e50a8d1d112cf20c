"""A contract's term moved on by a paid renewal (the RENEWAL branch of pending-payment settlement).

Guarded on the end date the renewal was opened for, so a term is extended once whatever runs
twice; kept apart from renewals.py, which opens pending payments, so that settlement can call it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.audit import record_event
from guichet.domain.contracts import rules
from guichet.domain.ids import to_global_id
from guichet.domain.models.contracts import Contract, ContractLine
from guichet.domain.models.pending_payments import PendingPayment

TERM_MONTHS = 12


async def extend_for_renewal(session: AsyncSession, *, item: PendingPayment, now: datetime) -> bool:
    """Extend the renewed contract's endDate and renewalNoticeDate by 12 months; True if it was.

    Guarded on the end date the item renews, so a term is extended once whatever happens twice.
    """
    if item.contract_id is None or item.due_date is None:
        return False
    contract = (
        await session.execute(
            select(Contract).where(Contract.id == item.contract_id, Contract.organisation_id == item.organisation_id)
        )
    ).scalar_one_or_none()
    if contract is None or contract.end_date != item.due_date:
        return False
    notice = contract.renewal_notice_date
    moved = await session.execute(
        update(Contract)
        .where(Contract.id == contract.id, Contract.end_date == item.due_date)
        .values(
            end_date=rules.add_months(item.due_date, TERM_MONTHS),
            renewal_notice_date=rules.add_months(notice, TERM_MONTHS) if notice is not None else None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    # Lines ending with the old term go on with the contract.
    await session.execute(
        update(ContractLine)
        .where(ContractLine.contract_id == contract.id, ContractLine.end_date == item.due_date)
        .values(end_date=rules.add_months(item.due_date, TERM_MONTHS))
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount == 1:  # type: ignore[attr-defined]
        await record_event(
            session,
            at=now,
            organisation_id=contract.organisation_id,
            actor_contact_id=None,
            action="contract.renewed",
            summary=f"Contract {contract.number} renewed to {rules.add_months(item.due_date, TERM_MONTHS).isoformat()}",
            subject_id=to_global_id("Contract", contract.id),
        )
        return True
    return False
