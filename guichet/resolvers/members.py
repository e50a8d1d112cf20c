"""Resolvers for contacts, their access, invitations, the audit trail and the members mutations.

Thin: check the (module, action) a lookup needs, call one domain query or service, return rows.
Per-contact data on a page comes from the request's loaders (never per row).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from guichet.domain import models
from guichet.domain.auth import OpenedSession
from guichet.domain.members import queries, services
from guichet.policies.authz import NotAuthenticated
from guichet.policies.rules import ROLES, Action, ContactAccess, Module
from guichet.resolvers import auth
from guichet.resolvers.pagination import Page, paginate_by_id

if TYPE_CHECKING:
    from guichet.resolvers.context import Context

ContactRows = tuple[models.Contact, models.Person]
RoleKey = tuple[str, int | None]


# ---------------------------------------------------------------- contacts


async def contacts_by_pk(ctx: Context, pks: list[int]) -> dict[int, ContactRows]:
    """Contacts by primary key, unfiltered: callers decide who may see them."""
    contacts = await ctx.loaders.contact_by_id.load_many(pks)
    return {pk: c for pk, c in zip(pks, contacts, strict=True) if c is not None}


async def contact(ctx: Context, contact_pk: int | None) -> ContactRows | None:
    """One contact (an actor, an inviter) of an object the viewer already reads, batched."""
    if contact_pk is None:
        return None
    return await ctx.loaders.contact_by_id.load(contact_pk)


async def visible_contacts_by_pk(ctx: Context, pks: list[int]) -> dict[int, ContactRows]:
    """Contacts the viewer may see: itself, or any contact where it may READ MEMBERS."""
    visible = {}
    for pk, rows in (await contacts_by_pk(ctx, pks)).items():
        organisation_id = rows[0].organisation_id
        membership = await ctx.authz.membership(organisation_id)
        if membership is None:
            continue
        if membership.contact_id == pk or await ctx.authz.allowed(organisation_id, Module.MEMBERS, Action.READ):
            visible[pk] = rows
    return visible


async def contact_access(ctx: Context, contact_pk: int) -> ContactAccess | None:
    """A contact's roles, grants and denials (batched across a page)."""
    return await ctx.loaders.access_by_contact_id.load(contact_pk)  # type: ignore[no-any-return]


async def role_assignments(ctx: Context, keys: Sequence[RoleKey]) -> list[tuple[str, models.BillingAccount | None]]:
    """(role, billing account or None) in role order; a scope the viewer cannot see is left out."""
    rows = await ctx.loaders.billing_account_by_id.load_many([a for _, a in keys if a is not None])
    by_id: dict[int, models.BillingAccount] = {}
    for row in rows:
        if row is not None and (await ctx.authz.visible_accounts(row.organisation_id)).allows(row.id):
            by_id[row.id] = row
    order = {r: i for i, r in enumerate(ROLES)}
    result: list[tuple[str, models.BillingAccount | None]] = []
    for role, account_id in sorted(keys, key=lambda k: (order.get(k[0], 9), k[1] or 0)):
        if account_id is not None and account_id not in by_id:
            continue
        result.append((role, by_id[account_id] if account_id else None))
    return result


async def contact_roles(ctx: Context, contact_pk: int) -> list[tuple[str, models.BillingAccount | None]]:
    access = await contact_access(ctx, contact_pk)
    return await role_assignments(ctx, sorted(access.effective_roles(), key=str) if access else [])


async def contact_permission_rows(ctx: Context, contact_pk: int, *, effect: str) -> set[tuple[str, str]]:
    """The contact's own grants (effect "allow") or denials ("deny") as (module, action) pairs."""
    access = await contact_access(ctx, contact_pk)
    if access is None:
        return set()
    return set(access.grants if effect == "allow" else access.denials)


async def contact_effective_permissions(ctx: Context, contact_pk: int) -> set[tuple[str, str]]:
    """What the contact may do after roles, grants and denials, as (module, action) pairs."""
    access = await contact_access(ctx, contact_pk)
    if access is None:
        return set()
    return set(ctx.app.policy_engine.effective_permissions(access))


# ---------------------------------------------------------------- lists


async def list_members(
    ctx: Context,
    *,
    organisation_id: int,
    statuses: list[str],
    roles: list[str],
    search: str | None,
    first: int | None,
    after: str | None,
) -> Page[ContactRows]:
    """The organisation's contacts, filtered by status, role and text. Raise DomainError(VALIDATION) for bad paging."""
    statement = queries.members_statement(organisation_id, statuses=statuses, roles=roles, search=search)
    async with ctx.read() as session:
        return await paginate_by_id(session, statement, models.Contact.id, first=first, after=after)


async def list_invitations(
    ctx: Context, *, organisation_id: int, statuses: list[str], now: datetime, first: int | None, after: str | None
) -> Page[models.Invitation]:
    """Invitations of the organisation, newest first; EXPIRED is PENDING past its expiry."""
    statement = queries.invitations_statement(organisation_id, statuses=statuses, now=now)
    async with ctx.read() as session:
        return await paginate_by_id(session, statement, models.Invitation.id, first=first, after=after, descending=True)


