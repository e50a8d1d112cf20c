"""Invoices: the list a finance contact works from, its filters and order, the summary, the detail.

Every field but downloadUrl is a plain attribute filled from one page query (status and amounts
included): billingAccount, lines and payments hold the values the page read along with it when
the selection asked for them, or a Deferred DataLoader load otherwise (node/nodes, Payment.invoices).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any

import strawberry

from guichet.domain.ids import from_global_id, to_global_id
from guichet.domain.invoices import links, queries
from guichet.domain.invoices import status as rules
from guichet.domain.money import exponent
from guichet.resolvers import invoices as resolvers
from guichet.resolvers.context import Info
from guichet.resolvers.invoices import InvoicePage, InvoiceView
from guichet.resolvers.loaders import Deferred
from guichet.schema.billing import BillingAccount
from guichet.schema.common import Action, Module, Money, OkPayload, ServiceType
from guichet.schema.errors import forbidden
from guichet.schema.payloads import payload_mutation
from guichet.schema.payments import Payment
from guichet.schema.permissions import decided, input_organisation, requires
from guichet.schema.relay import Connection, Node
from guichet.schema.rows import RowBacked, row_fields


@lru_cache(maxsize=8192)
def money(minor: int, currency: str) -> Money:
    """Money.of without its checks, for rows read from the database (a page builds 150 of them).

    Memoised: amounts repeat (every paid invoice owes 0) and a Money is never mutated once built,
    so equal amounts may share one object, within a response and across requests.
    """
    return Money(amount=Decimal(minor).scaleb(-exponent(currency)), currency=currency)


@strawberry.enum(
    description="OPEN = to pay, not yet due (« A payer » / « Ouverte »); OVERDUE = past due and unpaid "
    "(« En retard »); PAID = settled (« Payé » / « Clôturée »). Relative to the server's today."
)
class InvoiceStatus(Enum):
    OPEN = "OPEN"
    OVERDUE = "OVERDUE"
    PAID = "PAID"


# Enum members by value: a dictionary lookup instead of EnumType.__call__ for every row.
_STATUSES = {member.value: member for member in InvoiceStatus}
_SERVICE_TYPES = {member.value: member for member in ServiceType}


@strawberry.enum(description="What invoices can be ordered by.")
class InvoiceOrderField(Enum):
    DUE_DATE = "DUE_DATE"
    ISSUE_DATE = "ISSUE_DATE"
    TOTAL = "TOTAL"
    NUMBER = "NUMBER"


@strawberry.enum(description="Ascending or descending order.")
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input(description="How invoices are ordered (default: issue date, newest first); ties by ID.")
class InvoiceOrder:
    field: InvoiceOrderField = strawberry.field(description="The sort key.")
    direction: OrderDirection = strawberry.field(description="ASC or DESC.")


@strawberry.input(description="Which invoices to list; every condition given must hold.")
class InvoiceFilter:
    status: list[InvoiceStatus] | None = strawberry.field(default=None, description="Any of these statuses.")
    service_type: list[ServiceType] | None = strawberry.field(default=None, description="Any of these service types.")
    billing_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this billing account's invoices (none if it is out of reach)."
    )
    line_number: str | None = strawberry.field(
        default=None, description="A fleet line's number: the invoices that bill it."
    )
    issued_from: date | None = strawberry.field(default=None, description="Issued on or after this day.")
    issued_to: date | None = strawberry.field(default=None, description="Issued on or before this day.")
    search: str | None = strawberry.field(
        default=None, description="Part of the invoice number, case-insensitive (at most 50 characters)."
    )


@strawberry.type(description="One line of an invoice.")
class InvoiceLine(RowBacked):
    description: str = strawberry.field(description="What is billed, e.g. « Forfait Business 20 Go ».")
    line_number: str | None = strawberry.field(description="The fleet line this amount bills, if any.")
    amount: Money = strawberry.field(description="The line's amount.")

    @classmethod
    def from_row(cls, row: Any) -> InvoiceLine:
        return cls.rendered(row)


row_fields(
    InvoiceLine,
    {
        "description": lambda row, _: row.description,
        "line_number": lambda row, _: row.line_number,
        "amount": lambda row, _: money(row.amount_minor, row.currency),
    },
)


@strawberry.type(description="An invoice of one of the organisation's billing accounts.")
class Invoice(RowBacked, Node):
    number: str = strawberry.field(description="The invoice number, e.g. F-2026-000001.")
    status: InvoiceStatus = strawberry.field(description="OPEN, OVERDUE or PAID on the server's today.")
    service_type: ServiceType = strawberry.field(description="FIXED, MOBILE or INTERNET.")
    issue_date: date = strawberry.field(description="The day the invoice was issued.")
    due_date: date = strawberry.field(description="The day it must be paid by.")
    period_start: date | None = strawberry.field(description="First day of the billed period.")
    period_end: date | None = strawberry.field(description="Last day of the billed period.")
    total: Money = strawberry.field(description="The invoice's total.")
    amount_paid: Money = strawberry.field(description="What payments have paid so far (rewards not included).")
    amount_due: Money = strawberry.field(
        description="What is left to pay (total - amountPaid - rewardsApplied, never negative)."
    )
    rewards_eligible: bool = strawberry.field(
        description="Rewards may pay this invoice (the back office says which invoices, e.g. support invoices)."
    )
    rewards_applied: Money = strawberry.field(description="total = amountPaid + rewardsApplied + amountDue.")
    payment_pending: bool = strawberry.field(description="A payment for this invoice is under way.")
    # The next three are plain attributes holding either the value (a page prefetched it) or a
    # Deferred that loads it through the request's DataLoader if, and only if, it is selected:
    # no resolver runs per invoice, and a page with every value prefetched completes without
    # one future per invoice.
    billing_account: BillingAccount = strawberry.field(description="The billing account this invoice bills.")
    lines: list[InvoiceLine] = strawberry.field(
        description="The invoice's lines, with the fleet number each one bills."
    )
    payments: list[Payment] = strawberry.field(description="Payments made or under way for this invoice.")
    pk: strawberry.Private[int]
    organisation_id: strawberry.Private[int]
    billing_account_id: strawberry.Private[int]
    currency: strawberry.Private[str]
    can_export: strawberry.Private[bool]

    @classmethod
    def from_row(
        cls,
        row: Any,
        *,
        can_export: bool,
        billing_account: Any,
        lines: Any,
        payments: Any,
    ) -> Invoice:
        """Render a queries.PAGE_COLUMNS row (status computed by the SQL status rule).

        `billing_account`, `lines` and `payments` are the values, or Deferred loads of them; the
        other fields are computed from the row when read (schema/rows.py).
        """
        return cls.rendered(row, can_export=can_export, billing_account=billing_account, lines=lines, payments=payments)

    @classmethod
    def from_view(cls, view: InvoiceView, info: Info) -> Invoice:
        """Render one invoice whose relations load through the request's loaders if selected."""
        row = view.row
        return cls.from_row(
            row,
            can_export=view.can_export,
            billing_account=Deferred(lambda: _account(info, row.billing_account_id)),
            lines=Deferred(lambda: _lines(info, row.id)),
            payments=Deferred(lambda: _payments(info, row.id)),
        )

    @strawberry.field(
        description="A short-lived signed link to the PDF (GET, no other credentials needed; valid 5 minutes). "
        "Needs INVOICES EXPORT: without it, asking for this field is refused with FORBIDDEN."
    )
    def download_url(self, info: Info) -> str:
        if not self.can_export:
            raise forbidden(info, Module.INVOICES, Action.EXPORT)
        ctx = info.context
        return links.download_url(ctx.settings.public_url, ctx.settings.secret_key, self.pk, ctx.now())


