"""The viewer, organisations and the root query fields that reach them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import strawberry

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.resolvers import api_keys as api_key_resolvers
from guichet.resolvers import contracts as contract_resolvers
from guichet.resolvers import exports as export_resolvers
from guichet.resolvers import invoices as invoice_resolvers
from guichet.resolvers import members as member_resolvers
from guichet.resolvers import nodes as node_resolvers
from guichet.resolvers import organisations as resolvers
from guichet.resolvers import payment_reconciliations as reconciliation_resolvers
from guichet.resolvers import payments as payment_resolvers
from guichet.resolvers import pending_payments as pending_payment_resolvers
from guichet.resolvers import reporting as reporting_resolvers
from guichet.resolvers import schedules as schedule_resolvers
from guichet.resolvers import service_requests as service_request_resolvers
from guichet.resolvers.context import Info, SignedIn
from guichet.schema.api_keys import ApiKey, ApiKeyConnection, ApiKeyStatus
from guichet.schema.billing import BillingAccount, Line
from guichet.schema.billing_profiles import SavedPaymentMethod
from guichet.schema.common import Action, Module, OrganisationKind
from guichet.schema.contracts import (
    BillingScheduleEntry,
    BillingScheduleEntryConnection,
    BillingScheduleFilter,
    Contract,
    ContractConnection,
    ContractFilter,
    FileFormat,
    contract_criteria,
    schedule_criteria,
)
from guichet.schema.errors import refusals_as_errors
from guichet.schema.exports import ExportJob, ExportJobConnection, ExportStatus, export_connection
from guichet.schema.invoices import (
    Invoice,
    InvoiceConnection,
    InvoiceFilter,
    InvoiceOrder,
    InvoiceSummary,
    criteria_from,
    invoice_connection,
    ordering_from,
    selected_on_nodes,
)
from guichet.schema.members import (
    AuditEvent,
    AuditEventConnection,
    Contact,
    ContactConnection,
    Invitation,
    InvitationConnection,
    InvitationStatus,
    MemberFilter,
)
from guichet.schema.payment_reconciliations import PaymentReconciliationConnection, reconciliation_connection
from guichet.schema.payments import Payment, PaymentConnection, PaymentFilter, payment_connection
from guichet.schema.pending_payments import (
    PendingPayment,
    PendingPaymentConnection,
    PendingPaymentFilter,
)
from guichet.schema.pending_payments import filter_values as pending_filter_values
from guichet.schema.permissions import decision_of, requires
from guichet.schema.relay import Connection, Node
from guichet.schema.reporting import SpendingDimension, SpendingRow
from guichet.schema.schedules import Schedule, ScheduleConnection, ScheduleFilter
from guichet.schema.service_requests import (
    Attachment,
    ServiceRequest,
    ServiceRequestComment,
    ServiceRequestConnection,
    ServiceRequestFilter,
    service_request_connection,
)


@strawberry.type(description="A customer: a company with its contacts, or a private individual.")
class Organisation(Node):
    name: str = strawberry.field(description="The organisation's name.")
    kind: OrganisationKind = strawberry.field(description="BUSINESS or INDIVIDUAL.")
    taxpayer_number: str | None = strawberry.field(description="Taxpayer number (numéro de compte contribuable).")
    pk: strawberry.Private[int]
    currency: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: models.Organisation) -> Organisation:
        return cls(
            id=strawberry.ID(to_global_id("Organisation", row.id)),
            name=row.name,
            kind=OrganisationKind(row.kind),
            taxpayer_number=row.taxpayer_number,
            pk=row.id,
            currency=row.currency,
        )

    @strawberry.field(description="The viewer's own membership here: its roles and effective permissions.")
    async def me(self, info: Info) -> Contact:
        return Contact.from_rows(*await resolvers.own_contact(info.context, self.pk))

    @strawberry.field(description="The billing accounts the viewer's roles reach.")
    async def billing_accounts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[BillingAccount]:
        with refusals_as_errors(info):
            page = await resolvers.billing_accounts(info.context, self.pk, first=first, after=after)
        return Connection.from_page(page, BillingAccount.from_row)

    @strawberry.field(
        description="Invoices in the viewer's scope (module INVOICES, READ).",
        extensions=[requires(Module.INVOICES, Action.READ)],
    )
    async def invoices(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: InvoiceFilter | None = None,
        order_by: InvoiceOrder | None = None,
    ) -> InvoiceConnection:
        names, with_total = selected_on_nodes(info)
        with refusals_as_errors(info):
            result = await invoice_resolvers.list_invoices(
                info.context,
                organisation_id=self.pk,
                decision=decision_of(info),
                criteria=criteria_from(filter),
                ordering=ordering_from(order_by),
                first=first,
                after=after,
                include=names,
                with_total=with_total,
            )
        return invoice_connection(result, info)

    @strawberry.field(
        description="Totals per currency and per status of the filtered invoices (INVOICES, READ).",
        extensions=[requires(Module.INVOICES, Action.READ)],
    )
    async def invoice_summary(self, info: Info, filter: InvoiceFilter | None = None) -> InvoiceSummary:
        with refusals_as_errors(info):
            summary = await invoice_resolvers.invoice_summary(
                info.context, organisation_id=self.pk, decision=decision_of(info), criteria=criteria_from(filter)
            )
        return InvoiceSummary.from_summary(summary)

    @strawberry.field(
        description="Payments in the viewer's scope (module PAYMENTS, READ).",
        extensions=[requires(Module.PAYMENTS, Action.READ)],
    )
    async def payments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: PaymentFilter | None = None,
    ) -> PaymentConnection:
        with refusals_as_errors(info):
            page = await payment_resolvers.list_payments(
                info.context,
                organisation_id=self.pk,
                decision=decision_of(info),
                statuses=[s.value for s in filter.status or ()] if filter is not None else [],
                methods=[m.value for m in filter.method or ()] if filter is not None else [],
                first=first,
                after=after,
                created_from=filter.created_from if filter is not None else None,
                created_to=filter.created_to if filter is not None else None,
            )
        return payment_connection(page, info)

    @strawberry.field(
        description="Money providers confirmed after its payment had failed or expired that paid no invoice, "
        "newest first: cases for finance to refund or allocate (module PAYMENTS, READ).",
        extensions=[requires(Module.PAYMENTS, Action.READ)],
    )
    async def payment_reconciliations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> PaymentReconciliationConnection:
        with refusals_as_errors(info):
            page = await reconciliation_resolvers.list_reconciliations(
                info.context, organisation_id=self.pk, decision=decision_of(info), first=first, after=after
            )
        return reconciliation_connection(page, info)

    @strawberry.field(
        description="Instalment plans (échéanciers) of the organisation (module SCHEDULES, READ).",
        extensions=[requires(Module.SCHEDULES, Action.READ)],
    )
    async def schedules(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ScheduleFilter | None = None,
    ) -> ScheduleConnection:
        with refusals_as_errors(info):
            page = await schedule_resolvers.list_schedules(
                info.context,
                organisation_id=self.pk,
                decision=decision_of(info),
                statuses=[s.value for s in filter.status or ()] if filter is not None else [],
                first=first,
                after=after,
            )
        return ScheduleConnection.from_page(page, Schedule.of)

    @strawberry.field(
        description="What waits to be paid beside invoices: orders, support renewals, failed automatic charges "
        "(module INVOICES, READ; oldest first).",
        extensions=[requires(Module.INVOICES, Action.READ)],
    )
    async def pending_payments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: PendingPaymentFilter | None = None,
    ) -> PendingPaymentConnection:
        statuses, kinds, account = pending_filter_values(filter)
        with refusals_as_errors(info):
            page = await pending_payment_resolvers.list_pending_payments(
                info.context,
                organisation_id=self.pk,
                decision=decision_of(info),
                statuses=statuses,
                kinds=kinds,
                billing_account_id=account,
                first=first,
                after=after,
            )
        return PendingPaymentConnection.from_page(page, lambda row: PendingPayment.from_row(row, info))

    @strawberry.field(
        description="Contracts in the viewer's scope, oldest first (module CONTRACTS, READ).",
        extensions=[requires(Module.CONTRACTS, Action.READ)],
    )
    async def contracts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ContractFilter | None = None,
    ) -> ContractConnection:
        with refusals_as_errors(info):
            page = await contract_resolvers.list_contracts(
                info.context,
                organisation_id=self.pk,
                decision=decision_of(info),
                criteria=contract_criteria(filter),
                first=first,
                after=after,
            )
        return ContractConnection.from_page(page, Contract.from_view)

    @strawberry.field(
        description="Every billing-schedule entry of the contracts in the viewer's scope, by invoicing date, "
        "then contract number (module CONTRACTS, READ).",
        extensions=[requires(Module.CONTRACTS, Action.READ)],
    )
    async def billing_schedule(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: BillingScheduleFilter | None = None,
    ) -> BillingScheduleEntryConnection:
        with refusals_as_errors(info):
            page = await contract_resolvers.billing_schedule(
                info.context,
                organisation_id=self.pk,
                scope=decision_of(info).scope,
                criteria=schedule_criteria(filter),
                first=first,
                after=after,
            )
        return BillingScheduleEntryConnection.from_page(page, BillingScheduleEntry.from_entry)

    @strawberry.field(
        description="Signed short-lived link to the whole billing schedule as a file (module CONTRACTS, READ and "
        "EXPORT; valid 5 minutes).",
        extensions=[requires(Module.CONTRACTS, Action.EXPORT)],
    )
    async def billing_schedule_url(
        self, info: Info, filter: BillingScheduleFilter | None = None, format: FileFormat | None = FileFormat.CSV
    ) -> str:
        with refusals_as_errors(info):
            return await contract_resolvers.schedule_file_url(
                info.context,
                organisation_id=self.pk,
                decision=decision_of(info),
                criteria=schedule_criteria(filter),
                file_format=(format or FileFormat.CSV).value,
            )

    @strawberry.field(
        description="The organisation's contacts (module MEMBERS, READ).",
        extensions=[requires(Module.MEMBERS, Action.READ)],
    )
    async def members(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: MemberFilter | None = None,
    ) -> ContactConnection:
        with refusals_as_errors(info):
            page = await member_resolvers.list_members(
                info.context,
                organisation_id=decision_of(info).membership.organisation_id,
                statuses=[s.value for s in filter.status or ()] if filter is not None else [],
                roles=[r.value for r in filter.role or ()] if filter is not None else [],
                search=filter.search if filter is not None else None,
                first=first,
                after=after,
            )
        return ContactConnection.from_page(page, lambda rows: Contact.from_rows(*rows))

    @strawberry.field(
        description="Invitations sent by the organisation's admins (module MEMBERS, READ).",
        extensions=[requires(Module.MEMBERS, Action.READ)],
    )
    async def invitations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[InvitationStatus] | None = None,
    ) -> InvitationConnection:
        now = info.context.now()
        with refusals_as_errors(info):
            page = await member_resolvers.list_invitations(
                info.context,
                organisation_id=decision_of(info).membership.organisation_id,
                statuses=[s.value for s in status or ()],
                now=now,
                first=first,
                after=after,
            )
        return InvitationConnection.from_page(page, lambda row: Invitation.from_row(row, now))

    @strawberry.field(
        description="Who did what to whose access, and which accesses were refused (module AUDIT).",
        extensions=[requires(Module.AUDIT, Action.READ)],
    )
    async def audit_events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> AuditEventConnection:
        with refusals_as_errors(info):
            page = await member_resolvers.list_audit_events(
                info.context, organisation_id=decision_of(info).membership.organisation_id, first=first, after=after
            )
        return AuditEventConnection.from_page(page, AuditEvent.from_row)

    @strawberry.field(
        description="The organisation's API keys, newest first (module INTEGRATIONS, READ).",
        extensions=[requires(Module.INTEGRATIONS, Action.READ)],
    )
    async def api_keys(
        self, info: Info, first: int | None = None, after: str | None = None, status: list[ApiKeyStatus] | None = None
    ) -> ApiKeyConnection:
        now = info.context.now()
        with refusals_as_errors(info):
            page = await api_key_resolvers.list_api_keys(
                info.context,
                organisation_id=decision_of(info).membership.organisation_id,
                statuses=[s.value for s in status or ()],
                first=first,
                after=after,
            )
        return ApiKeyConnection.from_page(page, lambda view: ApiKey.of(view, now))

    @strawberry.field(
        description="Service requests of the viewer's scope, shared by its contacts, newest first "
        "(module SERVICE_REQUESTS, READ).",
        extensions=[requires(Module.SERVICE_REQUESTS, Action.READ)],
    )
    async def service_requests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ServiceRequestFilter | None = None,
    ) -> ServiceRequestConnection:
        with refusals_as_errors(info):
            decision = decision_of(info)
            page = await service_request_resolvers.list_service_requests(
                info.context,
                organisation_id=self.pk,
                decision=decision,
                criteria=service_request_resolvers.criteria_of(
                    decision=decision,
                    statuses=[s.value for s in filter.status or ()] if filter is not None else [],
                    categories=[c.value for c in filter.category or ()] if filter is not None else [],
                    billing_account_id=str(filter.billing_account_id)
                    if filter is not None and filter.billing_account_id is not None
                    else None,
                    line_number=filter.line_number if filter is not None else None,
                    created_by_me=filter.created_by_me if filter is not None else None,
                    search=filter.search if filter is not None else None,
                ),
                first=first,
                after=after,
            )
        return service_request_connection(page)

    @strawberry.field(
        description="Invoiced, paid and due amounts grouped as asked (REPORTS READ), within the viewer's scope.",
        extensions=[requires(Module.REPORTS, Action.READ)],
    )
    async def spending(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from", description="Invoices issued on or after this day.")],
        to: Annotated[date, strawberry.argument(description="Invoices issued on or before this day.")],
        group_by: Annotated[
            list[SpendingDimension],
            strawberry.argument(description="The dimensions of each row, any of them; none: one row per currency."),
        ],
    ) -> list[SpendingRow]:
        with refusals_as_errors(info):
            rows = await reporting_resolvers.spending(
                info.context,
                decision=decision_of(info),
                issued_from=from_,
                issued_to=to,
                group_by=[d.value for d in group_by],
            )
        return [SpendingRow.of(r) for r in rows]

    @strawberry.field(
        description="The viewer's own export jobs, newest first (REPORTS EXPORT).",
        extensions=[requires(Module.REPORTS, Action.EXPORT)],
    )
    async def exports(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[
            list[ExportStatus] | None,
            strawberry.argument(description="Only the exports in these statuses; all of them when absent."),
        ] = None,
    ) -> ExportJobConnection:
        with refusals_as_errors(info):
            page = await export_resolvers.list_exports(
                info.context,
                decision=decision_of(info),
                statuses=[s.value for s in status or ()],
                first=first,
                after=after,
            )
        return export_connection(page, info)


@strawberry.type(description="The signed-in person.")
class Viewer(Node):
    email: str = strawberry.field(description="The person's e-mail address (its login).")
    first_name: str | None = strawberry.field(description="First name.")
    last_name: str | None = strawberry.field(description="Last name.")
    pk: strawberry.Private[int]

    @classmethod
    def of(cls, viewer: SignedIn) -> Viewer:
        return cls(
            id=strawberry.ID(to_global_id("Viewer", viewer.person_id)),
            email=viewer.email,
            first_name=viewer.first_name,
            last_name=viewer.last_name,
            pk=viewer.person_id,
        )

    @strawberry.field(description="Every organisation in which the viewer is an active contact.")
    async def organisations(self, info: Info) -> list[Organisation]:
        return [Organisation.from_row(r) for r in await resolvers.viewer_organisations(info.context, self.pk)]


# Type name -> how node / nodes render the domain value its resolver found.
NODE_RENDERERS: dict[str, Callable[[Any, Info], Node]] = {
    "Organisation": lambda row, info: Organisation.from_row(row),
    "BillingAccount": lambda row, info: BillingAccount.from_row(row),
    "Line": lambda row, info: Line.from_row(row),
    "Contact": lambda rows, info: Contact.from_rows(*rows),
    "Invitation": lambda row, info: Invitation.from_row(row, info.context.now()),
    "AuditEvent": lambda row, info: AuditEvent.from_row(row),
    "Invoice": Invoice.from_view,
    "Payment": Payment.for_reader,
    "Schedule": lambda view, info: Schedule.of(view),
    "ApiKey": lambda view, info: ApiKey.of(view, info.context.now()),
    "Contract": lambda view, info: Contract.from_view(view),
    "BillingScheduleEntry": lambda entry, info: BillingScheduleEntry.from_entry(entry),
    "PendingPayment": PendingPayment.from_row,
    "SavedPaymentMethod": SavedPaymentMethod.from_row,
    "ServiceRequest": lambda view, info: ServiceRequest.of(view),
    "ServiceRequestComment": lambda row, info: ServiceRequestComment.from_row(row),
    "Attachment": lambda row, info: Attachment.from_row(row),
    "ExportJob": ExportJob.from_row,
}


async def resolve_nodes(info: Info, ids: list[str]) -> list[Node | None]:
    with refusals_as_errors(info):
        found = await node_resolvers.reachable_nodes(info.context, ids)
    return [NODE_RENDERERS[item[0]](item[1], info) if item is not None else None for item in found]


@strawberry.type(description="Entry points.")
class Query:
    @strawberry.field(description="The signed-in person; null without valid credentials.")
    async def viewer(self, info: Info) -> Viewer | None:
        viewer = await info.context.viewer()
        return Viewer.of(viewer) if viewer is not None else None

    @strawberry.field(description="An organisation the viewer belongs to; null otherwise.")
    async def organisation(self, info: Info, id: strawberry.ID) -> Organisation | None:
        row = await resolvers.organisation_by_id(info.context, id)
        return Organisation.from_row(row) if row is not None else None

    @strawberry.field(description="Any object by its global ID; null when unknown or out of the viewer's reach.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return (await resolve_nodes(info, [id]))[0]

    @strawberry.field(description="Several objects by their global IDs, in order; null for each one out of reach.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        return await resolve_nodes(info, ids)
