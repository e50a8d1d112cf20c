"""Resolvers for contacts, their access, invitations, the audit trail and the members mutations.

Thin: decode IDs, check the (module, action) the list needs once, call one domain service, map
the result. Per-contact data on a page comes from per-request DataLoaders (never per row).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import strawberry
from aiodataloader import DataLoader
from sqlalchemy import Select, exists, func, or_, select

from guichet.domain import models
from guichet.domain.members import services
from guichet.domain.members.rules import invitation_status, invitation_status_condition
from guichet.policies.authz import engine_of
from guichet.policies.rules import ROLES, ContactAccess
from guichet.policies.store import load_access
from guichet.resolvers.context import Context, Info
from guichet.resolvers.errors import run_mutation
from guichet.resolvers.graphql_errors import domain_to_graphql
from guichet.resolvers.pagination import paginate_by_id
from guichet.schema.relay import (
    Connection,
    decode_id,
    to_global_id,
)

if TYPE_CHECKING:
    from guichet.schema.auth import SessionPayload, TokenPasswordInput
    from guichet.schema.billing import BillingAccount
    from guichet.schema.members import (
        AuditEvent,
        Contact,
        Invitation,
        InvitationStatus,
        MemberFilter,
        ModulePermission,
        RoleAssignment,
    )
    from guichet.schema.members_mutations import (
        ContactIdInput,
        ContactPayload,
        InvitationIdInput,
        InvitationPayload,
        InviteMemberInput,
        RoleAssignmentInput,
        UpdateMemberAccessInput,
    )
    from guichet.schema.organisations import Organisation

ACTION_ORDER = ("READ", "WRITE", "PAY", "EXPORT")


# ---------------------------------------------------------------- loaders


class AccessByContactIdLoader(DataLoader):  # type: ignore[misc]
    """A contact's roles, grants and denials: prevents three queries per contact of a members page."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    async def batch_load_fn(self, keys: Sequence[int]) -> list[ContactAccess | None]:
        async with self.ctx.read() as session:
            found = await load_access(session, list(keys))
        return [found.get(k) for k in keys]


