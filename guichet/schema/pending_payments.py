"""Pending payments: the PendingPayment type, its filter, and payPendingPayments."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from guichet.domain.ids import to_global_id
from guichet.domain.models.pending_payments import PendingPayment as PendingPaymentRow
from guichet.i18n import render
from guichet.resolvers import pending_payments as resolvers
from guichet.resolvers.context import Info
from guichet.schema.billing import BillingAccount
from guichet.schema.cards import CardInput
from guichet.schema.common import Action, Module, Money, UserError
from guichet.schema.payloads import payload_mutation
from guichet.schema.payments import Payment, PaymentFailure, PaymentMethodType
from guichet.schema.permissions import decided, input_organisation, requires
from guichet.schema.relay import Connection, Node

if TYPE_CHECKING:
    from guichet.schema.billing_profiles import SavedPaymentMethod
    from guichet.schema.contracts import Contract
    from guichet.schema.invoices import Invoice
    from guichet.schema.shop import Order

OrderRef = Annotated["Order", strawberry.lazy("guichet.schema.shop")]
ContractRef = Annotated["Contract", strawberry.lazy("guichet.schema.contracts")]
InvoiceRef = Annotated["Invoice", strawberry.lazy("guichet.schema.invoices")]
SavedPaymentMethodRef = Annotated["SavedPaymentMethod", strawberry.lazy("guichet.schema.billing_profiles")]


@strawberry.enum(
    description="ORDER: an order awaiting payment (ORDERS PAY); RENEWAL: a support renewal (INVOICES PAY); "
    "FAILED_CHARGE: an automatic charge that failed (INVOICES PAY)."
)
class PendingPaymentKind(Enum):
    ORDER = "ORDER"
    RENEWAL = "RENEWAL"
    FAILED_CHARGE = "FAILED_CHARGE"


@strawberry.enum(
    description="DUE: to pay; PAYMENT_PENDING: a payment is under way; PAID; CANCELLED: no longer to pay "
    "(e.g. its invoice was paid another way); EXPIRED: not paid in time."
)
class PendingPaymentStatus(Enum):
    DUE = "DUE"
    PAYMENT_PENDING = "PAYMENT_PENDING"
    PAID = "PAID"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


@strawberry.type(
    description="Something to pay that is not (yet) an invoice: an order awaiting payment (ORDER, needs ORDERS "
    "PAY), a support renewal (RENEWAL, INVOICES PAY), or an automatic charge that failed, e.g. on an expired "
    "card (FAILED_CHARGE, INVOICES PAY; its invoice stays payable by payInvoices too)."
)
class PendingPayment(Node):
    kind: PendingPaymentKind = strawberry.field(description="ORDER, RENEWAL or FAILED_CHARGE.")
    status: PendingPaymentStatus = strawberry.field(description="DUE, PAYMENT_PENDING, PAID, CANCELLED or EXPIRED.")
    description: str = strawberry.field(description="What is paid, e.g. the invoice or contract it is for.")
    amount: Money = strawberry.field(description="The amount to pay.")
    due_date: date | None = strawberry.field(description="When it falls due, if it has a date.")
    expires_at: datetime | None = strawberry.field(description="After this, the item can no longer be paid.")
    last_failure: PaymentFailure | None = strawberry.field(
        description="FAILED_CHARGE: why the saved method failed (code e.g. card_expired, card_declined)."
    )
    pk: strawberry.Private[int]
    billing_account_pk: strawberry.Private[int]
    invoice_pk: strawberry.Private[int | None]
    contract_pk: strawberry.Private[int | None]
    failed_method_pk: strawberry.Private[int | None]
    order_pk: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: PendingPaymentRow, info: Info) -> PendingPayment:
        failure = None
        if row.last_failure_code is not None:
            failure = PaymentFailure(
                code=row.last_failure_code,
                message=render(f"payment_failed_{row.last_failure_code}", info.context.locale),
            )
        return cls(
            id=strawberry.ID(to_global_id("PendingPayment", row.id)),
            kind=PendingPaymentKind(row.kind),
            status=PendingPaymentStatus(row.status),
            description=row.description,
            amount=Money.of(row.amount_minor, row.currency),
            due_date=row.due_date,
            expires_at=row.expires_at,
            last_failure=failure,
            pk=row.id,
            billing_account_pk=row.billing_account_id,
            invoice_pk=row.invoice_id,
            contract_pk=row.contract_id,
            failed_method_pk=row.failed_payment_method_id,
            order_pk=row.order_id,
        )

    @strawberry.field(description="The billing account it is charged to.")
    async def billing_account(self, info: Info) -> BillingAccount:
        row = await info.context.loaders.billing_account_by_id.load(self.billing_account_pk)
        return BillingAccount.from_row(row)

    @strawberry.field(description="ORDER: the order awaiting payment (if the viewer may read it: ORDERS READ).")
    async def order(self, info: Info) -> OrderRef | None:
        from guichet.schema.shop import Order

        if self.order_pk is None:
            return None
        view = await info.context.loaders.shop.readable_order_by_id.load(self.order_pk)
        return Order.of(view) if view is not None else None

    @strawberry.field(description="RENEWAL: the contract it renews (if the viewer may read it, with CONTRACTS READ).")
    async def contract(self, info: Info) -> ContractRef | None:
        from guichet.schema.contracts import Contract

        if self.contract_pk is None:
            return None
        view = await info.context.loaders.readable_contract_by_id.load(self.contract_pk)
        return Contract.from_view(view) if view is not None else None

    @strawberry.field(
        description="FAILED_CHARGE: the invoice whose automatic charge failed (if the viewer may read it)."
    )
    async def invoice(self, info: Info) -> InvoiceRef | None:
        from guichet.schema.invoices import Invoice

        if self.invoice_pk is None:
            return None
        view = await info.context.loaders.readable_invoice_by_id.load(self.invoice_pk)
        return Invoice.from_view(view, info) if view is not None else None

    @strawberry.field(
        description="FAILED_CHARGE: the saved method that failed (null once removed, or without BILLING_PROFILE READ)."
    )
    async def failed_payment_method(self, info: Info) -> SavedPaymentMethodRef | None:
        from guichet.schema.billing_profiles import SavedPaymentMethod

        if self.failed_method_pk is None:
            return None
        row = await info.context.loaders.readable_saved_payment_method_by_id.load(self.failed_method_pk)
        return SavedPaymentMethod.from_row(row, info) if row is not None else None

    @strawberry.field(description="Every payment that tried to pay it (those the viewer may read), newest first.")
    async def payments(self, info: Info) -> list[Payment]:
        return [Payment.for_reader(row, info) for row in await resolvers.payments_of_item(info.context, self.pk)]


PendingPaymentConnection = Connection[PendingPayment]


@strawberry.input(description="Which pending payments to list; each given value narrows the result.")
class PendingPaymentFilter:
    status: list[PendingPaymentStatus] | None = strawberry.field(default=None, description="Only these statuses.")
    kind: list[PendingPaymentKind] | None = strawberry.field(default=None, description="Only these kinds.")
    billing_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this billing account's items."
    )


def filter_values(found: PendingPaymentFilter | None) -> tuple[list[str], list[str], str | None]:
    """(statuses, kinds, billing account ID) of a filter."""
    if found is None:
        return [], [], None
    return (
        [s.value for s in found.status or ()],
        [k.value for k in found.kind or ()],
        str(found.billing_account_id) if found.billing_account_id is not None else None,
    )


@strawberry.input(description="Pay several pending payments of one organisation and one currency at once.")
class PayPendingPaymentsInput:
    organisation_id: strawberry.ID = strawberry.field(description="The organisation whose items are paid.")
    pending_payment_ids: list[strawberry.ID] = strawberry.field(
        description="DUE items of one currency; the amount is their sum."
    )
    method: PaymentMethodType = strawberry.field(description="ORANGE_MONEY, BANK_TRANSFER or CARD.")
    idempotency_key: str = strawberry.field(
        description="Required. Retrying with the same key returns the first result and never pays twice."
    )
    msisdn: str | None = strawberry.field(default=None, description="ORANGE_MONEY: the wallet's phone number.")
    card: CardInput | None = strawberry.field(default=None, description="CARD: the card to charge.")
    saved_payment_method_id: strawberry.ID | None = strawberry.field(
        default=None, description="Pay with a saved card of the items' billing account instead of `card`."
    )
    set_as_default: bool | None = strawberry.field(
        default=False,
        description="Also keep the new card as the account's default method (needs BILLING_PROFILE WRITE).",
    )


@strawberry.type(description="The outcome of payPendingPayments.")
class PayPendingPaymentsPayload:
    payment: Payment | None = strawberry.field(description="The payment (PENDING, SUCCEEDED or FAILED).")
    pending_payments: list[PendingPayment] = strawberry.field(description="The items it pays, as they are now.")
    errors: list[UserError] = strawberry.field(description="Why nothing was paid, if so.")

    @classmethod
    def refused(cls, errors: list[UserError]) -> PayPendingPaymentsPayload:
        return cls(payment=None, pending_payments=[], errors=errors)


@strawberry.type(description="Pending-payment mutations.")
class Mutation:
    @payload_mutation(
        description="Pay pending payments with one payment, exactly once per idempotency key. Requires INVOICES PAY "
        "or ORDERS PAY: ORDER items need ORDERS PAY, RENEWAL and FAILED_CHARGE items INVOICES PAY (others answer "
        "NOT_FOUND); an item already paid or in payment is PENDING_PAYMENT_NOT_PAYABLE.",
        extensions=[
            requires(
                Module.INVOICES,
                Action.PAY,
                organisation=input_organisation("organisationId"),
                members_only=True,
                or_on=(Module.ORDERS,),
            )
        ],
    )
    async def pay_pending_payments(self, info: Info, input: PayPendingPaymentsInput) -> PayPendingPaymentsPayload:
        payment, items = await resolvers.pay_pending_payments(
            info.context,
            organisation_id=input.organisation_id,
            decision=decided(info),
            pending_payment_ids=input.pending_payment_ids,
            method=input.method.value,
            idempotency_key=input.idempotency_key,
            msisdn=input.msisdn,
            card=input.card.to_details() if input.card is not None else None,
            saved_payment_method_id=input.saved_payment_method_id,
            set_as_default=bool(input.set_as_default),
        )
        return PayPendingPaymentsPayload(
            payment=Payment.for_reader(payment, info),
            pending_payments=[PendingPayment.from_row(row, info) for row in items],
            errors=[],
        )
