"""Resolvers of the shop and orders: the catalogue, the viewer's cart, the scoped orders list,
node lookups, the cart / checkout / decision / cancellation mutations and the live stream.

Access: SHOP READ reads the catalogue and the viewer's own cart, SHOP WRITE fills it and checks
out; ORDERS READ reads orders, WRITE cancels, APPROVE decides, PAY pays at checkout (ACCESS.md
rules 10 and 12), each within the billing accounts its scope reaches: anything out of reach
answers like an unknown ID. What the viewer may do now (`canCancel`, `canApprove`) is the order's
state (the state machine) and the viewer's permission over the order's account.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from guichet import events
from guichet.domain.cards import CardDetails
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import decode_id, pk_of
from guichet.domain.models.payments import Payment as PaymentRow
from guichet.domain.models.shop import Cart, Offering, Order, OrderApprovalPolicy
from guichet.domain.shop import carts, catalogue, checkout, orders, queries
from guichet.domain.shop.transitions import Event, Status, allowed
from guichet.policies.authz import AccessDenied, AccountScope, Decision
from guichet.policies.rules import Action, Module
from guichet.resolvers.pagination import Page, paginate_by_id
from guichet.resolvers.payments import holding_no_connection, payment_for_payer

if TYPE_CHECKING:
    from guichet.resolvers.context import Context


@dataclass(frozen=True)
class OrderView:
    """An order the viewer may read, and what the viewer may do with it now."""

    row: Order
    can_cancel: bool
    can_approve: bool


@dataclass(frozen=True)
class CheckoutResult:
    order: OrderView | None
    payment: PaymentRow | None
    cart: orders.CartDescription | None
    error: DomainError | None = None


def actor_of(decision: Decision) -> carts.Actor:
    membership = decision.membership
    return carts.Actor(membership.organisation_id, membership.contact_id, decision.scope.account_filter)


@dataclass(frozen=True)
class _Reach:
    """What the viewer may do on an organisation's orders: WRITE and APPROVE scopes, who it is, and
    where it holds the approval policy's role (None: everywhere)."""

    write: AccountScope
    approve: AccountScope
    contact_id: int | None
    approver_of: frozenset[int] | None


def _view(row: Order, reach: _Reach) -> OrderView:
    status = Status(row.status)
    account = row.billing_account_id
    return OrderView(
        row,
        can_cancel=allowed(status, Event.CANCEL) and reach.write.allows(account),
        can_approve=status is Status.PENDING_APPROVAL
        and reach.approve.allows(account)
        and (reach.approver_of is None or account in reach.approver_of)
        and row.placed_by_contact_id != reach.contact_id,
    )


async def _views(ctx: Context, rows: Sequence[Order]) -> list[OrderView]:
    """Views of rows the viewer may read (scopes and the approver's role asked once per organisation)."""
    reaches: dict[int, _Reach] = {}
    found = []
    for row in rows:
        if row.organisation_id not in reaches:
            membership = await ctx.authz.membership(row.organisation_id)
            approve = await ctx.authz.scope(row.organisation_id, Module.ORDERS, Action.APPROVE)
            approver_of: frozenset[int] | None = frozenset()
            if membership is not None and not approve.empty:
                async with ctx.read() as session:
                    approver_of = await orders.approver_reach(
                        session, organisation_id=row.organisation_id, contact_id=membership.contact_id
                    )
            reaches[row.organisation_id] = _Reach(
                write=await ctx.authz.scope(row.organisation_id, Module.ORDERS, Action.WRITE),
                approve=approve,
                contact_id=membership.contact_id if membership is not None else None,
                approver_of=approver_of,
            )
        found.append(_view(row, reaches[row.organisation_id]))
    return found


# ---------------------------------------------------------------- reading


async def list_offerings(
    ctx: Context,
    *,
    organisation_id: int,
    kinds: Sequence[str],
    search: str | None,
    first: int | None,
    after: str | None,
) -> Page[Offering]:
    """The organisation's catalogue (unavailable items included), in catalogue order."""
    statement = catalogue.list_statement(organisation_id, kinds=kinds, search=search)
    async with ctx.read() as session:
        return await paginate_by_id(session, statement, Offering.id, first=first, after=after)


async def prices_of(ctx: Context, offering_ids: Sequence[int]) -> dict[int, list[object]]:
    async with ctx.read() as session:
        return dict(await catalogue.prices_by_offering(session, list(offering_ids)))


async def offerings_by_ids(ctx: Context, ids: Sequence[int]) -> dict[int, Offering]:
    async with ctx.read() as session:
        return {o.id: o for o in await catalogue.offerings_by_ids(session, list(ids))}


