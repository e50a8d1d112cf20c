"""Services of instalment plans: each owns one transaction and applies the rules of rules.py.

Exactly-once rests on the database: every state change is an UPDATE guarded by the state (or the
schedule's version) it was decided on, and its rowcount is checked, because SQLite ignores
SELECT ... FOR UPDATE. A concurrent writer that loses the race gets a refusal, never a double
charge.
"""

from __future__ import annotations

import hashlib
import json
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
from guichet.domain.gateways.card import CardGateway, SandboxCardGateway
from guichet.domain.models.schedules import Installment, Regularisation, Schedule, ScheduleDebit
from guichet.domain.money import Money, MoneyError, parse_amount
from guichet.domain.schedules import rules

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]
MAX_KEY_LENGTH = 255


def card_gateway(services: dict[str, Any]) -> CardGateway:
    """The configured card provider (services["card_gateway"]), else the sandbox."""
    gateway = services.get("card_gateway")
    return gateway if gateway is not None else SandboxCardGateway()


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


@dataclass(frozen=True)
class RegularisationOutcome:
    schedule_id: int
    succeeded: bool
    amount: Money  # the part charged now
    cleared: bool  # the whole debt is settled by this payment
    failure_code: str | None
    payment_id: int | None
    replayed: bool


def _request_hash(schedule_id: int, count: int, card: CardDetails | None) -> str:
    """A fingerprint of the request: never the card number, only what may be stored of it."""
    described: dict[str, object] = {"schedule": schedule_id, "count": count, "card": None}
    if card is not None:
        number = card.number.replace(" ", "").replace("-", "")
        described["card"] = [number[-4:], card.exp_month, card.exp_year]
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def _outcome(row: Regularisation, *, cleared: bool, replayed: bool) -> RegularisationOutcome:
    return RegularisationOutcome(
        schedule_id=row.schedule_id,
        succeeded=row.status == "SUCCEEDED",
        amount=Money(row.first_amount_minor, row.currency),
        cleared=cleared,
        failure_code=row.failure_code,
        payment_id=row.payment_id,
        replayed=replayed,
    )


