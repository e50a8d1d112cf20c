"""Reading webhooks: endpoints, their delivery logs (batched per page of endpoints), and events
as a reader may read them.

An event is listed to a reader exactly when the delivery loop would send it to an endpoint of
that reader's key (rules.may_read): the reader's scope on the event's module and action
reaches every billing account of its subject (the whole organisation for one of none), and an
owned subject (an export) is its owner's alone. The condition is one SQL expression over the
scopes the caller decided, so a page is one statement plus its count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain.models.webhooks import Event, EventAccount, WebhookDelivery, WebhookEndpoint
from guichet.domain.webhooks.events import RETENTION
from guichet.policies.engine import AccountScope


def endpoints_statement(organisation_id: int) -> Select[Any]:
    return select(WebhookEndpoint).where(WebhookEndpoint.organisation_id == organisation_id)


def _within(scope: AccountScope) -> ColumnElement[bool]:
    if scope.all_accounts:
        return true()
    some = exists().where(EventAccount.event_id == Event.id)
    outside = exists().where(
        EventAccount.event_id == Event.id, EventAccount.billing_account_id.not_in(sorted(scope.account_ids))
    )
    return and_(some, ~outside)


def readable_condition(scopes: Mapping[tuple[str, str], AccountScope], principal: str) -> ColumnElement[bool]:
    """Events the reader with these (module, action) scopes may read (the SQL form of rules.may_read)."""
    parts = [
        and_(Event.module == module, Event.action == action, _within(scope))
        for (module, action), scope in sorted(scopes.items())
        if not scope.empty
    ]
    if not parts:
        return false()
    owned = or_(Event.owner_principal.is_(None), Event.owner_principal == principal)
    return and_(or_(*parts), owned)


def events_statement(
    organisation_id: int,
    *,
    scopes: Mapping[tuple[str, str], AccountScope],
    principal: str,
    types: Sequence[str],
    since: datetime | None,
    now: datetime,
) -> Select[Any]:
    """The organisation's events of the last 30 days the reader may read (tests excluded)."""
    oldest = now - RETENTION
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # a DateTime without offset reads as UTC
    statement = select(Event).where(
        Event.organisation_id == organisation_id,
        Event.is_test.is_(False),
        Event.created_at >= (max(oldest, since) if since is not None else oldest),
        readable_condition(scopes, principal),
    )
    if types:
        statement = statement.where(Event.type.in_(sorted(set(types))))
    return statement


async def deliveries_of(
    session: AsyncSession,
    endpoint_ids: Sequence[int],
    *,
    size: int,
    before_id: int | None,
    statuses: Sequence[str],
) -> tuple[dict[int, list[WebhookDelivery]], dict[int, int]]:
    """Each endpoint's newest `size + 1` deliveries (before `before_id`) and its total, in two
    statements whatever the number of endpoints (a window per endpoint)."""
    ids = sorted(set(endpoint_ids))
    pages: dict[int, list[WebhookDelivery]] = {i: [] for i in ids}
    totals: dict[int, int] = dict.fromkeys(ids, 0)
    if not ids:
        return pages, totals
    conditions: list[ColumnElement[bool]] = [WebhookDelivery.endpoint_id.in_(ids)]
    if statuses:
        conditions.append(WebhookDelivery.status.in_(sorted(set(statuses))))
    counted = await session.execute(
        select(WebhookDelivery.endpoint_id, func.count()).where(*conditions).group_by(WebhookDelivery.endpoint_id)
    )
    for endpoint_id, count in counted.all():
        totals[endpoint_id] = count
    if before_id is not None:
        conditions.append(WebhookDelivery.id < before_id)
    ranked = (
        select(
            WebhookDelivery.id.label("id"),
            func.row_number()
            .over(partition_by=WebhookDelivery.endpoint_id, order_by=WebhookDelivery.id.desc())
            .label("rank"),
        )
        .where(*conditions)
        .subquery()
    )
    rows = await session.execute(
        select(WebhookDelivery)
        .join(ranked, ranked.c.id == WebhookDelivery.id)
        .where(ranked.c.rank <= size + 1)
        .order_by(WebhookDelivery.endpoint_id, WebhookDelivery.id.desc())
    )
    for delivery in rows.scalars():
        pages[delivery.endpoint_id].append(delivery)
    return pages, totals