async def offerings_by_pk(ctx: Context, pks: list[int]) -> dict[int, Offering]:
    """Offerings by primary key for node / nodes: those of organisations where the viewer has SHOP READ."""
    if not pks or await ctx.principal() is None:
        return {}
    found = await offerings_by_ids(ctx, pks)
    kept = {}
    for pk, row in found.items():
        if await ctx.authz.allowed(row.organisation_id, Module.SHOP, Action.READ):
            kept[pk] = row
    return kept


async def viewer_cart(ctx: Context, *, decision: Decision) -> orders.CartDescription | None:
    """The viewer's ACTIVE cart (EXPIRED once 7 days old), if its account is still in reach."""
    membership = decision.membership
    async with ctx.read() as session:
        cart = (
            await session.execute(
                select(Cart).where(
                    Cart.organisation_id == membership.organisation_id,
                    Cart.contact_id == membership.contact_id,
                    Cart.status == "ACTIVE",
                )
            )
        ).scalar_one_or_none()
        if cart is None or not decision.scope.allows(cart.billing_account_id):
            return None
        (described,) = await orders.describe_carts(session, [cart], ctx.now())
    return described


async def carts_by_pk(ctx: Context, pks: list[int]) -> dict[int, orders.CartDescription]:
    """The viewer's own carts by primary key (node / nodes), within its SHOP READ scope."""
    if not pks or await ctx.principal() is None:
        return {}
    async with ctx.read() as session:
        rows = await queries.carts_by_ids(session, pks)
        kept = []
        for row in rows:
            membership = await ctx.authz.membership(row.organisation_id)
            scope = await ctx.authz.scope(row.organisation_id, Module.SHOP, Action.READ)
            if (
                membership is not None
                and membership.contact_id == row.contact_id
                and scope.allows(row.billing_account_id)
            ):
                kept.append(row)
        described = await orders.describe_carts(session, kept, ctx.now())
    return {d.cart.id: d for d in described}


async def approval_policy(ctx: Context, *, organisation_id: int) -> OrderApprovalPolicy | None:
    async with ctx.read() as session:
        return await orders.policy_of(session, organisation_id)


def criteria_of(
    *, statuses: Sequence[str], sources: Sequence[str], billing_account_id: str | None, search: str | None
) -> queries.Criteria:
    """The domain criteria of a filter; a billingAccountId that names no account matches nothing."""
    account_pk = pk_of(billing_account_id, "BillingAccount") if billing_account_id is not None else None
    return queries.Criteria(
        statuses=tuple(statuses),
        sources=tuple(s.lower() for s in sources),
        billing_account_id=account_pk,
        search=search,
        nothing=billing_account_id is not None and account_pk is None,
    )


async def list_orders(
    ctx: Context,
    *,
    organisation_id: int,
    decision: Decision,
    criteria: queries.Criteria,
    first: int | None,
    after: str | None,
) -> Page[OrderView]:
    """The orders of the decided ORDERS READ scope matching `criteria`, newest first.

    Two statements (the page and its count) whatever the page size. Raise DomainError(VALIDATION)
    for a bad `first` or cursor.
    """
    statement = queries.list_statement(
        organisation_id=organisation_id, account_ids=decision.scope.account_filter, criteria=criteria
    )
    async with ctx.read() as session:
        page = await paginate_by_id(session, statement, Order.id, first=first, after=after, descending=True)
    views = await _views(ctx, page.items)
    return Page(views, page.cursors, page.has_next, page.has_previous, page.total)


async def orders_by_pk(ctx: Context, pks: list[int]) -> dict[int, OrderView]:
    """Orders by primary key, only those in the viewer's ORDERS READ scope (node, links)."""
    if not pks or await ctx.principal() is None:
        return {}
    async with ctx.read() as session:
        rows = await queries.orders_by_ids(session, pks)
    readable = []
    for row in rows:
        scope = await ctx.authz.scope(row.organisation_id, Module.ORDERS, Action.READ)
        if scope.allows(row.billing_account_id):
            readable.append(row)
    return {v.row.id: v for v in await _views(ctx, readable)}


async def pending_payment_ids_of(ctx: Context, order_ids: Sequence[int]) -> dict[int, int]:
    async with ctx.read() as session:
        return await orders.holders(session, order_ids)


# ---------------------------------------------------------------- mutations


def _required(decision: Decision | None, module: Module, action: Action, field: str) -> Decision:
    """The decision over the object named by `field`; NOT_FOUND when it was unknown or foreign."""
    if decision is None:
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", field])
    return decision


