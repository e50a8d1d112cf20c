"""The invoice status rule: Python (one row) and SQL (filters, displayed status) always agree."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, insert, select

from guichet.domain import models
from guichet.domain.invoices import status as rules

TODAY = date(2026, 11, 25)
# (total, paid, due) -> status on TODAY
CASES = [
    ((25000, 0, date(2026, 11, 24)), rules.OVERDUE),
    ((25000, 0, date(2026, 11, 25)), rules.OPEN),  # due today: not late yet
    ((25000, 0, date(2026, 11, 26)), rules.OPEN),
    ((25000, 24999, date(2026, 10, 1)), rules.OVERDUE),  # one unit short is still unpaid
    ((25000, 25000, date(2026, 10, 1)), rules.PAID),
    ((25000, 30000, date(2026, 12, 1)), rules.PAID),  # overpaid
    ((0, 0, date(2026, 10, 1)), rules.PAID),  # nothing to pay
]


@pytest.mark.parametrize(("amounts", "expected"), CASES)
def test_status_rule(amounts: tuple[int, int, date], expected: str) -> None:
    total, paid, due = amounts
    assert rules.invoice_status(total_minor=total, paid_minor=paid, due_date=due, today=TODAY) == expected


def test_amount_due_is_never_negative() -> None:
    assert rules.amount_due_minor(25000, 10000) == 15000
    assert rules.amount_due_minor(25000, 30000) == 0


def test_sql_status_and_filters_agree_with_the_python_rule() -> None:
    engine = create_engine("sqlite://")
    models.Base.metadata.create_all(engine)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(models.Organisation),
            [{"id": 1, "name": "O", "kind": "BUSINESS", "currency": "XOF", "created_at": now}],
        )
        connection.execute(
            insert(models.BillingAccount), [{"id": 1, "organisation_id": 1, "number": "BA", "name": "A"}]
        )
        connection.execute(
            insert(models.Invoice),
            [
                {
                    "id": i,
                    "organisation_id": 1,
                    "billing_account_id": 1,
                    "number": f"F-{i}",
                    "service_type": "MOBILE",
                    "issue_date": date(2026, 9, 1),
                    "due_date": due,
                    "currency": "XOF",
                    "total_minor": total,
                    "amount_paid_minor": paid,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, ((total, paid, due), _) in enumerate(CASES, start=1)
            ],
        )
        table = models.Invoice.__table__
        shown = dict(connection.execute(select(table.c.id, rules.status_column(TODAY)).order_by(table.c.id)).all())
        due = dict(connection.execute(select(table.c.id, rules.amount_due_column())).all())
        filtered = {
            status: {
                row for (row,) in connection.execute(select(table.c.id).where(rules.status_condition(status, TODAY)))
            }
            for status in rules.STATUSES
        }
    for i, ((total, paid, _), expected) in enumerate(CASES, start=1):
        assert shown[i] == expected
        assert due[i] == rules.amount_due_minor(total, paid)
        assert i in filtered[expected]
        assert all(i not in rows for status, rows in filtered.items() if status != expected)


def test_an_unknown_status_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        rules.status_condition("LATE", TODAY)
