"""Resolvers of service requests: the categories, the shared list, node lookups, the customer's
mutations and the live stream.

Access: SERVICE_REQUESTS READ reads, WRITE opens, comments, cancels, confirms and reopens, each
within the billing accounts its scope reaches; a request with no billing account is reached only
by a permission over the whole organisation (ACCESS.md rule 10). Anything out of reach answers
like an unknown ID. What the viewer may do now (`can…`) is the request's state (services.abilities)
and the viewer's WRITE over the request's account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from guichet import events
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import decode_id, pk_of
from guichet.domain.models.service_requests import Attachment, ServiceRequest, ServiceRequestComment
from guichet.domain.service_requests import attachments, queries, services, sla
from guichet.domain.service_requests.categories import Category, CategoryInfo, Priority, categories_of
from guichet.domain.service_requests.links import Grant, download_url, upload_url
from guichet.policies.authz import AccessDenied, AccountScope, Decision
from guichet.policies.rules import Action, Module
from guichet.resolvers.pagination import Page, decode_cursor, encode_cursor, page_size, paginate_by_id
from guichet.resolvers.payments import holding_no_connection

if TYPE_CHECKING:
    from guichet.resolvers.context import Context

MODULE = Module.SERVICE_REQUESTS


@dataclass(frozen=True)
class RequestView:
    """A request the viewer may read, its SLA now and what the viewer may do with it now."""

    row: ServiceRequest
    sla: sla.Sla
    abilities: services.Abilities


@dataclass(frozen=True)
class UploadTicket:
    """An announced upload: the attachment's id, where to PUT its bytes, until when."""

    attachment_id: int
    upload_url: str
    expires_at: datetime


NOTHING = services.Abilities(False, False, False, False, None)


def view_of(row: ServiceRequest, *, write: AccountScope, now: datetime) -> RequestView:
    """The request as a viewer holding `write` sees it at `now`."""
    abilities = services.abilities(row, now)
    if not queries.in_scope(write.account_filter, row.billing_account_id):
        abilities = replace(NOTHING, reopen_deadline=abilities.reopen_deadline)
    return RequestView(row, sla.of(row, now), abilities)


def actor_of(decision: Decision) -> services.Actor:
    """The services' actor for the decided scope (account_ids None: the whole organisation)."""
    membership = decision.membership
    return services.Actor(membership.organisation_id, membership.contact_id, decision.scope.account_filter)


def _reached(decision: Decision | None) -> Decision:
    """The decision over a request; raise DomainError(NOT_FOUND) on serviceRequestId when the
    permission let an unknown or foreign request through."""
    if decision is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "serviceRequestId"])
    return decision


# ---------------------------------------------------------------- reading


async def service_request_categories(ctx: Context, *, decision: Decision | None) -> list[CategoryInfo]:
    """Every category as the organisation sees it; raise AccessDenied for an ID that is no organisation's."""
    if decision is None:
        raise AccessDenied(MODULE, Action.READ)
    async with ctx.read() as session:
        return await categories_of(
            session,
            organisation_id=decision.membership.organisation_id,
            file_path=ctx.settings.service_request_categories_file,
        )


def criteria_of(
    *,
    decision: Decision,
    statuses: Sequence[str],
    categories: Sequence[str],
    billing_account_id: str | None,
    line_number: str | None,
    created_by_me: bool | None,
    search: str | None,
) -> queries.Criteria:
    """The domain criteria of a filter; a billingAccountId that names no account matches nothing."""
    account_pk = pk_of(billing_account_id, "BillingAccount") if billing_account_id is not None else None
    return queries.Criteria(
        statuses=tuple(statuses),
        categories=tuple(categories),
        billing_account_id=account_pk,
        line_number=line_number,
        created_by_contact_id=decision.membership.contact_id if created_by_me else None,
        search=search,
        nothing=billing_account_id is not None and account_pk is None,
    )


