"""Resolvers of outgoing webhooks: decoded arguments and the decided scope in, rows out.

Endpoints and deliveries are read with INTEGRATIONS READ in their organisation; events with
INTEGRATIONS READ too, each only when the reader may read its subject (domain/webhooks/queries.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.models.webhooks import Event, WebhookDelivery, WebhookEndpoint
from guichet.domain.webhooks import addresses, queries, services
from guichet.domain.webhooks.events import SUBJECT_ACCESS
from guichet.policies.authz import Decision, Membership, NotAuthenticated
from guichet.policies.engine import AccountScope
from guichet.policies.rules import Action, Module
from guichet.resolvers.pagination import Page, decode_cursor, encode_cursor, page_size, paginate_by_id

if TYPE_CHECKING:
    from guichet.resolvers.context import Context

DeliveryPageKey = tuple[int, int, int | None, tuple[str, ...]]


def _env(ctx: Context) -> services.WebhooksEnv:
    worker = ctx.app.webhook_worker
    return services.WebhooksEnv(
        uow=ctx.uow,
        policy=ctx.app.policy_engine,
        now=ctx.now(),
        server_key=ctx.settings.secret_key,
        allow_private=ctx.settings.webhook_allow_private,
        resolver=worker.resolver if worker is not None else addresses.system_resolver,
    )


async def _person(ctx: Context) -> int:
    viewer = await ctx.viewer()
    if viewer is None:  # the permission already answered; defence in depth
        raise NotAuthenticated()
    return viewer.person_id


def principal_of(membership: Membership) -> str:
    """How exports name their owner: "api_key:<id>" or "contact:<id>"."""
    if membership.api_key_id is not None:
        return f"api_key:{membership.api_key_id}"
    return f"contact:{membership.contact_id}"


async def list_endpoints(
    ctx: Context, *, organisation_id: int, first: int | None, after: str | None
) -> Page[WebhookEndpoint]:
    """The organisation's endpoints, newest first (one statement plus the count)."""
    async with ctx.read() as session:
        return await paginate_by_id(
            session,
            queries.endpoints_statement(organisation_id),
            WebhookEndpoint.id,
            first=first,
            after=after,
            descending=True,
        )


def delivery_page_key(
    endpoint_id: int, first: int | None, after: str | None, statuses: Sequence[str]
) -> DeliveryPageKey:
    """The loader key of one endpoint's page; raise DomainError(VALIDATION) for a bad `first` or cursor."""
    size = page_size(first)
    before: int | None = None
    if after is not None:
        values = decode_cursor(after, field=["after"])
        if len(values) != 1 or not values[0].isdigit():
            raise DomainError(ErrorCode.VALIDATION, "cursor_invalid", field=["after"])
        before = int(values[0])
    return endpoint_id, size, before, tuple(sorted(set(statuses)))


async def delivery_pages(ctx: Context, keys: list[DeliveryPageKey]) -> dict[DeliveryPageKey, Page[WebhookDelivery]]:
    """Pages of deliveries for many endpoints: two statements per distinct page arguments."""
    groups: dict[tuple[int, int | None, tuple[str, ...]], list[int]] = defaultdict(list)
    for endpoint_id, size, before, statuses in keys:
        groups[(size, before, statuses)].append(endpoint_id)
    found: dict[DeliveryPageKey, Page[WebhookDelivery]] = {}
    async with ctx.read() as session:
        for (size, before, statuses), endpoint_ids in groups.items():
            pages, totals = await queries.deliveries_of(
                session, endpoint_ids, size=size, before_id=before, statuses=statuses
            )
            for endpoint_id in endpoint_ids:
                rows = pages[endpoint_id]
                found[(endpoint_id, size, before, statuses)] = Page(
                    rows[:size],
                    [encode_cursor(r.id) for r in rows[:size]],
                    has_next=len(rows) > size,
                    has_previous=before is not None,
                    total=totals[endpoint_id],
                )
    return found


async def endpoint_deliveries(
    ctx: Context, endpoint_id: int, *, first: int | None, after: str | None, statuses: Sequence[str]
) -> Page[WebhookDelivery]:
    return await ctx.loaders.deliveries_by_endpoint.load(delivery_page_key(endpoint_id, first, after, statuses))


async def delivery_event(ctx: Context, event_id: int) -> Event:
    found = await ctx.loaders.event_by_id.load(event_id)
    assert found is not None  # deliveries cascade with their event
    return found


async def endpoint_api_key(ctx: Context, api_key_id: int) -> Any:
    return await ctx.loaders.readable_api_key_by_id.load(api_key_id)


async def _event_scopes(ctx: Context, organisation_id: int) -> dict[tuple[str, str], AccountScope]:
    """The reader's scope on each (module, action) that reads some event's subject (memoised decisions)."""
    pairs = sorted({(module, action) for _subject, module, action in SUBJECT_ACCESS.values()})
    return {(m.value, a.value): await ctx.authz.scope(organisation_id, m, a) for m, a in pairs}


