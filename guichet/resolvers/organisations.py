"""Resolvers for the viewer, organisations, billing accounts and lines: rows out, scoped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from guichet.domain import models
from guichet.domain.ids import pk_of
from guichet.resolvers.pagination import Page, paginate_by_id

if TYPE_CHECKING:
    from guichet.policies.store import OrganisationRow
    from guichet.resolvers.context import Context


async def viewer_organisations(ctx: Context, person_id: int) -> list[models.Organisation]:
    """The organisations where the person is an active contact, by name."""
    async with ctx.read() as session:
        rows = (
            await session.execute(
                select(models.Organisation)
                .join(models.Contact, models.Contact.organisation_id == models.Organisation.id)
                .where(models.Contact.person_id == person_id, models.Contact.status == "ACTIVE")
                .order_by(models.Organisation.name, models.Organisation.id)
            )
        ).scalars()
        return list(rows)


async def organisation_by_pk(ctx: Context, organisation_pk: int) -> models.Organisation | OrganisationRow | None:
    """The organisation when the viewer is one of its active contacts, else None (read-only).

    The membership lookup reads the organisation's row in the same statement: no second one.
    """
    if await ctx.authz.membership(organisation_pk) is None:
        return None
    held = ctx.authz.organisation_row(organisation_pk)
    if held is not None:
        return held  # type: ignore[no-any-return]
    async with ctx.read() as session:
        return await session.get(models.Organisation, organisation_pk)


async def organisation_by_id(ctx: Context, global_id: str) -> models.Organisation | None:
    pk = pk_of(global_id, "Organisation")
    return await organisation_by_pk(ctx, pk) if pk is not None else None


async def organisations_by_pk(ctx: Context, pks: list[int]) -> dict[int, models.Organisation]:
    found = {}
    for pk in pks:
        org = await organisation_by_pk(ctx, pk)
        if org is not None:
            found[pk] = org
    return found


async def own_contact(ctx: Context, organisation_pk: int) -> tuple[models.Contact, models.Person]:
    """The viewer's own contact in an organisation it belongs to (organisation objects exist only for members)."""
    membership = await ctx.authz.membership(organisation_pk)
    if membership is None:
        raise PermissionError("not a member")
    found = await ctx.loaders.contact_by_id.load(membership.contact_id)
    assert found is not None
    return found


async def billing_accounts(
    ctx: Context, organisation_pk: int, *, first: int | None, after: str | None
) -> Page[models.BillingAccount]:
    """The billing accounts any of the viewer's roles reach. Raise DomainError(VALIDATION) for bad paging."""
    scope = await ctx.authz.visible_accounts(organisation_pk)
    statement = select(models.BillingAccount).where(models.BillingAccount.organisation_id == organisation_pk)
    if not scope.all_accounts:
        statement = statement.where(models.BillingAccount.id.in_(scope.account_ids))
    async with ctx.read() as session:
        return await paginate_by_id(session, statement, models.BillingAccount.id, first=first, after=after)


async def billing_accounts_by_pk(ctx: Context, pks: list[int]) -> dict[int, models.BillingAccount]:
    """Billing accounts the viewer's roles reach, by primary key (one query)."""
    async with ctx.read() as session:
        rows = (
            (await session.execute(select(models.BillingAccount).where(models.BillingAccount.id.in_(pks))))
            .scalars()
            .all()
        )
    found = {}
    for row in rows:
        scope = await ctx.authz.visible_accounts(row.organisation_id)
        if scope.allows(row.id):
            found[row.id] = row
    return found


async def account_lines(
    ctx: Context, billing_account_pk: int, *, first: int | None, after: str | None
) -> Page[models.Line]:
    """A billing account's fleet lines. Raise DomainError(VALIDATION) for bad paging."""
    statement = select(models.Line).where(models.Line.billing_account_id == billing_account_pk)
    async with ctx.read() as session:
        return await paginate_by_id(session, statement, models.Line.id, first=first, after=after)


async def lines_by_pk(ctx: Context, pks: list[int]) -> dict[int, models.Line]:
    """Fleet lines of the billing accounts the viewer's roles reach, by primary key (one query)."""
    async with ctx.read() as session:
        rows = (await session.execute(select(models.Line).where(models.Line.id.in_(pks)))).scalars().all()
    found = {}
    for row in rows:
        scope = await ctx.authz.visible_accounts(row.organisation_id)
        if scope.allows(row.billing_account_id):
            found[row.id] = row
    return found
