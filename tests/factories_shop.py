"""Shop and orders test data: a catalogue, the contacts of the buy / approve / pay chain, orders in
any status, GraphQL documents, signed back-office deliveries, and a snapshot for "nothing changed"."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, select, update

from guichet.domain import models
from guichet.domain.ids import to_global_id
from guichet.domain.models.pending_payments import PendingPayment
from guichet.domain.models.shop import (
    Cart,
    CartItem,
    Offering,
    OfferingPrice,
    Order,
    OrderApprovalPolicy,
    OrderEvent,
    OrderItem,
    OrderStatusChange,
    Shipment,
)
from tests.conftest import TEST_NOW
from tests.factories import Member, make_account, make_line, make_member, make_organisation
from tests.factories_service_requests import signed

ORDERS_WEBHOOK_PATH = "/webhooks/back-office/orders"
VISA_OK = {"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": 2028, "cvc": "123"}
_events = itertools.count(1)
_keys = itertools.count(1)

CART_FIELDS = """
id status expiresAt requiresApproval
billingAccount { number }
oneTimeTotal { amount currency }
recurringTotal { amount { amount currency } frequency }
items { id quantity note unitPrice { amount currency } amount { amount currency } offering { code } line { number } }
"""

ORDER_FIELDS = """
id number source poNumber status paymentTerms placedAt expectedCompletionDate completedAt cancellationReason
canCancel canApprove
billingAccount { number }
placedBy { email }
oneTimeTotal { amount currency }
recurringTotal { amount { amount currency } frequency }
items { description quantity priceType frequency unitPrice { amount } amount { amount } offering { code } line { number } }
pendingPayment { kind status amount { amount currency } }
shipments { carrier trackingNumber trackingUrl status shippedAt deliveredAt }
statusHistory { status at note by { email } }
approval { decision decidedAt comment approver { email } }
"""

ADD = (
    "mutation($input: AddCartItemsInput!) { addCartItems(input: $input) { cart { "
    + CART_FIELDS
    + " } errors { code field } } }"
)
UPDATE = (
    "mutation($input: UpdateCartItemInput!) { updateCartItem(input: $input) { cart { "
    + CART_FIELDS
    + " } errors { code field } } }"
)
REMOVE = (
    "mutation($input: CartItemIdInput!) { removeCartItem(input: $input) { cart { "
    + CART_FIELDS
    + " } errors { code field } } }"
)
CHECKOUT = (
    "mutation($input: CheckoutCartInput!) { checkoutCart(input: $input) { order { "
    + ORDER_FIELDS
    + " } payment { status method amount { amount currency } } cart { "
    + CART_FIELDS
    + " } errors { code field } } }"
)
APPROVE = (
    "mutation($input: OrderDecisionInput!) { approveOrder(input: $input) { order { "
    + ORDER_FIELDS
    + " } errors { code field } } }"
)
REJECT = (
    "mutation($input: OrderDecisionInput!) { rejectOrder(input: $input) { order { "
    + ORDER_FIELDS
    + " } errors { code field } } }"
)
CANCEL = (
    "mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { "
    + ORDER_FIELDS
    + " } errors { code field } } }"
)
SET_POLICY = """
mutation($input: SetOrderApprovalPolicyInput!) {
  setOrderApprovalPolicy(input: $input) { policy { threshold { amount currency } approverRole } errors { code field } }
}
"""
ORDERS = (
    "query($id: ID!, $first: Int, $filter: OrderFilter) { organisation(id: $id) { orders(first: $first, "
    "filter: $filter) { totalCount edges { node { " + ORDER_FIELDS + " } } } } }"
)
CART = (
    "query($id: ID!) { organisation(id: $id) { cart { "
    + CART_FIELDS
    + " } orderApprovalPolicy { threshold { amount } approverRole } } }"
)
OFFERINGS = """
query($id: ID!, $filter: OfferingFilter) { organisation(id: $id) { offerings(filter: $filter) {
  totalCount edges { node { code name kind available requiresLine minQuantity maxQuantity quantityIncrement
  prices { type frequency amount { amount currency } } } } } } }