class ContactByIdLoader(DataLoader):  # type: ignore[misc]
    """Contacts by id (unfiltered; callers already decided): prevents one query per actor/inviter."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Contact | None]:
        async with self.ctx.read() as session:
            rows = (
                await session.execute(
                    select(models.Contact, models.Person)
                    .join(models.Person, models.Person.id == models.Contact.person_id)
                    .where(models.Contact.id.in_(list(keys)))
                )
            ).all()
        found = {c.id: contact_from_rows(c, p) for c, p in rows}
        return [found.get(k) for k in keys]


class BillingAccountByIdLoader(DataLoader):  # type: ignore[misc]
    """Billing accounts the viewer reaches: prevents one query per role assignment shown."""

    def __init__(self, info: Info) -> None:
        super().__init__()
        self.info = info

    async def batch_load_fn(self, keys: Sequence[int]) -> list[BillingAccount | None]:
        from guichet.resolvers.organisations import billing_accounts_by_pk

        found = await billing_accounts_by_pk(self.info, list(keys))
        return [found.get(k) for k in keys]


def _loader(info: Info, name: str, factory: Any) -> Any:
    loaders = info.context.loaders
    if name not in loaders:
        loaders[name] = factory()
    return loaders[name]


def access_loader(info: Info) -> AccessByContactIdLoader:
    return _loader(info, "members.access_by_contact", lambda: AccessByContactIdLoader(info.context))  # type: ignore[no-any-return]


# ---------------------------------------------------------------- contacts


def contact_from_rows(contact: models.Contact, person: models.Person) -> Contact:
    from guichet.schema.common import ContactStatus
    from guichet.schema.members import Contact

    return Contact(
        id=strawberry.ID(to_global_id("Contact", contact.id)),
        email=person.email,
        first_name=person.first_name,
        last_name=person.last_name,
        status=ContactStatus(contact.status),
        is_primary_admin=contact.is_primary_admin,
        pk=contact.id,
        organisation_id=contact.organisation_id,
    )


async def contacts_by_pk(info: Info, pks: list[int]) -> dict[int, Contact]:
    """Contacts by primary key, unfiltered: callers decide who may see them."""
    loader = _loader(info, "members.contact_by_id", lambda: ContactByIdLoader(info.context))
    contacts = await loader.load_many(pks)
    return {pk: c for pk, c in zip(pks, contacts, strict=True) if c is not None}


async def contact_in_organisation(info: Info, contact_pk: int | None) -> Contact | None:
    if contact_pk is None:
        return None
    return (await contacts_by_pk(info, [contact_pk])).get(contact_pk)


async def visible_contacts_by_pk(info: Info, pks: list[int]) -> dict[int, Contact]:
    """Contacts the viewer may see: itself, or any contact where it may READ MEMBERS."""
    contacts = await contacts_by_pk(info, pks)
    visible = {}
    for pk, contact in contacts.items():
        membership = await info.context.authz.membership(contact.organisation_id)
        if membership is None:
            continue
        if membership.contact_id == pk or await info.context.authz.allowed(contact.organisation_id, "MEMBERS", "READ"):
            visible[pk] = contact
    return visible


async def role_assignments(info: Info, keys: Sequence[tuple[str, int | None]]) -> list[RoleAssignment]:
    from guichet.schema.common import Role
    from guichet.schema.members import RoleAssignment

    loader = _loader(info, "members.billing_account_by_id", lambda: BillingAccountByIdLoader(info))
    accounts = await loader.load_many([a for _, a in keys if a is not None])
    by_id = {a.pk: a for a in accounts if a is not None}
    order = {r: i for i, r in enumerate(ROLES)}
    result = []
    for role, account_id in sorted(keys, key=lambda k: (order.get(k[0], 9), k[1] or 0)):
        if account_id is not None and account_id not in by_id:
            continue  # a scope the viewer cannot see is not revealed
        result.append(RoleAssignment(role=Role(role), billing_account=by_id.get(account_id) if account_id else None))
    return result


async def _access(info: Info, contact: Contact) -> ContactAccess | None:
    return await access_loader(info).load(contact.pk)  # type: ignore[no-any-return]


async def contact_roles(info: Info, contact: Contact) -> list[RoleAssignment]:
    access = await _access(info, contact)
    return await role_assignments(info, sorted(access.effective_roles(), key=str) if access else [])


def _group(pairs: set[tuple[str, str]]) -> list[ModulePermission]:
    from guichet.schema.common import Action, Module
    from guichet.schema.members import ModulePermission

    by_module: dict[str, set[str]] = defaultdict(set)
    for module, action in pairs:
        by_module[module].add(action)
    return [
        ModulePermission(module=Module(m), actions=[Action(a) for a in ACTION_ORDER if a in by_module[m]])
        for m in (mod.value for mod in Module)
        if m in by_module
    ]


async def contact_permission_rows(info: Info, contact: Contact, *, effect: str) -> list[ModulePermission]:
    access = await _access(info, contact)
    if access is None:
        return []
    return _group(set(access.grants if effect == "allow" else access.denials))


async def contact_effective_permissions(info: Info, contact: Contact) -> list[ModulePermission]:
    access = await _access(info, contact)
    if access is None:
        return []
    return _group(engine_of(info.context).effective_permissions(access))


# ---------------------------------------------------------------- lists


async def _require(info: Info, organisation_pk: int, module: str, action: str) -> None:
    with domain_to_graphql(info):
        await info.context.authz.require(organisation_pk, module, action)


async def _page(
    info: Info,
    statement: Select[Any],
    id_column: Any,
    *,
    first: int | None,
    after: str | None,
    to_node: Any,
    descending: bool = False,
) -> Connection[Any]:
    """A keyset page of `statement` on the request's read session, refusals as top-level errors."""
    with domain_to_graphql(info):
        async with info.context.read() as session:
            return await paginate_by_id(
                session, statement, id_column, first=first, after=after, to_node=to_node, descending=descending
            )


async def organisation_members(
    info: Info, organisation: Organisation, *, first: int | None, after: str | None, filter: MemberFilter | None
) -> Connection[Contact]:
    """The organisation's contacts (MEMBERS READ), filtered by status, role and text."""
    await _require(info, organisation.pk, "MEMBERS", "READ")
    statement = (
        select(models.Contact, models.Person)
        .join(models.Person, models.Person.id == models.Contact.person_id)
        .where(models.Contact.organisation_id == organisation.pk)
    )
    if filter is not None and filter.status:
        statement = statement.where(models.Contact.status.in_([s.value for s in filter.status]))
    if filter is not None and filter.role:
        wanted = [r.value for r in filter.role]
        statement = statement.where(
            or_(
                models.Contact.is_primary_admin.is_(True),
                exists().where(
                    models.RoleAssignment.contact_id == models.Contact.id, models.RoleAssignment.role.in_(wanted)
                ),
            )
        )
    if filter is not None and filter.search and filter.search.strip():
        needle = "%" + filter.search.strip().lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
        statement = statement.where(
            or_(
                func.lower(models.Person.email).like(needle),
                func.lower(func.coalesce(models.Person.first_name, "")).like(needle),
                func.lower(func.coalesce(models.Person.last_name, "")).like(needle),
            )
        )
    return await _page(info, statement, models.Contact.id, first=first, after=after, to_node=contact_from_rows)