row_fields(
    Invoice,
    {
        "id": lambda row, _: strawberry.ID(to_global_id("Invoice", row.id)),
        "number": lambda row, _: row.number,
        "status": lambda row, _: _STATUSES[row.status],
        "service_type": lambda row, _: _SERVICE_TYPES[row.service_type],
        "issue_date": lambda row, _: row.issue_date,
        "due_date": lambda row, _: row.due_date,
        "period_start": lambda row, _: row.period_start,
        "period_end": lambda row, _: row.period_end,
        "total": lambda row, _: money(row.total_minor, row.currency),
        # amount_paid_minor counts what rewards settled too (the status rule sees one settled sum).
        "amount_paid": lambda row, _: money(
            rules.paid_by_payments_minor(row.amount_paid_minor, row.rewards_applied_minor), row.currency
        ),
        "amount_due": lambda row, _: money(
            rules.amount_due_minor(row.total_minor, row.amount_paid_minor), row.currency
        ),
        "rewards_eligible": lambda row, _: row.rewards_eligible,
        "rewards_applied": lambda row, _: money(row.rewards_applied_minor, row.currency),
        "payment_pending": lambda row, _: row.pending_payment_id is not None,
        "pk": lambda row, _: row.id,
        "organisation_id": lambda row, _: row.organisation_id,
        "billing_account_id": lambda row, _: row.billing_account_id,
        "currency": lambda row, _: row.currency,
    },
)