"""
PAY_PENDING = """
mutation($input: PayPendingPaymentsInput!) {
  payPendingPayments(input: $input) { payment { status method } pendingPayments { kind status } errors { code field } }
}
"""


@dataclass
class ShopWorld:
    org: models.Organisation
    account: models.BillingAccount
    other_account: models.BillingAccount
    line: models.Line
    other_line: models.Line
    commercial: Member  # SHOP READ WRITE, ORDERS READ WRITE
    finance: Member  # ORDERS READ PAY, INVOICES PAY
    manager: Member  # ORDERS READ APPROVE
    admin: Member  # MEMBERS WRITE
    buyer_payer: Member  # COMMERCIAL and FINANCE: checks out and pays at once
    offerings: dict[str, Offering]

    @property
    def org_id(self) -> str:
        return to_global_id("Organisation", self.org.id)

    @property
    def account_id(self) -> str:
        return to_global_id("BillingAccount", self.account.id)

    def offering_id(self, code: str) -> str:
        return to_global_id("Offering", self.offerings[code].id)


async def add_offering(
    session: Any,
    org: models.Organisation,
    code: str,
    *,
    kind: str = "SIM",
    prices: tuple[tuple[str, int, str | None], ...] = (("ONE_TIME", 1000, None),),
    requires_line: bool = False,
    available: bool = True,
    min_quantity: int = 1,
    max_quantity: int | None = None,
    increment: int = 1,
) -> Offering:
    offering = Offering(
        organisation_id=org.id,
        code=code,
        name=f"Offre {code}",
        kind=kind,
        min_quantity=min_quantity,
        max_quantity=max_quantity,
        quantity_increment=increment,
        requires_line=requires_line,
        available=available,
    )
    session.add(offering)
    await session.flush()
    for position, (price_type, amount, frequency) in enumerate(prices, start=1):
        session.add(
            OfferingPrice(
                organisation_id=org.id,
                offering_id=offering.id,
                position=position,
                price_type=price_type,
                currency=org.currency,
                amount_minor=amount,
                frequency=frequency,
            )
        )
    await session.flush()
    return offering


async def make_shop_world(sessionmaker: Any, *, name: str = "ACME") -> ShopWorld:
    async with sessionmaker() as session, session.begin():
        org = await make_organisation(session, name=name)
        account = await make_account(session, org)
        other = await make_account(session, org, name="Agence")
        line = await make_line(session, account)
        other_line = await make_line(session, other)
        commercial = await make_member(session, org, roles=[("COMMERCIAL", None)])
        finance = await make_member(session, org, roles=[("FINANCE", None)])
        manager = await make_member(session, org, roles=[("MANAGEMENT", None)])
        admin = await make_member(session, org, roles=[("ADMIN", None)])
        buyer_payer = await make_member(session, org, roles=[("COMMERCIAL", None), ("FINANCE", None)])
        offerings = {
            "SIM-4G": await add_offering(session, org, "SIM-4G", increment=1, max_quantity=50),
            "OPT-DATA": await add_offering(
                session,
                org,
                "OPT-DATA",
                kind="OPTION",
                prices=(("RECURRING", 5000, "MONTHLY"),),
                requires_line=True,
            ),
            "PHONE": await add_offering(
                session,
                org,
                "PHONE",
                kind="DEVICE",
                prices=(("ONE_TIME", 150000, None), ("RECURRING", 2000, "MONTHLY")),
            ),
            "BOX": await add_offering(session, org, "BOX", kind="ACCESSORY", min_quantity=2, increment=2),
            "OLD": await add_offering(session, org, "OLD", kind="ACCESSORY", available=False),
        }
    return ShopWorld(org, account, other, line, other_line, commercial, finance, manager, admin, buyer_payer, offerings)


def item(world: ShopWorld, code: str, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {"offeringId": world.offering_id(code), "quantity": quantity, **extra}


async def fill_cart(gql: Any, world: ShopWorld, member: Member, *items: dict[str, Any]) -> dict[str, Any]:
    """Add items (a SIM by default) to the member's cart; the cart as the mutation answers it."""
    result = await gql(
        ADD,
        {
            "input": {
                "organisationId": world.org_id,
                "billingAccountId": world.account_id,
                "items": list(items) or [item(world, "SIM-4G", 2)],
            }
        },
        token=member.token,
    )
    payload = result["data"]["addCartItems"]
    assert payload["errors"] == [], payload
    return payload["cart"]


