"""Resolvers of export jobs: start, cancel, the list, by id, and the exportUpdated stream.

Starting needs REPORTS EXPORT (declared on the field) plus READ on the exported data's module
(asked here, since the module depends on the kind); the accounts both reach are stored on the
job. A principal sees and cancels only its own exports; any other ID answers as unknown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from guichet import events
from guichet.domain.errors import DomainError, DomainErrors, ErrorCode
from guichet.domain.ids import decode_id, pk_of, to_global_id
from guichet.domain.invoices.queries import InvoiceCriteria
from guichet.domain.models.exports import ExportJob
from guichet.domain.reporting import jobs, sources
from guichet.domain.reporting.transitions import ACTIVE
from guichet.policies.authz import AccessDenied, Decision, Membership, NotAuthenticated, intersection
from guichet.policies.rules import Action, Module
from guichet.resolvers.pagination import Page, paginate_by_id
from guichet.resolvers.payments import holding_no_connection

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


@dataclass(frozen=True)
class PaymentCriteria:
    statuses: list[str]
    methods: list[str]
    created_from: datetime | None
    created_to: datetime | None


def _principal_of(membership: Membership) -> jobs.Principal:
    """A contact, or an API key (whose exports are its own, not its creator's)."""
    if membership.api_key_id is not None:
        return jobs.Principal(contact_id=None, api_key_id=membership.api_key_id)
    return jobs.Principal(contact_id=membership.contact_id)


def _principal(decision: Decision) -> jobs.Principal:
    return _principal_of(decision.membership)


def _summary(kind: str, data: dict[str, Any], scoped: bool) -> str:
    parts = []
    for group in ("invoice", "payment"):
        for name, value in sorted((data.get(group) or {}).items()):
            if value not in (None, [], False, ""):
                if name == "billing_account_id":
                    value = to_global_id("BillingAccount", int(value))
                shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
                parts.append(f"{name}: {shown}")
    if data.get("from") or data.get("to"):
        parts.append(f"dates: {data.get('from') or '…'} to {data.get('to') or '…'}")
    parts.append("billing accounts in scope" if scoped else "whole organisation")
    return f"{kind}; " + "; ".join(parts)


def _invoice_filter(criteria: InvoiceCriteria | None) -> dict[str, Any]:
    if criteria is None:
        return {}
    try:
        criteria.validate()
    except DomainErrors as errors:
        raise errors.errors[0] from None
    return {
        "statuses": sorted(criteria.statuses),
        "service_types": sorted(criteria.service_types),
        "billing_account_id": criteria.billing_account_id,
        "nothing": criteria.nothing,
        "line_number": criteria.line_number,
        "issued_from": criteria.issued_from.isoformat() if criteria.issued_from else None,
        "issued_to": criteria.issued_to.isoformat() if criteria.issued_to else None,
        "search": criteria.search,
    }


def _payment_filter(criteria: PaymentCriteria | None) -> dict[str, Any]:
    if criteria is None:
        return {}
    if criteria.created_from and criteria.created_to and criteria.created_to < criteria.created_from:
        raise DomainError(ErrorCode.VALIDATION, "payment_created_range", field=["input", "paymentFilter", "createdTo"])
    return {
        "statuses": sorted(criteria.statuses),
        "methods": sorted(criteria.methods),
        "created_from": criteria.created_from.isoformat() if criteria.created_from else None,
        "created_to": criteria.created_to.isoformat() if criteria.created_to else None,
    }


async def start_export(
    ctx: Context,
    *,
    decision: Decision | None,
    kind: str,
    file_format: str,
    invoice_criteria: InvoiceCriteria | None,
    payment_criteria: PaymentCriteria | None,
    date_from: date | None,
    date_to: date | None,
    idempotency_key: str,
) -> ExportJob:
    """Record the export (the worker runs it) over what the principal may read now.

    Raise AccessDenied(REPORTS EXPORT) when the permission decided nothing, AccessDenied(<module>
    READ) without READ on the data's module, DomainError(VALIDATION) for a bad kind, format or
    filter, and the start service's DomainErrors (EXPORT_LIMIT_REACHED, IDEMPOTENCY_KEY_REUSED).
    """
    if decision is None:
        raise AccessDenied(Module.REPORTS, Action.EXPORT)
    jobs.check_kind(kind, file_format)
    organisation_id = decision.membership.organisation_id
    module = sources.SOURCES[kind].module
    read = await ctx.authz.scope(organisation_id, module, Action.READ)
    if read.empty:
        await ctx.authz.require(organisation_id, module, Action.READ)  # audits the refusal, raises
    scope = intersection(read, decision.scope)
    if date_from and date_to and date_to < date_from:
        raise DomainError(ErrorCode.VALIDATION, "spending_range_reversed", field=["input", "to"])
    data: dict[str, Any] = {
        "invoice": _invoice_filter(invoice_criteria),
        "payment": _payment_filter(payment_criteria),
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
    }
    request = jobs.StartRequest(
        organisation_id=organisation_id,
        principal=_principal(decision),
        kind=kind,
        format=file_format,
        filter=data,
        account_ids=scope.account_filter,
        idempotency_key=idempotency_key,
        now=ctx.now(),
        summary=_summary(kind, data, scope.account_filter is not None),
    )
    async with ctx.uow() as session:
        job = await jobs.start_export(session, request)
    ctx.app.wake_exports()
    return job


async def cancel_export(ctx: Context, *, decision: Decision | None, export_id: str) -> ExportJob:
    """Cancel one of the principal's waiting or running exports.

    Raise DomainError(NOT_FOUND) for an ID that is not one of the principal's exports,
    DomainError(EXPORT_NOT_CANCELLABLE) for a finished one.
    """
    pk = decode_id(export_id, "ExportJob", field=["input", "exportId"])
    if decision is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "exportId"])
    async with ctx.uow() as session:
        job = await jobs.cancel_export(session, export_id=pk, principal=_principal(decision), now=ctx.now())
    await events.publish(ctx.app.broker, [jobs.ExportChange("export", job.id, job.organisation_id)])
    return job


