"""Services of instalment plans: each owns its transaction and applies the rules of rules.py.

`regularise` is the one that charges a card: it owns two transactions with the charge between
them, never inside one (see the section below).

Exactly-once rests on the database: every state change is an UPDATE guarded by the state (or the
schedule's version) it was decided on, and its rowcount is checked, because SQLite ignores
SELECT ... FOR UPDATE. A concurrent writer that loses the race gets a refusal, never a double
charge.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.audit import record_event
from guichet.domain.cards import CardDetails, StoredCard, require_valid_through, validate_card
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.gateways.card import (
    CardGateway,
    ChargeResult,
    charge_outside_transaction,
)
from guichet.domain.models.schedules import Installment, Regularisation, Schedule, ScheduleDebit
from guichet.domain.money import Money
from guichet.domain.schedules import rules

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]
log = logging.getLogger("guichet.schedules")
MAX_KEY_LENGTH = 255


def stored_card(schedule: Schedule) -> StoredCard | None:
    if not (schedule.card_brand and schedule.card_last4 and schedule.card_exp_month and schedule.card_exp_year):
        return None
    return StoredCard(schedule.card_brand, schedule.card_last4, schedule.card_exp_month, schedule.card_exp_year)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class ScheduleView:
    """A schedule with everything the customer sees derived from its instalments."""

    schedule: Schedule
    installments: list[Installment]
    status: str
    outstanding_minor: int
    regularised_minor: int
    card: StoredCard | None
    can_change_card: bool
    options: list[tuple[int, list[int]]]


def view(schedule: Schedule, installments: Sequence[Installment], today: date) -> ScheduleView:
    ordered = sorted(installments, key=lambda i: i.number)
    status = rules.schedule_status(cancelled=schedule.cancelled, installments=ordered)
    outstanding = rules.outstanding_minor(ordered)
    return ScheduleView(
        schedule=schedule,
        installments=ordered,
        status=status,
        outstanding_minor=outstanding,
        regularised_minor=rules.regularised_minor(ordered),
        card=stored_card(schedule),
        can_change_card=rules.card_change_refusal(status=status, installments=ordered, today=today) is None,
        options=rules.regularisation_options(outstanding),
    )


async def installments_of(session: AsyncSession, schedule_ids: Sequence[int]) -> dict[int, list[Installment]]:
    """The instalments of several schedules in one query."""
    found: dict[int, list[Installment]] = {i: [] for i in schedule_ids}
    if not schedule_ids:
        return found
    rows = (
        (
            await session.execute(
                select(Installment)
                .where(Installment.schedule_id.in_(list(schedule_ids)))
                .order_by(Installment.schedule_id, Installment.number)
            )
        )
        .scalars()
        .all()
    )
    for row in rows:
        found[row.schedule_id].append(row)
    return found


async def views_of(session: AsyncSession, schedules: Sequence[Schedule], today: date) -> list[ScheduleView]:
    """Views of several schedules: one query for all their instalments."""
    by_schedule = await installments_of(session, [s.id for s in schedules])
    return [view(s, by_schedule[s.id], today) for s in schedules]


async def _load(session: AsyncSession, schedule_id: int, organisation_id: int) -> tuple[Schedule, list[Installment]]:
    """The schedule of this organisation; raise DomainError(NOT_FOUND) for any other."""
    schedule = (
        await session.execute(
            select(Schedule).where(Schedule.id == schedule_id, Schedule.organisation_id == organisation_id)
        )
    ).scalar_one_or_none()
    if schedule is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "scheduleId"])
    return schedule, (await installments_of(session, [schedule.id]))[schedule.id]


# ---------------------------------------------------------------- writing helpers (no commit)


async def _claim(session: AsyncSession, schedule: Schedule, now: datetime) -> None:
    """Bump the version read with the schedule; raise DomainError(VALIDATION, schedule_changed) when
    another writer changed it meanwhile (on PostgreSQL this also holds the row until commit)."""
    result = await session.execute(
        update(Schedule)
        .where(Schedule.id == schedule.id, Schedule.version == schedule.version)
        .values(version=Schedule.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError(ErrorCode.VALIDATION, "schedule_changed", field=["input", "scheduleId"])
    schedule.version += 1


async def refresh(session: AsyncSession, schedule_id: int, now: datetime) -> tuple[str, str]:
    """Recompute the stored status and amount regularised from the instalments: (before, after)."""
    schedule = (
        await session.execute(
            select(Schedule).where(Schedule.id == schedule_id).execution_options(populate_existing=True)
        )
    ).scalar_one()
    installments = (
        (
            await session.execute(
                select(Installment)
                .where(Installment.schedule_id == schedule_id)
                .execution_options(populate_existing=True)
            )
        )
        .scalars()
        .all()
    )
    before = schedule.status
    after = rules.schedule_status(cancelled=schedule.cancelled, installments=installments)
    await session.execute(
        update(Schedule)
        .where(Schedule.id == schedule_id)
        .values(
            status=after,
            amount_regularised_minor=rules.regularised_minor(installments),
            version=Schedule.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return before, after


async def _set_installment(
    session: AsyncSession, installment_id: int, *, expected: str, values: dict[str, Any]
) -> bool:
    """Change one instalment only if it is still in `expected` status; True when it did."""
    result = await session.execute(
        update(Installment)
        .where(Installment.id == installment_id, Installment.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


# ---------------------------------------------------------------- change the card


async def change_card(
    uow: UnitOfWork,
    *,
    organisation_id: int,
    schedule_id: int,
    card: CardDetails,
    actor_contact_id: int | None,
    today: date,
    now: datetime,
) -> int:
    """Put a new card on a schedule; return the schedule id.

    Raise DomainError: NOT_FOUND (not this organisation's), SCHEDULE_UNPAID,
    DEBIT_ALREADY_SCHEDULED (next debit under way or less than 7 days away), VALIDATION
    (schedule_finished, schedule_changed), CARD_INVALID, CARD_BRAND_NOT_ACCEPTED,
    CARD_EXPIRES_TOO_SOON (not valid through the last scheduled debit).
    """
    async with uow() as session:
        schedule, installments = await _load(session, schedule_id, organisation_id)
        status = rules.schedule_status(cancelled=schedule.cancelled, installments=installments)
        refusal = rules.card_change_refusal(status=status, installments=installments, today=today)
        if refusal is not None:
            raise refusal
        new = validate_card(card, today=today, field=["input", "card"])
        require_valid_through(new, rules.last_scheduled_due(installments), field=["input", "card"])
        await _claim(session, schedule, now)
        await session.execute(
            update(Schedule)
            .where(Schedule.id == schedule.id)
            .values(
                card_brand=new.brand, card_last4=new.last4, card_exp_month=new.exp_month, card_exp_year=new.exp_year
            )
            .execution_options(synchronize_session=False)
        )
        await record_event(
            session,
            at=now,
            organisation_id=organisation_id,
            actor_contact_id=actor_contact_id,
            action="schedule.card_changed",
            summary=f"Card of order {schedule.order_number} changed to {new.brand} ending {new.last4}",
            data={"orderNumber": schedule.order_number, "brand": new.brand, "last4": new.last4},
        )
        return schedule.id


# ---------------------------------------------------------------- regularise
#
# The card is never charged inside a transaction (a failed commit would lose a charge the
# provider made; a slow provider would hold the schedule's row lock):
# 1. `_prepare`: validate, claim the key (the Regularisation row, PENDING), bump the schedule's
#    version, write the PENDING CARD Payment, commit;
# 2. charge under the payment's reference, no transaction open;
# 3. `record_regularisation`: PENDING -> SUCCEEDED | FAILED by guarded UPDATEs, the debit ledger,
#    the new parts, the schedule's status, the audit.
# A process that dies between 2 and 3 leaves both rows PENDING: `guichet jobs expire-payments`
# asks the provider by the payment's reference and settles them (settle_regularisation_charge).
# While a regularisation is PENDING, another one on the same schedule is refused.

REGULARISATION_PENDING = "PENDING"


@dataclass(frozen=True)
class RegularisationOutcome:
    schedule_id: int
    succeeded: bool
    amount: Money  # the part charged now
    cleared: bool  # the whole debt is settled by this payment
    failure_code: str | None
    payment_id: int | None
    replayed: bool


@dataclass(frozen=True)
class _Previous:
    """An earlier attempt under the same key: its outcome, or None while its card is being charged."""

    regularisation_id: int
    outcome: RegularisationOutcome | None


@dataclass(frozen=True)
class _Prepared:
    """What transaction 1 committed and the charge needs."""

    regularisation_id: int
    payment_id: int
    reference: str
    card: StoredCard
    amount: Money


def _request_hash(schedule_id: int, count: int, card: CardDetails | None) -> str:
    """A fingerprint of the request: never the card number, only what may be stored of it."""
    described: dict[str, object] = {"schedule": schedule_id, "count": count, "card": None}
    if card is not None:
        number = card.number.replace(" ", "").replace("-", "")
        described["card"] = [number[-4:], card.exp_month, card.exp_year]
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def _outcome(row: Regularisation, *, replayed: bool) -> RegularisationOutcome:
    succeeded = row.status == "SUCCEEDED"
    return RegularisationOutcome(
        schedule_id=row.schedule_id,
        succeeded=succeeded,
        amount=Money(row.first_amount_minor, row.currency),
        cleared=succeeded and row.first_amount_minor == row.debt_minor,
        failure_code=row.failure_code,
        payment_id=row.payment_id,
        replayed=replayed,
    )


async def _previous(session: AsyncSession, *, contact_id: int, key: str, request_hash: str) -> _Previous | None:
    """The attempt already made under this key; raise IDEMPOTENCY_KEY_REUSED when its request differs."""
    row = (
        await session.execute(
            select(Regularisation)
            .where(Regularisation.contact_id == contact_id, Regularisation.idempotency_key == key)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, field=["input", "idempotencyKey"])
    if row.status == REGULARISATION_PENDING:
        return _Previous(row.id, None)
    return _Previous(row.id, _outcome(row, replayed=True))


async def _await_outcome(uow: UnitOfWork, regularisation_id: int) -> RegularisationOutcome:
    """Poll (one short read each) until the first attempt under this key recorded its charge.

    Raise DomainError(IDEMPOTENCY_KEY_REUSED, idempotency_key_in_use) after
    CARD_TWIN_WAIT_SECONDS: its outcome is still unknown (the expiry job will settle it).
    """
    from guichet.domain.payments.rules import CARD_TWIN_WAIT_SECONDS

    deadline = time.monotonic() + CARD_TWIN_WAIT_SECONDS
    pause = 0.02
    while time.monotonic() < deadline:
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)
        async with uow() as session:
            row = (
                await session.execute(
                    select(Regularisation)
                    .where(Regularisation.id == regularisation_id)
                    .execution_options(populate_existing=True)
                )
            ).scalar_one()
            if row.status != REGULARISATION_PENDING:
                return _outcome(row, replayed=True)
    raise DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, "idempotency_key_in_use", field=["input", "idempotencyKey"])


async def regularise(
    uow: UnitOfWork,
    *,
    organisation_id: int,
    schedule_id: int,
    contact_id: int,
    installment_count: int,
    card: CardDetails | None,
    idempotency_key: str,
    gateway: CardGateway,
    today: date,
    now: datetime,
) -> RegularisationOutcome:
    """Pay the first part of the outstanding debt now, schedule the others every 30 days.

    Same key and same request -> the first outcome, never a second charge (a concurrent twin
    waits for it); same key, other request -> DomainError(IDEMPOTENCY_KEY_REUSED). Other refusals
    (nothing charged, nothing kept): NOT_FOUND, INSTALLMENT_COUNT_NOT_ALLOWED,
    NOTHING_TO_REGULARISE, CARD_INVALID, CARD_BRAND_NOT_ACCEPTED, CARD_EXPIRES_TOO_SOON,
    DEBIT_ALREADY_SCHEDULED (a part is being collected, or another regularisation is being
    charged), VALIDATION (schedule_changed). A declined card is not a refusal: the outcome says
    so, the attempt is kept, and the schedule does not change. When the provider's answer is
    unknown (the charge raised), raise DomainError(DEBIT_ALREADY_SCHEDULED,
    regularisation_in_progress): the attempt stays PENDING until the expiry job settles it.
    """
    key = idempotency_key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(ErrorCode.VALIDATION, field=["input", "idempotencyKey"])
    request_hash = _request_hash(schedule_id, installment_count, card)
    previous: _Previous | None = None
    prepared: _Prepared | None = None
    try:
        async with uow() as session:
            previous = await _previous(session, contact_id=contact_id, key=key, request_hash=request_hash)
            if previous is None:
                prepared = await _prepare(
                    session,
                    organisation_id=organisation_id,
                    schedule_id=schedule_id,
                    contact_id=contact_id,
                    count=installment_count,
                    card=card,
                    key=key,
                    request_hash=request_hash,
                    today=today,
                    now=now,
                )
    except IntegrityError:
        # A concurrent request claimed the same key first: answer with its outcome.
        async with uow() as session:
            previous = await _previous(session, contact_id=contact_id, key=key, request_hash=request_hash)
        if previous is None:
            raise
    if previous is not None:
        if previous.outcome is not None:
            return previous.outcome
        return await _await_outcome(uow, previous.regularisation_id)
    assert prepared is not None

    result = await charge_outside_transaction(gateway, prepared.card, prepared.amount, reference=prepared.reference)
    if result is None:
        raise DomainError(
            ErrorCode.DEBIT_ALREADY_SCHEDULED, "regularisation_in_progress", field=["input", "scheduleId"]
        )

    try:
        async with uow() as session:
            row = await record_regularisation(session, prepared.regularisation_id, result, today=today, now=now)
            if row is not None:
                return _outcome(row, replayed=False)
    except Exception:
        log.error("regularisation charge %s made but not recorded: left PENDING to reconcile", prepared.reference)
        raise
    # Someone (the expiry job) recorded this attempt first: answer what it recorded.
    return await _await_outcome(uow, prepared.regularisation_id)


async def _prepare(
    session: AsyncSession,
    *,
    organisation_id: int,
    schedule_id: int,
    contact_id: int,
    count: int,
    card: CardDetails | None,
    key: str,
    request_hash: str,
    today: date,
    now: datetime,
) -> _Prepared:
    """Transaction 1: check everything, then write the PENDING attempt and its PENDING payment."""
    from guichet.domain.payments.rules import new_reference

    rules.require_regularisation_count(count)
    schedule, installments = await _load(session, schedule_id, organisation_id)
    outstanding = rules.outstanding_minor(installments)
    first_number = max((i.number for i in installments), default=0) + 1
    plan = rules.plan_regularisation(outstanding=outstanding, count=count, today=today, first_number=first_number)
    if any(i.kind == rules.REGULARISATION and i.status == rules.PRESENTING for i in installments):
        raise DomainError(ErrorCode.DEBIT_ALREADY_SCHEDULED, field=["input", "scheduleId"])
    charging = (
        await session.execute(
            select(Regularisation.id)
            .where(Regularisation.schedule_id == schedule.id, Regularisation.status == REGULARISATION_PENDING)
            .limit(1)
        )
    ).first()
    if charging is not None:
        raise DomainError(
            ErrorCode.DEBIT_ALREADY_SCHEDULED, "regularisation_in_progress", field=["input", "scheduleId"]
        )
    if card is not None:
        paying = validate_card(card, today=today, field=["input", "card"])
    else:
        on_file = stored_card(schedule)
        if on_file is None:
            raise DomainError(ErrorCode.CARD_INVALID, "card_required", field=["input", "card"])
        paying = on_file
    last_due = max([p.due_date for p in plan] + [i.due_date for i in installments if i.status in rules.SCHEDULED])
    require_valid_through(paying, last_due, field=["input", "card"])

    amount = Money(plan[0].amount_minor, schedule.currency)
    row = Regularisation(
        organisation_id=organisation_id,
        schedule_id=schedule.id,
        contact_id=contact_id,
        idempotency_key=key,
        request_hash=request_hash,
        installment_count=count,
        debt_minor=outstanding,
        first_amount_minor=amount.minor,
        currency=schedule.currency,
        status=REGULARISATION_PENDING,
        created_at=now,
    )
    session.add(row)
    await session.flush()  # claims the key: a concurrent duplicate fails on the unique constraint
    # Another regularisation of this schedule racing with this one fails here (schedule_changed).
    await _claim(session, schedule, now)
    # The charge as a CARD Payment covering no invoice: its reference is what the provider sees.
    payment = models.payments.Payment(
        organisation_id=organisation_id,
        payer_contact_id=contact_id,
        reference=new_reference(),
        method="CARD",
        status="PENDING",
        currency=amount.currency,
        amount_minor=amount.minor,
        received_minor=0,
        card_brand=paying.brand,
        card_last4=paying.last4,
        card_exp_month=paying.exp_month,
        card_exp_year=paying.exp_year,
        created_at=now,
        updated_at=now,
    )
    session.add(payment)
    await session.flush()
    row.payment_id = payment.id
    await session.flush()
    return _Prepared(row.id, payment.id, payment.reference, paying, amount)


async def settle_regularisation_charge(
    session: AsyncSession, *, payment_id: int, result: ChargeResult, now: datetime
) -> int | None:
    """Record a charge's outcome found later (expiry job, card webhook) when it paid a regularisation.

    Return the organisation id when `payment_id` is a regularisation's payment (recorded now, or
    already by someone else), None when it is not one (the caller settles it as an invoice payment).
    """
    found = (
        await session.execute(
            select(Regularisation.id, Regularisation.organisation_id, Regularisation.created_at).where(
                Regularisation.payment_id == payment_id
            )
        )
    ).first()
    if found is None:
        return None
    regularisation_id, organisation_id, created_at = found
    # The plan's dates count from the day of the request, not the day the outcome was found.
    await record_regularisation(session, regularisation_id, result, today=created_at.date(), now=now)
    return int(organisation_id)


async def record_regularisation(
    session: AsyncSession, regularisation_id: int, result: ChargeResult, *, today: date, now: datetime
) -> Regularisation | None:
    """Transaction 2: move a PENDING attempt and its payment to the charge's outcome (no commit).

    On success the new parts are added (the first one PAID), the parts of an earlier plan still
    to come are cancelled, the paying card becomes the schedule's; on failure the schedule does not
    change. Either way the debit is on the ledger and in the audit trail. Return None when the
    attempt had already left PENDING (recorded by someone else).
    """
    outcome = "SUCCEEDED" if result.succeeded else "FAILED"
    provider_reference = result.provider_reference or None
    # The guarded write comes first: on SQLite the transaction takes the write lock at once.
    moved = await session.execute(
        update(Regularisation)
        .where(Regularisation.id == regularisation_id, Regularisation.status == REGULARISATION_PENDING)
        .values(status=outcome, failure_code=result.failure_code, provider_reference=provider_reference)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = (
        await session.execute(
            select(Regularisation)
            .where(Regularisation.id == regularisation_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    Payment = models.payments.Payment
    payment = (
        await session.execute(
            select(Payment).where(Payment.id == row.payment_id).execution_options(populate_existing=True)
        )
    ).scalar_one()
    assert payment.card_brand and payment.card_last4 and payment.card_exp_month and payment.card_exp_year
    paying = StoredCard(payment.card_brand, payment.card_last4, payment.card_exp_month, payment.card_exp_year)
    amount = Money(row.first_amount_minor, row.currency)
    await session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == "PENDING")
        .values(
            status=outcome,
            received_minor=amount.minor if result.succeeded else 0,
            provider_reference=provider_reference or Payment.provider_reference,
            failure_code=result.failure_code,
            completed_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    schedule = (
        await session.execute(
            select(Schedule).where(Schedule.id == row.schedule_id).execution_options(populate_existing=True)
        )
    ).scalar_one()
    session.add(
        ScheduleDebit(
            organisation_id=row.organisation_id,
            schedule_id=schedule.id,
            kind="REGULARISATION",
            amount_minor=amount.minor,
            currency=amount.currency,
            card_last4=paying.last4,
            succeeded=result.succeeded,
            failure_code=result.failure_code,
            provider_reference=provider_reference,
            attempted_at=now,
        )
    )
    if result.succeeded:
        installments = (await installments_of(session, [schedule.id]))[schedule.id]
        if stored_card(schedule) != paying:  # the card that paid is the one the next parts are debited on
            await session.execute(
                update(Schedule)
                .where(Schedule.id == schedule.id)
                .values(
                    card_brand=paying.brand,
                    card_last4=paying.last4,
                    card_exp_month=paying.exp_month,
                    card_exp_year=paying.exp_year,
                )
                .execution_options(synchronize_session=False)
            )
        # A new plan replaces the parts of an earlier one still to come.
        for previous in installments:
            if previous.kind == rules.REGULARISATION and previous.status == rules.PENDING:
                if not await _set_installment(
                    session, previous.id, expected=rules.PENDING, values={"status": rules.CANCELLED}
                ):
                    # collect-debits took it meanwhile; the money is taken, so record rather than refuse.
                    log.error("regularisation %s: part %s is being collected", regularisation_id, previous.id)
        first_number = max((i.number for i in installments), default=0) + 1
        plan = rules.plan_regularisation(
            outstanding=row.debt_minor, count=row.installment_count, today=today, first_number=first_number
        )
        for index, part in enumerate(plan):
            session.add(
                Installment(
                    organisation_id=row.organisation_id,
                    schedule_id=schedule.id,
                    number=part.number,
                    kind=part.kind,
                    due_date=part.due_date,
                    amount_minor=part.amount_minor,
                    status=rules.PAID if index == 0 else rules.PENDING,
                    presented_at=now if index == 0 else None,
                    settled_at=now if index == 0 else None,
                    provider_reference=provider_reference if index == 0 else None,
                    regularisation_id=row.id,
                )
            )
        await session.flush()
        await refresh(session, schedule.id, now)
    count = row.installment_count
    await record_event(
        session,
        at=now,
        organisation_id=row.organisation_id,
        actor_contact_id=row.contact_id,
        action="schedule.regularised" if result.succeeded else "schedule.regularisation_failed",
        summary=(
            f"Regularisation of order {schedule.order_number} in {count}: "
            f"{amount.amount} {amount.currency} {'paid' if result.succeeded else 'declined'}"
        ),
        data={"orderNumber": schedule.order_number, "count": count, "failureCode": result.failure_code},
    )
    await session.flush()
    return row


# ---------------------------------------------------------------- merchant cancellation


@dataclass(frozen=True)
class CancellationResult:
    order_number: str
    cancelled: Money
    status: str
    remaining: list[Money]  # the new amounts of the instalments still to debit


async def cancel(uow: UnitOfWork, *, order_number: str, amount: str | None, now: datetime) -> CancellationResult:
    """A merchant's total (amount None) or partial cancellation of an order paid in instalments.

    Total: every remaining ORIGINAL instalment CANCELLED and the schedule CANCELLED. Partial: the
    remaining balance minus `amount` re-split over the remaining instalments (fees stay on the first);
    paid instalments never change. Raise DomainError: NOT_FOUND (schedule_order_unknown), VALIDATION
    (cancel_amount_decimal_comma, cancel_amount_invalid, cancel_amount_too_large, schedule_nothing_to_cancel, schedule_changed),
    DEBIT_ALREADY_SCHEDULED (a debit is being presented right now: try again later).
    """
    async with uow() as session:
        schedule = (
            await session.execute(select(Schedule).where(Schedule.order_number == order_number))
        ).scalar_one_or_none()
        if schedule is None:
            raise DomainError(ErrorCode.NOT_FOUND, "schedule_order_unknown", params={"order": order_number})
        installments = (await installments_of(session, [schedule.id]))[schedule.id]
        originals = [i for i in installments if i.kind == rules.ORIGINAL]
        if any(i.status == rules.PRESENTING for i in originals):
            raise DomainError(ErrorCode.DEBIT_ALREADY_SCHEDULED)
        remaining = [i for i in originals if i.status == rules.PENDING]
        if not remaining:
            raise DomainError(ErrorCode.VALIDATION, "schedule_nothing_to_cancel", params={"order": order_number})
        fees = schedule.fees_minor if remaining[0].number == 1 else 0
        balance = sum(i.amount_minor for i in remaining) - fees
        if amount is None:  # total: the fees of a first debit not yet made go as well
            cancelled_minor = balance
            new_amounts = [0] * len(remaining)
        else:
            cancelled_minor = rules.parse_cancel_amount(amount, schedule.currency)
            new_amounts = rules.resplit_after_cancellation(
                [i.amount_minor for i in remaining], cancelled_minor, fees_on_first=fees
            )
        await _claim(session, schedule, now)
        for installment, new_amount in zip(remaining, new_amounts, strict=True):
            # A cancelled instalment keeps its amount: the customer sees what was « supprimé ».
            values: dict[str, Any] = {"status": rules.CANCELLED} if new_amount == 0 else {"amount_minor": new_amount}
            if not await _set_installment(session, installment.id, expected=rules.PENDING, values=values):
                raise DomainError(ErrorCode.VALIDATION, "schedule_changed")
        whole = all(a == 0 for a in new_amounts)
        await session.execute(
            update(Schedule)
            .where(Schedule.id == schedule.id)
            .values(cancelled=whole, cancelled_minor=Schedule.cancelled_minor + cancelled_minor)
            .execution_options(synchronize_session=False)
        )
        _, status = await refresh(session, schedule.id, now)
        cancelled = Money(cancelled_minor, schedule.currency)
        await record_event(
            session,
            at=now,
            organisation_id=schedule.organisation_id,
            actor_contact_id=None,
            action="schedule.cancelled" if whole else "schedule.partially_cancelled",
            summary=f"Merchant cancelled {cancelled.amount} {cancelled.currency} of order {order_number}",
            data={"orderNumber": order_number, "amount": str(cancelled.amount)},
        )
        return CancellationResult(
            order_number=order_number,
            cancelled=cancelled,
            status=status,
            remaining=[Money(a, schedule.currency) for a in new_amounts if a > 0],
        )
