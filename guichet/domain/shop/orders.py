"""Order services: checkout, approval, cancellation, the approval policy, the back office's
events and the expiry job. Each owns one unit of work and asks the state machine for every move.

Exactly once: one order per cart (unique orders.cart_id, and a guarded UPDATE of the cart from
ACTIVE to CHECKED_OUT) and per (buyer, idempotency key); decisions and moves are UPDATEs guarded
by status and version (moves.move), so concurrent approve / reject make one decision.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from guichet.domain import models
from guichet.domain.audit import record_event
from guichet.domain.errors import DomainError, ErrorCode
from guichet.domain.ids import to_global_id
from guichet.domain.mail import enqueue_email
from guichet.domain.models.pending_payments import PendingPayment
from guichet.domain.models.shop import (
    Cart,
    CartItem,
    Offering,
    Order,
    OrderApprovalPolicy,
    OrderEvent,
    OrderItem,
    Shipment,
)
from guichet.domain.money import Money, MoneyError, parse_amount
from guichet.domain.pending_payments.services import open_pending_payment
from guichet.domain.shop import moves
from guichet.domain.shop.carts import Actor, effective_status
from guichet.domain.shop.catalogue import check_quantity, offerings_by_ids, price_item, prices_by_offering, totals
from guichet.domain.shop.moves import Change, change_of
from guichet.domain.shop.queries import items_by_cart
from guichet.domain.shop.transitions import BACK_OFFICE_EVENTS, Event, Status, initial_status, transition

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]

MAX_KEY = 200
MAX_PO = 100
MAX_TEXT = 2000
PAYMENT_WINDOW = timedelta(days=7)
APPROVAL_WINDOW = timedelta(days=7)
SHIPMENT_STATUSES = ("PREPARING", "SHIPPED", "DELIVERED", "RETURNED")


@dataclass(frozen=True)
class Outcome:
    order: Order
    changes: list[Change] = field(default_factory=list)
    replayed: bool = False
    # The ORDER pending payment left to pay, if any.
    pending_payment_id: int | None = None


def new_number() -> str:
    """ORD- + 8 random digits (OPERATIONS.md): a number says nothing about other organisations."""
    return f"ORD-{secrets.randbelow(10**8):08d}"


def _text(value: str | None, where: str, limit: int) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    if len(cleaned) > limit:
        raise DomainError(ErrorCode.VALIDATION, "text_too_long", field=["input", where], params={"limit": limit})
    return cleaned or None


def to_pay(order: Order) -> bool:
    """Whether the order's terms leave something to pay before work starts (PAY_NOW, one-time > 0)."""
    return order.payment_terms == "PAY_NOW" and order.one_time_total_minor > 0


async def policy_of(session: AsyncSession, organisation_id: int) -> OrderApprovalPolicy | None:
    return (
        await session.execute(select(OrderApprovalPolicy).where(OrderApprovalPolicy.organisation_id == organisation_id))
    ).scalar_one_or_none()


def needs_approval(policy: OrderApprovalPolicy | None, one_time_minor: int) -> bool:
    """An order whose one-time total reaches the threshold waits for an approver (rule 12)."""
    return policy is not None and policy.threshold_minor is not None and one_time_minor >= policy.threshold_minor


# ---------------------------------------------------------------- checkout


@dataclass(frozen=True)
class CheckoutRequest:
    cart_id: int
    payment_terms: str
    expected_total: Decimal
    idempotency_key: str
    po_number: str | None = None
    note: str | None = None
    # What else identifies the request for its idempotency key (the payment method asked).
    extra: dict[str, Any] = field(default_factory=dict)


class PriceChanged(DomainError):
    """PRICE_CHANGED, carrying the cart to show again re-priced."""

    def __init__(self, cart_id: int, total: Money) -> None:
        super().__init__(
            ErrorCode.PRICE_CHANGED, field=["input", "expectedTotal"], params={"total": total.format("en")}
        )
        self.cart_id = cart_id
        self.total = total


