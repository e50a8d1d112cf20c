"""Shop and order operations for the access matrix: SHOP READ reads the catalogue and the viewer's
cart, SHOP WRITE fills it and checks out; ORDERS READ lists and reads orders and the approval
policy, WRITE cancels, APPROVE approves and rejects, PAY pays an ORDER pending payment; MEMBERS
WRITE sets the approval policy."""

from __future__ import annotations

import itertools
from typing import Any

from guichet.domain.ids import to_global_id
from guichet.domain.models.pending_payments import PendingPayment
from guichet.domain.models.shop import Cart, CartItem, Offering, OfferingPrice, Order, OrderApprovalPolicy
from guichet.domain.shop.orders import new_number
from tests.access_ops.base import AccessOperation, World
from tests.conftest import TEST_NOW

_keys = itertools.count(1)


def _org(world: World) -> str:
    return to_global_id("Organisation", world.org.id)


async def _offering(session: Any, world: World) -> Offering:
    offering = Offering(
        organisation_id=world.org.id,
        code=f"SIM-{next(_keys)}",
        name="Carte SIM 4G",
        kind="SIM",
        min_quantity=1,
        quantity_increment=1,
        requires_line=False,
        available=True,
    )
    session.add(offering)
    await session.flush()
    session.add(
        OfferingPrice(
            organisation_id=world.org.id,
            offering_id=offering.id,
            position=1,
            price_type="ONE_TIME",
            currency=world.org.currency,
            amount_minor=1000,
        )
    )
    await session.flush()
    world.extra["offering"] = offering
    return offering


async def _cart(session: Any, world: World) -> tuple[Cart, CartItem]:
    """The actor's cart with two SIMs (the checkout's expectedTotal is 2000)."""
    offering = await _offering(session, world)
    cart = world.extra.get("cart")  # one ACTIVE cart per contact: setups sharing a world share it
    if cart is None:
        cart = Cart(
            organisation_id=world.org.id,
            contact_id=world.actor.contact_id,
            billing_account_id=world.account.id,
            status="ACTIVE",
            created_at=TEST_NOW,
            touched_at=TEST_NOW,
        )
        session.add(cart)
        await session.flush()
    item = CartItem(organisation_id=world.org.id, cart_id=cart.id, offering_id=offering.id, quantity=2)
    session.add(item)
    await session.flush()
    world.extra["cart"] = cart
    return cart, item


async def _order(session: Any, world: World, *, status: str = "ACKNOWLEDGED", terms: str = "ON_ACCOUNT") -> Order:
    """An order the primary admin placed on the world's account."""
    order = Order(
        organisation_id=world.org.id,
        number=new_number(),
        source="shop",
        status=status,
        billing_account_id=world.account.id,
        placed_by_contact_id=world.admin.contact_id,
        placed_at=TEST_NOW,
        currency=world.org.currency,
        one_time_total_minor=2000,
        payment_terms=terms,
        approval_required=status == "PENDING_APPROVAL",
        status_changed_at=TEST_NOW,
        updated_at=TEST_NOW,
        version=1,
    )
    session.add(order)
    await session.flush()
    world.extra.setdefault("orders", []).append(order)
    return order


async def _catalogue(session: Any, world: World) -> dict[str, Any]:
    offering = await _offering(session, world)
    await _cart(session, world)
    return {"id": _org(world), "offering": to_global_id("Offering", offering.id)}


async def _orders(session: Any, world: World) -> dict[str, Any]:
    order = await _order(session, world)
    if world.extra.setdefault("policies", 0) == 0:
        world.extra["policies"] = 1
        session.add(
            OrderApprovalPolicy(
                organisation_id=world.org.id,
                threshold_minor=100000,
                currency=world.org.currency,
                approver_role="MANAGEMENT",
                updated_at=TEST_NOW,
            )
        )
    await session.flush()
    return {"id": _org(world), "order": to_global_id("Order", order.id)}


async def _add(session: Any, world: World) -> dict[str, Any]:
    offering = await _offering(session, world)
    return {
        "input": {
            "organisationId": _org(world),
            "billingAccountId": to_global_id("BillingAccount", world.account.id),
            "items": [{"offeringId": to_global_id("Offering", offering.id), "quantity": 1}],
        }
    }


def _on_item(**extra: Any) -> Any:
    async def setup(session: Any, world: World) -> dict[str, Any]:
        _cart_row, item = await _cart(session, world)
        return {"input": {"cartItemId": to_global_id("CartItem", item.id), **extra}}

    return setup


async def _checkout(session: Any, world: World) -> dict[str, Any]:
    cart, _item = await _cart(session, world)
    return {
        "input": {
            "cartId": to_global_id("Cart", cart.id),
            "paymentTerms": "ON_ACCOUNT",
            "expectedTotal": "2000",
            "idempotencyKey": f"access-{next(_keys)}",
        }
    }


def _on_order(status: str, **extra: Any) -> Any:
    async def setup(session: Any, world: World) -> dict[str, Any]:
        order = await _order(session, world, status=status)
        return {"input": {"orderId": to_global_id("Order", order.id), **extra}}

    return setup


