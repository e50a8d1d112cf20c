"""What each export kind reads: its module, its columns and its rows, in batches by id.

Every source starts from the job's organisation and the billing accounts its principal could
read when the export started (job.account_ids), applies the same conditions as the list it
mirrors (domain/invoices/queries.py, domain/payments/queries.py, the service-requests list),
and reads rows with ids after the last one written and at most the table's highest id at start.
A batch is one statement (two for payments, which add their invoices), so memory stays the
size of a batch whatever the export's size.

Money is two columns, the exact decimal amount in major units and `currency`; IDs and foreign
keys are the API's global IDs; dates and instants are ISO 8601.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum, auto
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.contracts import queries as contract_queries
from guichet.domain.ids import to_global_id
from guichet.domain.invoices import queries as invoice_queries
from guichet.domain.invoices import status as invoice_rules
from guichet.domain.models.contracts import Contract, ContractLine
from guichet.domain.models.payments import Payment, PaymentInvoice
from guichet.domain.models.rewards import RewardTransaction
from guichet.domain.models.schedules import Schedule
from guichet.domain.models.service_requests import ServiceRequest
from guichet.domain.models.shop import Order
from guichet.domain.money import Money
from guichet.domain.payments.queries import organisation_statement
from guichet.domain.payments.rules import effective_state
from guichet.domain.service_requests import queries as request_queries
from guichet.domain.shop import queries as order_queries
from guichet.policies.rules import Module

Cell = str | int | Decimal | list[str] | None
BATCH_SIZE = 2000


class ExportKind(StrEnum):
    """The contract's ExportKind; each value is its name (several are also module names)."""

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[Any]) -> str:
        return name

    INVOICES = auto()
    INVOICE_LINES = auto()
    PAYMENTS = auto()
    SCHEDULES = auto()
    CONTRACTS = auto()
    BILLING_SCHEDULE = auto()
    ORDERS = auto()
    SERVICE_REQUESTS = auto()
    REWARD_TRANSACTIONS = auto()
    AUDIT_EVENTS = auto()
    INVOICE_PDFS = auto()


# Kinds whose area Guichet does not have: refused at start, naming why.
UNAVAILABLE_KINDS: tuple[ExportKind, ...] = ()


@dataclass(frozen=True)
class Scope:
    """What the job may read: organisation, accounts at start (None: all), the filter, the day."""

    organisation_id: int
    account_ids: frozenset[int] | None
    filter: dict[str, Any]
    max_row_id: int
    today: date
    now: datetime


Reader = Callable[[AsyncSession, Scope, int, int], Awaitable[list[tuple[int, tuple[Cell, ...]]]]]


@dataclass(frozen=True)
class Source:
    module: Module
    columns: tuple[str, ...]
    table: Any
    read: Reader


def _amount(minor: int, currency: str) -> Decimal:
    return Money(minor, currency).amount


def _gid(type_name: str, pk: int | None) -> str | None:
    return to_global_id(type_name, pk) if pk is not None else None


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day_range(column: Any, scope: Scope, *, instants: bool) -> list[ColumnElement[bool]]:
    """The job's from/to (inclusive days) on a date column, or on an instant column in UTC days."""
    where: list[ColumnElement[bool]] = []
    start, end = scope.filter.get("from"), scope.filter.get("to")
    if start:
        first = date.fromisoformat(start)
        where.append(column >= (datetime.combine(first, time(), UTC) if instants else first))
    if end:
        last = date.fromisoformat(end)
        if instants:
            where.append(column < datetime.combine(last + timedelta(days=1), time(), UTC))
        else:
            where.append(column <= last)
    return where


def invoice_criteria(data: dict[str, Any]) -> invoice_queries.InvoiceCriteria:
    """The stored invoice filter back as the list's criteria."""
    return invoice_queries.InvoiceCriteria(
        statuses=frozenset(data.get("statuses") or ()),
        service_types=frozenset(data.get("service_types") or ()),
        billing_account_id=data.get("billing_account_id"),
        nothing=bool(data.get("nothing")),
        line_number=data.get("line_number"),
        issued_from=date.fromisoformat(data["issued_from"]) if data.get("issued_from") else None,
        issued_to=date.fromisoformat(data["issued_to"]) if data.get("issued_to") else None,
        search=data.get("search"),
        field_prefix=("input", "invoiceFilter"),
    )


