"""Contracts (Oracle Customer Center's « contrats ») and their billing schedule (module CONTRACTS).

Contract and BillingScheduleEntry render rows the resolvers read within the viewer's scope;
lines, fleet lines, billing accounts and invoices load through the request's loaders when
selected. File links need CONTRACTS EXPORT besides READ: without it the field is FORBIDDEN.
"""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from guichet.domain.contracts import queries, rules
from guichet.domain.ids import pk_of, to_global_id
from guichet.domain.models import contracts as models
from guichet.resolvers import contracts as resolvers
from guichet.resolvers.context import Info
from guichet.schema.billing import BillingAccount, Line
from guichet.schema.common import Money
from guichet.schema.errors import refusals_as_errors
from guichet.schema.invoices import Invoice
from guichet.schema.relay import Connection, Node

# A billingAccountId naming nothing of ours matches nothing (no such primary key).
_NO_ACCOUNT = -1


@strawberry.enum(description="Where a contract stands.")
class ContractStatus(Enum):
    PENDING_ACTIVATION = "PENDING_ACTIVATION"
    ACTIVE = "ACTIVE"
    NON_RENEWING = "NON_RENEWING"
    SUSPENDED = "SUSPENDED"
    EXPIRED = "EXPIRED"
    TERMINATED = "TERMINATED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="How often a line is billed; ONE_TIME once, on its start date.")
class BillingFrequency(Enum):
    ONE_TIME = "ONE_TIME"
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    SEMI_ANNUAL = "SEMI_ANNUAL"
    ANNUAL = "ANNUAL"


@strawberry.enum(description="The kind of file a download link gives.")
class FileFormat(Enum):
    CSV = "CSV"
    PDF = "PDF"


@strawberry.enum(
    description="NOT_INVOICED: still to invoice; INVOICED: an invoice names the contract and the period's start; "
    "CANCELLED: the contract ended before the period."
)
class BillingScheduleStatus(Enum):
    NOT_INVOICED = "NOT_INVOICED"
    INVOICED = "INVOICED"
    CANCELLED = "CANCELLED"


@strawberry.type(description="An amount billed at a frequency.")
class RecurringAmount:
    amount: Money = strawberry.field(description="What is billed each period.")
    frequency: BillingFrequency = strawberry.field(description="The period.")


@strawberry.type(description="One product of a contract.")
class ContractLine:
    product: str = strawberry.field(description="The product or service billed.")
    description: str | None = strawberry.field(description="More about it, when the back office says.")
    quantity: int = strawberry.field(description="How many units.")
    unit_price: Money = strawberry.field(
        description="Price of one unit for one period of `frequency` (or once, for ONE_TIME)."
    )
    amount: Money = strawberry.field(description="quantity × unitPrice.")
    frequency: BillingFrequency = strawberry.field(description="How often it is billed.")
    start_date: date = strawberry.field(description="The first day billed.")
    end_date: date | None = strawberry.field(description="The last day billed; null: as long as the contract.")
    line_pk: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.ContractLine, currency: str) -> ContractLine:
        return cls(
            product=row.product,
            description=row.description,
            quantity=row.quantity,
            unit_price=Money.of(row.unit_price_minor, currency),
            amount=Money.of(row.quantity * row.unit_price_minor, currency),
            frequency=BillingFrequency(row.frequency),
            start_date=row.start_date,
            end_date=row.end_date,
            line_pk=row.line_id,
        )

    @strawberry.field(description="The fleet line this subscription serves, when there is one.")
    async def line(self, info: Info) -> Line | None:
        if self.line_pk is None:
            return None
        row = await info.context.loaders.line_by_id.load(self.line_pk)
        return Line.from_row(row) if row is not None else None


@strawberry.input(description="Which contracts to list.")
class ContractFilter:
    status: list[ContractStatus] | None = strawberry.field(default=None, description="Only these statuses.")
    billing_account_id: strawberry.ID | None = strawberry.field(default=None, description="Only this account's.")
    search: str | None = strawberry.field(default=None, description="Part of the number or name, any case.")


@strawberry.input(description="Which billing-schedule entries to list.")
class BillingScheduleFilter:
    status: list[BillingScheduleStatus] | None = strawberry.field(default=None, description="Only these statuses.")
    from_: date | None = strawberry.field(
        default=None, name="from", description="Only entries invoiced on or after this day."
    )
    to: date | None = strawberry.field(default=None, description="Only entries invoiced on or before this day.")
    billing_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the entries of this account's contracts."
    )


def _account_pk(value: strawberry.ID | None) -> int | None:
    if value is None:
        return None
    pk = pk_of(value, "BillingAccount")
    return pk if pk is not None else _NO_ACCOUNT


def contract_criteria(filter: ContractFilter | None) -> queries.ContractCriteria:
    if filter is None:
        return queries.ContractCriteria()
    return queries.ContractCriteria(
        statuses=tuple(s.value for s in filter.status or ()),
        billing_account_id=_account_pk(filter.billing_account_id),
        search=filter.search.strip() if filter.search and filter.search.strip() else None,
    )


def schedule_criteria(filter: BillingScheduleFilter | None) -> queries.ScheduleCriteria:
    if filter is None:
        return queries.ScheduleCriteria()
    return queries.ScheduleCriteria(
        statuses=tuple(s.value for s in filter.status or ()),
        start=filter.from_,
        end=filter.to,
        billing_account_id=_account_pk(filter.billing_account_id),
    )


