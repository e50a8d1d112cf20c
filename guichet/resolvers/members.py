"""Resolvers for contacts, their access, invitations and the audit trail."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import strawberry
from sqlalchemy import select

from guichet.domain import models
from guichet.resolvers.context import Info
from guichet.schema.relay import to_global_id

if TYPE_CHECKING:
    from guichet.schema.members import Contact, ModulePermission, RoleAssignment

ACTION_ORDER = ("READ", "WRITE", "PAY", "EXPORT")


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
    async with info.context.read() as session:
        rows = (
            await session.execute(
                select(models.Contact, models.Person)
                .join(models.Person, models.Person.id == models.Contact.person_id)
                .where(models.Contact.id.in_(pks))
            )
        ).all()
    return {c.id: contact_from_rows(c, p) for c, p in rows}


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


async def contact_roles(info: Info, contact: Contact) -> list[RoleAssignment]:
    from guichet.resolvers.organisations import billing_accounts_by_pk
    from guichet.schema.common import Role
    from guichet.schema.members import RoleAssignment

    async with info.context.read() as session:
        rows = (
            await session.execute(
                select(models.RoleAssignment.role, models.RoleAssignment.billing_account_id)
                .where(models.RoleAssignment.contact_id == contact.pk)
                .order_by(models.RoleAssignment.id)
            )
        ).all()
    if contact.is_primary_admin:
        rows = [(r.value, None) for r in Role]
    accounts = await billing_accounts_by_pk(info, [ba for _, ba in rows if ba is not None])
    return [
        RoleAssignment(role=Role(role), billing_account=accounts.get(ba) if ba is not None else None)
        for role, ba in rows
    ]


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
    async with info.context.read() as session:
        rows = (
            await session.execute(
                select(models.ContactPermission.module, models.ContactPermission.action).where(
                    models.ContactPermission.contact_id == contact.pk,
                    models.ContactPermission.effect == effect,
                )
            )
        ).all()
    return _group({(m, a) for m, a in rows})


async def contact_effective_permissions(info: Info, contact: Contact) -> list[ModulePermission]:
    from guichet.policies.authz import role_permissions

    roles = await contact_roles(info, contact)
    pairs: set[tuple[str, str]] = set()
    table = role_permissions()
    for assignment in roles:
        pairs |= table.get(assignment.role.value, set())
    async with info.context.read() as session:
        rows = (
            await session.execute(
                select(
                    models.ContactPermission.module,
                    models.ContactPermission.action,
                    models.ContactPermission.effect,
                ).where(models.ContactPermission.contact_id == contact.pk)
            )
        ).all()
    pairs |= {(m, a) for m, a, e in rows if e == "allow"}
    pairs -= {(m, a) for m, a, e in rows if e == "deny"}
    return _group(pairs)


async def organisation_members(info: Info, organisation, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError("members listing comes with the access-control issue")


async def organisation_invitations(info: Info, organisation, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError("invitations come with the access-control issue")


async def organisation_audit_events(info: Info, organisation, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError("the audit trail comes with the access-control issue")


async def invitations_by_pk(info: Info, pks: list[int]) -> dict[int, object]:
    raise NotImplementedError


async def audit_events_by_pk(info: Info, pks: list[int]) -> dict[int, object]:
    raise NotImplementedError