async def _cart_result(ctx: Context, cart_id: int) -> orders.CartDescription:
    async with ctx.sessionmaker() as session:
        (row,) = await queries.carts_by_ids(session, [cart_id])
        (described,) = await orders.describe_carts(session, [row], ctx.now())
    return described


@dataclass(frozen=True)
class CartItemInput:
    offering_id: str
    quantity: int
    line_id: str | None
    note: str | None


async def add_cart_items(
    ctx: Context, *, decision: Decision | None, billing_account_id: str, items: Sequence[CartItemInput]
) -> orders.CartDescription:
    """Add items to the viewer's cart for an account; raise AccessDenied for an ID that is no
    organisation's, DomainError(NOT_FOUND) for IDs of the wrong type, and the service's refusals."""
    if decision is None:
        raise AccessDenied(Module.SHOP, Action.WRITE)
    account_pk = decode_id(billing_account_id, "BillingAccount", field=["input", "billingAccountId"])
    new = [
        carts.NewItem(
            offering_id=decode_id(i.offering_id, "Offering", field=["input", "items", str(n), "offeringId"]),
            quantity=i.quantity,
            line_id=decode_id(i.line_id, "Line", field=["input", "items", str(n), "lineId"])
            if i.line_id is not None
            else None,
            note=i.note,
        )
        for n, i in enumerate(items)
    ]
    await ctx.close()
    cart_id = await carts.add_items(
        ctx.uow, actor=actor_of(decision), billing_account_id=account_pk, items=new, now=ctx.now()
    )
    return await _cart_result(ctx, cart_id)


async def update_cart_item(
    ctx: Context, *, decision: Decision | None, cart_item_id: str, quantity: int
) -> orders.CartDescription:
    """Change an item's quantity; raise the service's refusals."""
    decision = _required(decision, Module.SHOP, Action.WRITE, "cartItemId")
    pk = decode_id(cart_item_id, "CartItem", field=["input", "cartItemId"])
    await ctx.close()
    cart_id = await carts.update_item(
        ctx.uow, actor=actor_of(decision), cart_item_id=pk, quantity=quantity, now=ctx.now()
    )
    return await _cart_result(ctx, cart_id)


async def remove_cart_item(ctx: Context, *, decision: Decision | None, cart_item_id: str) -> orders.CartDescription:
    """Take an item out of the viewer's cart; raise the service's refusals."""
    decision = _required(decision, Module.SHOP, Action.WRITE, "cartItemId")
    pk = decode_id(cart_item_id, "CartItem", field=["input", "cartItemId"])
    await ctx.close()
    cart_id = await carts.remove_item(ctx.uow, actor=actor_of(decision), cart_item_id=pk, now=ctx.now())
    return await _cart_result(ctx, cart_id)


@dataclass(frozen=True)
class CheckoutInput:
    cart_id: str
    payment_terms: str
    expected_total: Decimal
    idempotency_key: str
    po_number: str | None
    note: str | None
    method: str | None
    msisdn: str | None
    card: CardDetails | None
    saved_payment_method_id: str | None


async def checkout_cart(ctx: Context, *, decision: Decision | None, new: CheckoutInput) -> CheckoutResult:
    """Check the viewer's cart out (and pay at once when it holds ORDERS PAY and names a method).

    PRICE_CHANGED answers the re-priced cart beside the error; the service's other refusals raise.
    """
    decision = _required(decision, Module.SHOP, Action.WRITE, "cartId")
    cart_pk = decode_id(new.cart_id, "Cart", field=["input", "cartId"])
    org_pk = decision.membership.organisation_id
    choice = None
    if new.method is not None:
        pay = await ctx.authz.scope(org_pk, Module.ORDERS, Action.PAY)
        if not pay.empty:
            saved = None
            if new.saved_payment_method_id is not None:
                saved = decode_id(
                    new.saved_payment_method_id, "SavedPaymentMethod", field=["input", "savedPaymentMethodId"]
                )
            choice = checkout.PaymentChoice(
                method=new.method,
                pay_scope=pay.account_filter,
                msisdn=new.msisdn,
                card=new.card,
                saved_payment_method_id=saved,
            )
    request = orders.CheckoutRequest(
        cart_id=cart_pk,
        payment_terms=new.payment_terms,
        expected_total=new.expected_total,
        idempotency_key=new.idempotency_key,
        po_number=new.po_number,
        note=new.note,
        extra={"method": new.method, "msisdn": new.msisdn, "saved": new.saved_payment_method_id},
    )
    await ctx.close()  # the checkout may wait on a twin: hold no read connection meanwhile
    try:
        done = await checkout.checkout_and_pay(
            ctx.sessionmaker,
            actor=actor_of(decision),
            request=request,
            choice=choice,
            gateways=ctx.app.gateways,
            secret=ctx.settings.secret_key,
            now=ctx.now(),
            expiry_seconds=ctx.settings.payment_expiry_seconds,
            bank_transfer_expiry_seconds=ctx.settings.bank_transfer_expiry_seconds,
        )
    except orders.PriceChanged as changed:
        return CheckoutResult(order=None, payment=None, cart=await _cart_result(ctx, changed.cart_id), error=changed)
    await events.publish(ctx.app.broker, done.changes)
    order = await _fresh(ctx, done.order_id, organisation_id=done.organisation_id)
    payment = await payment_for_payer(ctx, done.payment_id) if done.payment_id is not None else None
    return CheckoutResult(order=order, payment=payment, cart=await _cart_result(ctx, cart_pk))


