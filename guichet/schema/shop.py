"""The shop (catalogue, cart, checkout) and the orders of both portals: types, mutations and the
live orderUpdated stream. The lists themselves are Organisation.offerings / cart / orders.

Relations (prices, items, history, shipments, contacts, accounts, lines, pending payment) load
through the shop's DataLoaders when selected: a page of orders costs the same statements for 5 or 50.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from guichet.domain.errors import DomainError
from guichet.domain.ids import to_global_id
from guichet.domain.models.shop import Cart as CartRow
from guichet.domain.models.shop import CartItem as CartItemRow
from guichet.domain.models.shop import Offering as OfferingRow
from guichet.domain.models.shop import OfferingPrice as OfferingPriceRow
from guichet.domain.models.shop import Order as OrderRow
from guichet.domain.models.shop import OrderApprovalPolicy as PolicyRow
from guichet.domain.models.shop import OrderItem as OrderItemRow
from guichet.domain.models.shop import OrderStatusChange as StatusChangeRow
from guichet.domain.models.shop import Shipment as ShipmentRow
from guichet.domain.shop.catalogue import FREQUENCIES
from guichet.domain.shop.orders import CartDescription, PricedCartItem
from guichet.policies.authz import AccessDenied, NotAuthenticated
from guichet.resolvers import shop as resolvers
from guichet.resolvers.context import Info
from guichet.resolvers.pagination import Page
from guichet.schema.billing import BillingAccount, Line
from guichet.schema.cards import CardInput
from guichet.schema.common import Action, Module, Money, Role, UserError
from guichet.schema.contracts import BillingFrequency, RecurringAmount
from guichet.schema.errors import user_error
from guichet.schema.members import Contact
from guichet.schema.payloads import payload_mutation
from guichet.schema.payments import Payment, PaymentMethodType, _stream_error
from guichet.schema.permissions import decided, described, input_object, input_organisation, requires
from guichet.schema.relay import Connection, Node

if TYPE_CHECKING:
    from guichet.schema.pending_payments import PendingPayment

PendingPaymentRef = Annotated["PendingPayment", strawberry.lazy("guichet.schema.pending_payments")]

_SHOP_WRITE = (Module.SHOP, Action.WRITE)


@strawberry.enum(description="What an offering is.")
class OfferingKind(Enum):
    PLAN = "PLAN"
    OPTION = "OPTION"
    SIM = "SIM"
    DEVICE = "DEVICE"
    ACCESSORY = "ACCESSORY"
    SERVICE = "SERVICE"


@strawberry.enum(description="ONE_TIME: paid once with the order; RECURRING: billed every period on invoices.")
class PriceType(Enum):
    ONE_TIME = "ONE_TIME"
    RECURRING = "RECURRING"


@strawberry.type(description="One price of an offering, in the organisation's currency.")
class OfferingPrice:
    type: PriceType = strawberry.field(description="One-time or recurring.")
    amount: Money = strawberry.field(description="The price of one unit (per period for RECURRING).")
    frequency: BillingFrequency | None = strawberry.field(description="RECURRING: the period.")

    @classmethod
    def from_row(cls, row: OfferingPriceRow) -> OfferingPrice:
        return cls(
            type=PriceType(row.price_type),
            amount=Money.of(row.amount_minor, row.currency),
            frequency=BillingFrequency(row.frequency) if row.frequency else None,
        )


@strawberry.type(description="An item of the organisation's negotiated catalogue.")
class Offering(Node):
    code: str = strawberry.field(description="The back office's code of the item.")
    name: str = strawberry.field(description="Its name.")
    description: str | None = strawberry.field(description="More about it.")
    kind: OfferingKind = strawberry.field(description="Plan, option, SIM, device, accessory or service.")
    min_quantity: int = strawberry.field(description="The smallest quantity an order may take.")
    max_quantity: int | None = strawberry.field(description="The largest quantity; null: no maximum.")
    quantity_increment: int = strawberry.field(description="Quantities are multiples of this.")
    requires_line: bool = strawberry.field(
        description="The item must name one of the account's fleet lines (an option, a SIM replacement...)."
    )
    available: bool = strawberry.field(description="False: listed but not orderable now.")
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: OfferingRow) -> Offering:
        return cls(
            id=strawberry.ID(to_global_id("Offering", row.id)),
            code=row.code,
            name=row.name,
            description=row.description,
            kind=OfferingKind(row.kind),
            min_quantity=row.min_quantity,
            max_quantity=row.max_quantity,
            quantity_increment=row.quantity_increment,
            requires_line=row.requires_line,
            available=row.available,
            pk=row.id,
        )

    @strawberry.field(description="Its one-time and recurring prices.")
    async def prices(self, info: Info) -> list[OfferingPrice]:
        rows = await info.context.loaders.shop.prices_by_offering_id.load(self.pk)
        return [OfferingPrice.from_row(r) for r in rows]


OfferingConnection = Connection[Offering]


@strawberry.input(description="Which offerings to list; every condition given must hold.")
class OfferingFilter:
    kind: list[OfferingKind] | None = strawberry.field(default=None, description="Any of these kinds.")
    search: str | None = strawberry.field(default=None, description="Part of the code, name or description.")


@strawberry.enum(description="ACTIVE: being filled; CHECKED_OUT: ordered; EXPIRED: untouched for 7 days.")
class CartStatus(Enum):
    ACTIVE = "ACTIVE"
    CHECKED_OUT = "CHECKED_OUT"
    EXPIRED = "EXPIRED"


async def _line(info: Info, line_id: int | None) -> Line | None:
    if line_id is None:
        return None
    row = await info.context.loaders.line_by_id.load(line_id)
    return Line.from_row(row) if row is not None else None


async def _contact(info: Info, contact_id: int | None) -> Contact | None:
    if contact_id is None:
        return None
    found = await info.context.loaders.contact_by_id.load(contact_id)
    return Contact.from_rows(*found) if found is not None else None


@strawberry.type(description="A quantity of an offering in a cart, priced from the catalogue now.")
class CartItem:
    id: strawberry.ID = strawberry.field(description="The item's ID, for updateCartItem and removeCartItem.")
    offering: Offering = strawberry.field(description="What is ordered.")
    quantity: int = strawberry.field(description="How many.")
    unit_price: Money = strawberry.field(description="The one-time price of one unit (else its recurring price).")
    amount: Money = strawberry.field(description="quantity × unitPrice.")
    note: str | None = strawberry.field(description="The buyer's note.")
    line_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, priced: PricedCartItem, currency: str) -> CartItem:
        item: CartItemRow = priced.item
        return cls(
            id=strawberry.ID(to_global_id("CartItem", item.id)),
            offering=Offering.from_row(priced.offering),
            quantity=item.quantity,
            unit_price=Money.of(priced.unit_price_minor, currency),
            amount=Money.of(priced.amount_minor, currency),
            note=item.note,
            line_id=item.line_id,
        )

    @strawberry.field(description="The fleet line it is for, when the offering needs one.")
    async def line(self, info: Info) -> Line | None:
        return await _line(info, self.line_id)


def _recurring(amounts: dict[str, int], currency: str) -> list[RecurringAmount]:
    return [
        RecurringAmount(amount=Money.of(minor, currency), frequency=BillingFrequency(freq))
        for freq, minor in amounts.items()
    ]


@strawberry.type(description="The viewer's cart for one billing account.")
class Cart(Node):
    status: CartStatus = strawberry.field(description="ACTIVE, CHECKED_OUT or EXPIRED.")
    items: list[CartItem] = strawberry.field(description="What is in it, in the order it was added.")
    one_time_total: Money = strawberry.field(description="What checking out costs once (the expectedTotal to send).")
    recurring_total: list[RecurringAmount] = strawberry.field(description="What it adds to invoices, per period.")
    expires_at: datetime = strawberry.field(description="7 days after its last change.")
    requires_approval: bool = strawberry.field(
        description="Checking out would wait for an approver (the organisation's approval policy)."
    )
    billing_account_pk: strawberry.Private[int]

    @classmethod
    def of(cls, found: CartDescription) -> Cart:
        row: CartRow = found.cart
        return cls(
            id=strawberry.ID(to_global_id("Cart", row.id)),
            status=CartStatus(found.status),
            items=[CartItem.of(i, found.currency) for i in found.items],
            one_time_total=Money.of(found.one_time_minor, found.currency),
            recurring_total=_recurring(found.recurring_minor, found.currency),
            expires_at=resolvers.expires_at(found),
            requires_approval=found.requires_approval,
            billing_account_pk=row.billing_account_id,
        )

    @strawberry.field(description="The billing account the order will be for.")
    async def billing_account(self, info: Info) -> BillingAccount:
        row = await info.context.loaders.billing_account_by_id.load(self.billing_account_pk)
        return BillingAccount.from_row(row)


@strawberry.type(description="The organisation's approval rule for orders.")
class OrderApprovalPolicy:
    threshold: Money | None = strawberry.field(
        description="Orders whose one-time total reaches this wait for approval; null: never."
    )
    approver_role: Role = strawberry.field(description="The role whose holders of ORDERS APPROVE decide.")

    @classmethod
    def from_row(cls, row: PolicyRow) -> OrderApprovalPolicy:
        return cls(
            threshold=Money.of(row.threshold_minor, row.currency) if row.threshold_minor is not None else None,
            approver_role=Role(row.approver_role),
        )


@strawberry.enum(description="SHOP: placed in Guichet's shop; BACK_OFFICE: known from the operator's back office.")
class OrderSource(Enum):
    SHOP = "SHOP"
    BACK_OFFICE = "BACK_OFFICE"


@strawberry.enum(description="Where an order stands. COMPLETED, CANCELLED, REJECTED and FAILED are final.")
class OrderStatus(Enum):
    PENDING_APPROVAL = "PENDING_APPROVAL"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    IN_PROGRESS = "IN_PROGRESS"
    HELD = "HELD"
    COMPLETED = "COMPLETED"
    CANCELLATION_REQUESTED = "CANCELLATION_REQUESTED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"


@strawberry.enum(description="PAY_NOW: paid before work starts; ON_ACCOUNT: billed on the account's next invoice.")
class OrderPaymentTerms(Enum):
    PAY_NOW = "PAY_NOW"
    ON_ACCOUNT = "ON_ACCOUNT"


@strawberry.enum(description="Where a parcel is.")
class ShipmentStatus(Enum):
    PREPARING = "PREPARING"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    RETURNED = "RETURNED"


@strawberry.enum(description="An approver's decision.")
class OrderApprovalDecision(Enum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@strawberry.type(description="One priced line of an order, as copied at checkout.")
class OrderItem:
    description: str = strawberry.field(description="What it is.")
    quantity: int = strawberry.field(description="How many.")
    unit_price: Money = strawberry.field(description="The price of one unit (per period for RECURRING).")
    amount: Money = strawberry.field(description="quantity × unitPrice.")
    price_type: PriceType = strawberry.field(description="One-time or recurring.")
    frequency: BillingFrequency | None = strawberry.field(description="RECURRING: the period.")
    offering_id: strawberry.Private[int | None]
    line_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: OrderItemRow, currency: str) -> OrderItem:
        return cls(
            description=row.description,
            quantity=row.quantity,
            unit_price=Money.of(row.unit_price_minor, currency),
            amount=Money.of(row.amount_minor, currency),
            price_type=PriceType(row.price_type),
            frequency=BillingFrequency(row.frequency) if row.frequency else None,
            offering_id=row.offering_id,
            line_id=row.line_id,
        )

    @strawberry.field(description="The catalogue item it came from (null for back-office items).")
    async def offering(self, info: Info) -> Offering | None:
        if self.offering_id is None:
            return None
        row = await info.context.loaders.shop.offering_by_id.load(self.offering_id)
        return Offering.from_row(row) if row is not None else None

    @strawberry.field(description="The fleet line it is for, if any.")
    async def line(self, info: Info) -> Line | None:
        return await _line(info, self.line_id)


@strawberry.type(description="A parcel of an order.")
class Shipment:
    carrier: str = strawberry.field(description="Who carries it.")
    tracking_number: str | None = strawberry.field(description="The carrier's tracking number.")
    tracking_url: str | None = strawberry.field(description="Where to follow it.")
    status: ShipmentStatus = strawberry.field(description="Where it is.")
    shipped_at: datetime | None = strawberry.field(description="When it left.")
    delivered_at: datetime | None = strawberry.field(description="When it arrived.")

    @classmethod
    def from_row(cls, row: ShipmentRow) -> Shipment:
        return cls(
            carrier=row.carrier,
            tracking_number=row.tracking_number,
            tracking_url=row.tracking_url,
            status=ShipmentStatus(row.status),
            shipped_at=row.shipped_at,
            delivered_at=row.delivered_at,
        )


@strawberry.type(description="One entry of an order's status history.")
class OrderStatusChange:
    status: OrderStatus = strawberry.field(description="The status entered.")
    at: datetime = strawberry.field(description="When.")
    note: str | None = strawberry.field(description="The comment, reason or back-office note given with it.")
    by_contact_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: StatusChangeRow) -> OrderStatusChange:
        return cls(status=OrderStatus(row.status), at=row.at, note=row.note, by_contact_id=row.by_contact_id)

    @strawberry.field(description="Who made the change; null: the back office, a payment or a job.")
    async def by(self, info: Info) -> Contact | None:
        return await _contact(info, self.by_contact_id)


@strawberry.type(description="The approval of an order that needed one.")
class OrderApproval:
    decision: OrderApprovalDecision | None = strawberry.field(description="Null while waiting.")
    decided_at: datetime | None = strawberry.field(description="When it was decided.")
    comment: str | None = strawberry.field(description="The approver's comment.")
    approver_contact_id: strawberry.Private[int | None]

    @strawberry.field(description="Who decided.")
    async def approver(self, info: Info) -> Contact | None:
        return await _contact(info, self.approver_contact_id)


@strawberry.type(description="An order of the shop or of the back office.")
class Order(Node):
    number: str = strawberry.field(description="ORD- and 8 digits for shop orders; the back office's number otherwise.")
    source: OrderSource = strawberry.field(description="SHOP or BACK_OFFICE.")
    po_number: str | None = strawberry.field(description="The buyer's purchase-order number.")
    status: OrderStatus = strawberry.field(description="Where it stands.")
    placed_at: datetime = strawberry.field(description="When it was placed.")
    one_time_total: Money = strawberry.field(description="What it costs once (what PAY_NOW pays).")
    payment_terms: OrderPaymentTerms = strawberry.field(description="PAY_NOW or ON_ACCOUNT.")
    expected_completion_date: date | None = strawberry.field(description="When the back office expects to finish.")
    completed_at: datetime | None = strawberry.field(description="When it was COMPLETED.")
    approval: OrderApproval | None = strawberry.field(description="Its approval, when it needed one.")
    cancellation_reason: str | None = strawberry.field(description="Why it was cancelled (or asked to be).")
    can_cancel: bool = strawberry.field(
        description="The viewer may cancel now (ORDERS WRITE; before work starts, or ask once it has)."
    )
    can_approve: bool = strawberry.field(
        description="The viewer may approve or reject now (ORDERS APPROVE, PENDING_APPROVAL, not its buyer)."
    )
    pk: strawberry.Private[int]
    currency: strawberry.Private[str]
    billing_account_pk: strawberry.Private[int]
    placed_by_pk: strawberry.Private[int | None]

    @classmethod
    def of(cls, view: resolvers.OrderView) -> Order:
        row: OrderRow = view.row
        approval = None
        if row.approval_required:
            approval = OrderApproval(
                decision=OrderApprovalDecision(row.approval_decision) if row.approval_decision else None,
                decided_at=row.decided_at,
                comment=row.approval_comment,
                approver_contact_id=row.approver_contact_id,
            )
        return cls(
            id=strawberry.ID(to_global_id("Order", row.id)),
            number=row.number,
            source=OrderSource(row.source.upper()),
            po_number=row.po_number,
            status=OrderStatus(row.status),
            placed_at=row.placed_at,
            one_time_total=Money.of(row.one_time_total_minor, row.currency),
            payment_terms=OrderPaymentTerms(row.payment_terms),
            expected_completion_date=row.expected_completion_date,
            completed_at=row.completed_at,
            approval=approval,
            cancellation_reason=row.cancellation_reason,
            can_cancel=view.can_cancel,
            can_approve=view.can_approve,
            pk=row.id,
            currency=row.currency,
            billing_account_pk=row.billing_account_id,
            placed_by_pk=row.placed_by_contact_id,
        )

    @strawberry.field(description="The billing account it is for.")
    async def billing_account(self, info: Info) -> BillingAccount:
        row = await info.context.loaders.billing_account_by_id.load(self.billing_account_pk)
        return BillingAccount.from_row(row)

    @strawberry.field(description="The contact who placed it (null for back-office orders).")
    async def placed_by(self, info: Info) -> Contact | None:
        return await _contact(info, self.placed_by_pk)

    @strawberry.field(description="Its priced lines, as copied at checkout.")
    async def items(self, info: Info) -> list[OrderItem]:
        rows = await info.context.loaders.shop.items_by_order_id.load(self.pk)
        return [OrderItem.from_row(r, self.currency) for r in rows]

    @strawberry.field(description="What it adds to invoices, per period.")
    async def recurring_total(self, info: Info) -> list[RecurringAmount]:
        rows = await info.context.loaders.shop.items_by_order_id.load(self.pk)
        sums: dict[str, int] = {}
        for frequency in FREQUENCIES:
            total = sum(r.amount_minor for r in rows if r.price_type == "RECURRING" and r.frequency == frequency)
            if total:
                sums[frequency] = total
        return _recurring(sums, self.currency)

    @strawberry.field(description="The ORDER pending payment finance pays, if the viewer may read it.")
    async def pending_payment(self, info: Info) -> PendingPaymentRef | None:
        from guichet.schema.pending_payments import PendingPayment

        item_pk = await info.context.loaders.shop.pending_payment_id_by_order_id.load(self.pk)
        if item_pk is None:
            return None
        row = await info.context.loaders.shop.readable_pending_payment_by_id.load(item_pk)
        return PendingPayment.from_row(row, info) if row is not None else None

    @strawberry.field(description="Its parcels, with carrier and tracking link.")
    async def shipments(self, info: Info) -> list[Shipment]:
        rows = await info.context.loaders.shop.shipments_by_order_id.load(self.pk)
        return [Shipment.from_row(r) for r in rows]

    @strawberry.field(description="Every status it went through with who and when, oldest first.")
    async def status_history(self, info: Info) -> list[OrderStatusChange]:
        rows = await info.context.loaders.shop.history_by_order_id.load(self.pk)
        return [OrderStatusChange.from_row(r) for r in rows]


OrderConnection = Connection[Order]


def order_connection(page: Page[resolvers.OrderView]) -> Connection[Order]:
    return OrderConnection.from_page(page, Order.of)


@strawberry.input(description="Which orders to list; every condition given must hold.")
class OrderFilter:
    status: list[OrderStatus] | None = strawberry.field(default=None, description="Any of these statuses.")
    source: list[OrderSource] | None = strawberry.field(default=None, description="Any of these sources.")
    billing_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this billing account's orders (none if it is out of reach)."
    )
    search: str | None = strawberry.field(
        default=None, description="Part of the number, the PO number or an item's description."
    )


def order_criteria(found: OrderFilter | None) -> resolvers.queries.Criteria:
    if found is None:
        return resolvers.criteria_of(statuses=[], sources=[], billing_account_id=None, search=None)
    return resolvers.criteria_of(
        statuses=[s.value for s in found.status or ()],
        sources=[s.value for s in found.source or ()],
        billing_account_id=str(found.billing_account_id) if found.billing_account_id is not None else None,
        search=found.search,
    )


@strawberry.input(description="An offering to put in the cart.")
class CartItemInput:
    offering_id: strawberry.ID = strawberry.field(description="The offering.")
    quantity: int = strawberry.field(description="How many (the offering's quantity rules apply).")
    line_id: strawberry.ID | None = strawberry.field(
        default=None, description="A fleet line of the cart's account (required when the offering requiresLine)."
    )
    note: str | None = strawberry.field(default=None, description="A note for the back office.")


@strawberry.input(description="Items to add to the viewer's cart for a billing account.")
class AddCartItemsInput:
    organisation_id: strawberry.ID = strawberry.field(description="The organisation.")
    billing_account_id: strawberry.ID = strawberry.field(description="The billing account the order will be for.")
    items: list[CartItemInput] = strawberry.field(description="What to add.")


@strawberry.input(description="A new quantity for a cart item.")
class UpdateCartItemInput:
    cart_item_id: strawberry.ID = strawberry.field(description="The item.")
    quantity: int = strawberry.field(description="Its new quantity.")


@strawberry.input(description="A cart item.")
class CartItemIdInput:
    cart_item_id: strawberry.ID = strawberry.field(description="The item.")


@strawberry.type(description="The cart after the change, or why nothing changed.")
class CartPayload:
    cart: Cart | None = strawberry.field(description="The cart; null when refused.")
    errors: list[UserError] = strawberry.field(
        description="NOT_FOUND, VALIDATION, QUANTITY_NOT_ALLOWED, OFFERING_NOT_AVAILABLE, CART_EXPIRED..."
    )


@strawberry.input(description="Order the cart.")
class CheckoutCartInput:
    cart_id: strawberry.ID = strawberry.field(description="The viewer's cart.")
    payment_terms: OrderPaymentTerms = strawberry.field(description="PAY_NOW or ON_ACCOUNT.")
    expected_total: Decimal = strawberry.field(
        description="The one-time total the buyer saw; PRICE_CHANGED (and the re-priced cart) when it moved."
    )
    idempotency_key: str = strawberry.field(description="Required. Retrying with the same key returns the first order.")
    po_number: str | None = strawberry.field(default=None, description="The buyer's purchase-order number.")
    note: str | None = strawberry.field(default=None, description="A note for the back office.")
    method: PaymentMethodType | None = strawberry.field(
        default=None, description="PAY_NOW by a contact holding ORDERS PAY: pay at once with this method."
    )
    msisdn: str | None = strawberry.field(default=None, description="ORANGE_MONEY: the wallet's phone number.")
    card: CardInput | None = strawberry.field(default=None, description="CARD: the card to charge.")
    saved_payment_method_id: strawberry.ID | None = strawberry.field(
        default=None, description="Pay with a saved card of the account instead of `card`."
    )


@strawberry.type(description="The outcome of checkoutCart.")
class CheckoutPayload:
    order: Order | None = strawberry.field(description="The order placed; null when refused.")
    payment: Payment | None = strawberry.field(description="The payment made at once (PAY_NOW with ORDERS PAY).")
    cart: Cart | None = strawberry.field(description="The cart: CHECKED_OUT, or re-priced with PRICE_CHANGED.")
    errors: list[UserError] = strawberry.field(
        description="CART_EMPTY, CART_EXPIRED, PRICE_CHANGED, OFFERING_NOT_AVAILABLE, IDEMPOTENCY_KEY_REUSED..."
    )


@strawberry.input(description="A decision on an order waiting for approval.")
class OrderDecisionInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    comment: str | None = strawberry.field(default=None, description="Why (kept in the status history).")


@strawberry.input(description="Cancel an order.")
class CancelOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    reason: str | None = strawberry.field(default=None, description="Why.")


@strawberry.type(description="The order after the change, or why nothing changed.")
class OrderPayload:
    order: Order | None = strawberry.field(description="The order; null when refused.")
    errors: list[UserError] = strawberry.field(
        description="NOT_FOUND, ORDER_NOT_CANCELLABLE, ORDER_NOT_PENDING_APPROVAL, CANNOT_APPROVE_OWN_ORDER..."
    )


@strawberry.input(description="The organisation's approval rule.")
class SetOrderApprovalPolicyInput:
    organisation_id: strawberry.ID = strawberry.field(description="The organisation.")
    approver_role: Role = strawberry.field(description="The role whose holders of ORDERS APPROVE decide.")
    threshold: Decimal | None = strawberry.field(default=None, description="Null: no approval.")


@strawberry.type(description="The approval rule after the change, or why nothing changed.")
class OrderApprovalPolicyPayload:
    policy: OrderApprovalPolicy | None = strawberry.field(description="The rule; null when refused.")
    errors: list[UserError] = strawberry.field(description="VALIDATION...")


_ON_ORGANISATION = input_organisation("organisationId")
_ON_CART = input_object("cartId", "Cart", CartRow)
_ON_CART_ITEM = input_object("cartItemId", "CartItem", CartItemRow)
_ON_ORDER = input_object("orderId", "Order", OrderRow)


def _cart_payload(found: CartDescription) -> CartPayload:
    return CartPayload(cart=Cart.of(found), errors=[])


def _order_payload(view: resolvers.OrderView) -> OrderPayload:
    return OrderPayload(order=Order.of(view), errors=[])


@strawberry.type(description="The shop and orders.")
class Mutation:
    @payload_mutation(
        description=described("Add items to the viewer's cart for a billing account.", *_SHOP_WRITE),
        extensions=[requires(*_SHOP_WRITE, organisation=_ON_ORGANISATION, members_only=True)],
    )
    async def add_cart_items(self, info: Info, input: AddCartItemsInput) -> CartPayload:
        found = await resolvers.add_cart_items(
            info.context,
            decision=decided(info),
            billing_account_id=input.billing_account_id,
            items=[
                resolvers.CartItemInput(offering_id=i.offering_id, quantity=i.quantity, line_id=i.line_id, note=i.note)
                for i in input.items
            ],
        )
        return _cart_payload(found)

    @payload_mutation(
        description=described("Change the quantity of an item of the viewer's cart.", *_SHOP_WRITE),
        extensions=[requires(*_SHOP_WRITE, organisation=_ON_CART_ITEM)],
    )
    async def update_cart_item(self, info: Info, input: UpdateCartItemInput) -> CartPayload:
        found = await resolvers.update_cart_item(
            info.context, decision=decided(info), cart_item_id=input.cart_item_id, quantity=input.quantity
        )
        return _cart_payload(found)

    @payload_mutation(
        description=described("Take an item out of the viewer's cart.", *_SHOP_WRITE),
        extensions=[requires(*_SHOP_WRITE, organisation=_ON_CART_ITEM)],
    )
    async def remove_cart_item(self, info: Info, input: CartItemIdInput) -> CartPayload:
        found = await resolvers.remove_cart_item(info.context, decision=decided(info), cart_item_id=input.cart_item_id)
        return _cart_payload(found)

    @payload_mutation(
        description=described(
            "Order the cart at today's prices, once per idempotency key: it waits for approval above the "
            "organisation's threshold; PAY_NOW pays at once for a holder of ORDERS PAY, otherwise waits "
            "AWAITING_PAYMENT for finance; ON_ACCOUNT is ACKNOWLEDGED.",
            *_SHOP_WRITE,
        ),
        extensions=[requires(*_SHOP_WRITE, organisation=_ON_CART)],
    )
    async def checkout_cart(self, info: Info, input: CheckoutCartInput) -> CheckoutPayload:
        result = await resolvers.checkout_cart(
            info.context,
            decision=decided(info),
            new=resolvers.CheckoutInput(
                cart_id=input.cart_id,
                payment_terms=input.payment_terms.value,
                expected_total=input.expected_total,
                idempotency_key=input.idempotency_key,
                po_number=input.po_number,
                note=input.note,
                method=input.method.value if input.method is not None else None,
                msisdn=input.msisdn,
                card=input.card.to_details() if input.card is not None else None,
                saved_payment_method_id=input.saved_payment_method_id,
            ),
        )
        return CheckoutPayload(
            order=Order.of(result.order) if result.order is not None else None,
            payment=Payment.for_reader(result.payment, info) if result.payment is not None else None,
            cart=Cart.of(result.cart) if result.cart is not None else None,
            errors=[user_error(result.error, info.context.locale)] if result.error is not None else [],
        )

    @payload_mutation(
        description=described(
            "Approve an order waiting for approval (not one's own): it goes on to payment or is acknowledged.",
            Module.ORDERS,
            Action.APPROVE,
        ),
        extensions=[requires(Module.ORDERS, Action.APPROVE, organisation=_ON_ORDER)],
    )
    async def approve_order(self, info: Info, input: OrderDecisionInput) -> OrderPayload:
        view = await resolvers.decide_order(
            info.context, decision=decided(info), order_id=input.order_id, approve=True, comment=input.comment
        )
        return _order_payload(view)

    @payload_mutation(
        description=described(
            "Reject an order waiting for approval (not one's own): REJECTED, final.", Module.ORDERS, Action.APPROVE
        ),
        extensions=[requires(Module.ORDERS, Action.APPROVE, organisation=_ON_ORDER)],
    )
    async def reject_order(self, info: Info, input: OrderDecisionInput) -> OrderPayload:
        view = await resolvers.decide_order(
            info.context, decision=decided(info), order_id=input.order_id, approve=False, comment=input.comment
        )
        return _order_payload(view)

    @payload_mutation(
        description=described(
            "Cancel an order before work starts, or ask for its cancellation once it has (CANCELLATION_REQUESTED).",
            Module.ORDERS,
            Action.WRITE,
        ),
        extensions=[requires(Module.ORDERS, Action.WRITE, organisation=_ON_ORDER)],
    )
    async def cancel_order(self, info: Info, input: CancelOrderInput) -> OrderPayload:
        view = await resolvers.cancel_order(
            info.context, decision=decided(info), order_id=input.order_id, reason=input.reason
        )
        return _order_payload(view)

    @payload_mutation(
        description=described(
            "Set the organisation's approval rule: orders reaching the threshold wait for the approver role.",
            Module.MEMBERS,
            Action.WRITE,
        ),
        extensions=[requires(Module.MEMBERS, Action.WRITE, organisation=_ON_ORGANISATION, members_only=True)],
    )
    async def set_order_approval_policy(
        self, info: Info, input: SetOrderApprovalPolicyInput
    ) -> OrderApprovalPolicyPayload:
        row = await resolvers.set_approval_policy(
            info.context,
            decision=decided(info),
            threshold=input.threshold,
            approver_role=input.approver_role.value,
        )
        return OrderApprovalPolicyPayload(policy=OrderApprovalPolicy.from_row(row), errors=[])


@strawberry.type(description="Live order updates.")
class Subscription:
    @strawberry.subscription(
        description="Orders of an organisation that changed (status, shipment), each as the viewer may read it "
        "when it changes. Requires ORDERS READ."
    )
    async def order_updated(
        self,
        info: Info,
        organisation_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The organisation's global ID; only orders in the viewer's scope."),
        ],
    ) -> AsyncGenerator[Order, None]:
        try:
            async for view in resolvers.watch_orders(info.context, organisation_id):
                yield Order.of(view)
        except (NotAuthenticated, AccessDenied, DomainError) as error:
            raise _stream_error(error, info) from None
