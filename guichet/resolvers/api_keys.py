"""Resolvers of API keys: decoded arguments and the decided scope in, key views out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from guichet.domain.api_keys import queries, services
from guichet.domain.api_keys.services import IssuedKey
from guichet.domain.models.api_keys import ApiKey
from guichet.policies.authz import NotAuthenticated
from guichet.policies.rules import Action, Module
from guichet.resolvers.pagination import Page, paginate_by_id

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


@dataclass(frozen=True)
class ApiKeyView:
    """A key's row and its (module, action) pairs, as the list and the payloads render them."""

    row: ApiKey
    permissions: list[tuple[str, str]]


def _env(ctx: Context) -> services.KeysEnv:
    return services.KeysEnv(uow=ctx.uow, policy=ctx.app.policy_engine, now=ctx.now(), locale=ctx.locale)


async def _person(ctx: Context) -> int:
    viewer = await ctx.viewer()
    if viewer is None:  # the permission already answered; defence in depth
        raise NotAuthenticated()
    return viewer.person_id


async def list_api_keys(
    ctx: Context, *, organisation_id: int, statuses: Sequence[str], first: int | None, after: str | None
) -> Page[ApiKeyView]:
    """The organisation's keys, newest first, with their permissions (two statements plus the count)."""
    async with ctx.read() as session:
        page = await paginate_by_id(
            session,
            queries.list_statement(organisation_id, statuses, ctx.now()),
            ApiKey.id,
            first=first,
            after=after,
            descending=True,
        )
        permissions = await queries.permissions_of(session, [row.id for row in page.items])
    return Page(
        [ApiKeyView(row, permissions[row.id]) for row in page.items],
        page.cursors,
        page.has_next,
        page.has_previous,
        page.total,
    )


async def key_view(ctx: Context, api_key_id: int) -> ApiKeyView | None:
    async with ctx.read() as session:
        row = (await session.execute(select(ApiKey).where(ApiKey.id == api_key_id))).scalar_one_or_none()
        if row is None:
            return None
        permissions = await queries.permissions_of(session, [row.id])
    return ApiKeyView(row, permissions[row.id])


async def readable_keys(ctx: Context, pks: list[int]) -> dict[int, ApiKeyView]:
    """Keys of organisations where the viewer may READ INTEGRATIONS, by pk (for node/nodes)."""
    if not pks:
        return {}
    async with ctx.read() as session:
        rows = (await session.execute(select(ApiKey).where(ApiKey.id.in_(pks)))).scalars().all()
        permissions = await queries.permissions_of(session, [row.id for row in rows])
    found: dict[int, ApiKeyView] = {}
    for row in rows:
        if await ctx.authz.allowed(row.organisation_id, Module.INTEGRATIONS, Action.READ):
            found[row.id] = ApiKeyView(row, permissions[row.id])
    return found


async def create_api_key(
    ctx: Context,
    *,
    organisation_id: int,
    name: str,
    permissions: Sequence[tuple[str, str]],
    billing_account_id: int | None,
    expires_at: datetime,
    allowed_document_ids: Sequence[str] | None,
) -> tuple[ApiKeyView, str]:
    issued: IssuedKey = await services.create_api_key(
        _env(ctx),
        actor_person_id=await _person(ctx),
        organisation_id=organisation_id,
        name=name,
        permissions=permissions,
        billing_account_id=billing_account_id,
        expires_at=expires_at,
        allowed_document_ids=allowed_document_ids,
    )
    ctx.app.wake_mailer()
    view = await key_view(ctx, issued.api_key_id)
    assert view is not None
    return view, issued.secret


async def rotate_api_key(ctx: Context, *, api_key_id: int, grace_hours: int) -> tuple[ApiKeyView, str]:
    issued = await services.rotate_api_key(
        _env(ctx), actor_person_id=await _person(ctx), api_key_id=api_key_id, grace_hours=grace_hours
    )
    ctx.app.wake_mailer()
    view = await key_view(ctx, issued.api_key_id)
    assert view is not None
    return view, issued.secret


async def revoke_api_key(ctx: Context, *, api_key_id: int) -> ApiKeyView:
    key_id = await services.revoke_api_key(_env(ctx), actor_person_id=await _person(ctx), api_key_id=api_key_id)
    ctx.app.wake_mailer()
    view = await key_view(ctx, key_id)
    assert view is not None
    return view
