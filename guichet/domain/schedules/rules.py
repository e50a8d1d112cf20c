"""The pure rules of instalment plans: splitting, due dates, statuses, card change and regularisation.

No database here: functions take plain values (or rows read as values) and return values or raise
DomainError, so every rule is unit-tested on its own and used by the services and the API alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.money import MoneyError, parse_amount, split_minor

# The seed: first instalment on the purchase date, the next ones every 30 days.
INTERVAL = timedelta(days=30)
# The seed: "le client dispose d'un délai de 7 jours maximum pour modifier son n° de carte avant la
# présentation de son futur prélèvement": a change exactly 7 days before is still allowed.
CARD_CHANGE_NOTICE = timedelta(days=7)
REGULARISATION_COUNTS = (1, 2, 3)

ORIGINAL = "ORIGINAL"
REGULARISATION = "REGULARISATION"

PENDING = "PENDING"
PRESENTING = "PRESENTING"  # claimed by collect-debits, outcome not yet recorded; shown as PENDING
PAID = "PAID"
UNPAID = "UNPAID"
CANCELLED = "CANCELLED"
SCHEDULED = frozenset({PENDING, PRESENTING})

IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
IN_REGULARISATION = "IN_REGULARISATION"


class InstallmentLike(Protocol):
    """What the rules read of an instalment (the ORM row or a plain value)."""

    @property
    def number(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def due_date(self) -> date: ...
    @property
    def amount_minor(self) -> int: ...
    @property
    def status(self) -> str: ...


@dataclass(frozen=True)
class PlannedInstallment:
    number: int
    kind: str
    due_date: date
    amount_minor: int
    status: str = PENDING


def split_installments(total_minor: int, count: int) -> list[int]:
    """Equal parts adding up to `total_minor` exactly, the remainder units all on the first one.

    127.96 in 3 -> 42.66, 42.65, 42.65; 200.00 in 3 -> 66.68, 66.66, 66.66.

    Raise MoneyError for a count below 1 or above the total (every part is at least one minor unit).
    """
    if count < 1:
        raise MoneyError("an instalment plan has at least one instalment")
    if count > total_minor:
        raise MoneyError("cannot split into parts smaller than one minor unit")
    return split_minor(total_minor, count)


def due_dates(first: date, count: int) -> list[date]:
    """The first on `first`, then every 30 days (04/08/2019 -> 03/09/2019 -> 03/10/2019)."""
    return [first + INTERVAL * i for i in range(count)]


def plan_installments(
    *, purchase_minor: int, fees_minor: int, count: int, purchase_date: date
) -> list[PlannedInstallment]:
    """The ORIGINAL instalments of a purchase: the amount split, the fees collected with the first one.

    Fees are a one-off "frais de dossier": shown on the plan, added to the first debit, never split.
    """
    parts = split_installments(purchase_minor, count)
    parts[0] += fees_minor
    return [
        PlannedInstallment(number=i + 1, kind=ORIGINAL, due_date=d, amount_minor=a)
        for i, (d, a) in enumerate(zip(due_dates(purchase_date, count), parts, strict=True))
    ]


def debt_minor(installments: Iterable[InstallmentLike]) -> int:
    """The unpaid debt: every ORIGINAL instalment the card provider refused."""
    return sum(i.amount_minor for i in installments if i.kind == ORIGINAL and i.status == UNPAID)


def regularised_minor(installments: Iterable[InstallmentLike]) -> int:
    """What the regularisation parts paid so far."""
    return sum(i.amount_minor for i in installments if i.kind == REGULARISATION and i.status == PAID)


def outstanding_minor(installments: Sequence[InstallmentLike]) -> int:
    """The unpaid debt still to regularise (never negative)."""
    return max(debt_minor(installments) - regularised_minor(installments), 0)


def schedule_status(*, cancelled: bool, installments: Sequence[InstallmentLike]) -> str:
    """The schedule's status, derived from its instalments.

    A debt still owed wins (UNPAID, or IN_REGULARISATION while regularisation parts are scheduled),
    even after a merchant's cancellation: cancelling an order cancels the future debits, not the
    missed ones. Otherwise CANCELLED, IN_PROGRESS while ORIGINAL debits remain, else COMPLETED.
    """
    if outstanding_minor(installments) > 0:
        planned = any(i.kind == REGULARISATION and i.status in SCHEDULED for i in installments)
        return IN_REGULARISATION if planned else UNPAID
    if cancelled:
        return CANCELLED
    if any(i.kind == ORIGINAL and i.status in SCHEDULED for i in installments):
        return IN_PROGRESS
    return COMPLETED


def displayed_status(installment_status: str) -> str:
    """PRESENTING is an internal step: the customer sees a debit under way as PENDING (« en cours »)."""
    return PENDING if installment_status == PRESENTING else installment_status


def next_debit(installments: Iterable[InstallmentLike]) -> InstallmentLike | None:
    scheduled = [i for i in installments if i.status in SCHEDULED]
    return min(scheduled, key=lambda i: (i.due_date, i.number)) if scheduled else None


def last_scheduled_due(installments: Iterable[InstallmentLike]) -> date | None:
    dates = [i.due_date for i in installments if i.status in SCHEDULED]
    return max(dates) if dates else None


def card_change_refusal(*, status: str, installments: Sequence[InstallmentLike], today: date) -> DomainError | None:
    """Why the card of this schedule cannot change today, or None when it can.

    SCHEDULE_UNPAID while unpaid (« Régulariser » replaces « Modifier »); VALIDATION
    (schedule_finished) when no debit is left; DEBIT_ALREADY_SCHEDULED when the next debit is
    under way or less than 7 days away (exactly 7 days is still allowed).
    """
    if status == UNPAID:
        return DomainError(ErrorCode.SCHEDULE_UNPAID, field=["input", "scheduleId"])
    upcoming = next_debit(installments)
    if upcoming is None:
        return DomainError(ErrorCode.VALIDATION, "schedule_finished", field=["input", "scheduleId"])
    if upcoming.status == PRESENTING or upcoming.due_date - today < CARD_CHANGE_NOTICE:
        return DomainError(
            ErrorCode.DEBIT_ALREADY_SCHEDULED,
            field=["input", "scheduleId"],
            params={"date": upcoming.due_date.strftime("%d/%m/%Y")},
        )
    return None


def regularisation_options(outstanding: int) -> list[tuple[int, list[int]]]:
    """(count, amounts) for 1, 2 and 3 payments, each adding up to `outstanding` exactly.

    159.18 -> [159.18], [79.59, 79.59], [53.06, 53.06, 53.06]. Nothing when nothing is owed; a
    count is left out when the debt has fewer minor units than payments.
    """
    if outstanding <= 0:
        return []
    return [(n, split_minor(outstanding, n)) for n in REGULARISATION_COUNTS if n <= outstanding]


def require_regularisation_count(count: int) -> None:
    """Raise DomainError(INSTALLMENT_COUNT_NOT_ALLOWED) for any count but 1, 2 or 3."""
    if count not in REGULARISATION_COUNTS:
        raise DomainError(
            ErrorCode.INSTALLMENT_COUNT_NOT_ALLOWED, field=["input", "installmentCount"], params={"count": count}
        )


def plan_regularisation(*, outstanding: int, count: int, today: date, first_number: int) -> list[PlannedInstallment]:
    """The regularisation parts: the first one today (paid at once), the others every 30 days.

    Raise DomainError(NOTHING_TO_REGULARISE) when nothing is owed, and
    DomainError(INSTALLMENT_COUNT_NOT_ALLOWED) for a count outside 1..3 or above the debt's units.
    """
    require_regularisation_count(count)
    if outstanding <= 0:
        raise DomainError(ErrorCode.NOTHING_TO_REGULARISE, field=["input", "scheduleId"])
    if count > outstanding:
        raise DomainError(
            ErrorCode.INSTALLMENT_COUNT_NOT_ALLOWED, field=["input", "installmentCount"], params={"count": count}
        )
    amounts = split_minor(outstanding, count)
    return [
        PlannedInstallment(number=first_number + i, kind=REGULARISATION, due_date=d, amount_minor=a)
        for i, (d, a) in enumerate(zip(due_dates(today, count), amounts, strict=True))
    ]


def parse_cancel_amount(text: str, currency: str) -> int:
    """The minor units of a merchant's cancellation amount written as a decimal with a dot.

    Raise DomainError(VALIDATION, cancel_amount_decimal_comma) for a comma ("10,00": the French
    way of writing it, refused rather than guessed: "1,000" could be a thousand or one), and
    DomainError(VALIDATION, cancel_amount_invalid) for anything else that is not an amount.
    """
    if "," in text:
        raise DomainError(
            ErrorCode.VALIDATION, "cancel_amount_decimal_comma", field=["amount"], params={"amount": text}
        )
    try:
        return parse_amount(text, currency).minor
    except MoneyError:
        raise DomainError(ErrorCode.VALIDATION, "cancel_amount_invalid", field=["amount"]) from None


def resplit_after_cancellation(remaining: Sequence[int], cancelled_minor: int, *, fees_on_first: int = 0) -> list[int]:
    """New amounts of the remaining (PENDING) instalments after a partial cancellation.

    The remaining balance minus the cancelled amount is split over the same instalments by the
    same rule; instalments that would be left with nothing get 0 (the caller cancels them).
    `fees_on_first` (the fees, when the first remaining one is the plan's first) are not part of
    the purchase: they stay on the first instalment and cannot be cancelled.
    Raise DomainError(VALIDATION, cancel_amount_too_large) when the amount exceeds the balance and
    DomainError(VALIDATION, cancel_amount_invalid) when it is not positive.
    """
    balance = sum(remaining) - fees_on_first
    if cancelled_minor <= 0:
        raise DomainError(ErrorCode.VALIDATION, "cancel_amount_invalid", field=["amount"])
    if cancelled_minor > balance:
        raise DomainError(ErrorCode.VALIDATION, "cancel_amount_too_large", field=["amount"])
    left = balance - cancelled_minor
    count = min(len(remaining), left)
    parts = (split_minor(left, count) if count else []) + [0] * (len(remaining) - count)
    parts[0] += fees_on_first
    return parts
