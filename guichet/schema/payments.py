"""Payments: the Payment type, payInvoices, and the live paymentUpdated / invoiceUpdated subscriptions."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLError

from guichet.domain.errors import DomainError
from guichet.domain.ids import to_global_id
from guichet.domain.models.payments import Payment as PaymentRow
from guichet.domain.money import Money as DomainMoney
from guichet.domain.payments.rules import FAILURE_CODES, effective_state
from guichet.i18n import render
from guichet.policies.authz import AccessDenied, NotAuthenticated
from guichet.resolvers import invoices as invoice_resolvers
from guichet.resolvers import payments as resolvers
from guichet.resolvers.context import Info
from guichet.resolvers.pagination import Page
from guichet.schema.cards import CardInput
from guichet.schema.common import Action, Module, Money, UserError
from guichet.schema.errors import forbidden, unauthenticated
from guichet.schema.payloads import payload_mutation
from guichet.schema.permissions import decided, input_organisation, requires
from guichet.schema.relay import Connection, Node
from guichet.schema.rows import RowBacked, row_fields
from guichet.schema.support import SupportChannel

if TYPE_CHECKING:
    from guichet.schema.invoices import Invoice
    from guichet.schema.pending_payments import PendingPayment

InvoiceRef = Annotated["Invoice", strawberry.lazy("guichet.schema.invoices")]
PendingPaymentRef = Annotated["PendingPayment", strawberry.lazy("guichet.schema.pending_payments")]


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
        return SupportChannel.for_help(info, "payments")


@strawberry.type(description="A payment of one or more invoices of one organisation, in one currency.")
class Payment(RowBacked, Node):
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

    @classmethod
    def from_row(cls, row: PaymentRow, *, now: datetime, locale: str) -> Payment:
        """The payment as a reader sees it at `now` (a stale PENDING reads FAILED), in `locale`;
        each field is computed from the row when read (schema/rows.py)."""
        return cls.rendered(row, _now=now, _locale=locale)

    @classmethod
    def for_reader(cls, row: PaymentRow, info: Info) -> Payment:
        return cls.from_row(row, now=info.context.now(), locale=info.context.locale)

    @strawberry.field(description="The invoices this payment covers (those the viewer may read).")
    async def invoices(self, info: Info) -> list[InvoiceRef]:
        from guichet.schema.invoices import Invoice

        return [Invoice.from_view(v, info) for v in await resolvers.payment_invoices(info.context, self.pk)]

    @strawberry.field(description="The pending payments this payment settles (empty for a payment of invoices only).")
    async def pending_payments(self, info: Info) -> list[PendingPaymentRef]:
        from guichet.resolvers.pending_payments import items_of_payment
        from guichet.schema.pending_payments import PendingPayment

        return [PendingPayment.from_row(row, info) for row in await items_of_payment(info.context, self.pk)]


def _failure(row: PaymentRow, payment: Payment) -> PaymentFailure | None:
    state = payment._state
    if state.status != "FAILED":
        return None
    code = state.failure_code if state.failure_code in FAILURE_CODES else "provider_error"
    return PaymentFailure(code=code, message=render(f"payment_failed_{code}", payment._locale))


def _instructions(row: PaymentRow, payment: Payment) -> str | None:
    if payment._state.status != "PENDING" or not row.instructions:
        return None
    params = dict(row.instructions.get("params") or {})  # type: ignore[call-overload]
    params["amount"] = DomainMoney(row.amount_minor, row.currency).format(payment._locale)
    return render(str(row.instructions.get("key")), payment._locale, params)


row_fields(
    Payment,
    {
        # The effective state at the reader's now, computed once for the fields that depend on it.
        "_state": lambda row, payment: effective_state(
            row.status, row.failure_code, row.completed_at, row.expires_at, payment._now
        ),
        "id": lambda row, _: strawberry.ID(to_global_id("Payment", row.id)),
        "reference": lambda row, _: row.reference,
        "amount": lambda row, _: Money.of(row.amount_minor, row.currency),
        "amount_received": lambda row, payment: (
            Money.of(row.received_minor, row.currency) if payment._state.status == "SUCCEEDED" else None
        ),
        "method": lambda row, _: PaymentMethodType(row.method),
        "status": lambda row, payment: PaymentStatus(payment._state.status),
        "failure": _failure,
        "instructions": _instructions,
        "created_at": lambda row, _: row.created_at,
        "completed_at": lambda row, payment: payment._state.completed_at,
        "pk": lambda row, _: row.id,
        "organisation_id": lambda row, _: row.organisation_id,
    },
)


@strawberry.input(description="Which payments to list; each given list narrows the result.")
class PaymentFilter:
    status: list[PaymentStatus] | None = strawberry.field(default=None, description="Only these statuses.")
    method: list[PaymentMethodType] | None = strawberry.field(default=None, description="Only these methods.")
    created_from: datetime | None = strawberry.field(
        default=None, description="Only payments asked for at or after this instant."
    )
    created_to: datetime | None = strawberry.field(
        default=None, description="Only payments asked for before this instant (exclusive)."
    )


PaymentConnection = Connection[Payment]


def payment_connection(page: Page[PaymentRow], info: Info) -> Connection[Payment]:
    now, locale = info.context.now(), info.context.locale
    return PaymentConnection.from_page(page, lambda row: Payment.from_row(row, now=now, locale=locale))


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
    saved_payment_method_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Pay with a saved card of the invoices' billing account instead of `card` (method CARD).",
    )


@strawberry.type(description="The outcome of payInvoices.")
class PayInvoicesPayload:
    payment: Payment | None = strawberry.field(description="The payment (PENDING, SUCCEEDED or FAILED).")
    errors: list[UserError] = strawberry.field(description="Why nothing was paid, if so.")


@strawberry.type(description="Payment mutations.")
class Mutation:
    @payload_mutation(
        description="Pay invoices by Orange Money, bank transfer or card, exactly once per idempotency key. "
        "Requires INVOICES PAY.",
        extensions=[
            requires(Module.INVOICES, Action.PAY, organisation=input_organisation("organisationId"), members_only=True)
        ],
    )
    async def pay_invoices(self, info: Info, input: PayInvoicesInput) -> PayInvoicesPayload:
        row = await resolvers.pay_invoices(
            info.context,
            organisation_id=input.organisation_id,
            decision=decided(info),
            invoice_ids=input.invoice_ids,
            method=input.method.value,
            idempotency_key=input.idempotency_key,
            msisdn=input.msisdn,
            card=input.card.to_details() if input.card is not None else None,
            saved_payment_method_id=input.saved_payment_method_id,
        )
        return PayInvoicesPayload(payment=Payment.for_reader(row, info), errors=[])


def _stream_error(error: Exception, info: Info) -> GraphQLError:
    """A subscription's refusal as the top-level error that ends it."""
    if isinstance(error, NotAuthenticated):
        return unauthenticated(info)
    if isinstance(error, AccessDenied):
        return forbidden(info, error.module, error.action)
    assert isinstance(error, DomainError)
    return GraphQLError(render(error.message_key, info.context.locale), extensions={"code": error.code.value})


@strawberry.type(description="Live payment and invoice updates.")
class Subscription:
    @strawberry.subscription(
        description="Status changes of one payment (PENDING → SUCCEEDED / FAILED); "
        "the current state first. Requires PAYMENTS READ."
    )
    async def payment_updated(self, info: Info, payment_id: strawberry.ID) -> AsyncGenerator[Payment, None]:
        try:
            async for row in resolvers.watch_payment(info.context, payment_id):
                yield Payment.for_reader(row, info)
        except (NotAuthenticated, AccessDenied, DomainError) as error:
            raise _stream_error(error, info) from None

    @strawberry.subscription(
        description="Invoices of an organisation whose status or amount due changed. Requires INVOICES READ."
    )
    async def invoice_updated(self, info: Info, organisation_id: strawberry.ID) -> AsyncGenerator[InvoiceRef, None]:
        from guichet.schema.invoices import Invoice

        try:
            async for view in invoice_resolvers.watch_invoices(info.context, organisation_id):
                yield Invoice.from_view(view, info)
        except (NotAuthenticated, AccessDenied, DomainError) as error:
            raise _stream_error(error, info) from None
