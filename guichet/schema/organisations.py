"""The viewer, organisations and the root query fields that reach them."""

from __future__ import annotations

import strawberry

from guichet.domain import models
from guichet.resolvers.context import Info
from guichet.schema.billing import BillingAccount
from guichet.schema.common import Action, Module, OrganisationKind
from guichet.schema.invoices import InvoiceConnection, InvoiceFilter, InvoiceOrder, InvoiceSummary
from guichet.schema.members import (
    AuditEventConnection,
    Contact,
    ContactConnection,
    InvitationConnection,
    InvitationStatus,
    MemberFilter,
)
from guichet.schema.payment_reconciliations import PaymentReconciliationConnection
from guichet.schema.payments import PaymentConnection, PaymentFilter
from guichet.schema.permissions import requires
from guichet.schema.relay import Connection, Node, to_global_id
from guichet.schema.schedules import ScheduleConnection, ScheduleFilter


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
        from guichet.resolvers import organisations

        return await organisations.organisation_me(info, self)

    @strawberry.field(description="The billing accounts the viewer's roles reach.")
    async def billing_accounts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[BillingAccount]:
        from guichet.resolvers import organisations

        return await organisations.organisation_billing_accounts(info, self, first=first, after=after)

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
        from guichet.resolvers import invoices

        return await invoices.organisation_invoices(
            info, self, first=first, after=after, filter=filter, order_by=order_by
        )

    @strawberry.field(
        description="Totals per currency and per status of the filtered invoices (INVOICES, READ).",
        extensions=[requires(Module.INVOICES, Action.READ)],
    )
    async def invoice_summary(self, info: Info, filter: InvoiceFilter | None = None) -> InvoiceSummary:
        from guichet.resolvers import invoices

        return await invoices.organisation_invoice_summary(info, self, filter=filter)

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
        from guichet.resolvers import payments

        return await payments.organisation_payments(info, self, first=first, after=after, filter=filter)

    @strawberry.field(
        description="Money providers confirmed after its payment had failed or expired that paid no invoice, "
        "newest first: cases for finance to refund or allocate (module PAYMENTS, READ).",
        extensions=[requires(Module.PAYMENTS, Action.READ)],
    )
    async def payment_reconciliations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> PaymentReconciliationConnection:
        from guichet.resolvers import payment_reconciliations

        return await payment_reconciliations.organisation_payment_reconciliations(info, self, first=first, after=after)

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
        from guichet.resolvers import schedules

        return await schedules.organisation_schedules(info, self, first=first, after=after, filter=filter)

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
        from guichet.resolvers import members

        return await members.organisation_members(info, self, first=first, after=after, filter=filter)

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
        from guichet.resolvers import members

        return await members.organisation_invitations(info, self, first=first, after=after, status=status)

    @strawberry.field(
        description="Who did what to whose access, and which accesses were refused (module AUDIT).",
        extensions=[requires(Module.AUDIT, Action.READ)],
    )
    async def audit_events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> AuditEventConnection:
        from guichet.resolvers import members

        return await members.organisation_audit_events(info, self, first=first, after=after)


@strawberry.type(description="The signed-in person.")
class Viewer(Node):
    email: str = strawberry.field(description="The person's e-mail address (its login).")
    first_name: str | None = strawberry.field(description="First name.")
    last_name: str | None = strawberry.field(description="Last name.")
    pk: strawberry.Private[int]

    @strawberry.field(description="Every organisation in which the viewer is an active contact.")
    async def organisations(self, info: Info) -> list[Organisation]:
        from guichet.resolvers import organisations

        return await organisations.viewer_organisations(info, self.pk)


@strawberry.type(description="Entry points.")
class Query:
    @strawberry.field(description="The signed-in person; null without valid credentials.")
    async def viewer(self, info: Info) -> Viewer | None:
        from guichet.resolvers import organisations

        return await organisations.current_viewer(info)

    @strawberry.field(description="An organisation the viewer belongs to; null otherwise.")
    async def organisation(self, info: Info, id: strawberry.ID) -> Organisation | None:
        from guichet.resolvers import organisations

        return await organisations.organisation_by_id(info, id)

    @strawberry.field(description="Any object by its global ID; null when unknown or out of the viewer's reach.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        from guichet.resolvers import nodes

        return (await nodes.resolve_nodes(info, [id]))[0]

    @strawberry.field(description="Several objects by their global IDs, in order; null for each one out of reach.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        from guichet.resolvers import nodes

        return await nodes.resolve_nodes(info, ids)