async def list_service_requests(
    ctx: Context,
    *,
    organisation_id: int,
    decision: Decision,
    criteria: queries.Criteria,
    first: int | None,
    after: str | None,
) -> Page[RequestView]:
    """The requests of the decided READ scope matching `criteria`, newest first.

    Two statements (the page and its count) whatever the page size. Raise DomainError(VALIDATION)
    for a bad `first` or cursor.
    """
    statement = queries.list_statement(
        organisation_id=organisation_id, account_ids=decision.scope.account_filter, criteria=criteria
    )
    write = await ctx.authz.scope(organisation_id, MODULE, Action.WRITE)
    now = ctx.now()
    async with ctx.read() as session:
        page = await paginate_by_id(session, statement, ServiceRequest.id, first=first, after=after, descending=True)
    return Page(
        [view_of(row, write=write, now=now) for row in page.items],
        page.cursors,
        page.has_next,
        page.has_previous,
        page.total,
    )


async def _readable(ctx: Context, rows: Sequence[ServiceRequest]) -> dict[int, RequestView]:
    """The rows inside the viewer's READ scope of their organisation, as views."""
    scopes: dict[int, tuple[AccountScope, AccountScope]] = {}
    found: dict[int, RequestView] = {}
    now = ctx.now()
    for row in rows:
        if row.organisation_id not in scopes:
            scopes[row.organisation_id] = (
                await ctx.authz.scope(row.organisation_id, MODULE, Action.READ),
                await ctx.authz.scope(row.organisation_id, MODULE, Action.WRITE),
            )
        read, write = scopes[row.organisation_id]
        if not read.empty and queries.in_scope(read.account_filter, row.billing_account_id):
            found[row.id] = view_of(row, write=write, now=now)
    return found


async def service_requests_by_pk(ctx: Context, pks: list[int]) -> dict[int, RequestView]:
    """Requests by primary key, only those the viewer may read (node / nodes, relatedRequest)."""
    if not pks or await ctx.viewer() is None:
        return {}
    async with ctx.read() as session:
        rows = await queries.requests_by_ids(session, pks)
    return await _readable(ctx, rows)


async def comments_by_pk(ctx: Context, pks: list[int]) -> dict[int, ServiceRequestComment]:
    """Comments by primary key, only those of requests the viewer may read (node / nodes)."""
    if not pks or await ctx.viewer() is None:
        return {}
    async with ctx.read() as session:
        comments = await queries.comments_by_ids(session, pks)
    readable = await service_requests_by_pk(ctx, sorted({c.service_request_id for c in comments}))
    return {c.id: c for c in comments if c.service_request_id in readable}


async def attachments_by_pk(ctx: Context, pks: list[int]) -> dict[int, Attachment]:
    """Stored files by primary key: those of requests the viewer may read, and the viewer's own
    uploads not attached yet (node / nodes)."""
    if not pks or await ctx.viewer() is None:
        return {}
    async with ctx.read() as session:
        files = await queries.attachments_by_ids(session, pks)
    readable = await service_requests_by_pk(
        ctx, sorted({f.service_request_id for f in files if f.service_request_id is not None})
    )
    found: dict[int, Attachment] = {}
    for item in files:
        if item.service_request_id is not None:
            if item.service_request_id in readable:
                found[item.id] = item
            continue
        membership = await ctx.authz.membership(item.organisation_id)
        if membership is not None and membership.contact_id == item.uploaded_by_contact_id:
            found[item.id] = item
    return found


def attachment_link(ctx: Context, attachment: Attachment) -> str:
    """A five-minute download link; only for a file the viewer was allowed to reach."""
    grant = Grant(attachment.organisation_id, attachment.id)
    return download_url(ctx.settings.public_url, ctx.settings.secret_key, grant, ctx.now())


@dataclass(frozen=True)
class CommentsKey:
    service_request_id: int
    size: int
    after_id: int | None


def comments_key(service_request_id: int, *, first: int | None, after: str | None) -> CommentsKey:
    """The loader key of a comments page; raise DomainError(VALIDATION) for a bad `first` or cursor."""
    size = page_size(first)
    after_id: int | None = None
    if after is not None:
        values = decode_cursor(after, field=["after"])
        if len(values) != 1 or not values[0].isdigit():
            raise DomainError(ErrorCode.VALIDATION, "cursor_invalid", field=["after"])
        after_id = int(values[0])
    return CommentsKey(service_request_id, size, after_id)


