"""The invoice list as SQL: tenant and scope first, then the filters, keyset order, summary.

Every statement here starts from `organisation_id = :org` and, for a contact whose roles reach
only some billing accounts, `billing_account_id IN (:scope)`: an invoice outside them is never
read, counted or summed (ACCESS.md rules 2 and 7). Callers decide the scope (policies/); this
module only applies it.

Performance: the statements are memoised by their inputs (an LRU of STATEMENT_MEMO each), so the
same page asked again reuses one immutable statement object and SQLAlchemy's cache key memoised
on it: a dashboard request builds no statement (bench/bench_peers.py). They hold no rows, only
SQL and its bound values, so sharing them across requests and viewers serves nobody's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select

from guichet.db import ByIds
from guichet.domain.errors import DomainError, DomainErrors, ErrorCode
from guichet.domain.invoices import status as rules
from guichet.domain.models import BillingAccount, Invoice, InvoiceLine
from guichet.domain.search import ESCAPE, contains_pattern

_t = Invoice.__table__
_lines = InvoiceLine.__table__
_accounts = BillingAccount.__table__

SERVICE_TYPES = ("FIXED", "MOBILE", "INTERNET")
ORDER_FIELDS = ("DUE_DATE", "ISSUE_DATE", "TOTAL", "NUMBER")
MAX_SEARCH_LENGTH = 50
MAX_LINE_NUMBER_LENGTH = 50

# The columns a page needs, in this order; `status` is computed by the one status rule.
PAGE_COLUMNS = (
    _t.c.id,
    _t.c.organisation_id,
    _t.c.billing_account_id,
    _t.c.number,
    _t.c.service_type,
    _t.c.issue_date,
    _t.c.due_date,
    _t.c.period_start,
    _t.c.period_end,
    _t.c.currency,
    _t.c.total_minor,
    _t.c.amount_paid_minor,
    _t.c.pending_payment_id,
    _t.c.rewards_applied_minor,
    _t.c.rewards_eligible,
)


@dataclass(frozen=True)
class InvoiceCriteria:
    """What a contact asked for; empty sets and None mean "no condition"."""

    statuses: frozenset[str] = frozenset()
    service_types: frozenset[str] = frozenset()
    billing_account_id: int | None = None
    # True when the client named a billing account that does not exist for it: nothing matches,
    # exactly as for an account of another organisation.
    nothing: bool = False
    line_number: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    search: str | None = None
    field_prefix: tuple[str, ...] = field(default=("filter",), compare=False)

    def validate(self) -> None:
        """Raise DomainErrors(VALIDATION) naming each malformed filter field."""
        errors = []
        prefix = list(self.field_prefix)
        if self.search is not None and len(self.search) > MAX_SEARCH_LENGTH:
            errors.append(
                DomainError(
                    ErrorCode.VALIDATION,
                    "invoice_search_too_long",
                    field=[*prefix, "search"],
                    params={"max": MAX_SEARCH_LENGTH},
                )
            )
        if self.line_number is not None and len(self.line_number) > MAX_LINE_NUMBER_LENGTH:
            errors.append(
                DomainError(
                    ErrorCode.VALIDATION,
                    "invoice_line_number_invalid",
                    field=[*prefix, "lineNumber"],
                )
            )
        if self.issued_from and self.issued_to and self.issued_from > self.issued_to:
            errors.append(DomainError(ErrorCode.VALIDATION, "invoice_issued_range", field=[*prefix, "issuedTo"]))
        if errors:
            raise DomainErrors(errors)


# The page row attribute each ordering sorts by.
_SORT_ATTRIBUTES = {"DUE_DATE": "due_date", "ISSUE_DATE": "issue_date", "TOTAL": "total_minor", "NUMBER": "number"}


@dataclass(frozen=True)
class InvoiceOrdering:
    """Sort key and direction; the id (same direction) breaks ties so pages never overlap."""

    field: str = "ISSUE_DATE"
    descending: bool = True

    @property
    def column(self) -> Any:
        return {
            "DUE_DATE": _t.c.due_date,
            "ISSUE_DATE": _t.c.issue_date,
            "TOTAL": _t.c.total_minor,
            "NUMBER": _t.c.number,
        }[self.field]

    def key_of(self, row: Any) -> tuple[Any, int]:
        """The keyset position of a page row (sort value, id)."""
        return getattr(row, _SORT_ATTRIBUTES[self.field]), row.id

    def parse_key(self, values: Sequence[str], *, field: list[str]) -> tuple[Any, int]:
        """Turn a cursor's texts back into a position; raise DomainError(VALIDATION) if it is not one
        of this ordering's cursors (a cursor from another ordering is refused, not misread)."""
        try:
            name, raw, raw_id = values
            if name != self.field or not raw_id.isdigit():
                raise ValueError(name)
            value: Any
            if self.field in ("DUE_DATE", "ISSUE_DATE"):
                value = date.fromisoformat(raw)
            elif self.field == "TOTAL":
                value = int(raw)
            else:
                value = raw
            return value, int(raw_id)
        except ValueError:
            raise DomainError(ErrorCode.VALIDATION, "cursor_invalid", field=field) from None

    def cursor_values(self, row: Any) -> tuple[str, str, str]:
        value, pk = self.key_of(row)
        text = value.isoformat() if isinstance(value, date) else str(value)
        return self.field, text, str(pk)


