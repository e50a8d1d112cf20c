"""Services of service requests: each owns one unit of work and asks `transition` for every move.

Customer services take an Actor (the signed-in contact and the billing accounts its
SERVICE_REQUESTS permission reaches, None for all); a request outside that scope is NOT_FOUND,
like one that does not exist. The back office and the job have no actor. Every move is an UPDATE
guarded by the status and version it was decided on, so two writers never both move a request;
each writes its history entry, an audit event and the creator's e-mail in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from guichet.domain import models
from guichet.domain.audit import record_event
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import to_global_id
from guichet.domain.models.contracts import Contract
from guichet.domain.models.service_requests import (
    ServiceRequest,
    ServiceRequestComment,
    ServiceRequestEvent,
    ServiceRequestLine,
    ServiceRequestStatusChange,
)
from guichet.domain.models.shop import Order
from guichet.domain.service_requests import attachments, notify, sla
from guichet.domain.service_requests.categories import Category, Priority, category_of
from guichet.domain.service_requests.transitions import (
    AWAITING_CLOSE_AFTER,
    NO_RESPONSE_CODE,
    RESOLVED_CLOSE_AFTER,
    SUPPORT_EVENTS,
    TERMINAL,
    Event,
    Status,
    allowed,
    reopen_deadline,
    transition,
)
from guichet.domain.webhooks import events as webhook_events

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]

MAX_SUBJECT = 200
MAX_TEXT = 5000
MAX_KEY = 255
MAX_LINES = 50
SUPPORT_NAME = "Service client"


@dataclass(frozen=True)
class Actor:
    organisation_id: int
    contact_id: int
    # The billing accounts the viewer's SERVICE_REQUESTS permission reaches; None: all of them.
    account_ids: frozenset[int] | None


@dataclass(frozen=True)
class Change:
    """What a subscriber reloads after commit (guichet.events)."""

    kind: str
    id: int
    organisation_id: int


@dataclass(frozen=True)
class NewRequest:
    category: Category
    subject: str
    description: str
    idempotency_key: str
    priority: Priority = Priority.NORMAL
    billing_account_id: int | None = None
    line_ids: Sequence[int] = ()
    invoice_id: int | None = None
    order_id: int | None = None
    contract_id: int | None = None
    related_request_id: int | None = None
    attachment_ids: Sequence[int] = ()


@dataclass(frozen=True)
class Outcome:
    request: ServiceRequest
    changes: list[Change] = field(default_factory=list)
    replayed: bool = False


@dataclass(frozen=True)
class Abilities:
    """What the request's state lets a customer do now (the viewer's WRITE permission aside)."""

    can_comment: bool
    can_cancel: bool
    can_confirm_resolution: bool
    can_reopen: bool
    reopen_deadline: datetime | None


def abilities(request: ServiceRequest, now: datetime) -> Abilities:
    status = Status(request.status)
    resolved = request.resolved_at

    def can(event: Event) -> bool:
        return allowed(status, event, now=now, resolved_at=resolved)

    return Abilities(
        can_comment=can(Event.CUSTOMER_COMMENT),
        can_cancel=can(Event.CUSTOMER_CANCEL),
        can_confirm_resolution=can(Event.CUSTOMER_CONFIRM),
        can_reopen=can(Event.CUSTOMER_REOPEN),
        reopen_deadline=reopen_deadline(resolved) if status is Status.RESOLVED else None,
    )


def new_number() -> str:
    """SR- + 8 random digits (OPERATIONS.md): a number says nothing about other organisations."""
    return f"SR-{secrets.randbelow(10**8):08d}"


# ---------------------------------------------------------------- helpers (no commit)


def _text(value: str, where: str, limit: int, *, required: bool = True) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise DomainError(ErrorCode.VALIDATION, "required", field=["input", where])
    if len(cleaned) > limit:
        raise DomainError(ErrorCode.VALIDATION, "text_too_long", field=["input", where], params={"limit": limit})
    return cleaned


def _in_scope(actor: Actor, billing_account_id: int | None) -> bool:
    if actor.account_ids is None:
        return True
    return billing_account_id is not None and billing_account_id in actor.account_ids


async def _visible(session: AsyncSession, actor: Actor, service_request_id: int) -> ServiceRequest:
    """The request if the actor may see it; raise DomainError(NOT_FOUND) on serviceRequestId otherwise."""
    request = (
        await session.execute(
            select(ServiceRequest)
            .where(ServiceRequest.id == service_request_id, ServiceRequest.organisation_id == actor.organisation_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if request is None or not _in_scope(actor, request.billing_account_id):
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "serviceRequestId"])
    return request


async def _author_name(session: AsyncSession, contact_id: int) -> str:
    person = (
        await session.execute(
            select(models.Person)
            .join(models.Contact, models.Contact.person_id == models.Person.id)
            .where(models.Contact.id == contact_id)
        )
    ).scalar_one()
    name = " ".join(p for p in (person.first_name, person.last_name) if p)
    return name or person.email


async def _move(
    session: AsyncSession,
    request: ServiceRequest,
    target: Status,
    *,
    now: datetime,
    by_contact_id: int | None,
    note: str | None,
    **values: Any,
) -> None:
    """Write the move decided on `request`'s current status; raise INVALID_STATUS_TRANSITION
    when another writer moved it meanwhile. Records the history entry and e-mails the creator."""
    before = Status(request.status)
    paused_seconds, paused_since = sla.pause_change(
        before=before, after=target, paused_seconds=request.paused_seconds, paused_since=request.paused_since, now=now
    )
    values.update(
        status=target.value,
        status_changed_at=now,
        updated_at=now,
        paused_seconds=paused_seconds,
        paused_since=paused_since,
        version=request.version + 1,
    )
    if target in TERMINAL:
        values.setdefault("closed_at", now)
    result = await session.execute(
        update(ServiceRequest)
        .where(
            ServiceRequest.id == request.id,
            ServiceRequest.status == request.status,
            ServiceRequest.version == request.version,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError(ErrorCode.INVALID_STATUS_TRANSITION, field=["input", "serviceRequestId"])
    for key, value in values.items():
        set_committed_value(request, key, value)
    session.add(
        ServiceRequestStatusChange(
            organisation_id=request.organisation_id,
            service_request_id=request.id,
            status=target.value,
            at=now,
            by_contact_id=by_contact_id,
            note=note,
        )
    )
    await session.flush()
    await webhook_events.record_event(
        session,
        type=webhook_events.EventType.SERVICE_REQUEST_STATUS_CHANGED,
        organisation_id=request.organisation_id,
        subject_pk=request.id,
        billing_account_ids=[request.billing_account_id] if request.billing_account_id is not None else [],
        now=now,
    )
    await notify.status_changed(session, request, note=note, now=now)


async def _comment(
    session: AsyncSession,
    request: ServiceRequest,
    *,
    body: str,
    author_contact_id: int | None,
    author_name: str,
    from_support: bool,
    now: datetime,
) -> ServiceRequestComment:
    comment = ServiceRequestComment(
        organisation_id=request.organisation_id,
        service_request_id=request.id,
        body=body,
        author_contact_id=author_contact_id,
        author_name=author_name[:200],
        from_support=from_support,
        created_at=now,
    )
    session.add(comment)
    await session.flush()
    return comment


async def _audit(
    session: AsyncSession,
    request: ServiceRequest,
    *,
    action: str,
    actor_contact_id: int | None,
    now: datetime,
    **data: Any,
) -> None:
    await record_event(
        session,
        at=now,
        organisation_id=request.organisation_id,
        actor_contact_id=actor_contact_id,
        action=action,
        summary=f"Service request {request.number}: {action.removeprefix('service_request.')}",
        subject_id=to_global_id("ServiceRequest", request.id),
        data={"number": request.number, "status": request.status, **data},
    )


def _change(request: ServiceRequest) -> list[Change]:
    return [Change("service_request", request.id, request.organisation_id)]


# ---------------------------------------------------------------- creation


def _request_hash(new: NewRequest) -> str:
    canonical = {
        "category": new.category.value,
        "priority": new.priority.value,
        "subject": new.subject,
        "description": new.description,
        "billingAccountId": new.billing_account_id,
        "lineIds": sorted(new.line_ids),
        "invoiceId": new.invoice_id,
        "orderId": new.order_id,
        "contractId": new.contract_id,
        "relatedRequestId": new.related_request_id,
        "attachmentIds": sorted(new.attachment_ids),
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


async def _previous(session: AsyncSession, actor: Actor, key: str, request_hash: str) -> ServiceRequest | None:
    """The request already created under this key; raise IDEMPOTENCY_KEY_REUSED when it differs."""
    found = (
        await session.execute(
            select(ServiceRequest).where(
                ServiceRequest.created_by_contact_id == actor.contact_id, ServiceRequest.idempotency_key == key
            )
        )
    ).scalar_one_or_none()
    if found is not None and found.request_hash != request_hash:
        raise DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, field=["input", "idempotencyKey"])
    return found


async def _resolve_links(session: AsyncSession, actor: Actor, new: NewRequest) -> tuple[int | None, list[int]]:
    """The billing account and lines of a new request, all inside the actor's scope.

    Raise DomainError(NOT_FOUND) on the field naming an account, line, invoice, order or related
    request outside the organisation or the scope, or on another account than the request's.
    """
    account_id = new.billing_account_id
    if account_id is not None:
        account = (
            await session.execute(
                select(models.BillingAccount.id).where(
                    models.BillingAccount.id == account_id,
                    models.BillingAccount.organisation_id == actor.organisation_id,
                )
            )
        ).scalar_one_or_none()
        if account is None or not _in_scope(actor, account_id):
            raise DomainError(ErrorCode.NOT_FOUND, field=["input", "billingAccountId"])
    line_ids = list(dict.fromkeys(new.line_ids))
    if len(line_ids) > MAX_LINES:
        raise DomainError(
            ErrorCode.VALIDATION, "too_many_lines", field=["input", "lineIds"], params={"limit": MAX_LINES}
        )
    if line_ids:
        rows = dict(
            (
                await session.execute(
                    select(models.Line.id, models.Line.billing_account_id).where(
                        models.Line.id.in_(line_ids), models.Line.organisation_id == actor.organisation_id
                    )
                )
            ).all()
        )
        for index, line_id in enumerate(line_ids):
            line_account = rows.get(line_id)
            if account_id is None and line_account is not None:
                account_id = line_account
            if line_account is None or line_account != account_id or not _in_scope(actor, line_account):
                raise DomainError(ErrorCode.NOT_FOUND, field=["input", "lineIds", str(index)])
    if new.invoice_id is not None:
        invoice_account = (
            await session.execute(
                select(models.Invoice.billing_account_id).where(
                    models.Invoice.id == new.invoice_id, models.Invoice.organisation_id == actor.organisation_id
                )
            )
        ).scalar_one_or_none()
        if account_id is None and invoice_account is not None:
            account_id = invoice_account
        if invoice_account is None or invoice_account != account_id or not _in_scope(actor, invoice_account):
            raise DomainError(ErrorCode.NOT_FOUND, field=["input", "invoiceId"])
    if new.order_id is not None:
        order_account = (
            await session.execute(
                select(Order.billing_account_id).where(
                    Order.id == new.order_id, Order.organisation_id == actor.organisation_id
                )
            )
        ).scalar_one_or_none()
        if account_id is None and order_account is not None:
            account_id = order_account
        if order_account is None or order_account != account_id or not _in_scope(actor, order_account):
            raise DomainError(ErrorCode.NOT_FOUND, field=["input", "orderId"])
    if new.related_request_id is not None:
        await _visible_related(session, actor, new.related_request_id)
    if new.contract_id is not None:
        contract_account = (
            await session.execute(
                select(Contract.billing_account_id).where(
                    Contract.id == new.contract_id, Contract.organisation_id == actor.organisation_id
                )
            )
        ).scalar_one_or_none()
        if account_id is None and contract_account is not None:
            account_id = contract_account
        if contract_account is None or contract_account != account_id or not _in_scope(actor, contract_account):
            raise DomainError(ErrorCode.NOT_FOUND, field=["input", "contractId"])
    if account_id is None and actor.account_ids is not None:
        # A request with no billing account is visible only to whole-organisation roles (rule 10).
        raise DomainError(ErrorCode.VALIDATION, "required", field=["input", "billingAccountId"])
    return account_id, line_ids


async def _visible_related(session: AsyncSession, actor: Actor, related_id: int) -> None:
    try:
        await _visible(session, actor, related_id)
    except DomainError:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "relatedRequestId"]) from None


async def create_service_request(
    uow: UnitOfWork, *, actor: Actor, new: NewRequest, categories_file: str | None, now: datetime
) -> Outcome:
    """Open a request (SUBMITTED) under an idempotency key; the same key and input answer the
    same request (replayed=True).

    Raise DomainError(VALIDATION) naming the missing or too long field (subject, description,
    lineIds when the category needs a line, invoiceId when it needs an invoice, billingAccountId
    for a contact scoped to accounts), DomainError(NOT_FOUND) on a field outside the scope,
    DomainError(IDEMPOTENCY_KEY_REUSED) for a key used with another input, and the attachment
    refusals of attachments.claim_for.
    """
    key = _text(new.idempotency_key, "idempotencyKey", MAX_KEY)
    subject = _text(new.subject, "subject", MAX_SUBJECT)
    description = _text(new.description, "description", MAX_TEXT)
    request_hash = _request_hash(new)
    try:
        async with uow() as session:
            previous = await _previous(session, actor, key, request_hash)
            if previous is not None:
                return Outcome(previous, [], replayed=True)
            info = await category_of(
                session, organisation_id=actor.organisation_id, category=new.category, file_path=categories_file
            )
            if info.requires_line and not new.line_ids:
                raise DomainError(ErrorCode.VALIDATION, "service_request_line_required", field=["input", "lineIds"])
            if info.requires_invoice and new.invoice_id is None:
                raise DomainError(
                    ErrorCode.VALIDATION, "service_request_invoice_required", field=["input", "invoiceId"]
                )
            account_id, line_ids = await _resolve_links(session, actor, new)
            number = new_number()
            while (
                await session.execute(select(ServiceRequest.id).where(ServiceRequest.number == number))
            ).first() is not None:
                number = new_number()
            request = ServiceRequest(
                organisation_id=actor.organisation_id,
                number=number,
                billing_account_id=account_id,
                category=new.category.value,
                priority=new.priority.value,
                status=Status.SUBMITTED.value,
                subject=subject,
                description=description,
                invoice_id=new.invoice_id,
                order_id=new.order_id,
                contract_id=new.contract_id,
                related_request_id=new.related_request_id,
                created_by_contact_id=actor.contact_id,
                idempotency_key=key,
                request_hash=request_hash,
                created_at=now,
                updated_at=now,
                status_changed_at=now,
                response_hours=info.response_hours,
                resolution_hours=info.resolution_hours,
                paused_seconds=0,
                version=1,
            )
            session.add(request)
            await session.flush()
            for line_id in line_ids:
                session.add(
                    ServiceRequestLine(
                        service_request_id=request.id, line_id=line_id, organisation_id=actor.organisation_id
                    )
                )
            session.add(
                ServiceRequestStatusChange(
                    organisation_id=actor.organisation_id,
                    service_request_id=request.id,
                    status=Status.SUBMITTED.value,
                    at=now,
                    by_contact_id=actor.contact_id,
                    note=None,
                )
            )
            await session.flush()
            await attachments.claim_for(
                session,
                organisation_id=actor.organisation_id,
                contact_id=actor.contact_id,
                attachment_ids=new.attachment_ids,
                service_request_id=request.id,
                comment_id=None,
                per_message_limit=None,
                now=now,
            )
            await _audit(
                session,
                request,
                action="service_request.created",
                actor_contact_id=actor.contact_id,
                now=now,
                category=request.category,
            )
            return Outcome(request, _change(request))
    except IntegrityError:
        # A twin under the same key won the race: answer its request.
        async with uow() as session:
            previous = await _previous(session, actor, key, request_hash)
            if previous is None:
                raise
            return Outcome(previous, [], replayed=True)


# ---------------------------------------------------------------- the customer's moves


async def add_comment(
    uow: UnitOfWork,
    *,
    actor: Actor,
    service_request_id: int,
    body: str,
    attachment_ids: Sequence[int] = (),
    now: datetime,
) -> Outcome:
    """Add the customer's public comment; while AWAITING_CUSTOMER it answers (back to IN_PROGRESS).

    Raise DomainError(NOT_FOUND) outside the scope, DomainError(SERVICE_REQUEST_CLOSED) on a
    final request, DomainError(VALIDATION) for an empty or too long body, and the attachment
    refusals (TOO_MANY_ATTACHMENTS past 5 a comment or 20 a request).
    """
    text = _text(body, "body", MAX_TEXT)
    async with uow() as session:
        request = await _visible(session, actor, service_request_id)
        before = Status(request.status)
        target = transition(before, Event.CUSTOMER_COMMENT, now=now, resolved_at=request.resolved_at)
        comment = await _comment(
            session,
            request,
            body=text,
            author_contact_id=actor.contact_id,
            author_name=await _author_name(session, actor.contact_id),
            from_support=False,
            now=now,
        )
        await attachments.claim_for(
            session,
            organisation_id=actor.organisation_id,
            contact_id=actor.contact_id,
            attachment_ids=attachment_ids,
            service_request_id=request.id,
            comment_id=comment.id,
            per_message_limit=attachments.MAX_PER_COMMENT,
            now=now,
        )
        if target is not before:
            await _move(session, request, target, now=now, by_contact_id=actor.contact_id, note=None)
        else:
            await session.execute(
                update(ServiceRequest)
                .where(ServiceRequest.id == request.id)
                .values(updated_at=now)
                .execution_options(synchronize_session=False)
            )
            set_committed_value(request, "updated_at", now)
        await _audit(session, request, action="service_request.commented", actor_contact_id=actor.contact_id, now=now)
        return Outcome(request, _change(request))


async def cancel(
    uow: UnitOfWork, *, actor: Actor, service_request_id: int, reason: str | None, now: datetime
) -> Outcome:
    """Withdraw a request before its resolution (CANCELLED, final).

    Raise DomainError(NOT_FOUND) outside the scope and DomainError(INVALID_STATUS_TRANSITION)
    once RESOLVED or final.
    """
    note = _text(reason, "reason", MAX_TEXT, required=False) if reason else None
    async with uow() as session:
        request = await _visible(session, actor, service_request_id)
        target = transition(Status(request.status), Event.CUSTOMER_CANCEL, now=now)
        await _move(session, request, target, now=now, by_contact_id=actor.contact_id, note=note)
        await _audit(session, request, action="service_request.cancelled", actor_contact_id=actor.contact_id, now=now)
        return Outcome(request, _change(request))


async def confirm_resolution(uow: UnitOfWork, *, actor: Actor, service_request_id: int, now: datetime) -> Outcome:
    """Accept the resolution: RESOLVED becomes CLOSED, resolution kept.

    Raise DomainError(NOT_FOUND) outside the scope and DomainError(INVALID_STATUS_TRANSITION)
    unless RESOLVED.
    """
    async with uow() as session:
        request = await _visible(session, actor, service_request_id)
        target = transition(Status(request.status), Event.CUSTOMER_CONFIRM, now=now)
        await _move(session, request, target, now=now, by_contact_id=actor.contact_id, note=None)
        await _audit(
            session, request, action="service_request.resolution_confirmed", actor_contact_id=actor.contact_id, now=now
        )
        return Outcome(request, _change(request))


async def reopen(uow: UnitOfWork, *, actor: Actor, service_request_id: int, comment: str, now: datetime) -> Outcome:
    """Refuse the resolution with a comment: RESOLVED goes back to IN_PROGRESS.

    Raise DomainError(VALIDATION) on comment when empty, DomainError(NOT_FOUND) outside the
    scope, DomainError(REOPEN_WINDOW_EXPIRED) 7 days after the resolution, and
    DomainError(INVALID_STATUS_TRANSITION) unless RESOLVED.
    """
    text = _text(comment, "comment", MAX_TEXT)
    async with uow() as session:
        request = await _visible(session, actor, service_request_id)
        target = transition(Status(request.status), Event.CUSTOMER_REOPEN, now=now, resolved_at=request.resolved_at)
        await _comment(
            session,
            request,
            body=text,
            author_contact_id=actor.contact_id,
            author_name=await _author_name(session, actor.contact_id),
            from_support=False,
            now=now,
        )
        await _move(
            session,
            request,
            target,
            now=now,
            by_contact_id=actor.contact_id,
            note=text,
            resolved_at=None,
            resolution_code=None,
            resolution_summary=None,
        )
        await _audit(session, request, action="service_request.reopened", actor_contact_id=actor.contact_id, now=now)
        return Outcome(request, _change(request))


# ---------------------------------------------------------------- the back office


@dataclass(frozen=True)
class SupportEvent:
    """One verified back-office delivery (guichet.domain.service_requests.webhook parses it)."""

    event_id: str
    number: str
    status: Status | None
    comment: str | None
    author_name: str
    resolution_code: str | None
    resolution_summary: str | None
    reason: str | None


async def apply_support_event(uow: UnitOfWork, *, event: SupportEvent, now: datetime) -> Outcome:
    """Apply a back-office event once: a status move, a public comment, or both.

    A repeated eventId answers replayed=True and changes nothing. Raise DomainError(NOT_FOUND)
    for an unknown number and DomainError(INVALID_STATUS_TRANSITION) for a status the request
    cannot move to (nothing changed then).
    """
    try:
        async with uow() as session:
            request = (
                await session.execute(
                    select(ServiceRequest)
                    .where(ServiceRequest.number == event.number)
                    .execution_options(populate_existing=True)
                )
            ).scalar_one_or_none()
            if request is None:
                raise DomainError(ErrorCode.NOT_FOUND, field=["number"])
            seen = (
                await session.execute(
                    select(ServiceRequestEvent.service_request_id).where(ServiceRequestEvent.event_id == event.event_id)
                )
            ).first()
            if seen is not None:
                return Outcome(request, [], replayed=True)
            target = (
                transition(Status(request.status), SUPPORT_EVENTS[event.status], now=now)
                if event.status is not None
                else None
            )
            session.add(
                ServiceRequestEvent(
                    organisation_id=request.organisation_id,
                    event_id=event.event_id,
                    service_request_id=request.id,
                    received_at=now,
                )
            )
            await session.flush()
            if event.comment:
                await _comment(
                    session,
                    request,
                    body=event.comment,
                    author_contact_id=None,
                    author_name=event.author_name,
                    from_support=True,
                    now=now,
                )
                if event.status is None:
                    await notify.support_commented(
                        session, request, author_name=event.author_name, body_text=event.comment, now=now
                    )
            extra: dict[str, Any] = {}
            if request.responded_at is None:
                extra["responded_at"] = now
            if target is not None:
                if target is Status.RESOLVED:
                    extra.update(
                        resolved_at=now,
                        resolution_code=event.resolution_code,
                        resolution_summary=event.resolution_summary,
                    )
                if target is Status.REJECTED:
                    extra["rejection_reason"] = event.reason
                await _move(
                    session,
                    request,
                    target,
                    now=now,
                    by_contact_id=None,
                    note=event.comment or event.reason or event.resolution_summary,
                    **extra,
                )
            else:
                await session.execute(
                    update(ServiceRequest)
                    .where(ServiceRequest.id == request.id)
                    .values(updated_at=now, **extra)
                    .execution_options(synchronize_session=False)
                )
                for key, value in {"updated_at": now, **extra}.items():
                    set_committed_value(request, key, value)
            await _audit(
                session,
                request,
                action="service_request.status_changed" if target is not None else "service_request.support_commented",
                actor_contact_id=None,
                now=now,
                event_id=event.event_id,
            )
            return Outcome(request, _change(request))
    except IntegrityError:
        # The same eventId applied concurrently by another delivery: this one is the replay.
        async with uow() as session:
            request = (
                await session.execute(select(ServiceRequest).where(ServiceRequest.number == event.number))
            ).scalar_one()
            return Outcome(request, [], replayed=True)


# ---------------------------------------------------------------- the job


@dataclass(frozen=True)
class CloseReport:
    closed_resolved: list[str]
    closed_no_response: list[str]


async def close_stale(uow: UnitOfWork, *, as_of: datetime, now: datetime) -> CloseReport:
    """Close requests RESOLVED for 7 days (resolution kept) and AWAITING_CUSTOMER for 14 days
    (resolution `no_response`), as of the moment `as_of`; one transaction per request, so a run
    beside another (or twice) closes each request once."""
    rules = (
        (Status.RESOLVED, Event.JOB_CLOSE_RESOLVED, as_of - RESOLVED_CLOSE_AFTER),
        (Status.AWAITING_CUSTOMER, Event.JOB_CLOSE_NO_RESPONSE, as_of - AWAITING_CLOSE_AFTER),
    )
    closed: dict[Event, list[str]] = {Event.JOB_CLOSE_RESOLVED: [], Event.JOB_CLOSE_NO_RESPONSE: []}
    for status, event, cutoff in rules:
        async with uow() as session:
            ids = (
                (
                    await session.execute(
                        select(ServiceRequest.id)
                        .where(ServiceRequest.status == status.value, ServiceRequest.status_changed_at <= cutoff)
                        .order_by(ServiceRequest.id)
                    )
                )
                .scalars()
                .all()
            )
        for request_id in ids:
            try:
                async with uow() as session:
                    request = (
                        await session.execute(
                            select(ServiceRequest)
                            .where(ServiceRequest.id == request_id)
                            .execution_options(populate_existing=True)
                        )
                    ).scalar_one()
                    if request.status_changed_at > cutoff:
                        continue  # moved again since it was selected: its clock restarted
                    target = transition(Status(request.status), event, now=now)
                    extra: dict[str, Any] = {}
                    if event is Event.JOB_CLOSE_NO_RESPONSE:
                        extra.update(resolution_code=NO_RESPONSE_CODE, resolution_summary="No answer within 14 days")
                    await _move(session, request, target, now=now, by_contact_id=None, note=None, **extra)
                    await _audit(session, request, action="service_request.closed", actor_contact_id=None, now=now)
                    closed[event].append(request.number)
            except DomainError:
                continue  # moved by someone else meanwhile: not ours to close any more
    return CloseReport(closed[Event.JOB_CLOSE_RESOLVED], closed[Event.JOB_CLOSE_NO_RESPONSE])