async def list_events(
    ctx: Context,
    *,
    decision: Decision,
    types: Sequence[str],
    since: datetime | None,
    first: int | None,
    after: str | None,
) -> Page[Event]:
    """Events of the last 30 days whose subject the reader may read, newest first."""
    organisation_id = decision.membership.organisation_id
    statement = queries.events_statement(
        organisation_id,
        scopes=await _event_scopes(ctx, organisation_id),
        principal=principal_of(decision.membership),
        types=types,
        since=since,
        now=ctx.now(),
    )
    async with ctx.read() as session:
        return await paginate_by_id(session, statement, Event.id, first=first, after=after, descending=True)


async def _integrations_readable(ctx: Context, organisation_ids: set[int]) -> set[int]:
    return {o for o in organisation_ids if await ctx.authz.allowed(o, Module.INTEGRATIONS, Action.READ)}


async def endpoints_by_pk(ctx: Context, pks: list[int]) -> dict[int, WebhookEndpoint]:
    """Endpoints of organisations where the viewer may READ INTEGRATIONS (node / nodes)."""
    async with ctx.read() as session:
        rows = (await session.execute(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(pks)))).scalars().all()
    allowed = await _integrations_readable(ctx, {r.organisation_id for r in rows})
    return {r.id: r for r in rows if r.organisation_id in allowed}


async def deliveries_by_pk(ctx: Context, pks: list[int]) -> dict[int, WebhookDelivery]:
    """Deliveries of organisations where the viewer may READ INTEGRATIONS (node / nodes)."""
    async with ctx.read() as session:
        rows = (await session.execute(select(WebhookDelivery).where(WebhookDelivery.id.in_(pks)))).scalars().all()
    allowed = await _integrations_readable(ctx, {r.organisation_id for r in rows})
    return {r.id: r for r in rows if r.organisation_id in allowed}


async def events_by_pk(ctx: Context, pks: list[int]) -> dict[int, Event]:
    """Events the viewer may list (INTEGRATIONS READ and its subject readable), for node / nodes."""
    async with ctx.read() as session:
        organisations = set(
            (await session.execute(select(Event.organisation_id).where(Event.id.in_(pks)).distinct())).scalars()
        )
    found: dict[int, Event] = {}
    for organisation_id in sorted(await _integrations_readable(ctx, organisations)):
        membership = await ctx.authz.membership(organisation_id)
        if membership is None:
            continue
        statement = queries.events_statement(
            organisation_id,
            scopes=await _event_scopes(ctx, organisation_id),
            principal=principal_of(membership),
            types=(),
            since=None,
            now=ctx.now(),
        ).where(Event.id.in_(pks))
        async with ctx.read() as session:
            found.update({r.id: r for r in (await session.execute(statement)).scalars()})
    return found


async def _endpoint(ctx: Context, endpoint_id: int) -> WebhookEndpoint:
    async with ctx.read() as session:
        row = await session.get(WebhookEndpoint, endpoint_id, populate_existing=True)
    assert row is not None
    return row


async def _delivery(ctx: Context, delivery_id: int) -> WebhookDelivery:
    async with ctx.read() as session:
        row = await session.get(WebhookDelivery, delivery_id, populate_existing=True)
    assert row is not None
    return row


async def create_endpoint(
    ctx: Context,
    *,
    organisation_id: int,
    url: str,
    event_types: Sequence[str],
    api_key_id: int,
    description: str | None,
) -> tuple[WebhookEndpoint, str]:
    created = await services.create_endpoint(
        _env(ctx),
        actor_person_id=await _person(ctx),
        organisation_id=organisation_id,
        url=url,
        event_types=event_types,
        api_key_id=api_key_id,
        description=description,
    )
    return await _endpoint(ctx, created.endpoint_id), created.secret


async def delete_endpoint(ctx: Context, *, endpoint_id: int) -> WebhookEndpoint:
    return await services.delete_endpoint(_env(ctx), actor_person_id=await _person(ctx), endpoint_id=endpoint_id)


async def send_test(ctx: Context, *, endpoint_id: int) -> WebhookDelivery:
    delivery_id = await services.send_test(_env(ctx), actor_person_id=await _person(ctx), endpoint_id=endpoint_id)
    ctx.app.wake_webhooks()
    return await _delivery(ctx, delivery_id)


async def redeliver(ctx: Context, *, delivery_id: int) -> WebhookDelivery:
    new_id = await services.redeliver(_env(ctx), actor_person_id=await _person(ctx), delivery_id=delivery_id)
    ctx.app.wake_webhooks()
    return await _delivery(ctx, new_id)