def normalise_line_number(text: str) -> str:
    """Fleet numbers are stored without spaces ("+2250701020304"); users type them with some."""
    return "".join(text.split())


STATEMENT_MEMO = 512


def conditions(
    *,
    organisation_id: int,
    account_ids: frozenset[int] | None,
    criteria: InvoiceCriteria,
    today: date,
) -> list[ColumnElement[bool]]:
    """The WHERE of every invoice statement: tenant, scope (None = every account), then filters."""
    return list(_conditions(organisation_id, account_ids, criteria, today))


@lru_cache(maxsize=STATEMENT_MEMO)
def _conditions(
    organisation_id: int, account_ids: frozenset[int] | None, criteria: InvoiceCriteria, today: date
) -> tuple[ColumnElement[bool], ...]:
    where: list[ColumnElement[bool]] = [_t.c.organisation_id == organisation_id]
    if account_ids is not None:
        where.append(_t.c.billing_account_id.in_(sorted(account_ids)) if account_ids else false())
    if criteria.nothing:
        where.append(false())
    if criteria.statuses and set(criteria.statuses) != set(rules.STATUSES):
        where.append(rules.statuses_condition(criteria.statuses, today))
    if criteria.service_types and set(criteria.service_types) != set(SERVICE_TYPES):
        where.append(_t.c.service_type.in_(sorted(criteria.service_types)))
    if criteria.billing_account_id is not None:
        where.append(_t.c.billing_account_id == criteria.billing_account_id)
    if criteria.line_number:
        # Orange FAQ Q13: a fleet number's invoices, only among the invoices already in scope.
        number = normalise_line_number(criteria.line_number)
        where.append(exists().where(_lines.c.invoice_id == _t.c.id, _lines.c.line_number == number))
    if criteria.issued_from is not None:
        where.append(_t.c.issue_date >= criteria.issued_from)
    if criteria.issued_to is not None:
        where.append(_t.c.issue_date <= criteria.issued_to)
    if criteria.search and criteria.search.strip():
        where.append(func.lower(_t.c.number).like(contains_pattern(criteria.search), escape=ESCAPE))
    return tuple(where)


def page_statement(
    where: list[ColumnElement[bool]],
    ordering: InvoiceOrdering,
    *,
    after: tuple[Any, int] | None,
    limit: int,
    today: date,
    with_account: bool = False,
    with_total: bool = False,
) -> Select[Any]:
    """One page in keyset order: rows strictly after `after`, `limit` of them, with their status
    (and, with_account, their billing account's number and name: one round trip fewer).

    with_total: each row also carries `total_count`, the number of invoices `where` matches
    (cursor aside), computed once by the database as an uncorrelated subquery: the page and its
    count in one round trip. A page with no rows carries no count (see `page_total`).
    """
    return _page_statement(tuple(where), ordering, after, limit, today, with_account, with_total)


@lru_cache(maxsize=STATEMENT_MEMO)
def _page_statement(
    where: tuple[ColumnElement[bool], ...],
    ordering: InvoiceOrdering,
    after: tuple[Any, int] | None,
    limit: int,
    today: date,
    with_account: bool,
    with_total: bool,
) -> Select[Any]:
    column = ordering.column
    statement = select(*PAGE_COLUMNS, rules.status_column(today).label("status")).where(and_(*where))
    if with_total:
        # correlate(None): the subquery counts its own FROM invoices, not the outer row.
        count = _count_statement(where).correlate(None).scalar_subquery()
        statement = statement.add_columns(count.label("total_count"))
    if with_account:
        statement = statement.add_columns(
            _accounts.c.number.label("account_number"), _accounts.c.name.label("account_name")
        ).join(_accounts, _accounts.c.id == _t.c.billing_account_id)
    if after is not None:
        value, pk = after
        if ordering.descending:
            statement = statement.where(or_(column < value, and_(column == value, _t.c.id < pk)))
        else:
            statement = statement.where(or_(column > value, and_(column == value, _t.c.id > pk)))
    if ordering.descending:
        statement = statement.order_by(column.desc(), _t.c.id.desc())
    else:
        statement = statement.order_by(column.asc(), _t.c.id.asc())
    return statement.limit(limit)