async def _replay(
    session: AsyncSession, *, contact_id: int, key: str, request_hash: str
) -> RegularisationOutcome | None:
    row = (
        await session.execute(
            select(Regularisation).where(Regularisation.contact_id == contact_id, Regularisation.idempotency_key == key)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, field=["input", "idempotencyKey"])
    return _outcome(row, cleared=row.status == "SUCCEEDED" and row.first_amount_minor == row.debt_minor, replayed=True)


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

    Same key and same request -> the first outcome, never a second charge; same key, other
    request -> DomainError(IDEMPOTENCY_KEY_REUSED). Other refusals (nothing charged, nothing
    kept): NOT_FOUND, INSTALLMENT_COUNT_NOT_ALLOWED, NOTHING_TO_REGULARISE, CARD_INVALID,
    CARD_BRAND_NOT_ACCEPTED, CARD_EXPIRES_TOO_SOON, DEBIT_ALREADY_SCHEDULED (a part is being
    collected), VALIDATION (schedule_changed). A declined card is not a refusal: the outcome says
    so, the attempt is kept, and the schedule does not change.
    """
    key = idempotency_key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(ErrorCode.VALIDATION, field=["input", "idempotencyKey"])
    request_hash = _request_hash(schedule_id, installment_count, card)
    try:
        async with uow() as session:
            replay = await _replay(session, contact_id=contact_id, key=key, request_hash=request_hash)
            if replay is not None:
                return replay
            return await _regularise(
                session,
                organisation_id=organisation_id,
                schedule_id=schedule_id,
                contact_id=contact_id,
                count=installment_count,
                card=card,
                key=key,
                request_hash=request_hash,
                gateway=gateway,
                today=today,
                now=now,
            )
    except IntegrityError:
        # A concurrent request claimed the same key first: answer with its outcome.
        async with uow() as session:
            replay = await _replay(session, contact_id=contact_id, key=key, request_hash=request_hash)
        if replay is None:
            raise
        return replay


async def _regularise(
    session: AsyncSession,
    *,
    organisation_id: int,
    schedule_id: int,
    contact_id: int,
    count: int,
    card: CardDetails | None,
    key: str,
    request_hash: str,
    gateway: CardGateway,
    today: date,
    now: datetime,
) -> RegularisationOutcome:
    rules.require_regularisation_count(count)
    schedule, installments = await _load(session, schedule_id, organisation_id)
    outstanding = rules.outstanding_minor(installments)
    first_number = max((i.number for i in installments), default=0) + 1
    plan = rules.plan_regularisation(outstanding=outstanding, count=count, today=today, first_number=first_number)
    if any(i.kind == rules.REGULARISATION and i.status == rules.PRESENTING for i in installments):
        raise DomainError(ErrorCode.DEBIT_ALREADY_SCHEDULED, field=["input", "scheduleId"])
    if card is not None:
        paying = validate_card(card, today=today, field=["input", "card"])
    else:
        on_file = stored_card(schedule)
        if on_file is None:
            raise DomainError(ErrorCode.CARD_INVALID, "card_required", field=["input", "card"])
        paying = on_file
    last_due = max([p.due_date for p in plan] + [i.due_date for i in installments if i.status in rules.SCHEDULED])
    require_valid_through(paying, last_due, field=["input", "card"])

    row = Regularisation(
        organisation_id=organisation_id,
        schedule_id=schedule.id,
        contact_id=contact_id,
        idempotency_key=key,
        request_hash=request_hash,
        installment_count=count,
        debt_minor=outstanding,
        first_amount_minor=plan[0].amount_minor,
        currency=schedule.currency,
        status="PENDING",
        created_at=now,
    )
    session.add(row)
    await session.flush()  # claims the key: a concurrent duplicate fails on the unique constraint
    await _claim(session, schedule, now)

    amount = Money(plan[0].amount_minor, schedule.currency)
    result = await gateway.charge(paying, amount, reference=f"schedule-regularisation-{row.id}")
    row.status = "SUCCEEDED" if result.succeeded else "FAILED"
    row.failure_code = result.failure_code
    row.provider_reference = result.provider_reference
    session.add(
        ScheduleDebit(
            organisation_id=organisation_id,
            schedule_id=schedule.id,
            kind="REGULARISATION",
            amount_minor=amount.minor,
            currency=amount.currency,
            card_last4=paying.last4,
            succeeded=result.succeeded,
            failure_code=result.failure_code,
            provider_reference=result.provider_reference,
            attempted_at=now,
        )
    )
    row.payment_id = await _record_payment(
        session,
        organisation_id=organisation_id,
        contact_id=contact_id,
        amount=amount,
        card=paying,
        succeeded=result.succeeded,
        failure_code=result.failure_code,
        provider_reference=result.provider_reference,
        now=now,
    )
    if result.succeeded:
        if card is not None:  # the card that paid is the one the next parts are debited on
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
                    raise DomainError(ErrorCode.DEBIT_ALREADY_SCHEDULED, field=["input", "scheduleId"])
        for index, part in enumerate(plan):
            session.add(
                Installment(
                    organisation_id=organisation_id,
                    schedule_id=schedule.id,
                    number=part.number,
                    kind=part.kind,
                    due_date=part.due_date,
                    amount_minor=part.amount_minor,
                    status=rules.PAID if index == 0 else rules.PENDING,
                    presented_at=now if index == 0 else None,
                    settled_at=now if index == 0 else None,
                    provider_reference=result.provider_reference if index == 0 else None,
                    regularisation_id=row.id,
                )
            )
        await session.flush()
        await refresh(session, schedule.id, now)
    await record_event(
        session,
        at=now,
        organisation_id=organisation_id,
        actor_contact_id=contact_id,
        action="schedule.regularised" if result.succeeded else "schedule.regularisation_failed",
        summary=(
            f"Regularisation of order {schedule.order_number} in {count}: "
            f"{amount.amount} {amount.currency} {'paid' if result.succeeded else 'declined'}"
        ),
        data={"orderNumber": schedule.order_number, "count": count, "failureCode": result.failure_code},
    )
    await session.flush()
    return _outcome(row, cleared=result.succeeded and count == 1, replayed=False)


async def _record_payment(
    session: AsyncSession,
    *,
    organisation_id: int,
    contact_id: int,
    amount: Money,
    card: StoredCard,
    succeeded: bool,
    failure_code: str | None,
    provider_reference: str,
    now: datetime,
) -> int:
    """Record the regularisation charge as a CARD Payment (covering no invoice); return its id."""
    from guichet.domain.payments.rules import new_reference

    payment = models.payments.Payment(
        organisation_id=organisation_id,
        payer_contact_id=contact_id,
        reference=new_reference(),
        method="CARD",
        status="SUCCEEDED" if succeeded else "FAILED",
        currency=amount.currency,
        amount_minor=amount.minor,
        received_minor=amount.minor if succeeded else 0,
        provider_reference=provider_reference,
        card_brand=card.brand,
        card_last4=card.last4,
        card_exp_month=card.exp_month,
        card_exp_year=card.exp_year,
        failure_code=failure_code,
        created_at=now,
        updated_at=now,
        completed_at=now,
    )
    session.add(payment)
    await session.flush()
    return payment.id


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
    (cancel_amount_invalid, cancel_amount_too_large, schedule_nothing_to_cancel, schedule_changed),
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
            try:
                cancelled_minor = parse_amount(amount, schedule.currency).minor
            except MoneyError:
                raise DomainError(ErrorCode.VALIDATION, "cancel_amount_invalid", field=["amount"]) from None
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