async def _pay(session: Any, world: World) -> dict[str, Any]:
    order = await _order(session, world, status="AWAITING_PAYMENT", terms="PAY_NOW")
    item = PendingPayment(
        organisation_id=world.org.id,
        billing_account_id=world.account.id,
        kind="ORDER",
        status="DUE",
        currency=world.org.currency,
        amount_minor=2000,
        description=f"Order {order.number}",
        order_id=order.id,
        dedupe_key=f"order:{order.id}",
        created_at=TEST_NOW,
        updated_at=TEST_NOW,
    )
    session.add(item)
    await session.flush()
    return {
        "input": {
            "organisationId": _org(world),
            "pendingPaymentIds": [to_global_id("PendingPayment", item.id)],
            "method": "ORANGE_MONEY",
            "msisdn": "+225 07 01 02 03 04",
            "idempotencyKey": f"access-{next(_keys)}",
        }
    }


async def _policy(session: Any, world: World) -> dict[str, Any]:
    return {"input": {"organisationId": _org(world), "threshold": "100000", "approverRole": "MANAGEMENT"}}


def _node_refused(response: dict[str, Any]) -> bool:
    """node(id) answers null for an object out of reach, exactly like an unknown ID."""
    return response.get("data") == {"node": None} and not response.get("errors")


_CART = "cart { id status oneTimeTotal { amount } items { quantity offering { code } } } errors { code field }"
_ORDER = "order { number status canCancel } errors { code field }"

OPERATIONS = [
    AccessOperation(
        module="SHOP",
        action="READ",
        name="organisation.offerings",
        setup=_catalogue,
        document="query($id: ID!) { organisation(id: $id) { offerings(first: 5) { totalCount edges { node { "
        "code available prices { type amount { amount } } } } } } }",
    ),
    AccessOperation(
        module="SHOP",
        action="READ",
        name="organisation.cart",
        setup=_catalogue,
        document="query($id: ID!) { organisation(id: $id) { cart { status items { quantity } } } }",
    ),
    AccessOperation(
        module="SHOP",
        action="READ",
        name="node.offering",
        setup=_catalogue,
        document="query($offering: ID!) { node(id: $offering) { ... on Offering { code } } }",
        refused=_node_refused,
    ),
    AccessOperation(
        module="SHOP",
        action="WRITE",
        name="addCartItems",
        setup=_add,
        document="mutation($input: AddCartItemsInput!) { addCartItems(input: $input) { " + _CART + " } }",
    ),
    AccessOperation(
        module="SHOP",
        action="WRITE",
        name="updateCartItem",
        setup=_on_item(quantity=3),
        document="mutation($input: UpdateCartItemInput!) { updateCartItem(input: $input) { " + _CART + " } }",
    ),
    AccessOperation(
        module="SHOP",
        action="WRITE",
        name="removeCartItem",
        setup=_on_item(),
        document="mutation($input: CartItemIdInput!) { removeCartItem(input: $input) { " + _CART + " } }",
    ),
    AccessOperation(
        module="SHOP",
        action="WRITE",
        name="checkoutCart",
        setup=_checkout,
        document="mutation($input: CheckoutCartInput!) { checkoutCart(input: $input) { order { number status } "
        "errors { code field } } }",
    ),
    AccessOperation(
        module="ORDERS",
        action="READ",
        name="organisation.orders",
        setup=_orders,
        document="query($id: ID!) { organisation(id: $id) { orders(first: 5) { totalCount edges { node { "
        "number status items { description } statusHistory { status } shipments { carrier } } } } } }",
    ),
    AccessOperation(
        module="ORDERS",
        action="READ",
        name="organisation.orderApprovalPolicy",
        setup=_orders,
        document="query($id: ID!) { organisation(id: $id) { orderApprovalPolicy { approverRole } } }",
    ),
    AccessOperation(
        module="ORDERS",
        action="READ",
        name="node.order",
        setup=_orders,
        document="query($order: ID!) { node(id: $order) { ... on Order { number status } } }",
        refused=_node_refused,
    ),
    AccessOperation(
        module="ORDERS",
        action="WRITE",
        name="cancelOrder",
        setup=_on_order("ACKNOWLEDGED", reason="Erreur"),
        document="mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { " + _ORDER + " } }",
    ),
    AccessOperation(
        module="ORDERS",
        action="APPROVE",
        name="approveOrder",
        setup=_on_order("PENDING_APPROVAL", comment="OK"),
        document="mutation($input: OrderDecisionInput!) { approveOrder(input: $input) { " + _ORDER + " } }",
    ),
    AccessOperation(
        module="ORDERS",
        action="APPROVE",
        name="rejectOrder",
        setup=_on_order("PENDING_APPROVAL", comment="Non"),
        document="mutation($input: OrderDecisionInput!) { rejectOrder(input: $input) { " + _ORDER + " } }",
    ),
    AccessOperation(
        module="ORDERS",
        action="PAY",
        name="payPendingPayments.order",
        setup=_pay,
        document="mutation($input: PayPendingPaymentsInput!) { payPendingPayments(input: $input) { "
        "payment { status } pendingPayments { kind status } errors { code field } } }",
    ),
    AccessOperation(
        module="MEMBERS",
        action="WRITE",
        name="setOrderApprovalPolicy",
        setup=_policy,
        document="mutation($input: SetOrderApprovalPolicyInput!) { setOrderApprovalPolicy(input: $input) { "
        "policy { approverRole } errors { code field } } }",
    ),
]