InvoiceConnection = Connection[Invoice]


async def _account(info: Info, billing_account_id: int) -> BillingAccount:
    return BillingAccount.from_row(await info.context.loaders.billing_account_by_id.load(billing_account_id))


async def _lines(info: Info, invoice_id: int) -> list[InvoiceLine]:
    return [InvoiceLine.from_row(r) for r in await info.context.loaders.invoice_lines_by_invoice_id.load(invoice_id)]


async def _payments(info: Info, invoice_id: int) -> list[Payment]:
    rows = await info.context.loaders.readable_payments_by_invoice_id.load(invoice_id)
    now, locale = info.context.now(), info.context.locale
    return [Payment.from_row(r, now=now, locale=locale) for r in rows]


def invoice_connection(result: InvoicePage, info: Info) -> Connection[Invoice]:
    """Render a page: relations read with it are set at once, the others load if selected."""
    accounts: dict[int, BillingAccount] = {}
    now, locale = info.context.now(), info.context.locale

    def account_of(row: Any) -> Any:
        if not result.with_accounts:
            return Deferred(lambda: _account(info, row.billing_account_id))
        account = accounts.get(row.billing_account_id)
        if account is None:
            account = accounts[row.billing_account_id] = BillingAccount(
                id=strawberry.ID(to_global_id("BillingAccount", row.billing_account_id)),
                number=row.account_number,
                name=row.account_name,
                pk=row.billing_account_id,
                organisation_id=row.organisation_id,
            )
        return account

    def render(view: InvoiceView) -> Invoice:
        row = view.row
        return Invoice.from_row(
            row,
            can_export=view.can_export,
            billing_account=account_of(row),
            lines=[InvoiceLine.from_row(r) for r in result.lines[row.id]]
            if result.lines is not None
            else Deferred(lambda: _lines(info, row.id)),
            payments=[Payment.from_row(r, now=now, locale=locale) for r in result.payments.get(row.id, ())]
            if result.payments is not None
            else Deferred(lambda: _payments(info, row.id)),
        )

    return InvoiceConnection.from_page(result.page, render)


@strawberry.type(description="How many invoices have one status, and what they still owe per currency.")
class InvoiceStatusCount:
    status: InvoiceStatus = strawberry.field(description="The status counted.")
    count: int = strawberry.field(description="Number of invoices with this status.")
    amount_due: list[Money] = strawberry.field(description="What they still owe, one amount per currency.")


