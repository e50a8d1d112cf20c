"""Redeem rewards against an invoice, expire lots, write feed entries: one transaction each.

Exactly once rests on the database: `(organisation_id, dedupe_key)` is unique on the ledger (a
redemption's key is its idempotency key, an expiry's its lot), every consumer first locks the
currency's lots in id order (queries.lock_lots), and the invoice is settled by a guarded UPDATE
(`pending_payment_id IS NULL AND amount_paid_minor + :x <= total_minor`). Twenty identical
requests make one redemption; two expiry runs write one EXPIRED entry per lot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from guichet.domain import models
from guichet.domain.audit import record_event
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import to_global_id
from guichet.domain.invoices import status as invoice_rules
from guichet.domain.models.pending_payments import PendingPayment
from guichet.domain.models.rewards import RewardAllocation, RewardTransaction
from guichet.domain.money import Money, exponent
from guichet.domain.pending_payments.services import cancel_failed_charges_of_paid_invoices
from guichet.domain.rewards import queries, rules

MAX_IDEMPOTENCY_KEY = 150


@dataclass(frozen=True)
class Redemption:
    """The REDEEMED entry, the invoice it paid, whether it answered a repeated request."""

    transaction_id: int
    invoice_id: int
    organisation_id: int
    replayed: bool


def _minor(amount: Decimal, currency: str) -> int:
    """`amount` in minor units of `currency`; raise DomainError(VALIDATION) unless positive and exact."""
    if not amount.is_finite():
        raise DomainError(ErrorCode.VALIDATION, "rewards_amount_invalid", field=["input", "amount"])
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value() or scaled <= 0:
        raise DomainError(ErrorCode.VALIDATION, "rewards_amount_invalid", field=["input", "amount"])
    return int(scaled)


async def _replay(
    session: AsyncSession, organisation_id: int, key: str, invoice_id: int, amount: Decimal
) -> Redemption | None:
    """The redemption already made under `key`; IDEMPOTENCY_KEY_REUSED if it was for another request."""
    found = (
        await session.execute(
            select(RewardTransaction).where(
                RewardTransaction.organisation_id == organisation_id,
                RewardTransaction.dedupe_key == rules.redeem_key(key),
            )
        )
    ).scalar_one_or_none()
    if found is None:
        return None
    if found.invoice_id != invoice_id or Money(-found.amount_minor, found.currency).amount != amount:
        raise DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, field=["input", "idempotencyKey"])
    return Redemption(found.id, invoice_id, organisation_id, replayed=True)


async def redeem_rewards(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    organisation_id: int,
    invoice_id: int,
    amount: Decimal,
    idempotency_key: str,
    actor_contact_id: int | None,
    pay_scope: frozenset[int] | None,
    now: datetime,
) -> Redemption:
    """Pay `amount` of an invoice with rewards of its currency, oldest-expiring lots first.

    `pay_scope` is the billing accounts where the actor may pay invoices (None: all of them).
    Raise DomainError: VALIDATION (an empty or long key, an amount that is not positive or has
    more decimals than the currency), NOT_FOUND (an invoice unknown, of another organisation or
    out of `pay_scope`), IDEMPOTENCY_KEY_REUSED (the key paid another invoice or amount),
    INVOICE_NOT_ELIGIBLE_FOR_REWARDS, INVOICE_NOT_PAYABLE (a payment for it is under way),
    AMOUNT_EXCEEDS_AMOUNT_DUE, CURRENCY_MISMATCH (the rewards are in other currencies only),
    REWARD_BALANCE_INSUFFICIENT. Nothing is written when it raises.
    """
    if not idempotency_key.strip() or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise DomainError(
            ErrorCode.VALIDATION,
            "idempotency_key_invalid",
            field=["input", "idempotencyKey"],
            params={"max": MAX_IDEMPOTENCY_KEY},
        )
    async with sessionmaker() as session, session.begin():
        invoice = (
            await session.execute(
                select(models.Invoice).where(
                    models.Invoice.id == invoice_id, models.Invoice.organisation_id == organisation_id
                )
            )
        ).scalar_one_or_none()
        if invoice is None or (pay_scope is not None and invoice.billing_account_id not in pay_scope):
            raise DomainError(ErrorCode.NOT_FOUND, field=["input", "invoiceId"])
        replayed = await _replay(session, organisation_id, idempotency_key, invoice_id, amount)
        if replayed is not None:
            return replayed
        currency = invoice.currency
        minor = _minor(amount, currency)
        if not invoice.rewards_eligible:
            raise DomainError(ErrorCode.INVOICE_NOT_ELIGIBLE_FOR_REWARDS, field=["input", "invoiceId"])
        if invoice.pending_payment_id is not None:
            raise DomainError(ErrorCode.INVOICE_NOT_PAYABLE, field=["input", "invoiceId"])
        if minor > invoice_rules.amount_due_minor(invoice.total_minor, invoice.amount_paid_minor):
            raise DomainError(ErrorCode.AMOUNT_EXCEEDS_AMOUNT_DUE, field=["input", "amount"])
        await queries.lock_lots(session, organisation_id, currency)
        # A twin that held the lock before us has committed by now: answer what it did.
        replayed = await _replay(session, organisation_id, idempotency_key, invoice_id, amount)
        if replayed is not None:
            return replayed
        lots = await queries.lots(session, organisation_id, currency)
        if not lots and await _other_currencies(session, organisation_id, currency):
            raise DomainError(ErrorCode.CURRENCY_MISMATCH, field=["input", "invoiceId"])
        try:
            taken = rules.allocate(lots, minor)
        except rules.InsufficientBalance:
            raise DomainError(ErrorCode.REWARD_BALANCE_INSUFFICIENT, field=["input", "amount"]) from None
        entry = RewardTransaction(
            organisation_id=organisation_id,
            currency=currency,
            type=rules.REDEEMED,
            amount_minor=-minor,
            occurred_at=now,
            invoice_id=invoice_id,
            actor_contact_id=actor_contact_id,
            note=f"Invoice {invoice.number}",
            dedupe_key=rules.redeem_key(idempotency_key),
            created_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(entry)
                await session.flush()
        except IntegrityError:
            replayed = await _replay(session, organisation_id, idempotency_key, invoice_id, amount)
            assert replayed is not None
            return replayed
        session.add_all(
            RewardAllocation(transaction_id=entry.id, lot_id=lot_id, organisation_id=organisation_id, amount_minor=part)
            for lot_id, part in taken
        )
        settled = await session.execute(
            update(models.Invoice)
            .where(
                models.Invoice.id == invoice_id,
                models.Invoice.pending_payment_id.is_(None),
                models.Invoice.amount_paid_minor + minor <= models.Invoice.total_minor,
            )
            .values(
                amount_paid_minor=models.Invoice.amount_paid_minor + minor,
                rewards_applied_minor=models.Invoice.rewards_applied_minor + minor,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if settled.rowcount != 1:  # type: ignore[attr-defined]
            # A payment claimed or paid the invoice since it was read: roll everything back.
            raise DomainError(ErrorCode.AMOUNT_EXCEEDS_AMOUNT_DUE, field=["input", "amount"])
        await _follow_failed_charges(session, invoice_id, now)
        await record_event(
            session,
            at=now,
            organisation_id=organisation_id,
            actor_contact_id=actor_contact_id,
            action="rewards.redeemed",
            summary=f"{Money(minor, currency).amount} {currency} of rewards paid invoice {invoice.number}",
            subject_id=to_global_id("Invoice", invoice_id),
            data={"amount": str(Money(minor, currency).amount), "currency": currency, "lots": len(taken)},
        )
        return Redemption(entry.id, invoice_id, organisation_id, replayed=False)


async def _other_currencies(session: AsyncSession, organisation_id: int, currency: str) -> bool:
    found = (
        await session.execute(
            select(RewardTransaction.id)
            .where(RewardTransaction.organisation_id == organisation_id, RewardTransaction.currency != currency)
            .limit(1)
        )
    ).first()
    return found is not None


async def _follow_failed_charges(session: AsyncSession, invoice_id: int, now: datetime) -> None:
    """A DUE FAILED_CHARGE of the invoice asks what is left: CANCELLED once nothing is."""
    if await cancel_failed_charges_of_paid_invoices(session, invoice_ids=[invoice_id], now=now):
        return
    due = (
        await session.execute(
            select(models.Invoice.total_minor - models.Invoice.amount_paid_minor).where(models.Invoice.id == invoice_id)
        )
    ).scalar_one()
    await session.execute(
        update(PendingPayment)
        .where(
            PendingPayment.invoice_id == invoice_id,
            PendingPayment.kind == "FAILED_CHARGE",
            PendingPayment.status == "DUE",
        )
        .values(amount_minor=due, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def consume(
    session: AsyncSession,
    *,
    organisation_id: int,
    currency: str,
    entry: RewardTransaction,
) -> bool:
    """Add a negative `entry` with its allocations over the locked lots; False if its key exists.

    The caller holds the lots' lock (queries.lock_lots). Raise rules.InsufficientBalance when
    the lots hold less than the entry takes.
    """
    taken = rules.allocate(await queries.lots(session, organisation_id, currency), -entry.amount_minor)
    try:
        async with session.begin_nested():
            session.add(entry)
            await session.flush()
    except IntegrityError:
        return False
    session.add_all(
        RewardAllocation(transaction_id=entry.id, lot_id=lot_id, organisation_id=organisation_id, amount_minor=part)
        for lot_id, part in taken
    )
    await session.flush()
    return True


async def expire_rewards(sessionmaker: async_sessionmaker[AsyncSession], *, as_of: date, now: datetime) -> int:
    """Write an EXPIRED entry for what remains of every lot past its expiry on `as_of`; how many.

    One transaction per (organisation, currency); a lot expires once even when two runs overlap
    (the second waits on the lots' lock, then finds nothing left, or the unique key).
    """
    async with sessionmaker() as session:
        groups = (
            await session.execute(
                select(RewardTransaction.organisation_id, RewardTransaction.currency)
                .where(
                    RewardTransaction.amount_minor > 0,
                    RewardTransaction.expires_at.is_not(None),
                    RewardTransaction.expires_at < as_of,
                )
                .distinct()
                .order_by(RewardTransaction.organisation_id, RewardTransaction.currency)
            )
        ).all()
    written = 0
    for organisation_id, currency in groups:
        async with sessionmaker() as session, session.begin():
            await queries.lock_lots(session, organisation_id, currency)
            for lot in rules.lots_to_expire(await queries.lots(session, organisation_id, currency), as_of):
                assert lot.expires_at is not None
                entry = RewardTransaction(
                    organisation_id=organisation_id,
                    currency=currency,
                    type=rules.EXPIRED,
                    amount_minor=-lot.remaining_minor,
                    occurred_at=now,
                    expires_at=lot.expires_at,
                    note=f"Expired on {lot.expires_at.isoformat()}",
                    dedupe_key=rules.expire_key(lot.id),
                    created_at=now,
                )
                # Only this lot: an expiry never takes from another one.
                try:
                    async with session.begin_nested():
                        session.add(entry)
                        await session.flush()
                except IntegrityError:
                    continue
                session.add(
                    RewardAllocation(
                        transaction_id=entry.id,
                        lot_id=lot.id,
                        organisation_id=organisation_id,
                        amount_minor=lot.remaining_minor,
                    )
                )
                written += 1
            await session.flush()
    return written
