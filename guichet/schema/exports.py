"""Export jobs: the ExportJob type, startExport / cancelExport and the exportUpdated stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from guichet.domain.errors import DomainError
from guichet.domain.ids import to_global_id
from guichet.domain.models.exports import ExportJob as ExportJobRow
from guichet.domain.reporting import links, transitions
from guichet.policies.authz import AccessDenied, NotAuthenticated
from guichet.resolvers import exports as resolvers
from guichet.resolvers import members as member_resolvers
from guichet.resolvers.context import Info
from guichet.resolvers.pagination import Page
from guichet.schema.common import Action, Module, UserError
from guichet.schema.invoices import InvoiceFilter, criteria_from
from guichet.schema.payloads import payload_mutation
from guichet.schema.payments import PaymentFilter, _stream_error
from guichet.schema.permissions import decided, input_object, input_organisation, requires
from guichet.schema.relay import Connection, Node

if TYPE_CHECKING:
    from guichet.schema.api_keys import ApiKey
    from guichet.schema.members import Contact

ContactRef = Annotated["Contact", strawberry.lazy("guichet.schema.members")]
ApiKeyRef = Annotated["ApiKey", strawberry.lazy("guichet.schema.api_keys")]


@strawberry.enum(description="What an export job writes.")
class ExportKind(Enum):
    INVOICES = "INVOICES"
    INVOICE_LINES = "INVOICE_LINES"
    PAYMENTS = "PAYMENTS"
    SCHEDULES = "SCHEDULES"
    CONTRACTS = "CONTRACTS"
    BILLING_SCHEDULE = "BILLING_SCHEDULE"
    ORDERS = "ORDERS"
    SERVICE_REQUESTS = "SERVICE_REQUESTS"
    REWARD_TRANSACTIONS = "REWARD_TRANSACTIONS"
    AUDIT_EVENTS = "AUDIT_EVENTS"
    INVOICE_PDFS = "INVOICE_PDFS"


@strawberry.enum(description="CSV (RFC 4180, UTF-8) or JSONL for tables; ZIP (PDFs and index.csv) for INVOICE_PDFS.")
class ExportFormat(Enum):
    CSV = "CSV"
    JSONL = "JSONL"
    ZIP = "ZIP"


@strawberry.enum(description="CREATED → RUNNING → COMPLETED (→ EXPIRED after 7 days) or FAILED; CANCELED.")
class ExportStatus(Enum):
    CREATED = "CREATED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"


@strawberry.type(description="A file written in the background from a list, with the list's filter and scope.")
class ExportJob(Node):
    kind: ExportKind = strawberry.field(description="What is exported.")
    format: ExportFormat = strawberry.field(description="The file's format.")
    status: ExportStatus = strawberry.field(description="Where the job stands.")
    filter_summary: str = strawberry.field(description="A human summary of the filter used.")
    created_at: datetime = strawberry.field(description="When it was started.")
    started_at: datetime | None = strawberry.field(description="When a worker began writing it.")
    completed_at: datetime | None = strawberry.field(description="When it completed, failed or was cancelled.")
    row_count: int | None = strawberry.field(description="Rows written (so far, while RUNNING).")
    file_size: int | None = strawberry.field(description="The file's size in bytes, once COMPLETED.")
    sha256: str | None = strawberry.field(description="Hex SHA-256 of the file.")
    columns: list[str] = strawberry.field(description="The columns, in order: the CSV header row, the JSONL keys.")
    url: str | None = strawberry.field(description="Signed link, valid until urlExpiresAt (7 days after completion).")
    url_expires_at: datetime | None = strawberry.field(description="When the link stops working.")
    error_message: str | None = strawberry.field(description="Why it failed, when it did.")
    created_by_id: strawberry.Private[int | None]
    api_key_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: ExportJobRow, info: Info) -> ExportJob:
        now = info.context.now()
        status = transitions.effective_status(row.status, row.url_expires_at, now)
        url = None
        if status == transitions.COMPLETED and row.url_expires_at is not None:
            settings = info.context.settings
            url = links.download_url(
                settings.public_url,
                settings.secret_key,
                organisation_id=row.organisation_id,
                export_id=row.id,
                expires_at=row.url_expires_at,
            )
        return cls(
            id=strawberry.ID(to_global_id("ExportJob", row.id)),
            kind=ExportKind(row.kind),
            format=ExportFormat(row.format),
            status=ExportStatus(status),
            filter_summary=row.filter_summary,
            created_at=row.created_at,
            started_at=row.started_at,
            completed_at=row.completed_at,
            row_count=row.row_count,
            file_size=row.file_size,
            sha256=row.sha256,
            columns=list(row.columns or []),
            url=url,
            url_expires_at=row.url_expires_at if status == transitions.COMPLETED else None,
            error_message=row.error_message,
            created_by_id=row.created_by_contact_id,
            api_key_id=row.api_key_id,
        )

    @strawberry.field(description="The contact who started it (null for a key's export or a departed contact).")
    async def created_by(self, info: Info) -> ContactRef | None:
        from guichet.schema.members import Contact

        found = await member_resolvers.contact(info.context, self.created_by_id)
        return Contact.from_rows(*found) if found is not None else None

    @strawberry.field(description="The API key that started it, when a key did (null unless you may read keys).")
    async def api_key(self, info: Info) -> ApiKeyRef | None:
        from guichet.schema.api_keys import ApiKey

        found = await resolvers.export_api_key(info.context, self.api_key_id)
        return ApiKey.of(found, info.context.now()) if found is not None else None


ExportJobConnection = Connection[ExportJob]


def export_connection(page: Page[ExportJobRow], info: Info) -> Connection[ExportJob]:
    return ExportJobConnection.from_page(page, lambda row: ExportJob.from_row(row, info))


@strawberry.input(description="Start an export of one kind, with the list's filters.")
class StartExportInput:
    organisation_id: strawberry.ID = strawberry.field(description="The organisation whose data is exported.")
    kind: ExportKind = strawberry.field(
        description="What to export; CONTRACTS, BILLING_SCHEDULE, ORDERS and REWARD_TRANSACTIONS are refused "
        "(VALIDATION): Guichet has no such area yet."
    )
    format: ExportFormat = strawberry.field(description="CSV or JSONL; ZIP for INVOICE_PDFS (and only for it).")
    invoice_filter: InvoiceFilter | None = strawberry.field(
        default=None, description="INVOICES, INVOICE_LINES, INVOICE_PDFS: the invoice list's filter."
    )
    payment_filter: PaymentFilter | None = strawberry.field(
        default=None, description="PAYMENTS: the payment list's filter."
    )
    from_: date | None = strawberry.field(
        default=None,
        name="from",
        description="From this day (inclusive): issue date of invoices, creation day of payments, service "
        "requests and audit events, purchase date of schedules.",
    )
    to: date | None = strawberry.field(default=None, description="Up to this day (inclusive), on the same date.")
    idempotency_key: str = strawberry.field(
        description="Required. Starting again with the same key answers the same export."
    )


@strawberry.input(description="One export of the viewer's.")
class ExportIdInput:
    export_id: strawberry.ID = strawberry.field(description="The export's global ID.")


@strawberry.type(description="The outcome of startExport or cancelExport.")
class ExportPayload:
    export: ExportJob | None = strawberry.field(description="The export job.")
    errors: list[UserError] = strawberry.field(description="Why nothing was done, if so.")


def _payment_criteria(filter: PaymentFilter | None) -> resolvers.PaymentCriteria | None:
    if filter is None:
        return None
    return resolvers.PaymentCriteria(
        statuses=[s.value for s in filter.status or ()],
        methods=[m.value for m in filter.method or ()],
        created_from=filter.created_from,
        created_to=filter.created_to,
    )


@strawberry.type(description="Export mutations.")
class Mutation:
    @payload_mutation(
        description="Start an export in the background; follow it with exportUpdated or the exports list. "
        "Requires REPORTS EXPORT and READ on the exported data's module.",
        extensions=[
            requires(
                Module.REPORTS, Action.EXPORT, organisation=input_organisation("organisationId"), members_only=True
            )
        ],
    )
    async def start_export(self, info: Info, input: StartExportInput) -> ExportPayload:
        row = await resolvers.start_export(
            info.context,
            decision=decided(info),
            kind=input.kind.value,
            file_format=input.format.value,
            invoice_criteria=criteria_from(input.invoice_filter, field_prefix=("input", "invoiceFilter"))
            if input.invoice_filter is not None
            else None,
            payment_criteria=_payment_criteria(input.payment_filter),
            date_from=input.from_,
            date_to=input.to,
            idempotency_key=input.idempotency_key,
        )
        return ExportPayload(export=ExportJob.from_row(row, info), errors=[])

    @payload_mutation(
        description="Cancel one of your exports that is waiting or running. Requires REPORTS EXPORT.",
        extensions=[
            requires(Module.REPORTS, Action.EXPORT, organisation=input_object("exportId", "ExportJob", ExportJobRow))
        ],
    )
    async def cancel_export(self, info: Info, input: ExportIdInput) -> ExportPayload:
        row = await resolvers.cancel_export(info.context, decision=decided(info), export_id=input.export_id)
        return ExportPayload(export=ExportJob.from_row(row, info), errors=[])


@strawberry.type(description="Live export progress.")
class Subscription:
    @strawberry.subscription(
        description="One of your exports now, then at each change (rows written, status) until it is final. "
        "Requires REPORTS EXPORT."
    )
    async def export_updated(self, info: Info, export_id: strawberry.ID) -> AsyncGenerator[ExportJob, None]:
        try:
            async for row in resolvers.watch_export(info.context, export_id):
                yield ExportJob.from_row(row, info)
        except (NotAuthenticated, AccessDenied, DomainError) as error:
            raise _stream_error(error, info) from None
