"""Payments: the Payment type, payInvoices, and the live paymentUpdated / invoiceUpdated subscriptions."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from guichet.resolvers.context import Info
from guichet.schema.cards import CardInput
from guichet.schema.common import Action, Module, Money, UserError
from guichet.schema.permissions import input_organisation, requires
from guichet.schema.relay import Connection, Node
from guichet.schema.support import SupportChannel

if TYPE_CHECKING:
    from guichet.schema.invoices import Invoice

InvoiceRef = Annotated["Invoice", strawberry.lazy("guichet.schema.invoices")]


@strawberry.enum(description="How a payment is made.")
class PaymentMethodType(Enum):
    ORANGE_MONEY = "ORANGE_MONEY"
    BANK_TRANSFER = "BANK_TRANSFER"
    CARD = "CARD"


@strawberry.enum(
    description="PENDING: waiting for the provider (approve on the phone, wire the money); "
    "SUCCEEDED: the invoices are paid; FAILED: declined, refused or expired, the invoices can be paid again."
)
class PaymentStatus(Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.type(description="Why a payment failed, in the request's language, and whom to contact.")
class PaymentFailure:
    code: str = strawberry.field(description="insufficient_funds, card_declined, cancelled, expired or provider_error.")
    message: str = strawberry.field(description="What happened and what to do, in the request's language.")

    @strawberry.field(description="Where to get help (Orange: 0808, WhatsApp, e-mail).")
    def support(self, info: Info) -> list[SupportChannel]:
        from guichet.resolvers.support import support_channels

        return support_channels(info.context, "payments")


@strawberry.type(description="A payment of one or more invoices of one organisation, in one currency.")
class Payment(Node):
    reference: str = strawberry.field(description="The provider-facing reference; webhooks name the payment by it.")
    amount: Money = strawberry.field(description="The amount asked: the sum due of the invoices when paying.")
    amount_received: Money | None = strawberry.field(
        description="What the provider confirmed once SUCCEEDED (a bank transfer may settle less than asked)."
    )
    method: PaymentMethodType = strawberry.field(description="ORANGE_MONEY, BANK_TRANSFER or CARD.")
    status: PaymentStatus = strawberry.field(description="PENDING, SUCCEEDED or FAILED.")
    failure: PaymentFailure | None = strawberry.field(description="Why it failed, when it did.")
    instructions: str | None = strawberry.field(
        description="What the payer must do next: approve on the phone, or wire with this reference."
    )
    created_at: datetime = strawberry.field(description="When the payment was asked for.")
    completed_at: datetime | None = strawberry.field(description="When it succeeded, failed or expired.")
    pk: strawberry.Private[int]
    organisation_id: strawberry.Private[int]

    @strawberry.field(description="The invoices this payment covers (those the viewer may read).")
    async def invoices(self, info: Info) -> list[InvoiceRef]:
        from guichet.resolvers import payments

        return await payments.payment_invoices(info, self)


@strawberry.input(description="Which payments to list; each given list narrows the result.")
class PaymentFilter:
    status: list[PaymentStatus] | None = strawberry.field(default=None, description="Only these statuses.")
    method: list[PaymentMethodType] | None = strawberry.field(default=None, description="Only these methods.")


PaymentConnection = Connection[Payment]


@strawberry.input(description="Pay one or more invoices of one organisation and one currency.")
class PayInvoicesInput:
    organisation_id: strawberry.ID = strawberry.field(description="The organisation whose invoices are paid.")
    invoice_ids: list[strawberry.ID] = strawberry.field(
        description="OPEN or OVERDUE invoices with nothing pending; the amount is their sum due."
    )
    method: PaymentMethodType = strawberry.field(description="ORANGE_MONEY, BANK_TRANSFER or CARD.")
    idempotency_key: str = strawberry.field(
        description="Required. Retrying with the same key returns the first result and never pays twice."
    )
    msisdn: str | None = strawberry.field(
        default=None,
        description="ORANGE_MONEY: the wallet's phone number (Côte d'Ivoire: 01, 05 or 07 then 8 digits; "
        "+225 optional).",
    )
    card: CardInput | None = strawberry.field(default=None, description="CARD: the card to charge.")


@strawberry.type(description="The outcome of payInvoices.")
class PayInvoicesPayload:
    payment: Payment | None = strawberry.field(description="The payment (PENDING, SUCCEEDED or FAILED).")
    errors: list[UserError] = strawberry.field(description="Why nothing was paid, if so.")


@strawberry.type(description="Payment mutations.")
class Mutation:
    @strawberry.mutation(
        description="Pay invoices by Orange Money, bank transfer or card, exactly once per idempotency key. "
        "Requires INVOICES PAY.",
        extensions=[requires(Module.INVOICES, Action.PAY, organisation=input_organisation("organisationId"))],
    )
    async def pay_invoices(self, info: Info, input: PayInvoicesInput) -> PayInvoicesPayload:
        from guichet.resolvers import payments

        return await payments.pay_invoices(info, input)


@strawberry.type(description="Live payment and invoice updates.")
class Subscription:
    @strawberry.subscription(
        description="Status changes of one payment (PENDING → SUCCEEDED / FAILED); "
        "the current state first. Requires PAYMENTS READ."
    )
    async def payment_updated(self, info: Info, payment_id: strawberry.ID) -> AsyncGenerator[Payment, None]:
        from guichet.resolvers import payments

        async for payment in payments.watch_payment(info, payment_id):
            yield payment

    @strawberry.subscription(
        description="Invoices of an organisation whose status or amount due changed. Requires INVOICES READ."
    )
    async def invoice_updated(self, info: Info, organisation_id: strawberry.ID) -> AsyncGenerator[InvoiceRef, None]:
        from guichet.resolvers import payments

        async for invoice in payments.watch_invoices(info, organisation_id):
            yield invoice