async def list_audit_events(
    ctx: Context, *, organisation_id: int, first: int | None, after: str | None
) -> Page[models.AuditEvent]:
    """The organisation's audit trail, newest first."""
    statement = select(models.AuditEvent).where(models.AuditEvent.organisation_id == organisation_id)
    async with ctx.read() as session:
        return await paginate_by_id(session, statement, models.AuditEvent.id, first=first, after=after, descending=True)


async def _readable(ctx: Context, rows: Sequence[Any], module: Module) -> list[Any]:
    visible = []
    for row in rows:
        if row.organisation_id is not None and await ctx.authz.allowed(row.organisation_id, module, Action.READ):
            visible.append(row)
    return visible


async def invitations_by_pk(ctx: Context, pks: list[int]) -> dict[int, models.Invitation]:
    """Invitations of organisations where the viewer may READ MEMBERS."""
    async with ctx.read() as session:
        rows = (await session.execute(select(models.Invitation).where(models.Invitation.id.in_(pks)))).scalars().all()
    return {r.id: r for r in await _readable(ctx, rows, Module.MEMBERS)}


async def audit_events_by_pk(ctx: Context, pks: list[int]) -> dict[int, models.AuditEvent]:
    """Audit events of organisations where the viewer may READ AUDIT."""
    async with ctx.read() as session:
        rows = (await session.execute(select(models.AuditEvent).where(models.AuditEvent.id.in_(pks)))).scalars().all()
    return {r.id: r for r in await _readable(ctx, rows, Module.AUDIT)}


# ---------------------------------------------------------------- mutations
# The services check the actor's own MEMBERS WRITE (and primary-admin rules) inside their
# transaction; the field's declared permission has already refused non-members and members
# lacking it.


def members_env(ctx: Context) -> services.MembersEnv:
    return services.MembersEnv(
        uow=ctx.uow,
        policy=ctx.app.policy_engine,
        passwords=ctx.app.passwords,
        now=ctx.now(),
        public_url=ctx.settings.public_url,
        locale=ctx.locale,
        session_ttl=timedelta(seconds=ctx.settings.session_ttl_seconds),
        client_ip=ctx.client_ip,
        request_id=ctx.request_id,
    )


async def _viewer_person(ctx: Context) -> int:
    viewer = await ctx.viewer()
    if viewer is None:  # the permission already answered UNAUTHENTICATED; defence in depth
        raise NotAuthenticated()
    return viewer.person_id


async def _invitation(ctx: Context, invitation_pk: int) -> models.Invitation:
    """The invitation as it is now (its e-mail is in the outbox: wake the delivery)."""
    ctx.app.wake_mailer()
    async with ctx.uow() as session:
        row = await session.get(models.Invitation, invitation_pk)
    assert row is not None
    return row


async def invite_member(
    ctx: Context,
    *,
    organisation_id: int,
    email: str,
    first_name: str | None,
    last_name: str | None,
    roles: list[RoleKey],
) -> models.Invitation:
    """Invite someone with roles. Raise the service's DomainErrors."""
    pk = await services.invite_member(
        members_env(ctx),
        actor_person_id=await _viewer_person(ctx),
        organisation_id=organisation_id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        roles=roles,
    )
    return await _invitation(ctx, pk)


async def resend_invitation(ctx: Context, *, invitation_id: int) -> models.Invitation:
    person_id = await _viewer_person(ctx)
    pk = await services.resend_invitation(members_env(ctx), actor_person_id=person_id, invitation_id=invitation_id)
    return await _invitation(ctx, pk)


async def revoke_invitation(ctx: Context, *, invitation_id: int) -> models.Invitation:
    person_id = await _viewer_person(ctx)
    pk = await services.revoke_invitation(members_env(ctx), actor_person_id=person_id, invitation_id=invitation_id)
    return await _invitation(ctx, pk)


async def accept_invitation(
    ctx: Context, *, token: str, password: str, first_name: str | None, last_name: str | None
) -> OpenedSession:
    """Join with an invitation token; the rest of the operation runs as the new session's person."""
    opened = await services.accept_invitation(
        members_env(ctx), token=token, password=password, first_name=first_name, last_name=last_name
    )
    return auth.signed_in(ctx, opened)


async def _contact(ctx: Context, contact_pk: int) -> ContactRows:
    """The contact as it is now; its access is read again (the loader's cache is dropped)."""
    async with ctx.uow() as session:
        row = (
            await session.execute(
                select(models.Contact, models.Person)
                .join(models.Person, models.Person.id == models.Contact.person_id)
                .where(models.Contact.id == contact_pk)
            )
        ).one()
    ctx.loaders.access_by_contact_id.clear_all()
    return row[0], row[1]


async def update_member_access(
    ctx: Context,
    *,
    contact_id: int,
    roles: list[RoleKey] | None,
    grants: list[tuple[str, str]] | None,
    denials: list[tuple[str, str]] | None,
) -> ContactRows:
    person_id = await _viewer_person(ctx)
    pk = await services.update_member_access(
        members_env(ctx), actor_person_id=person_id, contact_id=contact_id, roles=roles, grants=grants, denials=denials
    )
    return await _contact(ctx, pk)


async def set_member_status(ctx: Context, *, contact_id: int, enabled: bool) -> ContactRows:
    person_id = await _viewer_person(ctx)
    pk = await services.set_member_status(
        members_env(ctx), actor_person_id=person_id, contact_id=contact_id, enabled=enabled
    )
    return await _contact(ctx, pk)