async def comment_pages(ctx: Context, keys: Sequence[CommentsKey]) -> list[Page[ServiceRequestComment]]:
    """One page per key, oldest first: one query per distinct (size, after) plus one count."""
    groups: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    for key in keys:
        groups[(key.size, key.after_id)].append(key.service_request_id)
    pages: dict[CommentsKey, Page[ServiceRequestComment]] = {}
    async with ctx.read() as session:
        counts = await queries.comment_counts(session, sorted({k.service_request_id for k in keys}))
        for (size, after_id), ids in groups.items():
            found = await queries.comment_pages(session, ids, after_id=after_id, limit=size + 1)
            for request_id in ids:
                rows = found[request_id]
                shown = rows[:size]
                pages[CommentsKey(request_id, size, after_id)] = Page(
                    shown,
                    [encode_cursor(c.id) for c in shown],
                    has_next=len(rows) > size,
                    has_previous=after_id is not None,
                    total=counts[request_id],
                )
    return [pages[key] for key in keys]


# ---------------------------------------------------------------- mutations


async def _fresh(ctx: Context, service_request_id: int, *, organisation_id: int) -> RequestView:
    """The request after a change, as the one who changed it sees it (a fresh session)."""
    async with ctx.sessionmaker() as session:
        (row,) = await queries.requests_by_ids(session, [service_request_id])
    write = await ctx.authz.scope(organisation_id, MODULE, Action.WRITE)
    return view_of(row, write=write, now=ctx.now())


async def _published(ctx: Context, outcome: services.Outcome) -> RequestView:
    await events.publish(ctx.app.broker, outcome.changes)
    return await _fresh(ctx, outcome.request.id, organisation_id=outcome.request.organisation_id)


async def create_attachment_upload(
    ctx: Context, *, decision: Decision | None, filename: str, content_type: str, size: int
) -> UploadTicket:
    """Announce a file to upload; raise AccessDenied for an ID that is no organisation's, and the
    refusals of attachments.create_upload (ATTACHMENT_TOO_LARGE, ATTACHMENT_TYPE_NOT_ALLOWED, VALIDATION)."""
    if decision is None:
        raise AccessDenied(MODULE, Action.WRITE)
    await ctx.close()
    upload = await attachments.create_upload(
        ctx.uow,
        organisation_id=decision.membership.organisation_id,
        contact_id=decision.membership.contact_id,
        filename=filename,
        content_type=content_type,
        size=size,
        now=ctx.now(),
    )
    url = upload_url(ctx.settings.public_url, ctx.settings.secret_key, upload.grant, upload.expires_at)
    return UploadTicket(upload.attachment.id, url, upload.expires_at)


@dataclass(frozen=True)
class NewRequestInput:
    """A createServiceRequest input, IDs still global."""

    category: str
    priority: str
    subject: str
    description: str
    idempotency_key: str
    billing_account_id: str | None
    line_ids: Sequence[str]
    invoice_id: str | None
    related_request_id: str | None
    attachment_ids: Sequence[str]
    contract_id: str | None = None


def _pks(ids: Sequence[str], type_name: str, name: str) -> list[int]:
    return [decode_id(gid, type_name, field=["input", name, str(index)]) for index, gid in enumerate(ids)]


def _pk(value: str | None, type_name: str, name: str) -> int | None:
    return decode_id(value, type_name, field=["input", name]) if value is not None else None