def _invoice_where(scope: Scope) -> list[ColumnElement[bool]]:
    criteria = invoice_criteria(scope.filter.get("invoice") or {})
    where = invoice_queries.conditions(
        organisation_id=scope.organisation_id, account_ids=scope.account_ids, criteria=criteria, today=scope.today
    )
    return where + _day_range(models.Invoice.__table__.c.issue_date, scope, instants=False)


_inv = models.Invoice.__table__
_acc = models.BillingAccount.__table__
_lines = models.InvoiceLine.__table__

INVOICE_COLUMNS = (
    "id",
    "number",
    "billing_account_id",
    "billing_account_number",
    "service_type",
    "issue_date",
    "due_date",
    "period_start",
    "period_end",
    "status",
    "total",
    "amount_paid",
    "rewards_applied",
    "amount_due",
    "currency",
    "payment_pending",
)


async def invoice_rows(session: AsyncSession, scope: Scope, after: int, limit: int) -> list[Any]:
    """Invoice rows (PAGE_COLUMNS, status, account number) with ids after `after`, by id."""
    statement = (
        select(
            *invoice_queries.PAGE_COLUMNS,
            invoice_rules.status_column(scope.today).label("status"),
            _acc.c.number.label("account_number"),
        )
        .join(_acc, _acc.c.id == _inv.c.billing_account_id)
        .where(and_(*_invoice_where(scope)), _inv.c.id > after, _inv.c.id <= scope.max_row_id)
        .order_by(_inv.c.id)
        .limit(limit)
    )
    return list((await session.execute(statement)).all())


async def _invoices(session: AsyncSession, scope: Scope, after: int, limit: int) -> list[tuple[int, tuple[Cell, ...]]]:
    out: list[tuple[int, tuple[Cell, ...]]] = []
    for r in await invoice_rows(session, scope, after, limit):
        out.append(
            (
                r.id,
                (
                    to_global_id("Invoice", r.id),
                    r.number,
                    to_global_id("BillingAccount", r.billing_account_id),
                    r.account_number,
                    r.service_type,
                    _iso(r.issue_date),
                    _iso(r.due_date),
                    _iso(r.period_start),
                    _iso(r.period_end),
                    r.status,
                    _amount(r.total_minor, r.currency),
                    _amount(
                        invoice_rules.paid_by_payments_minor(r.amount_paid_minor, r.rewards_applied_minor), r.currency
                    ),
                    _amount(r.rewards_applied_minor, r.currency),
                    _amount(invoice_rules.amount_due_minor(r.total_minor, r.amount_paid_minor), r.currency),
                    r.currency,
                    "true" if r.pending_payment_id is not None else "false",
                ),
            )
        )
    return out


LINE_COLUMNS = ("invoice_id", "invoice_number", "position", "description", "line_number", "amount", "currency")


async def _invoice_lines(
    session: AsyncSession, scope: Scope, after: int, limit: int
) -> list[tuple[int, tuple[Cell, ...]]]:
    statement = (
        select(
            _lines.c.id,
            _lines.c.invoice_id,
            _inv.c.number,
            _lines.c.position,
            _lines.c.description,
            _lines.c.line_number,
            _lines.c.amount_minor,
            _inv.c.currency,
        )
        .join(_inv, _inv.c.id == _lines.c.invoice_id)
        .where(and_(*_invoice_where(scope)), _lines.c.id > after, _lines.c.id <= scope.max_row_id)
        .order_by(_lines.c.id)
        .limit(limit)
    )
    return [
        (
            r.id,
            (
                to_global_id("Invoice", r.invoice_id),
                r.number,
                r.position,
                r.description,
                r.line_number,
                _amount(r.amount_minor, r.currency),
                r.currency,
            ),
        )
        for r in (await session.execute(statement)).all()
    ]


PAYMENT_COLUMNS = (
    "id",
    "reference",
    "method",
    "status",
    "amount",
    "amount_received",
    "currency",
    "created_at",
    "completed_at",
    "invoice_ids",
)


