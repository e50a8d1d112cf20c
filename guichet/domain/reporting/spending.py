"""Spending: invoiced, paid and due amounts grouped by month, service type, billing account, line.

One statement on both databases. Invoices are grouped by issue date (MONTH is the first day of
the issue month) and always by currency (Money never adds two currencies). `paid` counts what
settles the invoice, never more than its total, so `invoiced = paid + due` in every row.

Grouped by LINE, the amounts are the invoice lines' amounts: a partial payment settles an
invoice's lines in their printed order (a window sum over the lines before it), so the lines'
paid amounts add up exactly to the invoice's and nothing is rounded. A line with no fleet
number (a subscription fee) is grouped under a null line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, extract, false, func, literal, select

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.models import BillingAccount, Invoice, InvoiceLine, Line

DIMENSIONS = ("MONTH", "SERVICE_TYPE", "BILLING_ACCOUNT", "LINE")
# An organisation's reports span at most this many days per call (ten years and a margin).
MAX_RANGE_DAYS = 3700

_i = Invoice.__table__
_l = InvoiceLine.__table__
_a = BillingAccount.__table__
_fleet = Line.__table__


@dataclass(frozen=True)
class SpendingRequest:
    organisation_id: int
    # None: every billing account; else only these.
    account_ids: frozenset[int] | None
    issued_from: date
    issued_to: date
    group_by: tuple[str, ...]

    def validate(self) -> None:
        """Raise DomainError(VALIDATION) for a reversed or too long range."""
        if self.issued_from > self.issued_to:
            raise DomainError(ErrorCode.VALIDATION, "spending_range_reversed", field=["to"])
        if (self.issued_to - self.issued_from).days > MAX_RANGE_DAYS:
            raise DomainError(
                ErrorCode.VALIDATION, "spending_range_too_long", field=["to"], params={"days": MAX_RANGE_DAYS}
            )


@dataclass(frozen=True)
class SpendingRow:
    month: date | None
    service_type: str | None
    billing_account: BillingAccount | None
    line: Line | None
    currency: str
    invoice_count: int
    invoiced_minor: int
    paid_minor: int
    due_minor: int


def _settled() -> Any:
    """What settles an invoice: its amount paid, never more than its total."""
    return case((_i.c.amount_paid_minor >= _i.c.total_minor, _i.c.total_minor), else_=_i.c.amount_paid_minor)


def spending_statement(request: SpendingRequest) -> Select[Any]:
    """The grouped totals, ordered by month, service type, account number and line number."""
    dims = set(request.group_by)
    where = [
        _i.c.organisation_id == request.organisation_id,
        _i.c.issue_date >= request.issued_from,
        _i.c.issue_date <= request.issued_to,
    ]
    if request.account_ids is not None:
        where.append(_i.c.billing_account_id.in_(sorted(request.account_ids)) if request.account_ids else false())
    if "LINE" in dims:
        settled = _settled()
        before = (
            func.sum(_l.c.amount_minor).over(
                partition_by=_l.c.invoice_id, order_by=(_l.c.position, _l.c.id), rows=(None, 0)
            )
            - _l.c.amount_minor
        )
        base = (
            select(
                _i.c.id.label("invoice_id"),
                _i.c.issue_date,
                _i.c.service_type,
                _i.c.billing_account_id,
                _i.c.currency,
                _l.c.line_number,
                _l.c.amount_minor.label("invoiced"),
                (settled - before).label("left"),
            )
            .join(_i, _i.c.id == _l.c.invoice_id)
            .where(and_(*where))
            .subquery("spent")
        )
        left = base.c.left
        paid = case((left <= 0, literal(0)), (left >= base.c.invoiced, base.c.invoiced), else_=left)
    else:
        settled = _settled()
        base = (
            select(
                _i.c.id.label("invoice_id"),
                _i.c.issue_date,
                _i.c.service_type,
                _i.c.billing_account_id,
                _i.c.currency,
                _i.c.total_minor.label("invoiced"),
                settled.label("settled"),
            )
            .where(and_(*where))
            .subquery("spent")
        )
        paid = base.c.settled
    columns: list[Any] = [base.c.currency]
    order: list[Any] = []
    group: list[Any] = [base.c.currency]
    statement_joins: list[tuple[Any, Any]] = []
    if "MONTH" in dims:
        year = extract("year", base.c.issue_date)
        month = extract("month", base.c.issue_date)
        columns += [year.label("year"), month.label("month")]
        group += [year, month]
        order += [year, month]
    if "SERVICE_TYPE" in dims:
        columns.append(base.c.service_type)
        group.append(base.c.service_type)
        order.append(base.c.service_type)
    if "BILLING_ACCOUNT" in dims:
        columns += [
            _a.c.id.label("account_id"),
            _a.c.number.label("account_number"),
            _a.c.name.label("account_name"),
        ]
        group += [_a.c.id, _a.c.number, _a.c.name]
        order.append(_a.c.number)
        statement_joins.append((_a, _a.c.id == base.c.billing_account_id))
    if "LINE" in dims:
        columns += [
            base.c.line_number,
            _fleet.c.id.label("line_id"),
            _fleet.c.billing_account_id.label("line_account_id"),
            _fleet.c.service_type.label("line_service_type"),
        ]
        group += [base.c.line_number, _fleet.c.id, _fleet.c.billing_account_id, _fleet.c.service_type]
        # Lines without a number last, on both databases.
        order += [case((base.c.line_number.is_(None), 1), else_=0), base.c.line_number]
        statement_joins.append(
            (
                _fleet,
                and_(_fleet.c.number == base.c.line_number, _fleet.c.organisation_id == request.organisation_id),
            )
        )
    statement = select(
        *columns,
        func.count(func.distinct(base.c.invoice_id)).label("invoice_count"),
        func.coalesce(func.sum(base.c.invoiced), 0).label("invoiced"),
        func.coalesce(func.sum(paid), 0).label("paid"),
    ).select_from(base)
    for table, on in statement_joins:
        statement = statement.outerjoin(table, on)
    return statement.group_by(*group).order_by(*order, base.c.currency)


def rows_of(result: Sequence[Any], request: SpendingRequest) -> list[SpendingRow]:
    """The statement's rows as SpendingRows (billing accounts and lines built from the same row)."""
    dims = set(request.group_by)
    rows = []
    for r in result:
        account = None
        if "BILLING_ACCOUNT" in dims and r.account_id is not None:
            account = BillingAccount(
                id=r.account_id, organisation_id=request.organisation_id, number=r.account_number, name=r.account_name
            )
        line = None
        if "LINE" in dims and r.line_id is not None:
            line = Line(
                id=r.line_id,
                organisation_id=request.organisation_id,
                number=r.line_number,
                billing_account_id=r.line_account_id,
                service_type=r.line_service_type,
            )
        invoiced, paid = int(r.invoiced), int(r.paid)
        rows.append(
            SpendingRow(
                month=date(int(r.year), int(r.month), 1) if "MONTH" in dims else None,
                service_type=r.service_type if "SERVICE_TYPE" in dims else None,
                billing_account=account,
                line=line,
                currency=r.currency,
                invoice_count=int(r.invoice_count),
                invoiced_minor=invoiced,
                paid_minor=paid,
                due_minor=invoiced - paid,
            )
        )
    return rows
