"""Open, claim, settle and release pending payments, always inside the caller's unit of work.

These are steps of larger services (a job's run, a payment's transaction): none commits.
Exactly-once comes from the database: the unique `(organisation_id, dedupe_key)` makes opening
idempotent, and the guarded UPDATEs on `status` / `payment_id` let one payment win an item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.contracts.terms import extend_for_renewal
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.models.pending_payments import PaymentPendingPayment, PendingPayment
from guichet.domain.money import Money
from guichet.domain.pending_payments.rules import KINDS, PAYABLE_KINDS
from guichet.domain.shop.settlement import acknowledge_paid_order
from guichet.domain.webhooks import events as webhook_events


async def open_pending_payment(
    session: AsyncSession,
    *,
    organisation_id: int,
    billing_account_id: int,
    kind: str,
    amount: Money,
    description: str,
    dedupe_key: str,
    now: datetime,
    due_date: date | None = None,
    expires_at: datetime | None = None,
    invoice_id: int | None = None,
    contract_id: int | None = None,
    order_id: int | None = None,
    last_failure_code: str | None = None,
    last_failure_message: str | None = None,
    failed_payment_method_id: int | None = None,
) -> tuple[PendingPayment, bool]:
    """Open the item named by `dedupe_key`, or return the one already open: (item, created).

    A concurrent twin waits on the unique index, fails inside a savepoint and reads the winner,
    so a job run twice opens one item. Raise ValueError for an unknown kind or a non-positive amount.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown pending-payment kind {kind!r}")
    if amount.minor <= 0:
        raise ValueError("a pending payment's amount must be positive")
    item = PendingPayment(
        organisation_id=organisation_id,
        billing_account_id=billing_account_id,
        kind=kind,
        status="DUE",
        currency=amount.currency,
        amount_minor=amount.minor,
        description=description[:500],
        due_date=due_date,
        expires_at=expires_at,
        invoice_id=invoice_id,
        contract_id=contract_id,
        order_id=order_id,
        dedupe_key=dedupe_key,
        last_failure_code=last_failure_code,
        last_failure_message=(last_failure_message or None) and last_failure_message[:200],
        failed_payment_method_id=failed_payment_method_id,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(item)
            await session.flush()
            await webhook_events.record_event(
                session,
                type=webhook_events.EventType.PENDING_PAYMENT_CREATED,
                organisation_id=organisation_id,
                subject_pk=item.id,
                billing_account_ids=[billing_account_id] if billing_account_id is not None else [],
                now=now,
            )
    except IntegrityError:
        existing = (
            await session.execute(
                select(PendingPayment).where(
                    PendingPayment.organisation_id == organisation_id, PendingPayment.dedupe_key == dedupe_key
                )
            )
        ).scalar_one()
        return existing, False
    return item, True


@dataclass(frozen=True)
class Claimed:
    """The items a payment claimed: their total, and the invoices it must claim with them."""

    items: list[PendingPayment]
    invoice_ids: list[int]


async def claim_for_payment(
    session: AsyncSession,
    *,
    organisation_id: int,
    pending_payment_ids: Sequence[int],
    scopes: dict[str, frozenset[int] | None],
    payment_id: int | None,
    field: Sequence[str],
    now: datetime,
) -> Claimed:
    """Check and (with `payment_id`) claim items for one payment; nothing is claimed when it raises.

    `scopes` maps each kind the payer may PAY to the billing accounts where it may (None: all).
    Raise DomainError: NOT_FOUND (unknown, foreign, out of scope, or a kind the payer may not
    pay), CURRENCY_MISMATCH (several currencies), PENDING_PAYMENT_NOT_PAYABLE (not DUE, a
    payment under way, or a kind no area settles yet; also when a concurrent payment won).
    """
    rows = (
        (
            await session.execute(
                select(PendingPayment)
                .where(PendingPayment.id.in_(pending_payment_ids), PendingPayment.organisation_id == organisation_id)
                .execution_options(populate_existing=True)
            )
        )
        .scalars()
        .all()
    )
    by_id = {row.id: row for row in rows}
    for index, item_id in enumerate(pending_payment_ids):
        item = by_id.get(item_id)
        if item is None or item.kind not in scopes:
            raise DomainError(ErrorCode.NOT_FOUND, field=[*field, str(index)])
        scope = scopes[item.kind]
        if scope is not None and item.billing_account_id not in scope:
            raise DomainError(ErrorCode.NOT_FOUND, field=[*field, str(index)])
    if len({row.currency for row in rows}) > 1:
        raise DomainError(ErrorCode.CURRENCY_MISMATCH, field=list(field))
    for index, item_id in enumerate(pending_payment_ids):
        item = by_id[item_id]
        if item.status != "DUE" or item.payment_id is not None or item.kind not in PAYABLE_KINDS:
            raise DomainError(ErrorCode.PENDING_PAYMENT_NOT_PAYABLE, field=[*field, str(index)])
    items = [by_id[i] for i in pending_payment_ids]
    if payment_id is not None:
        position = {item_id: index for index, item_id in enumerate(pending_payment_ids)}
        for item in sorted(items, key=lambda r: r.id):  # id order: two payments never deadlock
            claimed = await session.execute(
                update(PendingPayment)
                .where(
                    PendingPayment.id == item.id, PendingPayment.status == "DUE", PendingPayment.payment_id.is_(None)
                )
                .values(status="PAYMENT_PENDING", payment_id=payment_id, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise DomainError(ErrorCode.PENDING_PAYMENT_NOT_PAYABLE, field=[*field, str(position[item.id])])
            session.add(
                PaymentPendingPayment(
                    payment_id=payment_id,
                    pending_payment_id=item.id,
                    organisation_id=organisation_id,
                    amount_minor=item.amount_minor,
                )
            )
    return Claimed(items, sorted({i.invoice_id for i in items if i.invoice_id is not None}))


async def settle(session: AsyncSession, *, item: PendingPayment, payment_id: int, now: datetime) -> bool:
    """Complete one item its payment has paid, by kind; True when it became PAID.

    The one dispatch point of settlement:
    - FAILED_CHARGE: its invoice was claimed by the same payment and paid by the payment's
      allocation; the item is PAID once that invoice is (it goes back to DUE otherwise).
    - RENEWAL: domain/contracts extends the renewed contract's endDate and renewalNoticeDate by
      12 months (once per term: guarded on the end date it renews).
    - ORDER: its order leaves AWAITING_PAYMENT for ACKNOWLEDGED (domain/shop/settlement).
    Kinds outside PAYABLE_KINDS are refused before any money moves (claim_for_payment), so
    reaching their branch is an invariant violation.
    """
    if item.kind == "FAILED_CHARGE":
        assert item.invoice_id is not None
        invoice = (
            await session.execute(
                select(models.Invoice.total_minor, models.Invoice.amount_paid_minor).where(
                    models.Invoice.id == item.invoice_id
                )
            )
        ).one()
        if invoice.amount_paid_minor < invoice.total_minor:
            await _release(session, item.id, payment_id, now)
            return False
    elif item.kind == "RENEWAL":
        await extend_for_renewal(session, item=item, now=now)
    elif item.kind == "ORDER":
        assert item.order_id is not None
        await acknowledge_paid_order(session, order_id=item.order_id, now=now)
    else:
        raise RuntimeError(f"pending payment {item.id}: no area settles {item.kind} yet")
    moved = await session.execute(
        update(PendingPayment)
        .where(
            PendingPayment.id == item.id,
            PendingPayment.payment_id == payment_id,
            PendingPayment.status == "PAYMENT_PENDING",
        )
        .values(status="PAID", paid_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def settle_for_payment(session: AsyncSession, *, payment_id: int, now: datetime) -> list[PendingPayment]:
    """Settle every item a SUCCEEDED payment holds; the items it covers (for change events)."""
    items = await _held_by(session, payment_id)
    for item in items:
        await settle(session, item=item, payment_id=payment_id, now=now)
    return items


async def release_for_payment(session: AsyncSession, *, payment_id: int, now: datetime) -> list[PendingPayment]:
    """Give a FAILED payment's items back (DUE, payable again); the items it held."""
    items = await _held_by(session, payment_id)
    for item in items:
        await _release(session, item.id, payment_id, now)
    return items


async def cancel_failed_charges_of_paid_invoices(
    session: AsyncSession, *, invoice_ids: Sequence[int], now: datetime
) -> list[int]:
    """A FAILED_CHARGE still DUE whose invoice got paid another way (payInvoices) is CANCELLED."""
    if not invoice_ids:
        return []
    ids = list(
        (
            await session.execute(
                select(PendingPayment.id)
                .join(models.Invoice, models.Invoice.id == PendingPayment.invoice_id)
                .where(
                    PendingPayment.invoice_id.in_(invoice_ids),
                    PendingPayment.kind == "FAILED_CHARGE",
                    PendingPayment.status == "DUE",
                    models.Invoice.amount_paid_minor >= models.Invoice.total_minor,
                )
            )
        ).scalars()
    )
    if ids:
        await session.execute(
            update(PendingPayment)
            .where(PendingPayment.id.in_(ids), PendingPayment.status == "DUE")
            .values(status="CANCELLED", updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


async def amount_without_invoice(session: AsyncSession, *, payment_id: int) -> int:
    """What a payment asked for items that carry no invoice (renewals, orders): not for invoices."""
    rows = (
        await session.execute(
            select(PaymentPendingPayment.amount_minor)
            .join(PendingPayment, PendingPayment.id == PaymentPendingPayment.pending_payment_id)
            .where(PaymentPendingPayment.payment_id == payment_id, PendingPayment.invoice_id.is_(None))
        )
    ).scalars()
    return sum(rows)


async def covers_pending_payments(session: AsyncSession, *, payment_id: int) -> bool:
    """Whether a payment pays pending payments (then it settles in full or not at all)."""
    found = (
        await session.execute(
            select(PaymentPendingPayment.pending_payment_id)
            .where(PaymentPendingPayment.payment_id == payment_id)
            .limit(1)
        )
    ).first()
    return found is not None


async def _held_by(session: AsyncSession, payment_id: int) -> list[PendingPayment]:
    return list(
        (
            await session.execute(
                select(PendingPayment)
                .where(PendingPayment.payment_id == payment_id, PendingPayment.status == "PAYMENT_PENDING")
                .order_by(PendingPayment.id)
                .execution_options(populate_existing=True)
            )
        ).scalars()
    )


async def _release(session: AsyncSession, item_id: int, payment_id: int, now: datetime) -> None:
    await session.execute(
        update(PendingPayment)
        .where(
            PendingPayment.id == item_id,
            PendingPayment.payment_id == payment_id,
            PendingPayment.status == "PAYMENT_PENDING",
        )
        .values(status="DUE", payment_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