@strawberry.type(description="A contract: its term, renewal and lines.")
class Contract(Node):
    number: str = strawberry.field(description="The contract number, e.g. CT-2026-0001.")
    name: str = strawberry.field(description="The contract's name, e.g. Support Premier.")
    status: ContractStatus = strawberry.field(description="Where the contract stands.")
    start_date: date = strawberry.field(description="The first day of the contract.")
    end_date: date | None = strawberry.field(description="Null: evergreen.")
    renewal_notice_date: date | None = strawberry.field(
        description="Last day to stop an automatic renewal; null when not renewable."
    )
    auto_renew: bool = strawberry.field(description="Renewed automatically at its end unless stopped.")
    view: strawberry.Private[resolvers.ContractView]

    @classmethod
    def from_view(cls, view: resolvers.ContractView) -> Contract:
        row = view.row
        return cls(
            id=strawberry.ID(to_global_id("Contract", row.id)),
            number=row.number,
            name=row.name,
            status=ContractStatus(row.status),
            start_date=row.start_date,
            end_date=row.end_date,
            renewal_notice_date=row.renewal_notice_date,
            auto_renew=row.auto_renew,
            view=view,
        )

    @strawberry.field(description="The billing account the contract is billed to.")
    async def billing_account(self, info: Info) -> BillingAccount:
        return BillingAccount.from_row(
            await info.context.loaders.billing_account_by_id.load(self.view.row.billing_account_id)
        )

    @strawberry.field(description="The contract's products, in order.")
    async def lines(self, info: Info) -> list[ContractLine]:
        rows = await info.context.loaders.contract_lines_by_contract_id.load(self.view.row.id)
        return [ContractLine.from_row(r, self.view.row.currency) for r in rows]

    @strawberry.field(description="Sum of the recurring lines per frequency.")
    async def recurring_total(self, info: Info) -> list[RecurringAmount]:
        rows = await info.context.loaders.contract_lines_by_contract_id.load(self.view.row.id)
        totals = rules.recurring_totals([(r.frequency, r.quantity, r.unit_price_minor) for r in rows])
        return [
            RecurringAmount(amount=Money.of(m, self.view.row.currency), frequency=BillingFrequency(f))
            for f, m in totals
        ]

    @strawberry.field(description="This contract's billing-schedule entries, by invoicing date.")
    async def billing_schedule(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: BillingScheduleFilter | None = None,
    ) -> Connection[BillingScheduleEntry]:
        with refusals_as_errors(info):
            page = await resolvers.contract_schedule(
                info.context, contract=self.view.row, criteria=schedule_criteria(filter), first=first, after=after
            )
        return Connection.from_page(page, BillingScheduleEntry.from_entry)

    @strawberry.field(
        description="Signed short-lived link to this contract's billing schedule as a file (CONTRACTS EXPORT; "
        "valid 5 minutes)."
    )
    def billing_schedule_url(self, info: Info, format: FileFormat | None = FileFormat.CSV) -> str:
        with refusals_as_errors(info):
            return resolvers.contract_file_url(
                info.context, view=self.view, file_format=(format or FileFormat.CSV).value
            )

    @strawberry.field(
        description="Signed short-lived link to a PDF summary of the contract (CONTRACTS EXPORT; valid 5 minutes)."
    )
    def document_url(self, info: Info) -> str:
        with refusals_as_errors(info):
            return resolvers.contract_document_url(info.context, view=self.view)


@strawberry.type(description="One period to invoice (Oracle's « calendrier de facturation des abonnements »).")
class BillingScheduleEntry(Node):
    product: str = strawberry.field(description="The contract line's product.")
    period_start: date = strawberry.field(description="The first day of the period.")
    period_end: date = strawberry.field(description="The last day of the period.")
    invoicing_date: date = strawberry.field(description="When it is invoiced: the period's first day.")
    amount: Money = strawberry.field(description="quantity × unit price of the line.")
    status: BillingScheduleStatus = strawberry.field(description="NOT_INVOICED, INVOICED or CANCELLED.")
    entry: strawberry.Private[queries.ScheduleEntry]

    @classmethod
    def from_entry(cls, entry: queries.ScheduleEntry) -> BillingScheduleEntry:
        return cls(
            id=strawberry.ID(to_global_id("BillingScheduleEntry", entry.pk)),
            product=entry.line.product,
            period_start=entry.period.start,
            period_end=entry.period.end,
            invoicing_date=entry.period.start,
            amount=Money.of(entry.period.amount_minor, entry.contract.currency),
            status=BillingScheduleStatus(entry.status),
            entry=entry,
        )

    @strawberry.field(description="The contract the entry belongs to.")
    async def contract(self, info: Info) -> Contract:
        view = await info.context.loaders.readable_contract_by_id.load(self.entry.contract.id)
        return Contract.from_view(view)

    @strawberry.field(description="The invoice of the period, when INVOICED and the viewer may read it.")
    async def invoice(self, info: Info) -> Invoice | None:
        if self.entry.invoice_id is None:
            return None
        view = await info.context.loaders.readable_invoice_by_id.load(self.entry.invoice_id)
        return Invoice.from_view(view, info) if view is not None else None


ContractConnection = Connection[Contract]
BillingScheduleEntryConnection = Connection[BillingScheduleEntry]
