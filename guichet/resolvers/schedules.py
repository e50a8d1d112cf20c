"""Resolvers of instalment plans: authorise (module SCHEDULES), call one service, return views.

Schedules belong to no billing account: only a SCHEDULES permission held over the whole
organisation reaches them (policies.organisation_wide). A schedule of another organisation, or
out of reach, answers exactly like an unknown ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import false, select

from guichet.domain.cards import CardDetails
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.models.payments import Payment as PaymentRow
from guichet.domain.models.schedules import Schedule as ScheduleRow
from guichet.domain.money import Money
from guichet.domain.schedules import services
from guichet.domain.schedules.services import ScheduleView
from guichet.policies.authz import Decision, organisation_wide
from guichet.policies.rules import Action, Module
from guichet.resolvers import payments
from guichet.resolvers.pagination import Page, paginate_by_id

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


async def list_schedules(
    ctx: Context,
    *,
    organisation_id: int,
    decision: Decision,
    statuses: list[str],
    first: int | None,
    after: str | None,
) -> Page[ScheduleView]:
    """The organisation's plans, oldest first; one query per page plus one for instalments."""
    statement = select(ScheduleRow).where(ScheduleRow.organisation_id == organisation_id)
    if not organisation_wide(decision.scope):
        statement = statement.where(false())
    if statuses:
        statement = statement.where(ScheduleRow.status.in_(statuses))
    async with ctx.read() as session:
        page = await paginate_by_id(session, statement, ScheduleRow.id, first=first, after=after)
        views = await services.views_of(session, page.items, ctx.clock.today())
    return Page(views, page.cursors, page.has_next, page.has_previous, page.total)


async def schedules_by_pk(ctx: Context, pks: list[int]) -> dict[int, ScheduleView]:
    """Plans by primary key, only those the viewer may read (for node / nodes)."""
    async with ctx.read() as session:
        rows = (await session.execute(select(ScheduleRow).where(ScheduleRow.id.in_(pks)))).scalars().all()
    reachable = []
    for row in rows:
        if organisation_wide(await ctx.authz.scope(row.organisation_id, Module.SCHEDULES, Action.READ)):
            reachable.append(row)
    async with ctx.read() as session:
        views = await services.views_of(session, reachable, ctx.clock.today())
    return {item.schedule.id: item for item in views}


async def _fresh(ctx: Context, schedule_pk: int) -> ScheduleView:
    """The plan as it is after a mutation (a fresh session: the request's may hold older rows)."""
    async with ctx.sessionmaker() as session:
        row = (await session.execute(select(ScheduleRow).where(ScheduleRow.id == schedule_pk))).scalar_one()
        (item,) = await services.views_of(session, [row], ctx.clock.today())
    return item


def _reached(decision: Decision | None) -> Decision:
    """The decision over a plan; raise DomainError(NOT_FOUND) for an unknown plan, another
    organisation's, or one out of reach (a permission limited to some billing accounts)."""
    if decision is None or not organisation_wide(decision.scope):
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "scheduleId"])
    return decision


async def change_schedule_card(
    ctx: Context, *, schedule_pk: int, decision: Decision | None, card: CardDetails
) -> ScheduleView:
    """Put a new card on a plan; raise the service's DomainErrors."""
    decision = _reached(decision)
    await services.change_card(
        ctx.uow,
        organisation_id=decision.membership.organisation_id,
        schedule_id=schedule_pk,
        card=card,
        actor_contact_id=decision.membership.contact_id,
        today=ctx.clock.today(),
        now=ctx.now(),
    )
    return await _fresh(ctx, schedule_pk)


@dataclass(frozen=True)
class RegularisationResult:
    """A regularisation's outcome: the plan after it, the card payment, what to tell the customer."""

    schedule: ScheduleView
    payment: PaymentRow | None
    succeeded: bool
    cleared: bool
    amount: Money


async def regularise_schedule(
    ctx: Context,
    *,
    schedule_pk: int,
    decision: Decision | None,
    installment_count: int,
    card: CardDetails | None,
    idempotency_key: str,
) -> RegularisationResult:
    """Settle a plan's unpaid debt, the first part now by card; raise the service's DomainErrors."""
    decision = _reached(decision)
    outcome = await services.regularise(
        ctx.uow,
        organisation_id=decision.membership.organisation_id,
        schedule_id=schedule_pk,
        contact_id=decision.membership.contact_id,
        installment_count=installment_count,
        card=card,
        idempotency_key=idempotency_key,
        gateway=ctx.app.gateways.card,
        today=ctx.clock.today(),
        now=ctx.now(),
    )
    payment = None
    if outcome.payment_id is not None:
        payment = (await payments.payments_by_pk(ctx, [outcome.payment_id])).get(outcome.payment_id)
    return RegularisationResult(
        schedule=await _fresh(ctx, schedule_pk),
        payment=payment,
        succeeded=outcome.succeeded,
        cleared=outcome.cleared,
        amount=outcome.amount,
    )