def invitation_from_row(row: models.Invitation, now: Any) -> Invitation:
    from guichet.schema.members import Invitation, InvitationStatus

    return Invitation(
        id=strawberry.ID(to_global_id("Invitation", row.id)),
        email=row.email,
        status=InvitationStatus(invitation_status(row.status, row.expires_at, now)),
        created_at=row.created_at,
        expires_at=row.expires_at,
        pk=row.id,
        organisation_id=row.organisation_id,
        role_keys=services.invitation_roles(row),
        invited_by_id=row.invited_by_contact_id,
    )


async def organisation_invitations(
    info: Info,
    organisation: Organisation,
    *,
    first: int | None,
    after: str | None,
    status: list[InvitationStatus] | None,
) -> Connection[Invitation]:
    """Invitations of the organisation (MEMBERS READ); EXPIRED is PENDING past its expiry."""
    await _require(info, organisation.pk, "MEMBERS", "READ")
    now = info.context.now()
    statement = select(models.Invitation).where(models.Invitation.organisation_id == organisation.pk)
    if status:
        statement = statement.where(invitation_status_condition({s.value for s in status}, now))
    return await _page(
        info,
        statement,
        models.Invitation.id,
        first=first,
        after=after,
        to_node=lambda row: invitation_from_row(row, now),
        descending=True,
    )


def audit_event_from_row(row: models.AuditEvent) -> AuditEvent:
    from guichet.schema.members import AuditEvent

    return AuditEvent(
        id=strawberry.ID(to_global_id("AuditEvent", row.id)),
        at=row.at,
        action=row.action,
        summary=row.summary,
        subject_id=strawberry.ID(row.subject_id) if row.subject_id else None,
        pk=row.id,
        organisation_id=row.organisation_id or 0,
        actor_id=row.actor_contact_id,
    )


async def organisation_audit_events(
    info: Info, organisation: Organisation, *, first: int | None, after: str | None
) -> Connection[AuditEvent]:
    """The organisation's audit trail, newest first (AUDIT READ)."""
    await _require(info, organisation.pk, "AUDIT", "READ")
    statement = select(models.AuditEvent).where(models.AuditEvent.organisation_id == organisation.pk)
    return await _page(
        info, statement, models.AuditEvent.id, first=first, after=after, to_node=audit_event_from_row, descending=True
    )


async def _readable(info: Info, rows: Sequence[Any], module: str, action: str) -> list[Any]:
    visible = []
    for row in rows:
        if row.organisation_id is not None and await info.context.authz.allowed(row.organisation_id, module, action):
            visible.append(row)
    return visible


async def invitations_by_pk(info: Info, pks: list[int]) -> dict[int, Invitation]:
    """Invitations of organisations where the viewer may READ MEMBERS."""
    async with info.context.read() as session:
        rows = (await session.execute(select(models.Invitation).where(models.Invitation.id.in_(pks)))).scalars().all()
    now = info.context.now()
    return {r.id: invitation_from_row(r, now) for r in await _readable(info, rows, "MEMBERS", "READ")}


async def audit_events_by_pk(info: Info, pks: list[int]) -> dict[int, AuditEvent]:
    """Audit events of organisations where the viewer may READ AUDIT."""
    async with info.context.read() as session:
        rows = (await session.execute(select(models.AuditEvent).where(models.AuditEvent.id.in_(pks)))).scalars().all()
    return {r.id: audit_event_from_row(r) for r in await _readable(info, rows, "AUDIT", "READ")}


# ---------------------------------------------------------------- mutations


def members_env(ctx: Context) -> services.MembersEnv:
    return services.MembersEnv(
        uow=ctx.uow,
        policy=engine_of(ctx),
        passwords=ctx.app.passwords,
        now=ctx.now(),
        public_url=ctx.settings.public_url,
        locale=ctx.locale,
        session_ttl=timedelta(seconds=ctx.settings.session_ttl_seconds),
        client_ip=ctx.client_ip,
        request_id=ctx.request_id,
    )


def _role_keys(roles: Sequence[RoleAssignmentInput]) -> list[tuple[str, int | None]]:
    keys = []
    for index, item in enumerate(roles):
        account = (
            decode_id(
                str(item.billing_account_id), "BillingAccount", field=["input", "roles", str(index), "billingAccountId"]
            )
            if item.billing_account_id
            else None
        )
        keys.append((item.role.value, account))
    return keys


def _pairs(items: Sequence[Any] | None) -> list[tuple[str, str]] | None:
    if items is None:
        return None
    return [(item.module.value, action.value) for item in items for action in item.actions]


async def _viewer_person(info: Info) -> int:
    viewer = await info.context.viewer()
    if viewer is None:  # the permission already answered UNAUTHENTICATED; defence in depth
        from guichet.resolvers.graphql_errors import unauthenticated

        raise unauthenticated(info)
    return viewer.person_id