def by_ids_statement(ids: Sequence[int], *, today: date) -> Select[Any]:
    """Invoices by primary key with their status (callers then keep what the viewer may read)."""
    return select(*PAGE_COLUMNS, rules.status_column(today).label("status")).where(_t.c.id.in_(sorted(set(ids))))


def count_statement(where: list[ColumnElement[bool]]) -> Select[Any]:
    return _count_statement(tuple(where))


def page_total(rows: Sequence[Any], *, after: tuple[Any, int] | None) -> int | None:
    """The count a with_total page carries; None when it must be counted apart (an empty page
    after a cursor: the filter may still match invoices before it). An empty first page: 0."""
    if rows:
        return int(rows[0].total_count)
    return 0 if after is None else None


@lru_cache(maxsize=STATEMENT_MEMO)
def _count_statement(where: tuple[ColumnElement[bool], ...]) -> Select[Any]:
    return select(func.count()).select_from(_t).where(and_(*where))


def summary_statement(where: list[ColumnElement[bool]], *, today: date) -> Select[Any]:
    """Count, total and amount due per (currency, status) of the filtered invoices: one statement."""
    return _summary_statement(tuple(where), today)


@lru_cache(maxsize=STATEMENT_MEMO)
def _summary_statement(where: tuple[ColumnElement[bool], ...], today: date) -> Select[Any]:
    status = rules.status_column(today).label("status")
    return (
        select(
            _t.c.currency,
            status,
            func.count().label("count"),
            func.coalesce(func.sum(_t.c.total_minor), 0).label("total_minor"),
            func.coalesce(func.sum(rules.amount_due_column()), 0).label("due_minor"),
        )
        .where(and_(*where))
        .group_by(_t.c.currency, status)
    )


_LINES = (
    select(_lines.c.invoice_id, _lines.c.description, _lines.c.line_number, _lines.c.amount_minor, _t.c.currency)
    .join(_t, _t.c.id == _lines.c.invoice_id)
    .order_by(_lines.c.invoice_id, _lines.c.position, _lines.c.id)
)
# The lines of several invoices, in their printed order: one statement for any page (db.ByIds).
LINES_OF_INVOICES = ByIds.of(_LINES, _lines.c.invoice_id)


def lines_statement(invoice_ids: Sequence[int]) -> Select[Any]:
    """The lines of several invoices, in their printed order, the ids in the statement (for
    session.execute; a page's lines read LINES_OF_INVOICES)."""
    return _lines_statement(tuple(sorted(set(invoice_ids))))


@lru_cache(maxsize=STATEMENT_MEMO)
def _lines_statement(invoice_ids: tuple[int, ...]) -> Select[Any]:
    return _LINES.where(_lines.c.invoice_id.in_(list(invoice_ids)))


@dataclass(frozen=True)
class StatusTotals:
    count: int
    # currency -> minor units
    due: dict[str, int]


@dataclass(frozen=True)
class Summary:
    count: int
    total: dict[str, int]
    due: dict[str, int]
    by_status: dict[str, StatusTotals]


def summarise(rows: Sequence[Any]) -> Summary:
    """Fold summary_statement rows into totals per currency and per status (every status listed)."""
    total: dict[str, int] = {}
    due: dict[str, int] = {}
    per_status: dict[str, tuple[int, dict[str, int]]] = {s: (0, {}) for s in rules.STATUSES}
    count = 0
    for row in rows:
        n, total_minor, due_minor = int(row.count), int(row.total_minor), int(row.due_minor)
        count += n
        total[row.currency] = total.get(row.currency, 0) + total_minor
        due[row.currency] = due.get(row.currency, 0) + due_minor
        status_count, status_due = per_status[row.status]
        status_due[row.currency] = status_due.get(row.currency, 0) + due_minor
        per_status[row.status] = (status_count + n, status_due)
    return Summary(
        count=count,
        total=dict(sorted(total.items())),
        due=dict(sorted(due.items())),
        by_status={s: StatusTotals(c, dict(sorted(d.items()))) for s, (c, d) in per_status.items()},
    )
