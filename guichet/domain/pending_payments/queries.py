"""Read statements of pending payments: the scoped, filtered list and the batched child reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.models.payments import Payment
from guichet.domain.models.pending_payments import PaymentPendingPayment, PendingPayment


def organisation_statement(
    organisation_id: int,
    *,
    account_ids: Collection[int] | None,
    statuses: Sequence[str],
    kinds: Sequence[str],
    billing_account_id: int | None,
) -> Select[tuple[PendingPayment]]:
    """The organisation's items within `account_ids` (None: every account), filtered."""
    statement = select(PendingPayment).where(PendingPayment.organisation_id == organisation_id)
    if account_ids is not None:
        statement = statement.where(PendingPayment.billing_account_id.in_(sorted(account_ids)))
    if statuses:
        statement = statement.where(PendingPayment.status.in_(list(statuses)))
    if kinds:
        statement = statement.where(PendingPayment.kind.in_(list(kinds)))
    if billing_account_id is not None:
        statement = statement.where(PendingPayment.billing_account_id == billing_account_id)
    return statement


async def payments_of_items(session: AsyncSession, item_ids: Sequence[int]) -> dict[int, list[Payment]]:
    """item id -> every payment that covered it, newest first (one query)."""
    rows = (
        await session.execute(
            select(PaymentPendingPayment.pending_payment_id, Payment)
            .join(Payment, Payment.id == PaymentPendingPayment.payment_id)
            .where(PaymentPendingPayment.pending_payment_id.in_(list(item_ids)))
            .order_by(Payment.id.desc())
        )
    ).all()
    grouped: dict[int, list[Payment]] = defaultdict(list)
    for item_id, payment in rows:
        grouped[item_id].append(payment)
    return grouped


async def items_of_payments(session: AsyncSession, payment_ids: Sequence[int]) -> dict[int, list[PendingPayment]]:
    """payment id -> the items it covers, by id (one query)."""
    rows = (
        await session.execute(
            select(PaymentPendingPayment.payment_id, PendingPayment)
            .join(PendingPayment, PendingPayment.id == PaymentPendingPayment.pending_payment_id)
            .where(PaymentPendingPayment.payment_id.in_(list(payment_ids)))
            .order_by(PendingPayment.id)
        )
    ).all()
    grouped: dict[int, list[PendingPayment]] = defaultdict(list)
    for payment_id, item in rows:
        grouped[payment_id].append(item)
    return grouped


async def items_of_contracts(session: AsyncSession, contract_ids: Sequence[int]) -> dict[int, list[PendingPayment]]:
    """contract id -> its items (renewals), oldest first (one query)."""
    rows = (
        await session.execute(
            select(PendingPayment).where(PendingPayment.contract_id.in_(list(contract_ids))).order_by(PendingPayment.id)
        )
    ).scalars()
    grouped: dict[int, list[PendingPayment]] = defaultdict(list)
    for item in rows:
        assert item.contract_id is not None
        grouped[item.contract_id].append(item)
    return grouped
