"""Resolvers of billing profiles: read one per billing account, change it, manage saved methods.

Reading needs BILLING_PROFILE READ over the account, changing it BILLING_PROFILE WRITE (rule 10:
an account outside the decided scope answers as unknown on mutations, FORBIDDEN on the field).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from guichet.domain.billing_profiles import services
from guichet.domain.billing_profiles.rules import Address, ContactEntry
from guichet.domain.billing_profiles.services import ProfileView
from guichet.domain.cards import CardDetails
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import decode_id
from guichet.domain.models.billing_profiles import SavedPaymentMethod
from guichet.policies.authz import AccessDenied, Decision
from guichet.policies.rules import Action, Module

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


async def billing_profile(ctx: Context, *, decision: Decision | None, billing_account_id: int) -> ProfileView:
    """The account's profile (batched across accounts by a loader).

    Raise AccessDenied(BILLING_PROFILE READ) when the decided scope does not reach the account.
    """
    if decision is None or not decision.scope.allows(billing_account_id):
        raise AccessDenied(Module.BILLING_PROFILE, Action.READ)
    view: ProfileView = await ctx.loaders.billing_profile_by_account_id.load(billing_account_id)
    return view


async def _fresh(ctx: Context, billing_account_id: int) -> ProfileView:
    async with ctx.sessionmaker() as session:
        return (await services.profiles_of(session, [billing_account_id]))[billing_account_id]


def _account(decision: Decision | None, billing_account_id: str) -> tuple[Decision, int]:
    """The decision and account pk; raise DomainError(NOT_FOUND) for an unknown or out-of-scope account."""
    pk = decode_id(billing_account_id, "BillingAccount", field=["input", "billingAccountId"])
    if decision is None or not decision.scope.allows(pk):
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "billingAccountId"])
    return decision, pk


async def update_billing_profile(
    ctx: Context,
    *,
    decision: Decision | None,
    billing_account_id: str,
    address: Address | None,
    contacts: list[ContactEntry] | None,
    auto_pay: bool | None,
) -> ProfileView:
    """Apply the changes; the profile after them. Raise the service's DomainErrors and NOT_FOUND."""
    decision, pk = _account(decision, billing_account_id)
    await services.update_billing_profile(
        ctx.sessionmaker,
        organisation_id=decision.membership.organisation_id,
        billing_account_id=pk,
        actor_contact_id=decision.membership.contact_id,
        address=address,
        contacts=contacts,
        auto_pay=auto_pay,
        now=ctx.now(),
    )
    return await _fresh(ctx, pk)


async def add_payment_method(
    ctx: Context,
    *,
    decision: Decision | None,
    billing_account_id: str,
    method: str,
    card: CardDetails | None,
    msisdn: str | None,
    make_default: bool,
) -> tuple[ProfileView, int]:
    """Save the method; the profile and the new method's id. Raise the service's DomainErrors."""
    decision, pk = _account(decision, billing_account_id)
    method_id = await services.add_payment_method(
        ctx.sessionmaker,
        organisation_id=decision.membership.organisation_id,
        billing_account_id=pk,
        actor_contact_id=decision.membership.contact_id,
        method=method,
        card=card,
        msisdn=msisdn,
        make_default=make_default,
        now=ctx.now(),
    )
    return await _fresh(ctx, pk), method_id


async def change_payment_method(
    ctx: Context, *, decision: Decision | None, payment_method_id: str, remove: bool
) -> tuple[ProfileView, int]:
    """Set as default, or remove; the profile and the method's id.

    Raise DomainError(NOT_FOUND) for an unknown, foreign or out-of-scope method, and the
    service's DomainErrors (PAYMENT_METHOD_IN_USE).
    """
    pk = decode_id(payment_method_id, "SavedPaymentMethod", field=["input", "paymentMethodId"])
    if decision is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "paymentMethodId"])
    change = services.remove_payment_method if remove else services.set_default_payment_method
    account = await change(
        ctx.sessionmaker,
        method_id=pk,
        organisation_id=decision.membership.organisation_id,
        scope=decision.scope.account_filter,
        actor_contact_id=decision.membership.contact_id,
        now=ctx.now(),
    )
    return await _fresh(ctx, account), pk


async def saved_methods_by_pk(ctx: Context, pks: list[int]) -> dict[int, SavedPaymentMethod]:
    """Live saved methods by primary key for node / nodes, within BILLING_PROFILE READ."""
    async with ctx.read() as session:
        rows = (
            (
                await session.execute(
                    select(SavedPaymentMethod).where(
                        SavedPaymentMethod.id.in_(pks), SavedPaymentMethod.removed_at.is_(None)
                    )
                )
            )
            .scalars()
            .all()
        )
    found = {}
    for row in rows:
        scope = await ctx.authz.scope(row.organisation_id, Module.BILLING_PROFILE, Action.READ)
        if scope.allows(row.billing_account_id):
            found[row.id] = row
    return found