@strawberry.type(description="Totals of the filtered invoices, per currency and per status.")
class InvoiceSummary:
    count: int = strawberry.field(description="Number of invoices.")
    total: list[Money] = strawberry.field(description="Sum of their totals, one amount per currency.")
    amount_due: list[Money] = strawberry.field(description="What is left to pay, one amount per currency.")
    by_status: list[InvoiceStatusCount] = strawberry.field(
        description="Every status (OVERDUE, OPEN, PAID, in that order) with its count and amount due."
    )

    @classmethod
    def from_summary(cls, summary: queries.Summary) -> InvoiceSummary:
        def amounts(per_currency: dict[str, int]) -> list[Money]:
            return [Money.of(minor, currency) for currency, minor in per_currency.items()]

        return cls(
            count=summary.count,
            total=amounts(summary.total),
            amount_due=amounts(summary.due),
            by_status=[
                InvoiceStatusCount(
                    status=InvoiceStatus(status),
                    count=summary.by_status[status].count,
                    amount_due=amounts(summary.by_status[status].due),
                )
                for status in rules.STATUSES
            ],
        )


@strawberry.input(description="Which invoices to e-mail as a CSV list, and to whom.")
class EmailInvoiceListInput:
    organisation_id: strawberry.ID = strawberry.field(description="The organisation whose invoices are listed.")
    filter: InvoiceFilter | None = strawberry.field(
        default=None, description="Which invoices (as Organisation.invoices)."
    )
    to: list[str] | None = strawberry.field(
        default=None,
        description="Defaults to the viewer. Only the viewer or other active contacts of the organisation (at most 10).",
    )


def criteria_from(
    filter: InvoiceFilter | None, *, field_prefix: tuple[str, ...] = ("filter",)
) -> queries.InvoiceCriteria:
    """The domain criteria of a GraphQL filter; a billingAccountId that names nothing matches nothing."""
    if filter is None:
        return queries.InvoiceCriteria(field_prefix=field_prefix)
    account_id: int | None = None
    nothing = False
    if filter.billing_account_id is not None:
        decoded = from_global_id(str(filter.billing_account_id))
        if decoded is None or decoded[0] != "BillingAccount":
            nothing = True
        else:
            account_id = decoded[1]
    return queries.InvoiceCriteria(
        statuses=frozenset(s.value for s in filter.status or ()),
        service_types=frozenset(s.value for s in filter.service_type or ()),
        billing_account_id=account_id,
        nothing=nothing,
        line_number=filter.line_number,
        issued_from=filter.issued_from,
        issued_to=filter.issued_to,
        search=filter.search,
        field_prefix=field_prefix,
    )


def ordering_from(order_by: InvoiceOrder | None) -> queries.InvoiceOrdering:
    if order_by is None:
        return queries.InvoiceOrdering()
    return queries.InvoiceOrdering(order_by.field.value, descending=order_by.direction == OrderDirection.DESC)


def _flatten(selections: Iterable[Any]) -> Iterable[Any]:
    """Fields of a selection set, looking through fragments."""
    for selection in selections:
        if hasattr(selection, "arguments"):
            yield selection
        else:
            yield from _flatten(selection.selections)


def selected_on_nodes(info: Info) -> tuple[frozenset[str], bool]:
    """(field names selected on a connection's nodes, whether totalCount is selected)."""
    names: set[str] = set()
    total = False
    for root in info.selected_fields:
        for field in _flatten(root.selections):
            if field.name == "totalCount":
                total = True
            elif field.name == "edges":
                for edge_field in _flatten(field.selections):
                    if edge_field.name == "node":
                        names.update(f.name for f in _flatten(edge_field.selections))
    return frozenset(names), total


@strawberry.type(description="Changing things around invoices.")
class Mutation:
    @payload_mutation(
        description="E-mail the filtered invoice list as a CSV attachment with a short summary "
        "(« Envoyer la liste des factures par e-mail »). Needs INVOICES EXPORT; at most 5 lists per hour.",
        extensions=[
            requires(
                Module.INVOICES,
                Action.EXPORT,
                organisation=input_organisation("organisationId"),
                members_only=True,
            )
        ],
    )
    async def email_invoice_list(self, info: Info, input: EmailInvoiceListInput) -> OkPayload:
        await resolvers.email_invoice_list(
            info.context,
            decision=decided(info),
            criteria=criteria_from(input.filter, field_prefix=("input", "filter")),
            recipients=input.to,
        )
        return OkPayload(ok=True, errors=[])
