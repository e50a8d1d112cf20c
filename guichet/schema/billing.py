"""Billing accounts and fleet lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.resolvers import organisations as resolvers
from guichet.resolvers.context import Info
from guichet.schema.common import Action, Module, ServiceType
from guichet.schema.errors import refusals_as_errors
from guichet.schema.permissions import decided, requires
from guichet.schema.relay import Connection, Node

if TYPE_CHECKING:
    from guichet.schema.billing_profiles import BillingProfile

BillingProfileRef = Annotated["BillingProfile", strawberry.lazy("guichet.schema.billing_profiles")]


async def account_organisation(source: Any, info: Info, kwargs: dict[str, Any]) -> int | None:
    """The field sits on a BillingAccount: its organisation."""
    return int(source.organisation_id)


@strawberry.type(description="A fleet line: a mobile number, a fixed line or an internet access.")
class Line(Node):
    number: str = strawberry.field(description="The line's number, e.g. +2250701020304.")
    service_type: ServiceType = strawberry.field(description="FIXED, MOBILE or INTERNET.")
    billing_account_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Line) -> Line:
        return cls(
            id=strawberry.ID(to_global_id("Line", row.id)),
            number=row.number,
            service_type=ServiceType(row.service_type),
            billing_account_id=row.billing_account_id,
        )

    @strawberry.field(description="The billing account this line is billed on.")
    async def billing_account(self, info: Info) -> BillingAccount:
        found = await resolvers.billing_accounts_by_pk(info.context, [self.billing_account_id])
        return BillingAccount.from_row(found[self.billing_account_id])


@strawberry.type(description="A billing account (compte de facturation) of an organisation.")
class BillingAccount(Node):
    number: str = strawberry.field(description="The account number, e.g. BA-1001.")
    name: str = strawberry.field(description="The account's name, e.g. the site it bills.")
    pk: strawberry.Private[int]
    organisation_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.BillingAccount) -> BillingAccount:
        return cls(
            id=strawberry.ID(to_global_id("BillingAccount", row.id)),
            number=row.number,
            name=row.name,
            pk=row.id,
            organisation_id=row.organisation_id,
        )

    @strawberry.field(description="Fleet lines (phone numbers, fixed lines, internet access) billed on this account.")
    async def lines(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Line]:
        with refusals_as_errors(info):
            page = await resolvers.account_lines(info.context, self.pk, first=first, after=after)
        return Connection.from_page(page, Line.from_row)

    @strawberry.field(
        description="How this account is billed and paid (module BILLING_PROFILE, READ).",
        extensions=[requires(Module.BILLING_PROFILE, Action.READ, organisation=account_organisation)],
    )
    async def billing_profile(self, info: Info) -> BillingProfileRef:
        from guichet.resolvers.billing_profiles import billing_profile
        from guichet.schema.billing_profiles import BillingProfile

        with refusals_as_errors(info):
            view = await billing_profile(info.context, decision=decided(info), billing_account_id=self.pk)
        return BillingProfile.of(view, info)
