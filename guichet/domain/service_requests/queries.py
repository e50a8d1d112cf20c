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

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

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
    # A filter naming something that cannot exist (an ID of another type): matches nothing.
    nothing: bool = False


def in_scope(account_ids: frozenset[int] | None, billing_account_id: int | None) -> bool:
    """Whether a request of `billing_account_id` is inside the scope (None: the whole organisation).

    A request with no billing account is inside only the whole organisation's scope (rule 10).
    """
    if account_ids is None:
        return True
    return billing_account_id is not None and billing_account_id in account_ids


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
    if criteria.nothing:
        statement = statement.where(false())
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


async def comment_pages(
    session: AsyncSession, ids: Sequence[int], *, after_id: int | None, limit: int
) -> dict[int, list[ServiceRequestComment]]:
    """Up to `limit` comments of each request after comment `after_id`, oldest first, in one query."""
    numbered = (
        select(
            ServiceRequestComment,
            func.row_number()
            .over(partition_by=ServiceRequestComment.service_request_id, order_by=ServiceRequestComment.id)
            .label("position"),
        )
        .where(ServiceRequestComment.service_request_id.in_(list(ids)))
        .where(ServiceRequestComment.id > (after_id or 0))
        .subquery()
    )
    comment = aliased(ServiceRequestComment, numbered)
    rows = await session.execute(
        select(comment).where(numbered.c.position <= limit).order_by(comment.service_request_id, comment.id)
    )
    found: dict[int, list[ServiceRequestComment]] = defaultdict(list)
    for row in rows.scalars():
        found[row.service_request_id].append(row)
    return {i: found.get(i, []) for i in ids}


async def comment_counts(session: AsyncSession, ids: Sequence[int]) -> dict[int, int]:
    """How many comments each request has (one query)."""
    rows = await session.execute(
        select(ServiceRequestComment.service_request_id, func.count())
        .where(ServiceRequestComment.service_request_id.in_(list(ids)))
        .group_by(ServiceRequestComment.service_request_id)
    )
    counts = {request_id: count for request_id, count in rows.all()}
    return {i: counts.get(i, 0) for i in ids}


async def comments_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[ServiceRequestComment]:
    """Comments by id with no access check: keep only those of requests the viewer may read."""
    if not ids:
        return []
    return list(
        (await session.execute(select(ServiceRequestComment).where(ServiceRequestComment.id.in_(list(ids))))).scalars()
    )


async def attachments_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Attachment]:
    """Stored files by id with no access check (node lookups filter them)."""
    if not ids:
        return []
    return list(
        (
            await session.execute(select(Attachment).where(Attachment.id.in_(list(ids)), Attachment.status == UPLOADED))
        ).scalars()
    )


async def requests_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[ServiceRequest]:
    """Requests by id in any organisation, no access check (node lookups filter them by scope)."""
    if not ids:
        return []
    return list(
        (
            await session.execute(
                select(ServiceRequest).where(ServiceRequest.id.in_(list(ids))).execution_options(populate_existing=True)
            )
        ).scalars()
    )