def checkout_input(cart: dict[str, Any], *, terms: str = "ON_ACCOUNT", key: str | None = None, **extra: Any) -> dict:
    return {
        "input": {
            "cartId": cart["id"],
            "paymentTerms": terms,
            "expectedTotal": cart["oneTimeTotal"]["amount"],
            "idempotencyKey": key or f"checkout-{next(_keys)}",
            **extra,
        }
    }


async def place(gql: Any, world: ShopWorld, member: Member, *, terms: str = "ON_ACCOUNT", **extra: Any) -> dict:
    """Fill the member's cart with 2 SIMs and check it out; the order as checkoutCart answers it."""
    cart = await fill_cart(gql, world, member)
    result = await gql(CHECKOUT, checkout_input(cart, terms=terms, **extra), token=member.token)
    payload = result["data"]["checkoutCart"]
    assert payload["errors"] == [], payload
    return payload["order"]


async def set_policy(
    sessionmaker: Any, world: ShopWorld, *, threshold_minor: int | None, role: str = "MANAGEMENT"
) -> None:
    async with sessionmaker() as session, session.begin():
        session.add(
            OrderApprovalPolicy(
                organisation_id=world.org.id,
                threshold_minor=threshold_minor,
                currency=world.org.currency,
                approver_role=role,
                updated_at=TEST_NOW,
            )
        )


async def force_order_status(sessionmaker: Any, order_gid: str, status: str, *, at: datetime = TEST_NOW) -> None:
    """Put an order in a status directly (tests of what follows it)."""
    pk = int(order_pk(order_gid))
    async with sessionmaker() as session, session.begin():
        await session.execute(update(Order).where(Order.id == pk).values(status=status, status_changed_at=at))


def order_pk(order_gid: str) -> int:
    from guichet.domain.ids import from_global_id

    decoded = from_global_id(order_gid)
    assert decoded is not None
    return decoded[1]


async def back_office_orders(
    http: httpx.AsyncClient, payload: dict[str, Any], *, at: datetime = TEST_NOW, event_id: str | None = None
) -> httpx.Response:
    body, headers = signed({"eventId": event_id or f"ord-evt-{next(_events)}", **payload}, at=at)
    return await http.post(ORDERS_WEBHOOK_PATH, content=body, headers=headers)


@dataclass(frozen=True)
class Snapshot:
    """Everything the shop can change, to assert "nothing changed"."""

    orders: tuple[tuple[int, str, int], ...]
    carts: tuple[tuple[int, str], ...]
    cart_items: tuple[tuple[int, int], ...]
    counts: tuple[int, ...]


async def snapshot(sessionmaker: Any) -> Snapshot:
    async with sessionmaker() as session:

        async def count(model: Any) -> int:
            return int((await session.execute(select(func.count()).select_from(model))).scalar_one())

        orders = tuple((await session.execute(select(Order.id, Order.status, Order.version).order_by(Order.id))).all())
        carts = tuple((await session.execute(select(Cart.id, Cart.status).order_by(Cart.id))).all())
        items = tuple((await session.execute(select(CartItem.id, CartItem.quantity).order_by(CartItem.id))).all())
        counts = tuple(
            [
                await count(m)
                for m in (
                    OrderItem,
                    OrderStatusChange,
                    Shipment,
                    OrderEvent,
                    PendingPayment,
                    OrderApprovalPolicy,
                    models.OutboxEmail,
                    models.AuditEvent,
                )
            ]
        )
    return Snapshot(orders, carts, items, counts)  # type: ignore[arg-type]
