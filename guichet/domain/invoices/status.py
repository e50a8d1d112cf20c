"""Invoice status: ONE rule, written twice side by side (Python for a row, SQL for a query).

OPEN = to pay, not yet due (« A payer » / « Ouverte »); OVERDUE = past due and unpaid
(« En retard »); PAID = settled (« Payé » / « Clôturée »). "Past due" is relative to the day the
request's clock gives: an invoice due today is still OPEN. The SQL expressions below are what
list filters and displayed statuses both use, so a filtered list always agrees with the status
shown; tests/unit/test_invoice_status.py checks the Python and SQL forms agree case by case.

"Paid" is what is settled: `amount_paid_minor` counts payments and redeemed rewards alike
(`rewards_applied_minor` of it), so an invoice settled by rewards is PAID and owes nothing, on
every path that reads these columns (lists, the compiled plan, payments, autopay, exports).
What payments alone paid is paid_by_payments_minor.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, case, literal, not_, or_

from guichet.domain.models import Invoice

OPEN = "OPEN"
OVERDUE = "OVERDUE"
PAID = "PAID"
# The order finance contacts read them in (Oracle: « En retard », « Ouvertes », « Clôturées »).
STATUSES: tuple[str, ...] = (OVERDUE, OPEN, PAID)

_t = Invoice.__table__


def invoice_status(*, total_minor: int, paid_minor: int, due_date: date, today: date) -> str:
    """The status of one invoice on `today`."""
    if paid_minor >= total_minor:
        return PAID
    if due_date < today:
        return OVERDUE
    return OPEN


def amount_due_minor(total_minor: int, paid_minor: int) -> int:
    """What is left to pay; never negative (an overpayment is not a credit here)."""
    return max(total_minor - paid_minor, 0)


def paid_by_payments_minor(settled_minor: int, rewards_applied_minor: int) -> int:
    """What payments paid of what is settled (Invoice.amountPaid; rewards shown apart)."""
    return settled_minor - rewards_applied_minor


def _paid() -> ColumnElement[bool]:
    return _t.c.amount_paid_minor >= _t.c.total_minor


def status_column(today: date) -> ColumnElement[str]:
    """SQL: the status of each row on `today` (same rule as invoice_status)."""
    return case(
        (_paid(), literal(PAID)),
        (_t.c.due_date < today, literal(OVERDUE)),
        else_=literal(OPEN),
    )


def amount_due_column() -> ColumnElement[int]:
    """SQL: amount_due_minor of each row."""
    return case((_paid(), literal(0)), else_=_t.c.total_minor - _t.c.amount_paid_minor)


def status_condition(status: str, today: date) -> ColumnElement[bool]:
    """SQL: rows whose status on `today` is `status` (index-friendly, no CASE in WHERE)."""
    if status == PAID:
        return _paid()
    if status == OVERDUE:
        return and_(not_(_paid()), _t.c.due_date < today)
    if status == OPEN:
        return and_(not_(_paid()), _t.c.due_date >= today)
    raise ValueError(f"unknown invoice status {status!r}")


def statuses_condition(statuses: frozenset[str], today: date) -> ColumnElement[bool]:
    """SQL: rows whose status is one of `statuses` (all rows when it names all three)."""
    return or_(*(status_condition(s, today) for s in STATUSES if s in statuses))
