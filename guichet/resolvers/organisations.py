"""Resolvers for the viewer, organisations, billing accounts and lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry
from sqlalchemy import select

from guichet.domain import models
from guichet.resolvers.context import Info
from guichet.resolvers.graphql_errors import domain_to_graphql
from guichet.resolvers.pagination import paginate_by_id
from guichet.schema.relay import Connection, from_global_id, to_global_id

if TYPE_CHECKING:
    from guichet.schema.billing import BillingAccount, Line
    from guichet.schema.members import Contact
    from guichet.schema.organisations import Organisation, Viewer


async def current_viewer(info: Info) -> Viewer | None:
    from guichet.schema.organisations import Viewer

    viewer = await info.context.viewer()
    if viewer is None:
        return None
    return Viewer(
        id=strawberry.ID(to_global_id("Viewer", viewer.person_id)),
        email=viewer.email,
        first_name=viewer.first_name,
        last_name=viewer.last_name,
        pk=viewer.person_id,
    )


async def viewer_organisations(info: Info, person_id: int) -> list[Organisation]:
    from guichet.schema.organisations import Organisation

    async with info.context.read() as session:
        rows = (
            await session.execute(
                select(models.Organisation)
                .join(models.Contact, models.Contact.organisation_id == models.Organisation.id)
                .where(models.Contact.person_id == person_id, models.Contact.status == "ACTIVE")
                .order_by(models.Organisation.name, models.Organisation.id)
            )
        ).scalars()
        return [Organisation.from_row(r) for r in rows]


async def organisation_by_pk(info: Info, organisation_pk: int) -> Organisation | None:
    """The organisation when the viewer is one of its active contacts, else None."""
    from guichet.schema.organisations import Organisation

    if await info.context.authz.membership(organisation_pk) is None:
        return None
    async with info.context.read() as session:
        row = await session.get(models.Organisation, organisation_pk)
    return Organisation.from_row(row) if row is not None else None


async def organisation_by_id(info: Info, global_id: str) -> Organisation | None:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != "Organisation":
        return None
    return await organisation_by_pk(info, decoded[1])


async def organisations_by_pk(info: Info, pks: list[int]) -> dict[int, Organisation]:
    found = {}
    for pk in pks:
        org = await organisation_by_pk(info, pk)
        if org is not None:
            found[pk] = org
    return found


async def organisation_me(info: Info, organisation: Organisation) -> Contact:
    from guichet.resolvers.members import contacts_by_pk

    membership = await info.context.authz.membership(organisation.pk)
    if membership is None:  # organisation objects are only built for members
        raise PermissionError("not a member")
    return (await contacts_by_pk(info, [membership.contact_id]))[membership.contact_id]


async def organisation_billing_accounts(
    info: Info, organisation: Organisation, *, first: int | None, after: str | None
) -> Connection[BillingAccount]:
    from guichet.schema.billing import BillingAccount

    scope = await info.context.authz.visible_accounts(organisation.pk)
    statement = select(models.BillingAccount).where(models.BillingAccount.organisation_id == organisation.pk)
    if not scope.all_accounts:
        statement = statement.where(models.BillingAccount.id.in_(scope.account_ids))
    with domain_to_graphql(info):
        async with info.context.read() as session:
            return await paginate_by_id(
                session,
                statement,
                models.BillingAccount.id,
                first=first,
                after=after,
                to_node=BillingAccount.from_row,
            )


async def billing_accounts_by_pk(info: Info, pks: list[int]) -> dict[int, BillingAccount]:
    """Billing accounts the viewer's roles reach, by primary key (one query)."""
    from guichet.schema.billing import BillingAccount

    async with info.context.read() as session:
        rows = (
            (await session.execute(select(models.BillingAccount).where(models.BillingAccount.id.in_(pks))))
            .scalars()
            .all()
        )
    found = {}
    for row in rows:
        scope = await info.context.authz.visible_accounts(row.organisation_id)
        if scope.allows(row.id):
            found[row.id] = BillingAccount.from_row(row)
    return found


async def billing_account_of(info: Info, billing_account_pk: int) -> BillingAccount:
    return (await billing_accounts_by_pk(info, [billing_account_pk]))[billing_account_pk]


async def account_lines(
    info: Info, account: BillingAccount, *, first: int | None, after: str | None
) -> Connection[Line]:
    from guichet.schema.billing import Line

    statement = select(models.Line).where(models.Line.billing_account_id == account.pk)
    with domain_to_graphql(info):
        async with info.context.read() as session:
            return await paginate_by_id(
                session, statement, models.Line.id, first=first, after=after, to_node=Line.from_row
            )


async def lines_by_pk(info: Info, pks: list[int]) -> dict[int, Line]:
    from guichet.schema.billing import Line

    async with info.context.read() as session:
        rows = (await session.execute(select(models.Line).where(models.Line.id.in_(pks)))).scalars().all()
    found = {}
    for row in rows:
        scope = await info.context.authz.visible_accounts(row.organisation_id)
        if scope.allows(row.billing_account_id):
            found[row.id] = Line.from_row(row)
    return found
