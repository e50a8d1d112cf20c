"""Reading service requests: the filtered, scoped list statement and batched child reads.

The list is shared within the viewer's scope (not only the creator's): every request of the
billing accounts its SERVICE_REQUESTS READ reaches, and those with no billing account only
for whole-organisation scope (ACCESS.md rule 10). The caller paginates the statement by id,
newest first. Child reads take many request ids and issue one query, for the loaders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.models.service_requests import (
    Attachment,
    ServiceRequest,
    ServiceRequestComment,
    ServiceRequestLine,
    ServiceRequestStatusChange,
)
from guichet.domain.service_requests.attachments import UPLOADED

MAX_SEARCH = 100


@dataclass(frozen=True)
class Criteria:
    statuses: Sequence[str] = ()
    categories: Sequence[str] = ()
    billing_account_id: int | None = None
    line_number: str | None = None
    created_by_contact_id: int | None = None  # "created by me": the viewer's contact id
    search: str | None = None


def within_scope(account_ids: frozenset[int] | None) -> ColumnElement[bool] | None:
    """The scope condition; None when the viewer reaches the whole organisation."""
    if account_ids is None:
        return None
    if not account_ids:
        return false()
    return ServiceRequest.billing_account_id.in_(sorted(account_ids))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_statement(
    *, organisation_id: int, account_ids: frozenset[int] | None, criteria: Criteria
) -> Select[tuple[ServiceRequest]]:
    """The requests the viewer may read that match `criteria` (unordered; page it by id)."""
    statement = select(ServiceRequest).where(ServiceRequest.organisation_id == organisation_id)
    scope = within_scope(account_ids)
    if scope is not None:
        statement = statement.where(scope)
    if criteria.statuses:
        statement = statement.where(ServiceRequest.status.in_(list(criteria.statuses)))
    if criteria.categories:
        statement = statement.where(ServiceRequest.category.in_(list(criteria.categories)))
    if criteria.billing_account_id is not None:
        statement = statement.where(ServiceRequest.billing_account_id == criteria.billing_account_id)
    if criteria.created_by_contact_id is not None:
        statement = statement.where(ServiceRequest.created_by_contact_id == criteria.created_by_contact_id)
    if criteria.line_number:
        on_line = (
            select(ServiceRequestLine.service_request_id)
            .join(models.Line, models.Line.id == ServiceRequestLine.line_id)
            .where(
                models.Line.number == criteria.line_number.strip(),
                ServiceRequestLine.organisation_id == organisation_id,
            )
        )
        statement = statement.where(ServiceRequest.id.in_(on_line))
    if criteria.search and criteria.search.strip():
        pattern = f"%{_escaped(criteria.search.strip()[:MAX_SEARCH].lower())}%"
        statement = statement.where(
            or_(
                ServiceRequest.number.ilike(pattern, escape="\\"),
                ServiceRequest.subject.ilike(pattern, escape="\\"),
                ServiceRequest.description.ilike(pattern, escape="\\"),
            )
        )
    return statement


async def visible_by_ids(
    session: AsyncSession, ids: Sequence[int], *, organisation_id: int, account_ids: frozenset[int] | None
) -> dict[int, ServiceRequest]:
    """The requests among `ids` the viewer may read (node lookups, related requests)."""
    if not ids:
        return {}
    statement = select(ServiceRequest).where(
        ServiceRequest.id.in_(list(ids)), ServiceRequest.organisation_id == organisation_id
    )
    scope = within_scope(account_ids)
    if scope is not None:
        statement = statement.where(scope)
    return {r.id: r for r in (await session.execute(statement)).scalars()}


async def lines_by_request(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[models.Line]]:
    found: dict[int, list[models.Line]] = defaultdict(list)
    rows = await session.execute(
        select(ServiceRequestLine.service_request_id, models.Line)
        .join(models.Line, models.Line.id == ServiceRequestLine.line_id)
        .where(ServiceRequestLine.service_request_id.in_(list(ids)))
        .order_by(ServiceRequestLine.service_request_id, models.Line.number)
    )
    for request_id, line in rows:
        found[request_id].append(line)
    return {i: found.get(i, []) for i in ids}


async def history_by_request(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[ServiceRequestStatusChange]]:
    found: dict[int, list[ServiceRequestStatusChange]] = defaultdict(list)
    rows = await session.execute(
        select(ServiceRequestStatusChange)
        .where(ServiceRequestStatusChange.service_request_id.in_(list(ids)))
        .order_by(ServiceRequestStatusChange.service_request_id, ServiceRequestStatusChange.id)
    )
    for change in rows.scalars():
        found[change.service_request_id].append(change)
    return {i: found.get(i, []) for i in ids}


async def attachments_by_request(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[Attachment]]:
    """Every stored file of each request (its description's and its comments')."""
    found: dict[int, list[Attachment]] = defaultdict(list)
    rows = await session.execute(
        select(Attachment)
        .where(Attachment.service_request_id.in_(list(ids)), Attachment.status == UPLOADED)
        .order_by(Attachment.service_request_id, Attachment.id)
    )
    for attachment in rows.scalars():
        found[attachment.service_request_id or 0].append(attachment)
    return {i: found.get(i, []) for i in ids}


async def attachments_by_comment(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[Attachment]]:
    found: dict[int, list[Attachment]] = defaultdict(list)
    rows = await session.execute(
        select(Attachment)
        .where(Attachment.comment_id.in_(list(ids)), Attachment.status == UPLOADED)
        .order_by(Attachment.comment_id, Attachment.id)
    )
    for attachment in rows.scalars():
        found[attachment.comment_id or 0].append(attachment)
    return {i: found.get(i, []) for i in ids}


def comments_statement(service_request_id: int) -> Select[tuple[ServiceRequestComment]]:
    """The public comments of one request (page it by id, oldest first)."""
    return select(ServiceRequestComment).where(ServiceRequestComment.service_request_id == service_request_id)