async def _payments(session: AsyncSession, scope: Scope, after: int, limit: int) -> list[tuple[int, tuple[Cell, ...]]]:
    data = scope.filter.get("payment") or {}
    statement = organisation_statement(
        scope.organisation_id,
        account_ids=scope.account_ids,
        statuses=data.get("statuses") or (),
        methods=data.get("methods") or (),
        now=scope.now,
        created_from=datetime.fromisoformat(data["created_from"]) if data.get("created_from") else None,
        created_to=datetime.fromisoformat(data["created_to"]) if data.get("created_to") else None,
    )
    statement = (
        statement.where(*_day_range(Payment.created_at, scope, instants=True), Payment.id > after)
        .where(Payment.id <= scope.max_row_id)
        .order_by(Payment.id)
        .limit(limit)
    )
    rows = list((await session.execute(statement)).scalars().all())
    invoices: dict[int, list[int]] = {r.id: [] for r in rows}
    if rows:
        pairs = await session.execute(
            select(PaymentInvoice.payment_id, PaymentInvoice.invoice_id)
            .where(PaymentInvoice.payment_id.in_(list(invoices)))
            .order_by(PaymentInvoice.payment_id, PaymentInvoice.invoice_id)
        )
        for payment_id, invoice_id in pairs.all():
            invoices[payment_id].append(invoice_id)
    out: list[tuple[int, tuple[Cell, ...]]] = []
    for p in rows:
        state = effective_state(p.status, p.failure_code, p.completed_at, p.expires_at, scope.now)
        out.append(
            (
                p.id,
                (
                    to_global_id("Payment", p.id),
                    p.reference,
                    p.method,
                    state.status,
                    _amount(p.amount_minor, p.currency),
                    _amount(p.received_minor, p.currency) if state.status == "SUCCEEDED" else None,
                    p.currency,
                    _iso(p.created_at),
                    _iso(state.completed_at),
                    [to_global_id("Invoice", i) for i in invoices[p.id]],
                ),
            )
        )
    return out


SCHEDULE_COLUMNS = (
    "id",
    "order_number",
    "merchant_name",
    "purchase_date",
    "status",
    "purchase_amount",
    "fees",
    "currency",
    "installment_count",
    "created_at",
)


async def _schedules(session: AsyncSession, scope: Scope, after: int, limit: int) -> list[tuple[int, tuple[Cell, ...]]]:
    statement = select(Schedule).where(
        Schedule.organisation_id == scope.organisation_id,
        *_day_range(Schedule.purchase_date, scope, instants=False),
        Schedule.id > after,
        Schedule.id <= scope.max_row_id,
    )
    if scope.account_ids is not None:
        # Plans belong to the organisation, not to an account: only organisation-wide readers see them.
        statement = statement.where(false())
    rows = (await session.execute(statement.order_by(Schedule.id).limit(limit))).scalars().all()
    return [
        (
            s.id,
            (
                to_global_id("Schedule", s.id),
                s.order_number,
                s.merchant_name,
                _iso(s.purchase_date),
                s.status,
                _amount(s.purchase_amount_minor, s.currency),
                _amount(s.fees_minor, s.currency),
                s.currency,
                s.installment_count,
                _iso(s.created_at),
            ),
        )
        for s in rows
    ]


SERVICE_REQUEST_COLUMNS = (
    "id",
    "number",
    "billing_account_id",
    "category",
    "priority",
    "status",
    "subject",
    "invoice_id",
    "created_at",
    "updated_at",
    "closed_at",
)


async def _service_requests(
    session: AsyncSession, scope: Scope, after: int, limit: int
) -> list[tuple[int, tuple[Cell, ...]]]:
    statement = request_queries.list_statement(
        organisation_id=scope.organisation_id, account_ids=scope.account_ids, criteria=request_queries.Criteria()
    ).where(
        *_day_range(ServiceRequest.created_at, scope, instants=True),
        ServiceRequest.id > after,
        ServiceRequest.id <= scope.max_row_id,
    )
    rows = (await session.execute(statement.order_by(ServiceRequest.id).limit(limit))).scalars().all()
    return [
        (
            r.id,
            (
                to_global_id("ServiceRequest", r.id),
                r.number,
                _gid("BillingAccount", r.billing_account_id),
                r.category,
                r.priority,
                r.status,
                r.subject,
                _gid("Invoice", r.invoice_id),
                _iso(r.created_at),
                _iso(r.updated_at),
                _iso(r.closed_at),
            ),
        )
        for r in rows
    ]


ORDER_COLUMNS = (
    "id",
    "number",
    "source",
    "billing_account_id",
    "status",
    "po_number",
    "payment_terms",
    "one_time_total",
    "currency",
    "placed_at",
    "expected_completion_date",
    "completed_at",
)


