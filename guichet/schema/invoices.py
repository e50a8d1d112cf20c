"""Invoices: the list a finance contact works from, its filters and order, the summary, the detail.

Every field but downloadUrl is a plain attribute filled from one page query (status and amounts
included): billingAccount, lines and payments hold the values the page prefetched when the
selection asked for them, or a Deferred DataLoader load otherwise (node/nodes, Payment.invoices).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from guichet.domain.invoices import links
from guichet.domain.invoices import status as rules
from guichet.domain.money import exponent
from guichet.resolvers.context import Info
from guichet.schema.billing import BillingAccount
from guichet.schema.common import Action, Module, Money, OkPayload, ServiceType
from guichet.schema.permissions import input_organisation, requires
from guichet.schema.relay import Connection, Node, to_global_id

if TYPE_CHECKING:
    from guichet.schema.payments import Payment


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
class InvoiceLine:
    description: str = strawberry.field(description="What is billed, e.g. « Forfait Business 20 Go ».")
    line_number: str | None = strawberry.field(description="The fleet line this amount bills, if any.")
    amount: Money = strawberry.field(description="The line's amount.")

    @classmethod
    def from_row(cls, row: Any) -> InvoiceLine:
        return cls(
            description=row.description,
            line_number=row.line_number,
            amount=money(row.amount_minor, row.currency),
        )


@strawberry.type(description="An invoice of one of the organisation's billing accounts.")
class Invoice(Node):
    number: str = strawberry.field(description="The invoice number, e.g. F-2026-000001.")
    status: InvoiceStatus = strawberry.field(description="OPEN, OVERDUE or PAID on the server's today.")
    service_type: ServiceType = strawberry.field(description="FIXED, MOBILE or INTERNET.")
    issue_date: date = strawberry.field(description="The day the invoice was issued.")
    due_date: date = strawberry.field(description="The day it must be paid by.")
    period_start: date | None = strawberry.field(description="First day of the billed period.")
    period_end: date | None = strawberry.field(description="Last day of the billed period.")
    total: Money = strawberry.field(description="The invoice's total.")
    amount_paid: Money = strawberry.field(description="What has been paid so far.")
    amount_due: Money = strawberry.field(description="What is left to pay (total - amountPaid, never negative).")
    payment_pending: bool = strawberry.field(description="A payment for this invoice is under way.")
    # The next three are plain attributes holding either the value (a page prefetched it) or a
    # Deferred that loads it through the request's DataLoader if, and only if, it is selected:
    # no resolver runs per invoice, and a page with every value prefetched completes without
    # one future per invoice.
    billing_account: BillingAccount = strawberry.field(description="The billing account this invoice bills.")
    lines: list[InvoiceLine] = strawberry.field(
        description="The invoice's lines, with the fleet number each one bills."
    )
    payments: list[Annotated[Payment, strawberry.lazy("guichet.schema.payments")]] = strawberry.field(
        description="Payments made or under way for this invoice."
    )
    pk: strawberry.Private[int]
    organisation_id: strawberry.Private[int]
    billing_account_id: strawberry.Private[int]
    currency: strawberry.Private[str]
    can_export: strawberry.Private[bool]

    @classmethod
    def from_row(cls, row: Any, *, can_export: bool, info: Info, prefetched: frozenset[str] = frozenset()) -> Invoice:
        """Build from a queries.PAGE_COLUMNS row (status computed by the SQL status rule).

        `prefetched` names the relations ("billingAccount", "lines", "payments") the caller sets
        itself right after: those get no Deferred (a page of 50 builds 150 fewer closures).
        """
        from guichet.resolvers.loaders import deferred_account, deferred_lines, deferred_payments

        currency = row.currency
        total, paid = row.total_minor, row.amount_paid_minor
        return cls(
            id=strawberry.ID(to_global_id("Invoice", row.id)),
            number=row.number,
            status=_STATUSES[row.status],
            service_type=_SERVICE_TYPES[row.service_type],
            issue_date=row.issue_date,
            due_date=row.due_date,
            period_start=row.period_start,
            period_end=row.period_end,
            total=money(total, currency),
            amount_paid=money(paid, currency),
            amount_due=money(rules.amount_due_minor(total, paid), currency),
            payment_pending=row.pending_payment_id is not None,
            billing_account=None  # type: ignore[arg-type]
            if "billingAccount" in prefetched
            else deferred_account(info, row.billing_account_id),
            lines=None if "lines" in prefetched else deferred_lines(info, row.id),  # type: ignore[arg-type]
            payments=None if "payments" in prefetched else deferred_payments(info, row.id),  # type: ignore[arg-type]
            pk=row.id,
            organisation_id=row.organisation_id,
            billing_account_id=row.billing_account_id,
            currency=currency,
            can_export=can_export,
        )

    @strawberry.field(
        description="A short-lived signed link to the PDF (GET, no other credentials needed; valid 5 minutes). "
        "Needs INVOICES EXPORT: without it, asking for this field is refused with FORBIDDEN."
    )
    def download_url(self, info: Info) -> str:
        if not self.can_export:
            from guichet.resolvers.graphql_errors import forbidden

            raise forbidden(info, Module.INVOICES, Action.EXPORT)
        ctx = info.context
        return links.download_url(ctx.settings.public_url, ctx.settings.secret_key, self.pk, ctx.now())


InvoiceConnection = Connection[Invoice]


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


@strawberry.type(description="Changing things around invoices.")
class Mutation:
    @strawberry.mutation(
        description="E-mail the filtered invoice list as a CSV attachment with a short summary "
        "(« Envoyer la liste des factures par e-mail »). Needs INVOICES EXPORT; at most 5 lists per hour.",
        extensions=[requires(Module.INVOICES, Action.EXPORT, organisation=input_organisation("organisationId"))],
    )
    async def email_invoice_list(self, info: Info, input: EmailInvoiceListInput) -> OkPayload:
        from guichet.resolvers import invoices

        return await invoices.email_invoice_list(info, input)