async def _fresh(ctx: Context, order_id: int, *, organisation_id: int) -> OrderView:
    """The order after a change, as the one who changed it sees it (a fresh session)."""
    async with ctx.sessionmaker() as session:
        (row,) = await queries.orders_by_ids(session, [order_id])
    (view,) = await _views(ctx, [row])
    return view


async def _published(ctx: Context, outcome: orders.Outcome) -> OrderView:
    await events.publish(ctx.app.broker, outcome.changes)
    return await _fresh(ctx, outcome.order.id, organisation_id=outcome.order.organisation_id)


def order_pk(order_id: str) -> int:
    return decode_id(order_id, "Order", field=["input", "orderId"])


async def decide_order(
    ctx: Context, *, decision: Decision | None, order_id: str, approve: bool, comment: str | None
) -> OrderView:
    """Approve or reject an order waiting for approval; raise the service's refusals."""
    decision = _required(decision, Module.ORDERS, Action.APPROVE, "orderId")
    pk = order_pk(order_id)
    await ctx.close()
    outcome = await orders.decide(
        ctx.uow, actor=actor_of(decision), order_id=pk, approve=approve, comment=comment, now=ctx.now()
    )
    return await _published(ctx, outcome)


async def cancel_order(ctx: Context, *, decision: Decision | None, order_id: str, reason: str | None) -> OrderView:
    """Cancel an order (or ask for it once work started); raise the service's refusals."""
    decision = _required(decision, Module.ORDERS, Action.WRITE, "orderId")
    pk = order_pk(order_id)
    await ctx.close()
    outcome = await orders.cancel(ctx.uow, actor=actor_of(decision), order_id=pk, reason=reason, now=ctx.now())
    return await _published(ctx, outcome)


async def set_approval_policy(
    ctx: Context, *, decision: Decision | None, threshold: Decimal | None, approver_role: str
) -> OrderApprovalPolicy:
    """Set the organisation's approval rule; raise AccessDenied for an ID that is no organisation's."""
    if decision is None:
        raise AccessDenied(Module.MEMBERS, Action.WRITE)
    await ctx.close()
    return await orders.set_policy(
        ctx.uow,
        organisation_id=decision.membership.organisation_id,
        actor_contact_id=decision.membership.contact_id,
        threshold=threshold,
        approver_role=approver_role,
        now=ctx.now(),
    )


# ---------------------------------------------------------------- subscription


def watch_orders(ctx: Context, organisation_id: str) -> AsyncIterator[OrderView]:
    """Each order of the organisation that changed, if the viewer may read it when it changes.

    Access is asked again at every event; raise NotAuthenticated / AccessDenied at the start
    without ORDERS READ there.
    """
    return holding_no_connection(ctx, _watch(ctx, organisation_id))


async def _watch(ctx: Context, organisation_id: str) -> AsyncIterator[OrderView]:
    org_pk = pk_of(organisation_id, "Organisation") or 0
    async with ctx.app.broker.listen(events.orders_topic(org_pk)) as queue:
        await ctx.refresh()
        await ctx.authz.require(org_pk, Module.ORDERS, Action.READ)
        await ctx.close()
        while True:
            message = await queue.get()
            await ctx.refresh()
            if await ctx.viewer() is None:
                return
            order_id = int(message["id"])
            found = (await orders_by_pk(ctx, [order_id])).get(order_id)
            if found is not None and found.row.organisation_id == org_pk:
                yield found
            else:
                await ctx.close()


def expires_at(described: orders.CartDescription) -> datetime:
    return carts.expires_at(described.cart)