async def _orders(session: AsyncSession, scope: Scope, after: int, limit: int) -> list[tuple[int, tuple[Cell, ...]]]:
    """The orders the list shows its reader (ORDERS READ scope), placed in the job's days."""
    statement = order_queries.list_statement(
        organisation_id=scope.organisation_id, account_ids=scope.account_ids, criteria=order_queries.Criteria()
    ).where(*_day_range(Order.placed_at, scope, instants=True), Order.id > after, Order.id <= scope.max_row_id)
    rows = (await session.execute(statement.order_by(Order.id).limit(limit))).scalars().all()
    return [
        (
            r.id,
            (
                to_global_id("Order", r.id),
                r.number,
                r.source.upper(),
                _gid("BillingAccount", r.billing_account_id),
                r.status,
                r.po_number,
                r.payment_terms,
                _amount(r.one_time_total_minor, r.currency),
                r.currency,
                _iso(r.placed_at),
                _iso(r.expected_completion_date),
                _iso(r.completed_at),
            ),
        )
        for r in rows
    ]


AUDIT_COLUMNS = ("id", "at", "action", "actor_contact_id", "subject_id", "summary")


async def _audit_events(
    session: AsyncSession, scope: Scope, after: int, limit: int
) -> list[tuple[int, tuple[Cell, ...]]]:
    event = models.AuditEvent
    statement = select(event).where(
        event.organisation_id == scope.organisation_id,
        *_day_range(event.at, scope, instants=True),
        event.id > after,
        event.id <= scope.max_row_id,
    )
    if scope.account_ids is not None:
        statement = statement.where(false())
    rows = (await session.execute(statement.order_by(event.id).limit(limit))).scalars().all()
    return [
        (
            e.id,
            (
                to_global_id("AuditEvent", e.id),
                _iso(e.at),
                e.action,
                _gid("Contact", e.actor_contact_id),
                e.subject_id,
                e.summary,
            ),
        )
        for e in rows
    ]


CONTRACT_COLUMNS = (
    "id",
    "number",
    "name",
    "status",
    "billing_account_id",
    "start_date",
    "end_date",
    "renewal_notice_date",
    "auto_renew",
    "terminated_on",
    "currency",
)


async def _contracts(session: AsyncSession, scope: Scope, after: int, limit: int) -> list[tuple[int, tuple[Cell, ...]]]:
    """Contracts in scope (the list's statement), `from`/`to` on their start date."""
    statement = contract_queries.contracts_statement(
        organisation_id=scope.organisation_id,
        account_ids=scope.account_ids,
        criteria=contract_queries.ContractCriteria(),
    ).where(
        *_day_range(Contract.start_date, scope, instants=False),
        Contract.id > after,
        Contract.id <= scope.max_row_id,
    )
    rows = (await session.execute(statement.order_by(Contract.id).limit(limit))).scalars().all()
    return [
        (
            c.id,
            (
                to_global_id("Contract", c.id),
                c.number,
                c.name,
                c.status,
                to_global_id("BillingAccount", c.billing_account_id),
                _iso(c.start_date),
                _iso(c.end_date),
                _iso(c.renewal_notice_date),
                "true" if c.auto_renew else "false",
                _iso(c.terminated_on),
                c.currency,
            ),
        )
        for c in rows
    ]


BILLING_SCHEDULE_COLUMNS = (
    "id",
    "contract_id",
    "contract_number",
    "product",
    "period_start",
    "period_end",
    "invoicing_date",
    "amount",
    "currency",
    "status",
    "invoice_id",
)


async def _billing_schedule(
    session: AsyncSession, scope: Scope, after: int, limit: int
) -> list[tuple[int, tuple[Cell, ...]]]:
    """The schedule entries in scope (the list's rule, on the job's day), `from`/`to` on the invoicing date.

    Entries are computed, not stored: each batch recomputes the schedule of the scope's
    contracts (three statements) and keeps the entries after `after` in entry-ID order, of lines
    that existed at the start (`max_row_id` is the highest contract-line id then).
    """
    start, end = scope.filter.get("from"), scope.filter.get("to")
    entries = await contract_queries.schedule(
        session,
        organisation_id=scope.organisation_id,
        account_ids=scope.account_ids,
        criteria=contract_queries.ScheduleCriteria(
            start=date.fromisoformat(start) if start else None, end=date.fromisoformat(end) if end else None
        ),
        today=scope.today,
    )
    kept = sorted(
        (e for e in entries if e.pk > after and e.line.id <= scope.max_row_id),
        key=lambda e: e.pk,
    )[:limit]
    return [
        (
            e.pk,
            (
                to_global_id("BillingScheduleEntry", e.pk),
                to_global_id("Contract", e.contract.id),
                e.contract.number,
                e.line.product,
                _iso(e.period.start),
                _iso(e.period.end),
                _iso(e.period.start),
                _amount(e.period.amount_minor, e.contract.currency),
                e.contract.currency,
                e.status,
                _gid("Invoice", e.invoice_id),
            ),
        )
        for e in kept
    ]