def _wake_mailer(info: Info) -> None:
    wakeup = info.context.app.services.get("mail_wakeup")
    if wakeup is not None:
        wakeup.set()


async def _invitation_payload(info: Info, invitation_pk: int) -> InvitationPayload:
    from guichet.schema.members_mutations import InvitationPayload

    _wake_mailer(info)
    async with info.context.uow() as session:
        row = await session.get(models.Invitation, invitation_pk)
    assert row is not None
    return InvitationPayload(invitation=invitation_from_row(row, info.context.now()), errors=[])


def _invitation_errors(errors: list[Any]) -> InvitationPayload:
    from guichet.schema.members_mutations import InvitationPayload

    return InvitationPayload(invitation=None, errors=errors)


async def invite_member(info: Info, input: InviteMemberInput) -> InvitationPayload:
    async def action() -> InvitationPayload:
        person_id = await _viewer_person(info)
        organisation_pk = decode_id(str(input.organisation_id), "Organisation", field=["input", "organisationId"])
        pk = await services.invite_member(
            members_env(info.context),
            actor_person_id=person_id,
            organisation_id=organisation_pk,
            email=input.email,
            first_name=input.first_name,
            last_name=input.last_name,
            roles=_role_keys(input.roles),
        )
        return await _invitation_payload(info, pk)

    return await run_mutation(info.context.locale, action, _invitation_errors)


async def resend_invitation(info: Info, input: InvitationIdInput) -> InvitationPayload:
    async def action() -> InvitationPayload:
        person_id = await _viewer_person(info)
        invitation_pk = decode_id(str(input.invitation_id), "Invitation", field=["input", "invitationId"])
        pk = await services.resend_invitation(
            members_env(info.context), actor_person_id=person_id, invitation_id=invitation_pk
        )
        return await _invitation_payload(info, pk)

    return await run_mutation(info.context.locale, action, _invitation_errors)


async def revoke_invitation(info: Info, input: InvitationIdInput) -> InvitationPayload:
    async def action() -> InvitationPayload:
        person_id = await _viewer_person(info)
        invitation_pk = decode_id(str(input.invitation_id), "Invitation", field=["input", "invitationId"])
        pk = await services.revoke_invitation(
            members_env(info.context), actor_person_id=person_id, invitation_id=invitation_pk
        )
        return await _invitation_payload(info, pk)

    return await run_mutation(info.context.locale, action, _invitation_errors)


async def accept_invitation(info: Info, input: TokenPasswordInput) -> SessionPayload:
    from guichet.resolvers.auth import signed_in
    from guichet.schema.auth import SessionPayload

    async def action() -> SessionPayload:
        opened = await services.accept_invitation(
            members_env(info.context),
            token=input.token,
            password=input.password,
            first_name=input.first_name,
            last_name=input.last_name,
        )
        return SessionPayload(session=signed_in(info.context, opened), errors=[])

    return await run_mutation(info.context.locale, action, lambda errors: SessionPayload(session=None, errors=errors))


async def _contact_payload(info: Info, contact_pk: int) -> ContactPayload:
    from guichet.schema.members_mutations import ContactPayload

    async with info.context.uow() as session:
        row = (
            await session.execute(
                select(models.Contact, models.Person)
                .join(models.Person, models.Person.id == models.Contact.person_id)
                .where(models.Contact.id == contact_pk)
            )
        ).one()
    info.context.loaders.pop("members.access_by_contact", None)  # show the access as it is now
    return ContactPayload(contact=contact_from_rows(*row), errors=[])


def _contact_errors(errors: list[Any]) -> ContactPayload:
    from guichet.schema.members_mutations import ContactPayload

    return ContactPayload(contact=None, errors=errors)


async def update_member_access(info: Info, input: UpdateMemberAccessInput) -> ContactPayload:
    async def action() -> ContactPayload:
        person_id = await _viewer_person(info)
        contact_pk = decode_id(str(input.contact_id), "Contact", field=["input", "contactId"])
        pk = await services.update_member_access(
            members_env(info.context),
            actor_person_id=person_id,
            contact_id=contact_pk,
            roles=_role_keys(input.roles) if input.roles is not None else None,
            grants=_pairs(input.grants),
            denials=_pairs(input.denials),
        )
        return await _contact_payload(info, pk)

    return await run_mutation(info.context.locale, action, _contact_errors)


async def set_member_status(info: Info, input: ContactIdInput, *, enabled: bool) -> ContactPayload:
    async def action() -> ContactPayload:
        person_id = await _viewer_person(info)
        contact_pk = decode_id(str(input.contact_id), "Contact", field=["input", "contactId"])
        pk = await services.set_member_status(
            members_env(info.context), actor_person_id=person_id, contact_id=contact_pk, enabled=enabled
        )
        return await _contact_payload(info, pk)

    return await run_mutation(info.context.locale, action, _contact_errors)
