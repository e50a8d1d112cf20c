"""Resolvers of instalment plans: decode, authorise (module SCHEDULES), call one service, map.

Schedules belong to no billing account: only a SCHEDULES permission held over the whole
organisation reaches them (a role limited to one billing account sees none). A schedule of
another organisation, or out of reach, answers exactly like an unknown ID.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import false, select

from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.models.schedules import Schedule as ScheduleRow
from guichet.domain.schedules import services
from guichet.domain.schedules.collect import collections_phone
from guichet.i18n import render
from guichet.policies.authz import Membership, NotAuthenticated
from guichet.resolvers.context import Info
from guichet.resolvers.errors import run_mutation
from guichet.resolvers.graphql_errors import domain_to_graphql
from guichet.resolvers.pagination import paginate_by_id
from guichet.schema.relay import Connection, decode_id

if TYPE_CHECKING:
    from guichet.schema.organisations import Organisation
    from guichet.schema.schedules import (
        ChangeScheduleCardInput,
        ChangeScheduleCardPayload,
        RegulariseScheduleInput,
        RegulariseSchedulePayload,
        Schedule,
        ScheduleFilter,
    )

MODULE = "SCHEDULES"


async def organisation_schedules(
    info: Info,
    organisation: Organisation,
    *,
    first: int | None = None,
    after: str | None = None,
    filter: ScheduleFilter | None = None,
) -> Connection[Schedule]:
    """The organisation's plans, oldest first (SCHEDULES READ); one query per page plus one for instalments."""
    from guichet.schema.schedules import Schedule

    ctx = info.context
    with domain_to_graphql(info):
        await ctx.authz.require(organisation.pk, MODULE, "READ")
        scope = await ctx.authz.scope(organisation.pk, MODULE, "READ")
        statement = select(ScheduleRow).where(ScheduleRow.organisation_id == organisation.pk)
        if not scope.all_accounts:
            statement = statement.where(false())
        if filter is not None and filter.status:
            statement = statement.where(ScheduleRow.status.in_([s.value for s in filter.status]))
        async with ctx.read() as session:
            page: Connection[Any] = await paginate_by_id(
                session, statement, ScheduleRow.id, first=first, after=after, to_node=lambda row: row
            )
            views = await services.views_of(session, [edge.node for edge in page.edges], ctx.clock.today())
    for edge, item in zip(page.edges, views, strict=True):
        edge.node = Schedule.of(item)
    return page


async def schedules_by_pk(info: Info, pks: list[int]) -> dict[int, Schedule]:
    """Plans by primary key, only those the viewer may read (for node / nodes)."""
    from guichet.schema.schedules import Schedule

    ctx = info.context
    async with ctx.read() as session:
        rows = (await session.execute(select(ScheduleRow).where(ScheduleRow.id.in_(pks)))).scalars().all()
    reachable = []
    for row in rows:
        if (await ctx.authz.scope(row.organisation_id, MODULE, "READ")).all_accounts:
            reachable.append(row)
    async with ctx.read() as session:
        views = await services.views_of(session, reachable, ctx.clock.today())
    return {item.schedule.id: Schedule.of(item) for item in views}


async def _fresh(info: Info, schedule_pk: int) -> Schedule:
    """The plan as it is after a mutation (a fresh session: the request's may hold older rows)."""
    from guichet.schema.schedules import Schedule

    async with info.context.sessionmaker() as session:
        row = (await session.execute(select(ScheduleRow).where(ScheduleRow.id == schedule_pk))).scalar_one()
        (item,) = await services.views_of(session, [row], info.context.clock.today())
    return Schedule.of(item)


async def _authorise(info: Info, schedule_id: str, action: str) -> tuple[Membership, int, int]:
    """(membership, organisation pk, schedule pk) when the viewer may do `action` on this plan.

    Raise NotAuthenticated without credentials; DomainError(NOT_FOUND) for an unknown plan, another
    organisation's or one out of reach; AccessDenied (FORBIDDEN) for a member lacking the action.
    """
    ctx = info.context
    if await ctx.viewer() is None:
        raise NotAuthenticated()
    schedule_pk = decode_id(schedule_id, "Schedule", field=["input", "scheduleId"])
    async with ctx.read() as session:
        organisation_pk = (
            await session.execute(select(ScheduleRow.organisation_id).where(ScheduleRow.id == schedule_pk))
        ).scalar_one_or_none()
    if organisation_pk is None or await ctx.authz.membership(organisation_pk) is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "scheduleId"])
    membership = await ctx.authz.require(organisation_pk, MODULE, action)
    if not (await ctx.authz.scope(organisation_pk, MODULE, action)).all_accounts:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "scheduleId"])
    return membership, organisation_pk, schedule_pk


async def change_schedule_card(info: Info, input: ChangeScheduleCardInput) -> ChangeScheduleCardPayload:
    from guichet.schema.schedules import ChangeScheduleCardPayload

    ctx = info.context

    async def action() -> ChangeScheduleCardPayload:
        membership, organisation_pk, schedule_pk = await _authorise(info, input.schedule_id, "WRITE")
        await services.change_card(
            ctx.uow,
            organisation_id=organisation_pk,
            schedule_id=schedule_pk,
            card=input.card.to_details(),
            actor_contact_id=membership.contact_id,
            today=ctx.clock.today(),
            now=ctx.now(),
        )
        return ChangeScheduleCardPayload(schedule=await _fresh(info, schedule_pk), errors=[])

    with domain_to_graphql(info):
        return await run_mutation(
            ctx.locale, action, lambda errors: ChangeScheduleCardPayload(schedule=None, errors=errors)
        )


async def regularise_schedule(info: Info, input: RegulariseScheduleInput) -> RegulariseSchedulePayload:
    from guichet.schema.schedules import RegulariseSchedulePayload

    ctx = info.context

    async def action() -> RegulariseSchedulePayload:
        membership, organisation_pk, schedule_pk = await _authorise(info, input.schedule_id, "PAY")
        outcome = await services.regularise(
            ctx.uow,
            organisation_id=organisation_pk,
            schedule_id=schedule_pk,
            contact_id=membership.contact_id,
            installment_count=input.installment_count,
            card=input.card.to_details() if input.card is not None else None,
            idempotency_key=input.idempotency_key,
            gateway=services.card_gateway(ctx.app.services),
            today=ctx.clock.today(),
            now=ctx.now(),
        )
        amount = outcome.amount.format(ctx.locale)
        if outcome.succeeded:
            key = "regularisation_accepted_cleared" if outcome.cleared else "regularisation_accepted"
            message = render(key, ctx.locale, {"amount": amount})
        else:
            phone = collections_phone(ctx.settings)
            message = render("regularisation_declined", ctx.locale, {"amount": amount, "phone": phone})
        return RegulariseSchedulePayload(
            schedule=await _fresh(info, schedule_pk),
            payment=await _payment(info, outcome.payment_id),
            succeeded=outcome.succeeded,
            message=message,
            errors=[],
        )

    with domain_to_graphql(info):
        return await run_mutation(
            ctx.locale,
            action,
            lambda errors: RegulariseSchedulePayload(
                schedule=None, payment=None, succeeded=None, message=None, errors=errors
            ),
        )


async def _payment(info: Info, payment_pk: int | None) -> Any:
    """The Payment recorded for the charge, as the payments area renders it (None if it cannot)."""
    if payment_pk is None:
        return None
    from guichet.resolvers import payments

    try:
        found = await payments.payments_by_pk(info, [payment_pk])
    except NotImplementedError:
        return None
    return found.get(payment_pk)