def _hash(request: CheckoutRequest) -> str:
    canonical = {
        "cart": request.cart_id,
        "terms": request.payment_terms,
        "expected": str(request.expected_total),
        "po": request.po_number,
        "note": request.note,
        **request.extra,
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, default=str).encode()).hexdigest()


async def _previous(session: AsyncSession, actor: Actor, key: str, request_hash: str) -> Order | None:
    """The order placed under this key; raise IDEMPOTENCY_KEY_REUSED when the request differs."""
    found = (
        await session.execute(
            select(Order)
            .where(Order.placed_by_contact_id == actor.contact_id, Order.idempotency_key == key)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if found is not None and found.request_hash != request_hash:
        raise DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, field=["input", "idempotencyKey"])
    return found


async def _pending_of(session: AsyncSession, order_id: int) -> int | None:
    return (
        await session.execute(
            select(PendingPayment.id).where(PendingPayment.kind == "ORDER", PendingPayment.order_id == order_id)
        )
    ).scalar_one_or_none()


class _CartTaken(Exception):
    """A concurrent checkout of the same cart won."""


async def _open_order_payment(session: AsyncSession, order: Order, now: datetime) -> int:
    """The ORDER pending payment of the order's one-time total (recurring prices go on invoices)."""
    item, _created = await open_pending_payment(
        session,
        organisation_id=order.organisation_id,
        billing_account_id=order.billing_account_id,
        kind="ORDER",
        amount=Money(order.one_time_total_minor, order.currency),
        description=f"Order {order.number}",
        dedupe_key=f"order:{order.id}",
        now=now,
        due_date=now.date(),
        expires_at=now + PAYMENT_WINDOW,
        order_id=order.id,
    )
    return item.id


async def _notify_approvers(session: AsyncSession, order: Order, policy: OrderApprovalPolicy, now: datetime) -> None:
    """E-mail the active holders of the policy's role over the order's account (the buyer aside)."""
    rows = (
        await session.execute(
            select(models.Person.email)
            .join(models.Contact, models.Contact.person_id == models.Person.id)
            .join(models.RoleAssignment, models.RoleAssignment.contact_id == models.Contact.id)
            .where(
                models.Contact.organisation_id == order.organisation_id,
                models.Contact.status == "ACTIVE",
                models.RoleAssignment.role == policy.approver_role,
                or_(
                    models.RoleAssignment.billing_account_id.is_(None),
                    models.RoleAssignment.billing_account_id == order.billing_account_id,
                ),
                models.Contact.id != (order.placed_by_contact_id or 0),
            )
            .distinct()
            .order_by(models.Person.email)
        )
    ).scalars()
    total = Money(order.one_time_total_minor, order.currency)
    for email in rows:
        await enqueue_email(
            session,
            to=email,
            subject=f"Commande {order.number} à approuver / Order {order.number} awaits approval",
            body=(
                f"Bonjour,\n\nLa commande {order.number} de {total.format('fr')} attend votre approbation.\n\n"
                f"---\n\nHello,\n\nOrder {order.number} of {total.format('en')} awaits your approval.\n"
            ),
            now=now,
        )


async def checkout(uow: UnitOfWork, *, actor: Actor, request: CheckoutRequest, now: datetime) -> Outcome:
    """Place the order of the actor's cart at the prices of now, once per cart and per key.

    The same key and request answer the same order (replayed=True). Raise DomainError:
    VALIDATION (key, paymentTerms, texts, expectedTotal not an amount, the cart already ordered),
    NOT_FOUND (not the viewer's cart, or its account out of reach), CART_EXPIRED, CART_EMPTY,
    OFFERING_NOT_AVAILABLE, QUANTITY_NOT_ALLOWED (the catalogue's rules changed since), IDEMPOTENCY_KEY_REUSED, and PriceChanged (PRICE_CHANGED) when the
    one-time total is not `expected_total` any more; nothing is written on a refusal.
    """
    key = request.idempotency_key.strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise DomainError(ErrorCode.VALIDATION, "idempotency_key_invalid", field=["input", "idempotencyKey"])
    if request.payment_terms not in ("PAY_NOW", "ON_ACCOUNT"):
        raise DomainError(ErrorCode.VALIDATION, field=["input", "paymentTerms"])
    po_number = _text(request.po_number, "poNumber", MAX_PO)
    note = _text(request.note, "note", MAX_TEXT)
    request_hash = _hash(request)
    try:
        async with uow() as session:
            previous = await _previous(session, actor, key, request_hash)
            if previous is not None:
                return Outcome(previous, [], replayed=True, pending_payment_id=await _pending_of(session, previous.id))
            return await _place(session, actor, request, key, request_hash, po_number, note, now)
    except (_CartTaken, IntegrityError):
        # A twin checkout of this cart (or under this key) won: answer its order when it is ours.
        async with uow() as session:
            previous = await _previous(session, actor, key, request_hash)
            if previous is None:
                raise DomainError(ErrorCode.VALIDATION, "cart_checked_out", field=["input", "cartId"]) from None
            return Outcome(previous, [], replayed=True, pending_payment_id=await _pending_of(session, previous.id))


async def _place(
    session: AsyncSession,
    actor: Actor,
    request: CheckoutRequest,
    key: str,
    request_hash: str,
    po_number: str | None,
    note: str | None,
    now: datetime,
) -> Outcome:
    cart = (
        await session.execute(
            select(Cart)
            .where(
                Cart.id == request.cart_id,
                Cart.organisation_id == actor.organisation_id,
                Cart.contact_id == actor.contact_id,
            )
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if cart is None or not actor.reaches(cart.billing_account_id):
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "cartId"])
    if cart.status == "CHECKED_OUT":
        raise DomainError(ErrorCode.VALIDATION, "cart_checked_out", field=["input", "cartId"])
    if effective_status(cart, now) == "EXPIRED":
        raise DomainError(ErrorCode.CART_EXPIRED, field=["input", "cartId"])
    items = list(
        (await session.execute(select(CartItem).where(CartItem.cart_id == cart.id).order_by(CartItem.id))).scalars()
    )
    if not items:
        raise DomainError(ErrorCode.CART_EMPTY, field=["input", "cartId"])
    currency = (
        await session.execute(
            select(models.Organisation.currency).where(models.Organisation.id == actor.organisation_id)
        )
    ).scalar_one()
    try:
        expected = parse_amount(str(request.expected_total), currency)
    except MoneyError:
        raise DomainError(ErrorCode.VALIDATION, "amount_invalid", field=["input", "expectedTotal"]) from None
    offerings = {
        o.id: o
        for o in (
            await session.execute(select(Offering).where(Offering.id.in_([i.offering_id for i in items])))
        ).scalars()
    }
    if any(not offerings[i.offering_id].available for i in items):
        raise DomainError(ErrorCode.OFFERING_NOT_AVAILABLE, field=["input", "cartId"])
    for item in items:  # the catalogue's quantity rules may have changed since the item was added
        check_quantity(offerings[item.offering_id], item.quantity, ["input", "cartId"])
    prices = await prices_by_offering(session, sorted(offerings))
    priced = [price_item(prices[i.offering_id], i.quantity) for i in items]
    total = Money(totals(priced).one_time_minor, currency)
    if total != expected:
        raise PriceChanged(cart.id, total)

    taken = await session.execute(
        update(Cart)
        .where(Cart.id == cart.id, Cart.status == "ACTIVE")
        .values(status="CHECKED_OUT", touched_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise _CartTaken()
    policy = await policy_of(session, actor.organisation_id)
    approval = needs_approval(policy, total.minor)
    pay_now = request.payment_terms == "PAY_NOW" and total.minor > 0
    status = initial_status(needs_approval=approval, to_pay=pay_now)
    order = Order(
        organisation_id=actor.organisation_id,
        number=new_number(),
        source="shop",
        po_number=po_number,
        status=status.value,
        billing_account_id=cart.billing_account_id,
        placed_by_contact_id=actor.contact_id,
        placed_at=now,
        currency=currency,
        one_time_total_minor=total.minor,
        payment_terms=request.payment_terms,
        note=note,
        cart_id=cart.id,
        idempotency_key=key,
        request_hash=request_hash,
        approval_required=approval,
        status_changed_at=now,
        updated_at=now,
        version=1,
    )
    session.add(order)
    await session.flush()
    position = 0
    for item in items:
        offering = offerings[item.offering_id]
        for price in prices[item.offering_id]:
            position += 1
            session.add(
                OrderItem(
                    organisation_id=actor.organisation_id,
                    order_id=order.id,
                    position=position,
                    offering_id=offering.id,
                    description=offering.name[:300],
                    quantity=item.quantity,
                    unit_price_minor=price.amount_minor,
                    amount_minor=price.amount_minor * item.quantity,
                    price_type=price.price_type,
                    frequency=price.frequency,
                    line_id=item.line_id,
                )
            )
    await session.flush()
    await moves.record_history(session, order, now=now, by_contact_id=actor.contact_id, note=note)
    await moves.email_buyer(session, order, note=None, now=now)
    pending_id = None
    if status is Status.AWAITING_PAYMENT:
        pending_id = await _open_order_payment(session, order, now)
    if status is Status.PENDING_APPROVAL and policy is not None:
        await _notify_approvers(session, order, policy, now)
    await moves.audit(
        session,
        order,
        action="order.placed",
        actor_contact_id=actor.contact_id,
        now=now,
        total_minor=total.minor,
        payment_terms=order.payment_terms,
    )
    return Outcome(order, change_of(order), pending_payment_id=pending_id)


# ---------------------------------------------------------------- decisions and cancellation


async def visible_order(session: AsyncSession, actor: Actor, order_id: int) -> Order:
    """The order if the actor may reach it; raise DomainError(NOT_FOUND) on orderId otherwise."""
    order = (
        await session.execute(
            select(Order)
            .where(Order.id == order_id, Order.organisation_id == actor.organisation_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if order is None or not actor.reaches(order.billing_account_id):
        raise DomainError(ErrorCode.NOT_FOUND, field=["input", "orderId"])
    return order


async def approver_reach(session: AsyncSession, *, organisation_id: int, contact_id: int) -> frozenset[int] | None:
    """The billing accounts on whose orders the contact holds the policy's approverRole (None: all of
    them: no policy, the primary admin, or the role over the whole organisation); two queries."""
    policy = await policy_of(session, organisation_id)
    if policy is None:
        return None
    contact = (
        await session.execute(select(models.Contact).where(models.Contact.id == contact_id))
    ).scalar_one_or_none()
    if contact is None:
        return frozenset()
    if contact.is_primary_admin:
        return None
    accounts = list(
        (
            await session.execute(
                select(models.RoleAssignment.billing_account_id).where(
                    models.RoleAssignment.contact_id == contact_id,
                    models.RoleAssignment.role == policy.approver_role,
                )
            )
        ).scalars()
    )
    if any(a is None for a in accounts):
        return None
    return frozenset(a for a in accounts if a is not None)


async def decide(
    uow: UnitOfWork, *, actor: Actor, order_id: int, approve: bool, comment: str | None, now: datetime
) -> Outcome:
    """Approve (to AWAITING_PAYMENT with its pending payment, or ACKNOWLEDGED) or reject an order.

    Raise DomainError: NOT_FOUND (out of the actor's ORDERS APPROVE reach), ORDER_NOT_PENDING_APPROVAL
    (also when a concurrent decision won), CANNOT_APPROVE_OWN_ORDER, FORBIDDEN (the approver does
    not hold the policy's approverRole), VALIDATION (comment too long).
    """
    text = _text(comment, "comment", MAX_TEXT)
    async with uow() as session:
        order = await visible_order(session, actor, order_id)
        if approve:
            event = Event.APPROVE if to_pay(order) else Event.APPROVE_NOTHING_TO_PAY
        else:
            event = Event.REJECT
        target = transition(Status(order.status), event)
        if order.placed_by_contact_id == actor.contact_id:
            raise DomainError(ErrorCode.CANNOT_APPROVE_OWN_ORDER, field=["input", "orderId"])
        reach = await approver_reach(session, organisation_id=order.organisation_id, contact_id=actor.contact_id)
        if reach is not None and order.billing_account_id not in reach:
            raise DomainError(ErrorCode.FORBIDDEN, "order_approver_role", field=["input", "orderId"])
        try:
            await moves.move(
                session,
                order,
                target,
                now=now,
                by_contact_id=actor.contact_id,
                note=text,
                approval_decision="APPROVED" if approve else "REJECTED",
                approver_contact_id=actor.contact_id,
                decided_at=now,
                approval_comment=text,
            )
        except DomainError:
            raise DomainError(
                ErrorCode.ORDER_NOT_PENDING_APPROVAL, field=["input", "orderId"], params={"status": order.status}
            ) from None
        pending_id = None
        if target is Status.AWAITING_PAYMENT:
            pending_id = await _open_order_payment(session, order, now)
        await moves.audit(
            session,
            order,
            action="order.approved" if approve else "order.rejected",
            actor_contact_id=actor.contact_id,
            now=now,
            comment=text,
        )
        return Outcome(order, change_of(order), pending_payment_id=pending_id)


async def cancel(uow: UnitOfWork, *, actor: Actor, order_id: int, reason: str | None, now: datetime) -> Outcome:
    """Cancel before work starts (CANCELLED; its pending payment too), or ask once it has
    (CANCELLATION_REQUESTED, for the back office to accept or refuse).

    Raise DomainError: NOT_FOUND (out of reach), ORDER_NOT_CANCELLABLE (final, held, already asked,
    or its payment under way).
    """
    text = _text(reason, "reason", MAX_TEXT)
    async with uow() as session:
        order = await visible_order(session, actor, order_id)
        target = transition(Status(order.status), Event.CANCEL)
        if target is Status.CANCELLED:
            await session.execute(
                update(PendingPayment)
                .where(PendingPayment.order_id == order.id, PendingPayment.kind == "ORDER")
                .where(PendingPayment.status == "DUE", PendingPayment.payment_id.is_(None))
                .values(status="CANCELLED", updated_at=now)
                .execution_options(synchronize_session=False)
            )
            under_way = (
                await session.execute(
                    select(PendingPayment.id).where(
                        PendingPayment.order_id == order.id,
                        PendingPayment.kind == "ORDER",
                        PendingPayment.status.in_(("PAYMENT_PENDING", "PAID")),
                    )
                )
            ).first()
            if under_way is not None:
                raise DomainError(
                    ErrorCode.ORDER_NOT_CANCELLABLE, field=["input", "orderId"], params={"status": order.status}
                )
        try:
            await moves.move(
                session,
                order,
                target,
                now=now,
                by_contact_id=actor.contact_id,
                note=text,
                cancellation_reason=text,
            )
        except DomainError:
            raise DomainError(
                ErrorCode.ORDER_NOT_CANCELLABLE, field=["input", "orderId"], params={"status": order.status}
            ) from None
        action = "order.cancelled" if target is Status.CANCELLED else "order.cancel_requested"
        await moves.audit(session, order, action=action, actor_contact_id=actor.contact_id, now=now, reason=text)
        return Outcome(order, change_of(order))


# ---------------------------------------------------------------- the approval policy


async def set_policy(
    uow: UnitOfWork,
    *,
    organisation_id: int,
    actor_contact_id: int,
    threshold: Decimal | None,
    approver_role: str,
    now: datetime,
) -> OrderApprovalPolicy:
    """Set the organisation's approval rule (threshold null: no approval).

    Raise DomainError(VALIDATION) on threshold when it is not a positive amount of the currency.
    """
    async with uow() as session:
        currency = (
            await session.execute(select(models.Organisation.currency).where(models.Organisation.id == organisation_id))
        ).scalar_one()
        threshold_minor = None
        if threshold is not None:
            try:
                threshold_minor = parse_amount(str(threshold), currency).minor
            except MoneyError:
                raise DomainError(
                    ErrorCode.VALIDATION, "order_threshold_invalid", field=["input", "threshold"]
                ) from None
            if threshold_minor <= 0:
                raise DomainError(ErrorCode.VALIDATION, "order_threshold_invalid", field=["input", "threshold"])
        policy = await policy_of(session, organisation_id)
        if policy is None:
            policy = OrderApprovalPolicy(organisation_id=organisation_id, currency=currency)
            session.add(policy)
        policy.threshold_minor = threshold_minor
        policy.currency = currency
        policy.approver_role = approver_role
        policy.updated_at = now
        await session.flush()
        await record_event(
            session,
            at=now,
            organisation_id=organisation_id,
            actor_contact_id=actor_contact_id,
            action="order_policy.changed",
            summary="Order approval policy: "
            + (f"{Money(threshold_minor, currency).format('en')} and above" if threshold_minor else "no approval")
            + f", approved by {approver_role}",
            subject_id=to_global_id("Organisation", organisation_id),
            data={"threshold_minor": threshold_minor, "approver_role": approver_role},
        )
        return policy


# ---------------------------------------------------------------- the back office


@dataclass(frozen=True)
class ShipmentUpdate:
    carrier: str
    status: str
    tracking_number: str | None = None
    tracking_url: str | None = None


@dataclass(frozen=True)
class BackOfficeEvent:
    """One verified back-office delivery (guichet.domain.shop.webhook parses it)."""

    event_id: str
    number: str
    status: Status | None
    note: str | None = None
    shipment: ShipmentUpdate | None = None
    expected_completion_date: date | None = None


async def _apply_shipment(session: AsyncSession, order: Order, update_: ShipmentUpdate, now: datetime) -> None:
    """Record a shipment, or move the one with the same carrier and tracking number."""
    existing = (
        await session.execute(
            select(Shipment).where(
                Shipment.order_id == order.id,
                Shipment.carrier == update_.carrier,
                Shipment.tracking_number.is_(None)
                if update_.tracking_number is None
                else Shipment.tracking_number == update_.tracking_number,
            )
        )
    ).scalar_one_or_none()
    if existing is None:
        existing = Shipment(
            organisation_id=order.organisation_id,
            order_id=order.id,
            carrier=update_.carrier,
            tracking_number=update_.tracking_number,
        )
        session.add(existing)
    existing.status = update_.status
    if update_.tracking_url:
        existing.tracking_url = update_.tracking_url
    if update_.status in ("SHIPPED", "DELIVERED") and existing.shipped_at is None:
        existing.shipped_at = now
    if update_.status == "DELIVERED" and existing.delivered_at is None:
        existing.delivered_at = now
    await session.flush()


async def apply_back_office_event(uow: UnitOfWork, *, event: BackOfficeEvent, now: datetime) -> Outcome:
    """Apply a back-office event once: a status move, a shipment, or both.

    A repeated eventId answers replayed=True and changes nothing. Raise DomainError(NOT_FOUND)
    for an unknown number and DomainError(INVALID_STATUS_TRANSITION) for a status the order
    cannot move to (nothing changed then).
    """
    try:
        async with uow() as session:
            order = (
                await session.execute(
                    select(Order).where(Order.number == event.number).execution_options(populate_existing=True)
                )
            ).scalar_one_or_none()
            if order is None:
                raise DomainError(ErrorCode.NOT_FOUND, field=["number"])
            seen = (
                await session.execute(select(OrderEvent.order_id).where(OrderEvent.event_id == event.event_id))
            ).first()
            if seen is not None:
                return Outcome(order, [], replayed=True)
            target = (
                transition(Status(order.status), BACK_OFFICE_EVENTS[event.status]) if event.status is not None else None
            )
            session.add(
                OrderEvent(
                    organisation_id=order.organisation_id, event_id=event.event_id, order_id=order.id, received_at=now
                )
            )
            await session.flush()
            if event.shipment is not None:
                await _apply_shipment(session, order, event.shipment, now)
            extra: dict[str, Any] = {}
            if event.expected_completion_date is not None:
                extra["expected_completion_date"] = event.expected_completion_date
            if target is not None:
                await moves.move(session, order, target, now=now, by_contact_id=None, note=event.note, **extra)
            else:
                await session.execute(
                    update(Order)
                    .where(Order.id == order.id)
                    .values(updated_at=now, **extra)
                    .execution_options(synchronize_session=False)
                )
            await moves.audit(
                session,
                order,
                action="order.status_changed" if target is not None else "order.shipment_updated",
                actor_contact_id=None,
                now=now,
                event_id=event.event_id,
            )
            return Outcome(order, change_of(order))
    except IntegrityError:
        # The same eventId applied concurrently by another delivery: this one is the replay.
        async with uow() as session:
            order = (await session.execute(select(Order).where(Order.number == event.number))).scalar_one()
            return Outcome(order, [], replayed=True)


# ---------------------------------------------------------------- the job


@dataclass(frozen=True)
class ExpiryReport:
    carts: int
    payments_expired: list[str]
    approvals_expired: list[str]
    changes: list[Change]


async def expire_orders(
    uow: UnitOfWork, *, as_of: datetime, now: datetime
) -> tuple[list[str], list[str], list[Change]]:
    """ORDER pending payments still DUE past expiresAt EXPIRE and their orders are CANCELLED;
    orders PENDING_APPROVAL for 7 days are CANCELLED. One transaction per order: a run beside
    another (or twice) moves each order once."""
    async with uow() as session:
        payment_rows = (
            await session.execute(
                select(PendingPayment.id, PendingPayment.order_id)
                .where(
                    PendingPayment.kind == "ORDER",
                    PendingPayment.status == "DUE",
                    PendingPayment.payment_id.is_(None),
                    PendingPayment.expires_at <= as_of,
                )
                .order_by(PendingPayment.id)
            )
        ).all()
        approval_ids = list(
            (
                await session.execute(
                    select(Order.id)
                    .where(
                        Order.status == Status.PENDING_APPROVAL.value,
                        Order.status_changed_at <= as_of - APPROVAL_WINDOW,
                    )
                    .order_by(Order.id)
                )
            ).scalars()
        )
    expired: list[str] = []
    timed_out: list[str] = []
    changes: list[Change] = []
    for item_id, order_id in payment_rows:
        try:
            async with uow() as session:
                moved = await session.execute(
                    update(PendingPayment)
                    .where(
                        PendingPayment.id == item_id,
                        PendingPayment.status == "DUE",
                        PendingPayment.payment_id.is_(None),
                    )
                    .values(status="EXPIRED", updated_at=now)
                    .execution_options(synchronize_session=False)
                )
                if moved.rowcount != 1 or order_id is None:  # type: ignore[attr-defined]
                    continue
                order = (await session.execute(select(Order).where(Order.id == order_id))).scalar_one()
                target = transition(Status(order.status), Event.PAYMENT_EXPIRED)
                await moves.move(
                    session,
                    order,
                    target,
                    now=now,
                    by_contact_id=None,
                    note="payment_expired",
                    cancellation_reason="payment_expired",
                )
                await moves.audit(session, order, action="order.cancelled", actor_contact_id=None, now=now)
                expired.append(order.number)
                changes += change_of(order)
        except DomainError:
            continue  # moved by someone else meanwhile (its transaction rolled back)
    for order_id in approval_ids:
        try:
            async with uow() as session:
                order = (
                    await session.execute(
                        select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
                    )
                ).scalar_one()
                if order.status_changed_at > as_of - APPROVAL_WINDOW:
                    continue
                target = transition(Status(order.status), Event.APPROVAL_TIMEOUT)
                await moves.move(
                    session,
                    order,
                    target,
                    now=now,
                    by_contact_id=None,
                    note="approval_expired",
                    cancellation_reason="approval_expired",
                )
                await moves.audit(session, order, action="order.cancelled", actor_contact_id=None, now=now)
                timed_out.append(order.number)
                changes += change_of(order)
        except DomainError:
            continue
    return expired, timed_out, changes


async def holders(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, int]:
    """The ORDER pending payment of each order (for Order.pendingPayment), one query."""
    if not order_ids:
        return {}
    rows = (
        await session.execute(
            select(PendingPayment.order_id, PendingPayment.id)
            .where(PendingPayment.kind == "ORDER", PendingPayment.order_id.in_(list(order_ids)))
            .order_by(PendingPayment.id)
        )
    ).all()
    return {order_id: item_id for order_id, item_id in rows if order_id is not None}


# ---------------------------------------------------------------- carts as shown


@dataclass(frozen=True)
class PricedCartItem:
    item: CartItem
    offering: Offering
    unit_price_minor: int
    amount_minor: int


@dataclass(frozen=True)
class CartDescription:
    """A cart priced from the catalogue now, with what checking it out would need."""

    cart: Cart
    status: str
    currency: str
    items: list[PricedCartItem]
    one_time_minor: int
    recurring_minor: dict[str, int]
    requires_approval: bool


async def describe_carts(session: AsyncSession, carts: Sequence[Cart], now: datetime) -> list[CartDescription]:
    """Price carts (a handful of queries whatever their number): items, totals, approval."""
    if not carts:
        return []
    items = await items_by_cart(session, [c.id for c in carts])
    offering_ids = sorted({i.offering_id for rows in items.values() for i in rows})
    offerings = {o.id: o for o in await offerings_by_ids(session, offering_ids)}
    prices = await prices_by_offering(session, offering_ids)
    organisation_ids = sorted({c.organisation_id for c in carts})
    currencies = dict(
        (
            await session.execute(
                select(models.Organisation.id, models.Organisation.currency).where(
                    models.Organisation.id.in_(organisation_ids)
                )
            )
        ).all()
    )
    policies = {
        p.organisation_id: p
        for p in (
            await session.execute(
                select(OrderApprovalPolicy).where(OrderApprovalPolicy.organisation_id.in_(organisation_ids))
            )
        ).scalars()
    }
    described = []
    for cart in carts:
        shown = []
        priced_all = []
        for item in items[cart.id]:
            priced = price_item(prices[item.offering_id], item.quantity)
            priced_all.append(priced)
            shown.append(
                PricedCartItem(item, offerings[item.offering_id], priced.unit_price_minor, priced.amount_minor)
            )
        sums = totals(priced_all)
        described.append(
            CartDescription(
                cart=cart,
                status=effective_status(cart, now),
                currency=currencies[cart.organisation_id],
                items=shown,
                one_time_minor=sums.one_time_minor,
                recurring_minor=sums.recurring_minor,
                requires_approval=needs_approval(policies.get(cart.organisation_id), sums.one_time_minor),
            )
        )
    return described
