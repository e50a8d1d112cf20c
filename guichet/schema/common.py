"""Types every area shares: Money, UserError, the error-code enum and the access enums."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

from guichet.domain import money
from guichet.domain.errors import ErrorCode as DomainErrorCode
from guichet.policies import rules as policies

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode", description="Stable codes of business refusals.")


@strawberry.type(description="An exact amount in a currency's major unit, with its ISO 4217 code.")
class Money:
    amount: Decimal = strawberry.field(description='Exact decimal string, e.g. "127.96"; XOF has no decimals.')
    currency: str = strawberry.field(description="ISO 4217 currency code.")

    @classmethod
    def of(cls, minor: int, currency: str) -> Money:
        return cls(amount=money.Money(minor, currency).amount, currency=currency)


@strawberry.type(description="A business refusal, in the request's language.")
class UserError:
    code: DomainErrorCode = strawberry.field(description="Stable machine-readable code.")
    message: str = strawberry.field(description="Human-readable, in the request's Accept-Language (fr or en).")
    field: list[str] | None = strawberry.field(
        description='Path of the input field at fault, e.g. ["input", "card", "number"].'
    )


@strawberry.type(description="A mutation's outcome when it returns nothing else.")
class OkPayload:
    ok: bool = strawberry.field(description="True when the request was accepted.")
    errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")

    @classmethod
    def refused(cls, errors: list[UserError]) -> OkPayload:
        return cls(ok=False, errors=errors)


@strawberry.enum(description="What an organisation is: a company or a private customer.")
class OrganisationKind(Enum):
    BUSINESS = "BUSINESS"
    INDIVIDUAL = "INDIVIDUAL"


Role = strawberry.enum(policies.Role, name="Role", description="A contact's role; each role opens modules (ACCESS.md).")
Module = strawberry.enum(
    policies.Module, name="Module", description="A module of the portal that access rules open or close."
)
Action = strawberry.enum(policies.Action, name="Action", description="What may be done in a module.")


@strawberry.enum(description="Where a contact's membership stands.")
class ContactStatus(Enum):
    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


@strawberry.enum(description="The kind of service an invoice or a fleet line is for.")
class ServiceType(Enum):
    FIXED = "FIXED"
    MOBILE = "MOBILE"
    INTERNET = "INTERNET"