async def list_exports(
    ctx: Context, *, decision: Decision, statuses: list[str], first: int | None, after: str | None
) -> Page[ExportJob]:
    """The principal's exports in the organisation, newest first. Raise DomainError(VALIDATION) for a bad page."""
    statement = jobs.visible_statement(decision.membership.organisation_id, _principal(decision), statuses, ctx.now())
    async with ctx.read() as session:
        return await paginate_by_id(session, statement, ExportJob.id, first=first, after=after, descending=True)


async def export_api_key(ctx: Context, api_key_id: int | None) -> Any:
    """The key that started an export, if the viewer may read keys (INTEGRATIONS READ), batched."""
    if api_key_id is None:
        return None
    return await ctx.loaders.readable_api_key_by_id.load(api_key_id)


async def exports_by_pk(ctx: Context, pks: list[int]) -> dict[int, ExportJob]:
    """The viewer's own exports by primary key (node / nodes; REPORTS EXPORT in their organisation)."""
    async with ctx.read() as session:
        rows = (
            (
                await session.execute(
                    select(ExportJob).where(ExportJob.id.in_(pks)).execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
    found: dict[int, ExportJob] = {}
    for row in rows:
        membership = await ctx.authz.membership(row.organisation_id)
        if membership is None or not await ctx.authz.allowed(row.organisation_id, Module.REPORTS, Action.EXPORT):
            continue
        if row.principal == _principal_of(membership).key:
            found[row.id] = row
    return found


def watch_export(ctx: Context, export_id: str) -> AsyncIterator[ExportJob]:
    """The export now, then at each change (progress, status); ends once it is final or out of reach.

    Raise NotAuthenticated without a viewer, DomainError(NOT_FOUND) for an export out of reach.
    """
    return holding_no_connection(ctx, _watch_export(ctx, export_id))


async def _watch_export(ctx: Context, export_id: str) -> AsyncIterator[ExportJob]:
    pk = pk_of(export_id, "ExportJob")
    if await ctx.viewer() is None:
        raise NotAuthenticated()
    if pk is None:
        raise DomainError(ErrorCode.NOT_FOUND)
    async with ctx.app.broker.listen(events.export_topic(pk)) as queue:
        await ctx.refresh()
        found = (await exports_by_pk(ctx, [pk])).get(pk)
        if found is None:
            raise DomainError(ErrorCode.NOT_FOUND)
        yield found
        while found.status in ACTIVE:
            await queue.get()
            await ctx.refresh()
            if await ctx.viewer() is None:
                return
            found = (await exports_by_pk(ctx, [pk])).get(pk)
            if found is None:
                return
            yield found
