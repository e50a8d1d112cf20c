"""Support rewards (module REWARDS): the accounts per currency, their ledger, and redeemRewards.

RewardAccount renders the figures the resolver summed from the ledger (never a stored counter);
its `transactions` page and each entry's invoice and actor load when selected, through one
batched statement per page or the request's loaders.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry

from guichet.domain.ids import to_global_id
from guichet.domain.models import Invoice as InvoiceModel
from guichet.resolvers import rewards as resolvers
from guichet.resolvers.context import Info
from guichet.schema.common import Action, Module, Money, UserError
from guichet.schema.errors import refusals_as_errors
from guichet.schema.invoices import Invoice
from guichet.schema.members import Contact
from guichet.schema.payloads import payload_mutation
from guichet.schema.permissions import decided, input_object, requires
from guichet.schema.relay import Connection, Node


@strawberry.enum(
    description="EARNED: rewards granted (a lot, with its expiry); REDEEMED: used to pay an invoice; EXPIRED: "
    "what remained of a lot past its expiry; ADJUSTED / REVERSED: back-office corrections."
)
class RewardTransactionType(Enum):
    EARNED = "EARNED"
    REDEEMED = "REDEEMED"
    EXPIRED = "EXPIRED"
    ADJUSTED = "ADJUSTED"
    REVERSED = "REVERSED"


@strawberry.type(description="Rewards that expire on one day.")
class RewardExpiry:
    date: date = strawberry.field(description="The last day they can be used.")
    amount: Money = strawberry.field(description="What remains of the lots expiring that day.")


@strawberry.type(description="One entry of the rewards ledger.")
class RewardTransaction(Node):
    type: RewardTransactionType = strawberry.field(description="EARNED, REDEEMED, EXPIRED, ADJUSTED or REVERSED.")
    amount: Money = strawberry.field(description="Positive for EARNED, negative for REDEEMED and EXPIRED.")
    balance_after: Money = strawberry.field(
        description="The balance once this entry is counted, entries taken in occurredAt order."
    )
    occurred_at: datetime = strawberry.field(description="When it happened.")
    expires_at: date | None = strawberry.field(
        description="EARNED: the last day it can be used; EXPIRED: the expiry of the lot it ends."
    )
    note: str | None = strawberry.field(description="What it is for, e.g. « Support rewards H1 2026 ».")
    invoice_pk: strawberry.Private[int | None]
    actor_pk: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: Any) -> RewardTransaction:
        return cls(
            id=strawberry.ID(to_global_id("RewardTransaction", row.id)),
            type=RewardTransactionType(row.type),
            amount=Money.of(row.amount_minor, row.currency),
            balance_after=Money.of(int(row.balance_after), row.currency),
            occurred_at=row.occurred_at,
            expires_at=row.expires_at,
            note=row.note,
            invoice_pk=row.invoice_id,
            actor_pk=row.actor_contact_id,
        )

    @strawberry.field(description="REDEEMED: the invoice it paid (null when the viewer may not read it).")
    async def invoice(self, info: Info) -> Invoice | None:
        if self.invoice_pk is None:
            return None
        view = await info.context.loaders.readable_invoice_by_id.load(self.invoice_pk)
        return Invoice.from_view(view, info) if view is not None else None

    @strawberry.field(description="REDEEMED: who redeemed (null for the back office and the expiry job).")
    async def actor(self, info: Info) -> Contact | None:
        if self.actor_pk is None:
            return None
        found = await info.context.loaders.contact_by_id.load(self.actor_pk)
        return Contact.from_rows(*found) if found is not None else None


RewardTransactionConnection = Connection[RewardTransaction]


@strawberry.type(description="Support rewards in one currency; the balance is always the sum of the ledger.")
class RewardAccount:
    currency: str = strawberry.field(description="ISO 4217 currency of the rewards.")
    available: Money = strawberry.field(description="The balance: the sum of every entry of the ledger.")
    earned: Money = strawberry.field(description="Every EARNED entry added up.")
    redeemed: Money = strawberry.field(description="Every REDEEMED entry added up (a positive total).")
    expired: Money = strawberry.field(description="Every EXPIRED entry added up (a positive total).")
    expiring_soon: Money = strawberry.field(description="Available rewards expiring within 30 days.")
    next_expiry: RewardExpiry | None = strawberry.field(
        description="The earliest day some available rewards expire, and how much."
    )
    view: strawberry.Private[resolvers.RewardAccountView]

    @classmethod
    def of(cls, view: resolvers.RewardAccountView) -> RewardAccount:
        f, c = view.figures, view.figures.currency
        expiry = None
        if f.next_expiry is not None:
            expiry = RewardExpiry(date=f.next_expiry[0], amount=Money.of(f.next_expiry[1], c))
        return cls(
            currency=c,
            available=Money.of(f.available_minor, c),
            earned=Money.of(f.earned_minor, c),
            redeemed=Money.of(f.redeemed_minor, c),
            expired=Money.of(f.expired_minor, c),
            expiring_soon=Money.of(f.expiring_soon_minor, c),
            next_expiry=expiry,
            view=view,
        )

    @strawberry.field(description="The ledger, newest first (occurredAt, then ID), optionally of some types only.")
    async def transactions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        type: list[RewardTransactionType] | None = None,
    ) -> RewardTransactionConnection:
        with refusals_as_errors(info):
            page = await resolvers.ledger_page(
                info.context,
                organisation_id=self.view.organisation_id,
                currency=self.currency,
                types=[t.value for t in type or ()],
                first=first,
                after=after,
            )
        return RewardTransactionConnection.from_page(page, RewardTransaction.from_row)


@strawberry.input(description="Pay part or all of an eligible invoice with rewards of its currency.")
class RedeemRewardsInput:
    invoice_id: strawberry.ID = strawberry.field(description="An invoice with rewardsEligible.")
    amount: Decimal = strawberry.field(description="In the invoice's currency; at most its amountDue.")
    idempotency_key: str = strawberry.field(
        description="Required. Retrying with the same key returns the first result and never redeems twice."
    )


@strawberry.type(description="The outcome of redeemRewards.")
class RedeemRewardsPayload:
    transaction: RewardTransaction | None = strawberry.field(description="The REDEEMED entry.")
    invoice: Invoice | None = strawberry.field(description="The invoice as it is now.")
    errors: list[UserError] = strawberry.field(description="Why nothing was redeemed, if so.")


@strawberry.type(description="Rewards mutations.")
class Mutation:
    @payload_mutation(
        description="Pay part or all of an eligible invoice with rewards, oldest-expiring first, exactly once per "
        "idempotency key. Requires REWARDS WRITE and INVOICES PAY on the invoice's billing account. Refusals: "
        "REWARD_BALANCE_INSUFFICIENT, INVOICE_NOT_ELIGIBLE_FOR_REWARDS, AMOUNT_EXCEEDS_AMOUNT_DUE, "
        "CURRENCY_MISMATCH, INVOICE_NOT_PAYABLE (a payment is under way), IDEMPOTENCY_KEY_REUSED.",
        extensions=[
            requires(Module.REWARDS, Action.WRITE, organisation=input_object("invoiceId", "Invoice", InvoiceModel))
        ],
    )
    async def redeem_rewards(self, info: Info, input: RedeemRewardsInput) -> RedeemRewardsPayload:
        entry, invoice = await resolvers.redeem_rewards(
            info.context,
            decision=decided(info),
            invoice_id=input.invoice_id,
            amount=input.amount,
            idempotency_key=input.idempotency_key,
        )
        return RedeemRewardsPayload(
            transaction=RewardTransaction.from_row(entry),
            invoice=Invoice.from_view(invoice, info) if invoice is not None else None,
            errors=[],
        )
