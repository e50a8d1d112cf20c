"""The rules of instalment plans: statuses, the card change and regularisation, at their boundaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.schedules import rules


@dataclass
class Part:
    number: int
    due_date: date
    amount_minor: int
    status: str
    kind: str = rules.ORIGINAL


def seed_plan(*statuses: str) -> list[Part]:
    dates = [date(2019, 8, 4), date(2019, 9, 3), date(2019, 10, 3)]
    amounts = [4266, 4265, 4265]
    return [Part(n + 1, d, a, s) for n, (d, a, s) in enumerate(zip(dates, amounts, statuses, strict=True))]


def code(error: DomainError | None) -> ErrorCode | None:
    return error.code if error is not None else None


def test_statuses_follow_the_instalments() -> None:
    assert rules.schedule_status(cancelled=False, installments=seed_plan("PAID", "PAID", "PENDING")) == "IN_PROGRESS"
    assert rules.schedule_status(cancelled=False, installments=seed_plan("PAID", "PAID", "PAID")) == "COMPLETED"
    assert rules.schedule_status(cancelled=False, installments=seed_plan("PAID", "UNPAID", "PENDING")) == "UNPAID"
    assert (
        rules.schedule_status(cancelled=True, installments=seed_plan("PAID", "CANCELLED", "CANCELLED")) == "CANCELLED"
    )


def test_a_regularisation_in_progress_then_cleared() -> None:
    plan = seed_plan("PAID", "UNPAID", "PAID")
    plan += [Part(4, date(2019, 11, 1), 2133, "PAID", rules.REGULARISATION)]
    plan += [Part(5, date(2019, 12, 1), 2132, "PENDING", rules.REGULARISATION)]
    assert rules.schedule_status(cancelled=False, installments=plan) == "IN_REGULARISATION"
    assert rules.outstanding_minor(plan) == 2132
    assert rules.regularised_minor(plan) == 2133
    plan[-1].status = "PAID"
    assert rules.schedule_status(cancelled=False, installments=plan) == "COMPLETED"
    assert rules.outstanding_minor(plan) == 0


def test_a_missed_debt_outlives_the_merchants_cancellation() -> None:
    plan = seed_plan("PAID", "UNPAID", "CANCELLED")
    assert rules.schedule_status(cancelled=True, installments=plan) == "UNPAID"


def test_the_card_may_change_exactly_7_days_before_the_next_debit() -> None:
    plan = seed_plan("PAID", "PAID", "PENDING")  # next debit 03/10/2019
    assert rules.card_change_refusal(status="IN_PROGRESS", installments=plan, today=date(2019, 9, 26)) is None
    refusal = rules.card_change_refusal(status="IN_PROGRESS", installments=plan, today=date(2019, 9, 27))
    assert code(refusal) == ErrorCode.DEBIT_ALREADY_SCHEDULED


def test_the_card_cannot_change_while_a_debit_is_being_presented() -> None:
    plan = seed_plan("PAID", "PAID", "PRESENTING")
    refusal = rules.card_change_refusal(status="IN_PROGRESS", installments=plan, today=date(2019, 8, 1))
    assert code(refusal) == ErrorCode.DEBIT_ALREADY_SCHEDULED


def test_the_card_cannot_change_while_unpaid_nor_when_nothing_is_left() -> None:
    unpaid = seed_plan("PAID", "UNPAID", "PENDING")
    assert code(rules.card_change_refusal(status="UNPAID", installments=unpaid, today=date(2019, 9, 10))) == (
        ErrorCode.SCHEDULE_UNPAID
    )
    done = seed_plan("PAID", "PAID", "PAID")
    refusal = rules.card_change_refusal(status="COMPLETED", installments=done, today=date(2019, 11, 1))
    assert code(refusal) == ErrorCode.VALIDATION
    assert refusal is not None and refusal.message_key == "schedule_finished"


def test_the_last_scheduled_due_date_ignores_settled_instalments() -> None:
    assert rules.last_scheduled_due(seed_plan("PAID", "PENDING", "PENDING")) == date(2019, 10, 3)
    assert rules.last_scheduled_due(seed_plan("PAID", "PAID", "PAID")) is None


def test_a_regularisation_plan_starts_today_then_every_30_days() -> None:
    plan = rules.plan_regularisation(outstanding=15918, count=3, today=date(2026, 11, 25), first_number=4)
    assert [(p.number, p.due_date, p.amount_minor, p.kind) for p in plan] == [
        (4, date(2026, 11, 25), 5306, "REGULARISATION"),
        (5, date(2026, 12, 25), 5306, "REGULARISATION"),
        (6, date(2027, 1, 24), 5306, "REGULARISATION"),
    ]


@pytest.mark.parametrize("count", [0, 4, -1, 12])
def test_only_1_2_or_3_payments(count: int) -> None:
    with pytest.raises(DomainError) as raised:
        rules.plan_regularisation(outstanding=15918, count=count, today=date(2026, 11, 25), first_number=4)
    assert raised.value.code == ErrorCode.INSTALLMENT_COUNT_NOT_ALLOWED
    assert raised.value.field == ["input", "installmentCount"]


def test_nothing_to_regularise() -> None:
    with pytest.raises(DomainError) as raised:
        rules.plan_regularisation(outstanding=0, count=1, today=date(2026, 11, 25), first_number=4)
    assert raised.value.code == ErrorCode.NOTHING_TO_REGULARISE


def test_a_cancellation_larger_than_the_balance_is_refused() -> None:
    with pytest.raises(DomainError) as raised:
        rules.resplit_after_cancellation([4265, 4265], 8531)
    assert raised.value.message_key == "cancel_amount_too_large"
    assert rules.resplit_after_cancellation([4265, 4265], 8530) == [0, 0]


def test_presenting_shows_as_pending() -> None:
    assert rules.displayed_status("PRESENTING") == "PENDING"
    assert rules.displayed_status("UNPAID") == "UNPAID"