REWARD_TRANSACTION_COLUMNS = (
    "id",
    "type",
    "amount",
    "balance_after",
    "currency",
    "occurred_at",
    "expires_at",
    "invoice_id",
    "actor_contact_id",
    "note",
)


async def _reward_transactions(
    session: AsyncSession, scope: Scope, after: int, limit: int
) -> list[tuple[int, tuple[Cell, ...]]]:
    """The organisation's ledger with running balances, `from`/`to` on the day it occurred (UTC).

    Rewards belong to the organisation, not to a billing account: whoever may read them reads all.
    """
    t = RewardTransaction.__table__
    ledger = (
        select(
            t,
            func.sum(t.c.amount_minor)
            .over(partition_by=t.c.currency, order_by=(t.c.occurred_at, t.c.id))
            .label("balance_after"),
        )
        .where(t.c.organisation_id == scope.organisation_id, t.c.id <= scope.max_row_id)
        .subquery()
    )
    statement = (
        select(ledger)
        .where(ledger.c.id > after, *_day_range(ledger.c.occurred_at, scope, instants=True))
        .order_by(ledger.c.id)
        .limit(limit)
    )
    rows = (await session.execute(statement)).all()
    return [
        (
            r.id,
            (
                to_global_id("RewardTransaction", r.id),
                r.type,
                _amount(r.amount_minor, r.currency),
                _amount(int(r.balance_after), r.currency),
                r.currency,
                _iso(r.occurred_at),
                _iso(r.expires_at),
                _gid("Invoice", r.invoice_id),
                _gid("Contact", r.actor_contact_id),
                r.note,
            ),
        )
        for r in rows
    ]


PDF_INDEX_COLUMNS = ("invoice_id", "number", "file", "sha256")


async def _no_rows(session: AsyncSession, scope: Scope, after: int, limit: int) -> list[tuple[int, tuple[Cell, ...]]]:
    return []  # INVOICE_PDFS reads invoice_rows itself (the worker renders each PDF)


SOURCES: dict[str, Source] = {
    ExportKind.INVOICES: Source(Module.INVOICES, INVOICE_COLUMNS, _inv, _invoices),
    ExportKind.INVOICE_LINES: Source(Module.INVOICES, LINE_COLUMNS, _lines, _invoice_lines),
    ExportKind.PAYMENTS: Source(Module.PAYMENTS, PAYMENT_COLUMNS, Payment.__table__, _payments),
    ExportKind.SCHEDULES: Source(Module.SCHEDULES, SCHEDULE_COLUMNS, Schedule.__table__, _schedules),
    ExportKind.SERVICE_REQUESTS: Source(
        Module.SERVICE_REQUESTS, SERVICE_REQUEST_COLUMNS, ServiceRequest.__table__, _service_requests
    ),
    ExportKind.ORDERS: Source(Module.ORDERS, ORDER_COLUMNS, Order.__table__, _orders),
    ExportKind.CONTRACTS: Source(Module.CONTRACTS, CONTRACT_COLUMNS, Contract.__table__, _contracts),
    ExportKind.BILLING_SCHEDULE: Source(
        Module.CONTRACTS, BILLING_SCHEDULE_COLUMNS, ContractLine.__table__, _billing_schedule
    ),
    ExportKind.REWARD_TRANSACTIONS: Source(
        Module.REWARDS, REWARD_TRANSACTION_COLUMNS, RewardTransaction.__table__, _reward_transactions
    ),
    ExportKind.AUDIT_EVENTS: Source(Module.AUDIT, AUDIT_COLUMNS, models.AuditEvent.__table__, _audit_events),
    ExportKind.INVOICE_PDFS: Source(Module.INVOICES, PDF_INDEX_COLUMNS, _inv, _no_rows),
}


async def max_row_id(session: AsyncSession, kind: str) -> int:
    """The exported table's highest id now (rows created after the start are not exported)."""
    table = SOURCES[kind].table
    return int((await session.execute(select(func.coalesce(func.max(table.c.id), 0)))).scalar_one())


def columns_of(kind: str) -> Sequence[str]:
    return SOURCES[kind].columns