async def create_service_request(ctx: Context, *, decision: Decision | None, new: NewRequestInput) -> RequestView:
    """Open a request within the decided WRITE scope (the first one again for a replayed key).

    Raise AccessDenied for an ID that is no organisation's, DomainError(NOT_FOUND) for an ID of
    the wrong type, and the service's refusals.
    """
    if decision is None:
        raise AccessDenied(MODULE, Action.WRITE)
    request = services.NewRequest(
        category=Category(new.category),
        priority=Priority(new.priority),
        subject=new.subject,
        description=new.description,
        idempotency_key=new.idempotency_key,
        billing_account_id=_pk(new.billing_account_id, "BillingAccount", "billingAccountId"),
        line_ids=tuple(_pks(new.line_ids, "Line", "lineIds")),
        invoice_id=_pk(new.invoice_id, "Invoice", "invoiceId"),
        related_request_id=_pk(new.related_request_id, "ServiceRequest", "relatedRequestId"),
        contract_id=_pk(new.contract_id, "Contract", "contractId"),
        attachment_ids=tuple(_pks(new.attachment_ids, "Attachment", "attachmentIds")),
    )
    await ctx.close()
    outcome = await services.create_service_request(
        ctx.uow,
        actor=actor_of(decision),
        new=request,
        categories_file=ctx.settings.service_request_categories_file,
        now=ctx.now(),
    )
    return await _published(ctx, outcome)


def request_pk(service_request_id: str) -> int:
    return decode_id(service_request_id, "ServiceRequest", field=["input", "serviceRequestId"])


async def add_comment(
    ctx: Context, *, decision: Decision | None, service_request_id: str, body: str, attachment_ids: Sequence[str]
) -> RequestView:
    """Comment on a request (answering a question moves it back to IN_PROGRESS); raise the service's refusals."""
    decision = _reached(decision)
    pk = request_pk(service_request_id)
    files = _pks(attachment_ids, "Attachment", "attachmentIds")
    await ctx.close()
    outcome = await services.add_comment(
        ctx.uow, actor=actor_of(decision), service_request_id=pk, body=body, attachment_ids=files, now=ctx.now()
    )
    return await _published(ctx, outcome)


async def cancel(
    ctx: Context, *, decision: Decision | None, service_request_id: str, reason: str | None
) -> RequestView:
    """Withdraw a request before its resolution; raise the service's refusals."""
    decision = _reached(decision)
    pk = request_pk(service_request_id)
    await ctx.close()
    outcome = await services.cancel(
        ctx.uow, actor=actor_of(decision), service_request_id=pk, reason=reason, now=ctx.now()
    )
    return await _published(ctx, outcome)


async def confirm_resolution(ctx: Context, *, decision: Decision | None, service_request_id: str) -> RequestView:
    """Accept a resolution (CLOSED); raise the service's refusals."""
    decision = _reached(decision)
    pk = request_pk(service_request_id)
    await ctx.close()
    outcome = await services.confirm_resolution(ctx.uow, actor=actor_of(decision), service_request_id=pk, now=ctx.now())
    return await _published(ctx, outcome)


async def reopen(ctx: Context, *, decision: Decision | None, service_request_id: str, comment: str) -> RequestView:
    """Refuse a resolution with a comment (back to IN_PROGRESS); raise the service's refusals."""
    decision = _reached(decision)
    pk = request_pk(service_request_id)
    await ctx.close()
    outcome = await services.reopen(
        ctx.uow, actor=actor_of(decision), service_request_id=pk, comment=comment, now=ctx.now()
    )
    return await _published(ctx, outcome)


# ---------------------------------------------------------------- subscription


def watch_service_requests(ctx: Context, organisation_id: str) -> AsyncIterator[RequestView]:
    """Each request of the organisation that changed, if the viewer may read it when it changes.

    Access is asked again at every event (a new request each time): a revoked role, session or
    scope stops the events it no longer reaches. Raise NotAuthenticated / AccessDenied at the
    start without SERVICE_REQUESTS READ there.
    """
    return holding_no_connection(ctx, _watch(ctx, organisation_id))


async def _watch(ctx: Context, organisation_id: str) -> AsyncIterator[RequestView]:
    org_pk = pk_of(organisation_id, "Organisation") or 0
    async with ctx.app.broker.listen(events.service_requests_topic(org_pk)) as queue:
        await ctx.refresh()
        await ctx.authz.require(org_pk, MODULE, Action.READ)
        await ctx.close()
        while True:
            message = await queue.get()
            await ctx.refresh()
            if await ctx.viewer() is None:
                return
            request_id = int(message["id"])
            found = (await service_requests_by_pk(ctx, [request_id])).get(request_id)
            if found is not None and found.row.organisation_id == org_pk:
                yield found
            else:
                await ctx.close()
