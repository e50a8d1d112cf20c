"""Service requests (« demandes de services »): the types, the categories, the customer's mutations
and the live serviceRequestUpdated stream. The list itself is Organisation.serviceRequests.

Relations (lines, comments, attachments, history, contacts, invoice, related request) load through
the request's DataLoaders when selected: a page of requests costs the same statements for 5 or 50.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from guichet.domain.errors import DomainError
from guichet.domain.ids import to_global_id
from guichet.domain.models.service_requests import Attachment as AttachmentRow
from guichet.domain.models.service_requests import ServiceRequest as ServiceRequestRow
from guichet.domain.models.service_requests import ServiceRequestComment as CommentRow
from guichet.domain.models.service_requests import ServiceRequestStatusChange as StatusChangeRow
from guichet.domain.service_requests.categories import CategoryInfo
from guichet.policies.authz import AccessDenied, NotAuthenticated
from guichet.resolvers import service_requests as resolvers
from guichet.resolvers.context import Info
from guichet.resolvers.pagination import Page
from guichet.schema.billing import BillingAccount, Line
from guichet.schema.common import Action, Module, UserError
from guichet.schema.contracts import Contract
from guichet.schema.errors import refusals_as_errors
from guichet.schema.invoices import Invoice
from guichet.schema.members import Contact
from guichet.schema.payloads import payload_mutation
from guichet.schema.payments import _stream_error
from guichet.schema.permissions import decided, described, input_object, input_organisation, requires
from guichet.schema.relay import Connection, Node

_READ = (Module.SERVICE_REQUESTS, Action.READ)
_WRITE = (Module.SERVICE_REQUESTS, Action.WRITE)


@strawberry.enum(description="What a request is about; some need a line or an invoice (serviceRequestCategories).")
class ServiceRequestCategory(Enum):
    INCIDENT = "INCIDENT"
    CHANGE_REQUEST = "CHANGE_REQUEST"
    LINE_MANAGEMENT = "LINE_MANAGEMENT"
    BILLING_CLAIM = "BILLING_CLAIM"
    ACCOUNT_CHANGE = "ACCOUNT_CHANGE"
    INFORMATION = "INFORMATION"
    OTHER = "OTHER"


@strawberry.enum(description="How urgent the customer says the request is.")
class ServiceRequestPriority(Enum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


@strawberry.enum(
    description="Where a request stands (TMF621, trimmed). CLOSED, REJECTED and CANCELLED are final; "
    "the SLA clock stops while AWAITING_CUSTOMER."
)
class ServiceRequestStatus(Enum):
    SUBMITTED = "SUBMITTED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    IN_PROGRESS = "IN_PROGRESS"
    AWAITING_CUSTOMER = "AWAITING_CUSTOMER"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


@strawberry.type(description="A category as this organisation sees it: what it requires and its SLA hours.")
class ServiceRequestCategoryInfo:
    category: ServiceRequestCategory = strawberry.field(description="The category.")
    label: str = strawberry.field(description="Its name in the request's language.")
    requires_line: bool = strawberry.field(description="A request of this category names at least one fleet line.")
    requires_invoice: bool = strawberry.field(description="A request of this category names an invoice.")
    response_hours: int | None = strawberry.field(
        description="Hours within which support answers / resolves (the SLA shown to the customer)."
    )
    resolution_hours: int | None = strawberry.field(description="Hours within which support resolves.")

    @classmethod
    def of(cls, info: CategoryInfo, locale: str) -> ServiceRequestCategoryInfo:
        return cls(
            category=ServiceRequestCategory(info.category.value),
            label=info.label(locale),
            requires_line=info.requires_line,
            requires_invoice=info.requires_invoice,
            response_hours=info.response_hours,
            resolution_hours=info.resolution_hours,
        )


@strawberry.type(description="The SLA clock of a request: due dates from createdAt and the category's hours.")
class ServiceRequestSla:
    response_due_at: datetime | None = strawberry.field(description="When support must have answered.")
    resolution_due_at: datetime | None = strawberry.field(
        description="When support must have resolved it (pushed back by the time spent waiting for the customer)."
    )
    responded_at: datetime | None = strawberry.field(description="When support first answered.")
    response_breached: bool = strawberry.field(description="Support answered (or has not yet) after responseDueAt.")
    resolution_breached: bool = strawberry.field(description="Resolved (or not yet) after resolutionDueAt.")
    paused: bool = strawberry.field(description="The clock stops while AWAITING_CUSTOMER.")


@strawberry.type(description="How support resolved a request.")
class ServiceRequestResolution:
    code: str = strawberry.field(description="The back office's resolution code, e.g. fixed or no_response.")
    summary: str = strawberry.field(description="What was done, in plain text.")


@strawberry.type(description="One entry of a request's status history.")
class ServiceRequestStatusChange:
    status: ServiceRequestStatus = strawberry.field(description="The status entered.")
    at: datetime = strawberry.field(description="When.")
    note: str | None = strawberry.field(description="The reason, question or resolution given with the change.")
    by_contact_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: StatusChangeRow) -> ServiceRequestStatusChange:
        return cls(status=ServiceRequestStatus(row.status), at=row.at, note=row.note, by_contact_id=row.by_contact_id)

    @strawberry.field(description="Null: support.")
    async def by(self, info: Info) -> Contact | None:
        return await _contact(info, self.by_contact_id)


@strawberry.type(description="A file attached to a request or a comment.")
class Attachment(Node):
    filename: str = strawberry.field(description="The file's name as uploaded.")
    content_type: str = strawberry.field(description="application/pdf, image/png, image/jpeg, text/csv or xlsx.")
    size: int = strawberry.field(description="Size in bytes.")
    created_at: datetime = strawberry.field(description="When the upload was announced.")
    row: strawberry.Private[AttachmentRow]

    @classmethod
    def from_row(cls, row: AttachmentRow) -> Attachment:
        return cls(
            id=strawberry.ID(to_global_id("Attachment", row.id)),
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="Signed short-lived link.")
    def download_url(self, info: Info) -> str:
        return resolvers.attachment_link(info.context, self.row)


@strawberry.type(description="A public comment, from the customer or from support.")
class ServiceRequestComment(Node):
    body: str = strawberry.field(description="Plain text (never rendered as HTML).")
    author_name: str = strawberry.field(description="Who wrote it, as shown (support's agent name or the contact's).")
    from_support: bool = strawberry.field(description="Written by the operator's support.")
    created_at: datetime = strawberry.field(description="When it was written.")
    pk: strawberry.Private[int]
    author_contact_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: CommentRow) -> ServiceRequestComment:
        return cls(
            id=strawberry.ID(to_global_id("ServiceRequestComment", row.id)),
            body=row.body,
            author_name=row.author_name,
            from_support=row.from_support,
            created_at=row.created_at,
            pk=row.id,
            author_contact_id=row.author_contact_id,
        )

    @strawberry.field(description="The contact who wrote it; null for support.")
    async def author(self, info: Info) -> Contact | None:
        return await _contact(info, self.author_contact_id)

    @strawberry.field(description="The files attached with this comment.")
    async def attachments(self, info: Info) -> list[Attachment]:
        rows = await info.context.loaders.attachments_by_comment_id.load(self.pk)
        return [Attachment.from_row(r) for r in rows]


ServiceRequestCommentConnection = Connection[ServiceRequestComment]


@strawberry.type(description="A service request shared by the customer and the operator's back office.")
class ServiceRequest(Node):
    number: str = strawberry.field(description="SR- and 8 digits.")
    subject: str = strawberry.field(description="Short summary.")
    description: str = strawberry.field(description="Plain text.")
    category: ServiceRequestCategory = strawberry.field(description="What it is about.")
    priority: ServiceRequestPriority = strawberry.field(description="How urgent.")
    status: ServiceRequestStatus = strawberry.field(description="Where it stands.")
    created_at: datetime = strawberry.field(description="When it was opened.")
    updated_at: datetime = strawberry.field(description="When it last changed (status or comment).")
    resolved_at: datetime | None = strawberry.field(description="When support resolved it (cleared on reopening).")
    closed_at: datetime | None = strawberry.field(description="When it became CLOSED, REJECTED or CANCELLED.")
    resolution: ServiceRequestResolution | None = strawberry.field(description="How support resolved it.")
    rejection_reason: str | None = strawberry.field(description="Why support rejected it.")
    sla: ServiceRequestSla = strawberry.field(description="Due dates and breach flags, as of now.")
    can_comment: bool = strawberry.field(description="The viewer may comment now (not final, SERVICE_REQUESTS WRITE).")
    can_cancel: bool = strawberry.field(description="The viewer may cancel now (before resolution).")
    can_confirm_resolution: bool = strawberry.field(description="The viewer may confirm the resolution now.")
    can_reopen: bool = strawberry.field(description="The viewer may reopen now (RESOLVED, before reopenDeadline).")
    reopen_deadline: datetime | None = strawberry.field(
        description="While RESOLVED: until when it may be reopened (7 days after the resolution)."
    )
    pk: strawberry.Private[int]
    organisation_id: strawberry.Private[int]
    billing_account_id: strawberry.Private[int | None]
    invoice_id: strawberry.Private[int | None]
    related_request_id: strawberry.Private[int | None]
    contract_id: strawberry.Private[int | None]
    created_by_contact_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, view: resolvers.RequestView) -> ServiceRequest:
        row: ServiceRequestRow = view.row
        clock, can = view.sla, view.abilities
        resolution = None
        if row.resolution_code is not None:
            resolution = ServiceRequestResolution(code=row.resolution_code, summary=row.resolution_summary or "")
        return cls(
            id=strawberry.ID(to_global_id("ServiceRequest", row.id)),
            number=row.number,
            subject=row.subject,
            description=row.description,
            category=ServiceRequestCategory(row.category),
            priority=ServiceRequestPriority(row.priority),
            status=ServiceRequestStatus(row.status),
            created_at=row.created_at,
            updated_at=row.updated_at,
            resolved_at=row.resolved_at,
            closed_at=row.closed_at,
            resolution=resolution,
            rejection_reason=row.rejection_reason,
            sla=ServiceRequestSla(
                response_due_at=clock.response_due_at,
                resolution_due_at=clock.resolution_due_at,
                responded_at=clock.responded_at,
                response_breached=clock.response_breached,
                resolution_breached=clock.resolution_breached,
                paused=clock.paused,
            ),
            can_comment=can.can_comment,
            can_cancel=can.can_cancel,
            can_confirm_resolution=can.can_confirm_resolution,
            can_reopen=can.can_reopen,
            reopen_deadline=can.reopen_deadline,
            pk=row.id,
            organisation_id=row.organisation_id,
            billing_account_id=row.billing_account_id,
            invoice_id=row.invoice_id,
            related_request_id=row.related_request_id,
            contract_id=row.contract_id,
            created_by_contact_id=row.created_by_contact_id,
        )

    @strawberry.field(description="The billing account it is about; null for a request of the whole organisation.")
    async def billing_account(self, info: Info) -> BillingAccount | None:
        if self.billing_account_id is None:
            return None
        row = await info.context.loaders.billing_account_by_id.load(self.billing_account_id)
        return BillingAccount.from_row(row) if row is not None else None

    @strawberry.field(description="The fleet lines it is about.")
    async def lines(self, info: Info) -> list[Line]:
        return [Line.from_row(r) for r in await info.context.loaders.lines_by_service_request_id.load(self.pk)]

    @strawberry.field(description="The invoice it is about, if the viewer may read it (INVOICES READ).")
    async def invoice(self, info: Info) -> Invoice | None:
        if self.invoice_id is None:
            return None
        view = await info.context.loaders.readable_invoice_by_id.load(self.invoice_id)
        return Invoice.from_view(view, info) if view is not None else None

    @strawberry.field(description="The contract it is about, if the viewer may read it (CONTRACTS READ).")
    async def contract(self, info: Info) -> Contract | None:
        if self.contract_id is None:
            return None
        view = await info.context.loaders.readable_contract_by_id.load(self.contract_id)
        return Contract.from_view(view) if view is not None else None

    @strawberry.field(description="The earlier request this one follows up, if the viewer may read it.")
    async def related_request(self, info: Info) -> ServiceRequest | None:
        if self.related_request_id is None:
            return None
        view = await info.context.loaders.readable_service_request_by_id.load(self.related_request_id)
        return ServiceRequest.of(view) if view is not None else None

    @strawberry.field(description="The contact who opened it.")
    async def created_by(self, info: Info) -> Contact | None:
        return await _contact(info, self.created_by_contact_id)

    @strawberry.field(description="Public comments from both sides, oldest first.")
    async def comments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ServiceRequestCommentConnection:
        with refusals_as_errors(info):
            key = resolvers.comments_key(self.pk, first=first, after=after)
        page: Page[CommentRow] = await info.context.loaders.comment_page_by_service_request.load(key)
        return ServiceRequestCommentConnection.from_page(page, ServiceRequestComment.from_row)

    @strawberry.field(description="Every file of the request: the description's and the comments'.")
    async def attachments(self, info: Info) -> list[Attachment]:
        rows = await info.context.loaders.attachments_by_service_request_id.load(self.pk)
        return [Attachment.from_row(r) for r in rows]

    @strawberry.field(description="Every status it went through, oldest first.")
    async def status_history(self, info: Info) -> list[ServiceRequestStatusChange]:
        rows = await info.context.loaders.status_history_by_service_request_id.load(self.pk)
        return [ServiceRequestStatusChange.from_row(r) for r in rows]


ServiceRequestConnection = Connection[ServiceRequest]


async def _contact(info: Info, contact_id: int | None) -> Contact | None:
    if contact_id is None:
        return None
    found = await info.context.loaders.contact_by_id.load(contact_id)
    return Contact.from_rows(*found) if found is not None else None


@strawberry.input(description="Which requests to list; every condition given must hold.")
class ServiceRequestFilter:
    status: list[ServiceRequestStatus] | None = strawberry.field(default=None, description="Any of these statuses.")
    category: list[ServiceRequestCategory] | None = strawberry.field(
        default=None, description="Any of these categories."
    )
    billing_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this billing account's requests (none if it is out of reach)."
    )
    line_number: str | None = strawberry.field(default=None, description="Requests about this fleet line's number.")
    created_by_me: bool | None = strawberry.field(default=None, description="Only the requests the viewer opened.")
    search: str | None = strawberry.field(
        default=None, description="Part of the number, subject or description, case-insensitive."
    )


def service_request_connection(page: Page[resolvers.RequestView]) -> Connection[ServiceRequest]:
    return ServiceRequestConnection.from_page(page, ServiceRequest.of)


@strawberry.input(description="A file to upload before attaching it to a request or a comment.")
class CreateAttachmentUploadInput:
    organisation_id: strawberry.ID = strawberry.field(description="The organisation the file is for.")
    filename: str = strawberry.field(description="The file's name.")
    content_type: str = strawberry.field(description="pdf, png, jpeg, csv or xlsx; checked on the bytes.")
    size: int = strawberry.field(description="Size in bytes (at most 10 MiB).")


@strawberry.type(description="Where to PUT an announced file's bytes.")
class AttachmentUploadPayload:
    attachment_id: strawberry.ID | None = strawberry.field(description="The attachment to name in attachmentIds.")
    upload_url: str | None = strawberry.field(description="PUT the file's bytes here within 60 minutes.")
    expires_at: datetime | None = strawberry.field(description="When the upload link expires.")
    errors: list[UserError] = strawberry.field(
        description="ATTACHMENT_TOO_LARGE, ATTACHMENT_TYPE_NOT_ALLOWED, VALIDATION..."
    )


@strawberry.input(description="A new service request.")
class CreateServiceRequestInput:
    organisation_id: strawberry.ID = strawberry.field(description="The organisation.")
    billing_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="The billing account; required for a contact whose role is over some accounts."
    )
    category: ServiceRequestCategory = strawberry.field(description="What it is about.")
    priority: ServiceRequestPriority | None = strawberry.field(
        default=ServiceRequestPriority.NORMAL, description="How urgent (NORMAL when null)."
    )
    subject: str = strawberry.field(description="Short summary (at most 200 characters).")
    description: str = strawberry.field(description="Plain text (at most 5000 characters).")
    line_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Fleet lines of the billing account (required for INCIDENT and LINE_MANAGEMENT)."
    )
    invoice_id: strawberry.ID | None = strawberry.field(
        default=None, description="An invoice of the billing account (required for BILLING_CLAIM)."
    )
    related_request_id: strawberry.ID | None = strawberry.field(
        default=None, description="An earlier request this one follows up (a final request is never reopened)."
    )
    contract_id: strawberry.ID | None = strawberry.field(
        default=None, description="A contract of the billing account the request is about."
    )
    attachment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Files uploaded with createAttachmentUpload (at most 20)."
    )
    idempotency_key: str = strawberry.field(
        description="Required. Retrying with the same key and input returns the first request."
    )


@strawberry.input(description="A public comment on a request.")
class AddServiceRequestCommentInput:
    service_request_id: strawberry.ID = strawberry.field(description="The request.")
    body: str = strawberry.field(description="Plain text (at most 5000 characters).")
    attachment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Files uploaded with createAttachmentUpload (at most 5 a comment)."
    )


@strawberry.input(description="A request, with an optional reason.")
class ServiceRequestReasonInput:
    service_request_id: strawberry.ID = strawberry.field(description="The request.")
    reason: str | None = strawberry.field(default=None, description="Why (kept in the status history).")


@strawberry.input(description="A request.")
class ServiceRequestIdInput:
    service_request_id: strawberry.ID = strawberry.field(description="The request.")


@strawberry.input(description="Refuse a resolution, saying why.")
class ReopenServiceRequestInput:
    service_request_id: strawberry.ID = strawberry.field(description="The RESOLVED request.")
    comment: str = strawberry.field(description="Why the resolution does not settle it (a public comment).")


@strawberry.type(description="The request after the change, or why nothing changed.")
class ServiceRequestPayload:
    service_request: ServiceRequest | None = strawberry.field(description="The request; null when refused.")
    errors: list[UserError] = strawberry.field(
        description="VALIDATION, NOT_FOUND, INVALID_STATUS_TRANSITION, SERVICE_REQUEST_CLOSED, "
        "REOPEN_WINDOW_EXPIRED, TOO_MANY_ATTACHMENTS, IDEMPOTENCY_KEY_REUSED..."
    )


def _payload(view: resolvers.RequestView) -> ServiceRequestPayload:
    return ServiceRequestPayload(service_request=ServiceRequest.of(view), errors=[])


_ON_REQUEST = input_object("serviceRequestId", "ServiceRequest", ServiceRequestRow)
_ON_ORGANISATION = input_organisation("organisationId")
# serviceRequestCategories takes organisationId as an argument: the locator reads it by its Python name.
_ON_ARGUMENT = input_organisation("organisation_id")


@strawberry.type(description="Reading service requests.")
class Query:
    @strawberry.field(
        description=described(
            "The categories a service request may take in this organisation, with what each requires.", *_READ
        ),
        extensions=[requires(*_READ, organisation=_ON_ARGUMENT, members_only=True)],
    )
    async def service_request_categories(
        self,
        info: Info,
        organisation_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The organisation's global ID; SLA hours are its own (or the defaults)."),
        ],
    ) -> list[ServiceRequestCategoryInfo]:
        with refusals_as_errors(info):
            found = await resolvers.service_request_categories(info.context, decision=decided(info))
        return [ServiceRequestCategoryInfo.of(c, info.context.locale) for c in found]


@strawberry.type(description="The customer's side of service requests.")
class Mutation:
    @payload_mutation(
        description=described(
            "Announce a file (10 MiB at most; pdf, png, jpeg, csv or xlsx) and get where to PUT its bytes.", *_WRITE
        ),
        extensions=[requires(*_WRITE, organisation=_ON_ORGANISATION, members_only=True)],
    )
    async def create_attachment_upload(self, info: Info, input: CreateAttachmentUploadInput) -> AttachmentUploadPayload:
        ticket = await resolvers.create_attachment_upload(
            info.context,
            decision=decided(info),
            filename=input.filename,
            content_type=input.content_type,
            size=input.size,
        )
        return AttachmentUploadPayload(
            attachment_id=strawberry.ID(to_global_id("Attachment", ticket.attachment_id)),
            upload_url=ticket.upload_url,
            expires_at=ticket.expires_at,
            errors=[],
        )

    @payload_mutation(
        description=described("Open a request (SUBMITTED), once per idempotency key.", *_WRITE),
        extensions=[requires(*_WRITE, organisation=_ON_ORGANISATION, members_only=True)],
    )
    async def create_service_request(self, info: Info, input: CreateServiceRequestInput) -> ServiceRequestPayload:
        view = await resolvers.create_service_request(
            info.context,
            decision=decided(info),
            new=resolvers.NewRequestInput(
                category=input.category.value,
                priority=(input.priority or ServiceRequestPriority.NORMAL).value,
                subject=input.subject,
                description=input.description,
                idempotency_key=input.idempotency_key,
                billing_account_id=input.billing_account_id,
                line_ids=input.line_ids or [],
                invoice_id=input.invoice_id,
                related_request_id=input.related_request_id,
                contract_id=input.contract_id,
                attachment_ids=input.attachment_ids or [],
            ),
        )
        return _payload(view)

    @payload_mutation(
        description=described(
            "Add a public comment; while AWAITING_CUSTOMER it answers support (back to IN_PROGRESS).", *_WRITE
        ),
        extensions=[requires(*_WRITE, organisation=_ON_REQUEST)],
    )
    async def add_service_request_comment(
        self, info: Info, input: AddServiceRequestCommentInput
    ) -> ServiceRequestPayload:
        view = await resolvers.add_comment(
            info.context,
            decision=decided(info),
            service_request_id=input.service_request_id,
            body=input.body,
            attachment_ids=input.attachment_ids or [],
        )
        return _payload(view)

    @payload_mutation(
        description=described("Withdraw a request before its resolution (CANCELLED, final).", *_WRITE),
        extensions=[requires(*_WRITE, organisation=_ON_REQUEST)],
    )
    async def cancel_service_request(self, info: Info, input: ServiceRequestReasonInput) -> ServiceRequestPayload:
        view = await resolvers.cancel(
            info.context, decision=decided(info), service_request_id=input.service_request_id, reason=input.reason
        )
        return _payload(view)

    @payload_mutation(
        description=described("Accept the resolution of a RESOLVED request (CLOSED).", *_WRITE),
        extensions=[requires(*_WRITE, organisation=_ON_REQUEST)],
    )
    async def confirm_service_request_resolution(
        self, info: Info, input: ServiceRequestIdInput
    ) -> ServiceRequestPayload:
        view = await resolvers.confirm_resolution(
            info.context, decision=decided(info), service_request_id=input.service_request_id
        )
        return _payload(view)

    @payload_mutation(
        description=described(
            "Refuse the resolution with a comment before reopenDeadline (back to IN_PROGRESS).", *_WRITE
        ),
        extensions=[requires(*_WRITE, organisation=_ON_REQUEST)],
    )
    async def reopen_service_request(self, info: Info, input: ReopenServiceRequestInput) -> ServiceRequestPayload:
        view = await resolvers.reopen(
            info.context, decision=decided(info), service_request_id=input.service_request_id, comment=input.comment
        )
        return _payload(view)


@strawberry.type(description="Live service-request updates.")
class Subscription:
    @strawberry.subscription(
        description="Requests of an organisation that changed (status, comment), each as the viewer may "
        "read it when it changes. Requires SERVICE_REQUESTS READ."
    )
    async def service_request_updated(
        self,
        info: Info,
        organisation_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The organisation's global ID; only requests in the viewer's scope are reported."
            ),
        ],
    ) -> AsyncGenerator[ServiceRequest, None]:
        try:
            async for view in resolvers.watch_service_requests(info.context, organisation_id):
                yield ServiceRequest.of(view)
        except (NotAuthenticated, AccessDenied, DomainError) as error:
            raise _stream_error(error, info) from None
